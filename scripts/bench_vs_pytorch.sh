#!/usr/bin/env bash
# Trains mlp7_sigmoid and lenet_sigmoid in PyTorch (Debian's python3-torch, installed here when
# missing: only this script needs it) and in gradscope with the same recipe and thread count, in one
# run, and prints median epoch times, their ratio and the test accuracies side by side.
# PyTorch's default (OpenBLAS and OpenMP both at T threads) oversubscribes the cores, so for each
# scenario it first times one epoch with OPENBLAS_NUM_THREADS=1 and T torch threads and one with the
# reverse, and keeps the faster setting. Then PyTorch and gradscope alternate, so that load from
# other jobs on a shared machine falls on both alike: round 1 trains EPOCHS epochs each (the test
# accuracies come from it), rounds 2..ROUNDS train 2 epochs each; the epoch time reported is the
# median over every epoch of every round (an epoch: training steps, batch gathering, validation pass).
# Usage: scripts/bench_vs_pytorch.sh [EPOCHS (default 15: the quick recipe)] [THREADS (default:
# physical cores)] [ROUNDS (default 3)]
# GS_BUILD_DIR picks the gradscope build (default build/). Logs and the table: results/vs-pytorch/<UTC time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-15}"
threads="${2:-$(lscpu -p=core | grep -v '^#' | sort -u | wc -l)}"
rounds="${3:-3}"
build="${GS_BUILD_DIR:-build}"
py=/usr/bin/python3 # Debian's interpreter: python3-torch installs there, not into a pyenv
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "bench_vs_pytorch: installing python3-torch" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi
scripts/setup.sh
GS_BUILD_DIR="$build" scripts/build.sh >/dev/null
run="results/vs-pytorch/$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$run"

# torch_run SCENARIO OPENBLAS_THREADS TORCH_THREADS EPOCHS LOG: one JSON line per epoch, then the test accuracy.
torch_run() {
  OPENBLAS_NUM_THREADS=$2 OMP_NUM_THREADS=$3 "$py" scripts/pytorch_reference.py "$1" --epochs "$4" --threads "$3" > "$5"
}

# ours_run SCENARIO EPOCHS: trains into the run folder; prints the scenario's result folder.
ours_run() {
  "$build/gradscope" train "$1" --epochs "$2" --threads "$threads" --out "$run/gradscope" --no-measure |
    sed -n "s|^results in ||p" | sed "s|\$|/$1|"
}

# Median epoch time over JSON-lines logs (PyTorch) or epochs.csv files (gradscope).
median_epoch() {
  "$py" -c '
import csv, json, statistics, sys
t = []
for path in sys.argv[1:]:
    if path.endswith(".csv"):
        t += [float(r["epoch_time_s"]) for r in csv.DictReader(open(path))]
    else:
        t += [json.loads(l)["epoch_time_s"] for l in open(path) if "epoch_time_s" in l]
print(statistics.median(t))' "$@"
}

torch_acc() { "$py" -c 'import json, sys; print([json.loads(l) for l in open(sys.argv[1])][-1]["test_acc"])' "$1"; }
ours_acc() { "$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["result"]["test_acc"])' "$1/meta.json"; }

table="$run/summary.txt"
{
  echo "# $(date -u) $(lscpu | sed -n 's/^Model name: *//p'), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-14s %7s %-14s %13s %13s %8s %9s %9s\n' scenario threads "torch setting" "torch s/epoch" "ours s/epoch" \
    speedup "torch acc" "ours acc"
} | tee "$table"
for sc in mlp7_sigmoid lenet_sigmoid; do
  best="" best_t=""
  for cfg in "1 $threads" "$threads 1"; do
    set -- $cfg
    torch_run "$sc" "$1" "$2" 1 "$run/torch-$sc-blas$1-omp$2-probe.jsonl"
    t=$(median_epoch "$run/torch-$sc-blas$1-omp$2-probe.jsonl")
    if [ -z "$best_t" ] || awk "BEGIN {exit !($t < $best_t)}"; then best="$cfg" best_t=$t; fi
  done
  set -- $best
  torch_logs=() ours_csvs=() ours_dir=""
  for r in $(seq "$rounds"); do
    n=$([ "$r" -eq 1 ] && echo "$epochs" || echo 2)
    torch_run "$sc" "$1" "$2" "$n" "$run/torch-$sc-round$r.jsonl"
    torch_logs+=("$run/torch-$sc-round$r.jsonl")
    dir=$(ours_run "$sc" "$n")
    ours_csvs+=("$dir/epochs.csv")
    [ "$r" -eq 1 ] && ours_dir=$dir
  done
  torch_t=$(median_epoch "${torch_logs[@]}")
  ours_t=$(median_epoch "${ours_csvs[@]}")
  printf '%-14s %7s %-14s %13.3f %13.3f %7.2fx %9.4f %9.4f\n' "$sc" "$threads" "blas $1, omp $2" "$torch_t" "$ours_t" \
    "$(awk "BEGIN {print $torch_t / $ours_t}")" "$(torch_acc "$run/torch-$sc-round1.jsonl")" "$(ours_acc "$ours_dir")" |
    tee -a "$table"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$table"
echo "logs and table in $run"
