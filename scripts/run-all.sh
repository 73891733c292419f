#!/usr/bin/env bash
# The README's run command: set-up, build, then the main job (machine info, GEMM validation against
# oneDNN, GEMM benchmark against oneDNN/OpenBLAS/BLIS). Results land under results/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/gradscope info
build/gradscope validate gemm
build/gradscope bench gemm "$@"
