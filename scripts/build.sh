#!/usr/bin/env bash
# Configures and builds gradscope (Release) into $GS_BUILD_DIR (default build/); extra arguments go
# to cmake's configure step (e.g. -DGS_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${GS_BUILD_DIR:-build}"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
