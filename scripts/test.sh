#!/usr/bin/env bash
# The README's test command: set-up, build into $GS_BUILD_DIR (default build/), then the whole ctest
# suite. Extra arguments go to cmake's configure step (e.g. -DGS_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh "$@"
ctest --test-dir "${GS_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
