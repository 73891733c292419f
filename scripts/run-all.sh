#!/usr/bin/env bash
# The README's run command: set-up, build, then the main job: the machine (gradscope info) and
# run-all, which first validates every kernel against oneDNN and benchmarks them (the run folder's
# kernels/), then trains the whole scenario catalog on Fashion-MNIST, then writes the run's report
# (results/<run>/report/index.html: its path is the last line printed). Results land under results/.
# Arguments go to `gradscope run-all` (e.g. --epochs 2 --subset 5000 for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/gradscope info
build/gradscope run-all "$@"
