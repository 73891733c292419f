#!/usr/bin/env bash
# Trains mlp7_sigmoid and lenet_sigmoid in PyTorch (Debian python3-torch) and in gradscope with the
# same recipe and thread count, in one run, and prints epoch-time ratios and accuracies side by side.
# PyTorch runs twice per scenario, OPENBLAS_NUM_THREADS=1 with T torch threads and the reverse (its
# default of both at T oversubscribes the cores), and the faster setting is reported.
# Usage: scripts/bench_vs_pytorch.sh [EPOCHS (default 1)] [THREADS (default: physical cores)]
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${1:-1}"
threads="${2:-$(lscpu -p=core | grep -v '^#' | sort -u | wc -l)}"
py=/usr/bin/python3 # Debian's interpreter: python3-torch lives there, not in a pyenv
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "bench_vs_pytorch: PyTorch is missing: apt-get install python3-torch" >&2
  exit 2
fi
scripts/setup.sh
scripts/build.sh >/dev/null

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

printf '%-15s %8s %14s %14s %9s %10s %10s\n' scenario threads "torch s/epoch" "ours s/epoch" speedup "torch acc" "ours acc"
for sc in mlp7_sigmoid lenet_sigmoid; do
  best_t="" best_acc=""
  for cfg in "1 $threads" "$threads 1"; do
    set -- $cfg
    out=$(OPENBLAS_NUM_THREADS=$1 OMP_NUM_THREADS=$2 "$py" scripts/pytorch_reference.py "$sc" --epochs "$epochs" --threads "$2")
    t=$(echo "$out" | grep epoch_time_s | sed 's/.*"epoch_time_s": \([0-9.e+-]*\).*/\1/' | median)
    acc=$(echo "$out" | grep test_acc | sed 's/.*"test_acc": \([0-9.e+-]*\).*/\1/')
    if [ -z "$best_t" ] || awk "BEGIN {exit !($t < $best_t)}"; then best_t=$t best_acc=$acc; fi
  done
  log=$(build/gradscope train "$sc" --epochs "$epochs" --threads "$threads" --out results/vs-pytorch --no-measure)
  dir=$(echo "$log" | sed -n 's/^results in //p')
  ours_t=$(tail -n +2 "$dir/$sc/epochs.csv" | cut -d, -f7 | median)
  ours_acc=$(grep '"test_acc"' "$dir/$sc/meta.json" | head -1 | sed 's/[^0-9.e+-]//g')
  printf '%-15s %8s %14.3f %14.3f %8.2fx %10.4f %10.4f\n' "$sc" "$threads" "$best_t" "$ours_t" \
    "$(awk "BEGIN {print $best_t / $ours_t}")" "$best_acc" "$ours_acc"
done
