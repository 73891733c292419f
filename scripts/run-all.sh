#!/usr/bin/env bash
# The README's run command: set-up, build, then the main job: the machine (gradscope info), every
# kernel against oneDNN (validate all), the GEMM benchmark against oneDNN/OpenBLAS/BLIS, and the
# whole scenario catalog trained on Fashion-MNIST (run-all). Results land under results/.
# Arguments go to `gradscope run-all` (e.g. --epochs 2 --subset 5000 for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/gradscope info
build/gradscope validate all > results/validate-all.txt && tail -n 3 results/validate-all.txt
build/gradscope bench gemm --quick
build/gradscope run-all "$@"
