#!/usr/bin/env bash
# Thread scaling of the GEMM and of training, for reading a many-core CPU at a glance.
# For each thread count k of LIST: one process of `bench gemm --thread-list k` (our widest ISA,
# oneDNN, OpenBLAS, BLIS on 1024^3, 2048^3 and the MLP forward shapes at batch 64 and 256), then EPOCHS
# epochs of each scenario with k threads. One process per count, as run-all's kernels step does,
# so that each count gets a fresh thread pool. Prints GFLOP/s and epoch times with the speed-up
# over 1 thread (scripts/scaling_table.py).
# Usage: scripts/scaling.sh [LIST (default 1,2,4,... and the physical cores)]
#                           [SCENARIOS (default mlp7_sigmoid,lenet_sigmoid)] [EPOCHS (default 3)]
# Environment: GS_BUILD_DIR (default build), GS_NO_SETUP=1 uses that build as it is (no apt-get,
# no cmake: a machine where the binaries were carried), GRADSCOPE_DATA (the Fashion-MNIST folder),
# GS_SUBSET (train on the first N images; default: all), GS_SCALING_SHAPES (a --benchmark_filter
# regex of GEMM shapes), GS_SCALING_OUT (default results/scaling).
# Output: <out>/<UTC time>/ with gemm-threads<k>.json, train-threads<k>/, scaling.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${GS_BUILD_DIR:-build}"
if [ "${GS_NO_SETUP:-0}" != 1 ]; then
  scripts/setup.sh
  GS_BUILD_DIR="$build" scripts/build.sh >/dev/null
fi
gs="$build/gradscope"
# The cores and ISA gradscope itself sees: the CPU set this script was started on (taskset), not
# the whole machine.
machine() { "$gs" info --json --no-measure | /usr/bin/env python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
cores="$(machine 'd["topology"]["cores"]')"
isa="$(machine 'd["selected"]["isa"]')"
default_list() {
  local k=1 list=""
  while [ "$k" -lt "$cores" ]; do list="$list$k,"; k=$((k * 2)); done
  echo "$list$cores"
}
list="${1:-$(default_list)}"
scenarios="${2:-mlp7_sigmoid,lenet_sigmoid}"
epochs="${3:-3}"
max=0
for k in ${list//,/ }; do
  # Checked before anything runs: a bad count would otherwise stop the script half way.
  if ! [[ "$k" =~ ^[1-9][0-9]*$ ]] || [ "$k" -gt "$cores" ]; then
    echo "scaling: thread count '$k' in '$list' is not between 1 and the $cores core(s) gradscope sees" >&2
    exit 2
  fi
  [ "$k" -gt "$max" ] && max="$k"
done
run="${GS_SCALING_OUT:-results/scaling}/$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$run"
"$gs" info --json > "$run/info.json"

filter="${GS_SCALING_SHAPES:-m1024n1024k1024ta0tb0|m2048n2048k2048ta0tb0|m64n128k784ta0tb1|m256n128k784ta0tb1}"
subset=()
[ -n "${GS_SUBSET:-}" ] && subset=(--subset "$GS_SUBSET")
for k in ${list//,/ }; do
  echo "scaling: $k thread(s): bench gemm" >&2
  "$gs" bench gemm --threads "$max" --thread-list "$k" --isa "$isa" --benchmark_filter="$filter" \
    --benchmark_out="$run/gemm-threads$k.json" > "$run/bench-threads$k.log" 2>&1
  echo "scaling: $k thread(s): train $scenarios" >&2
  # shellcheck disable=SC2086
  "$gs" train ${scenarios//,/ } --epochs "$epochs" --threads "$k" "${subset[@]}" --no-measure \
    --out "$run/train-threads$k" > "$run/train-threads$k.log" 2>&1
done
/usr/bin/env python3 scripts/scaling_table.py "$run" | tee "$run/scaling.md"
echo "scaling: results in $run" >&2
