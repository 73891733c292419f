#!/bin/sh
# The report tests' fixture, made at test time by the binary itself (no hand-written numbers):
#   OUT/run-a/     a tiny training run whose scenarios cover every figure kind (curves, gradient flow,
#                  saturation and dead units, divergence, layerwise stages, deep supervision, lr_search
#                  trials, the single neuron), with peaks measured, and a kernels/ folder holding
#                  validate.csv (gradscope validate --csv) and GEMM / conv benchmark JSON at 1 and 2 threads
#                  (the benchmarks only when BENCH is "bench": a GS_BENCH=OFF build has no gradscope bench)
#   OUT/run-b/     a second run with another ISA and thread count (the across-CPU view)
#   OUT/extra-bench.json  a benchmark file outside the runs (for --bench; with BENCH "bench")
#   OUT/bad/run/   a copy of three scenarios, each with one missing, malformed or truncated file
# usage: make_fixture.sh GRADSCOPE_BIN OUT bench|no-bench
set -eu
bin=$1
out=$2
bench=$3
rm -rf "$out"
mkdir -p "$out"

quiet() { # runs a command with its output in a log, shown only when it fails
    "$@" > "$out/step.log" 2>&1 || { cat "$out/step.log" >&2; echo "make_fixture: failed: $*" >&2; exit 1; }
}

train() { # train DEST ARGS...: one run folder, moved to the fixed name DEST
    dest=$1
    shift
    quiet "$bin" train "$@" --out "$out/tmp"
    set -- "$out"/tmp/*/
    [ $# -eq 1 ] && [ -d "$1" ] || { echo "make_fixture: expected one run folder, got: $*" >&2; exit 1; }
    mv "${1%/}" "$dest"
    rmdir "$out/tmp"
}

run_a=$out/run-a
train "$run_a" mlp7_sigmoid relu linear_exploding layerwise deep_supervision_mlp lr_search neuron_l2_vs_ce \
    --epochs 2 --subset 300
mkdir "$run_a/kernels"

# Validation of three ops into one CSV (each --csv file starts with its header); the optimizer has no
# oneDNN counterpart, so its rows compare against the oracle only (empty max_rel_err).
quiet "$bin" validate gemm m64n128k784ta0tb1 m7n13k5 --csv "$out/validate-gemm.csv"
quiet "$bin" validate conv mb2ic1ih12oc4kh5 --csv "$out/validate-conv.csv"
quiet "$bin" validate optim n1000sgd --csv "$out/validate-optim.csv"
{ cat "$out/validate-gemm.csv"; tail -n +2 "$out/validate-conv.csv"; tail -n +2 "$out/validate-optim.csv"; } \
    > "$run_a/kernels/validate.csv"

if [ "$bench" = bench ]; then
    # One shape per op, ours and oneDNN, at 1 and 2 threads: enough for the speed ratio and thread scaling.
    for k in 1 2; do
        quiet "$bin" bench gemm --threads "$k" --benchmark_filter='m64n128k784ta0tb1/(avx2|avx512|onednn)/' \
            --benchmark_min_time=0.01 --benchmark_out="$run_a/kernels/bench-gemm-threads$k.json"
        quiet "$bin" bench conv --threads "$k" --benchmark_filter='conv_fwd/mb64ic1ih28oc20kh5/' \
            --benchmark_min_time=0.01 --benchmark_out="$run_a/kernels/bench-conv-threads$k.json"
    done
    quiet "$bin" bench gemm --threads 1 --benchmark_filter='m64n10k128ta0tb1/(avx2|avx512|onednn)/' \
        --benchmark_min_time=0.01 --benchmark_out="$out/extra-bench.json"
fi

# Scalar and one thread: runs on any x86-64, and is a different configuration to compare with.
train "$out/run-b" mlp7_sigmoid relu --epochs 2 --subset 300 --isa scalar --threads 1

# The broken copy: three scenarios, each with one bad file (the others still make figures).
mkdir -p "$out/bad/run"
for s in relu layerwise lr_search; do
    cp -r "$run_a/$s" "$out/bad/run/$s"
done
rm "$out/bad/run/relu/epochs.csv"
sed -i '3s/^\(step,[^,]*,[^,]*,[^,]*,[^,]*,\)[^,]*/\1abc/' "$out/bad/run/layerwise/gradflow.csv"
head -c 200 "$run_a/lr_search/meta.json" > "$out/bad/run/lr_search/meta.json"
rm "$out/step.log" "$out"/validate-*.csv
echo "fixture in $out"
