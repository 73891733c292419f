#!/usr/bin/env bash
# Runs scripts/scaling.sh on one small GEMM shape and a 300-image training run with 1 and 2 threads,
# and checks that its tables have a row for each, with both thread counts and a speed-up.
# Usage: check_scaling.sh BUILD_DIR OUT_DIR
set -euo pipefail
out="$(GS_NO_SETUP=1 GS_BUILD_DIR="$1" GS_SUBSET=300 GS_SCALING_SHAPES=m64n10k128ta0tb1 GS_SCALING_OUT="$2" \
  bash "$(dirname "$0")/../scripts/scaling.sh" 1,2 mlp3_sigmoid 1 2>/dev/null)"
echo "$out"
num='[0-9]+\.[0-9]+'
grep -Eq "^\| m64n10k128ta0tb1 (avx2|avx512) \| $num \| $num \| ${num}x \|$" <<<"$out" || { echo "no GEMM row for our kernel"; exit 1; }
grep -Eq "^\| m64n10k128ta0tb1 onednn \| $num \| $num \| ${num}x \|$" <<<"$out" || { echo "no GEMM row for oneDNN"; exit 1; }
grep -Eq "^\| mlp3_sigmoid \| $num \| $num \| ${num}x \|$" <<<"$out" || { echo "no training row"; exit 1; }
