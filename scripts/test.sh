#!/usr/bin/env bash
# The README's test command: set-up, build, then the whole ctest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh "$@"
ctest --test-dir build --output-on-failure -j "$(nproc)"
