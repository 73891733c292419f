#!/usr/bin/env python3
"""Tables of a scripts/scaling.sh run: GEMM GFLOP/s and training epoch times per thread count,
with the speed-up over 1 thread (or over the smallest count run). Markdown on stdout."""
import csv
import glob
import json
import os
import re
import statistics
import sys


def thread_count(path, prefix):
    return int(re.search(prefix + r"(\d+)", os.path.basename(path)).group(1))


def gemm_rows(run):
    """{(shape, impl): {threads: GFLOP/s}}, the median over repetitions where there were several."""
    seen = {}
    for path in glob.glob(os.path.join(run, "gemm-threads*.json")):
        k = thread_count(path, "gemm-threads")
        with open(path) as f:
            benches = json.load(f)["benchmarks"]
        for b in benches:
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            _, shape, impl = b["name"].split("/")[:3]
            seen.setdefault((shape, impl), {}).setdefault(k, []).append(b["GFLOP/s"])
    return {key: {k: statistics.median(v) for k, v in per.items()} for key, per in seen.items()}


def train_rows(run):
    """{scenario: {threads: median epoch seconds}}."""
    rows = {}
    for path in glob.glob(os.path.join(run, "train-threads*", "*", "*", "epochs.csv")):
        k = thread_count(path.split(os.sep)[-4], "train-threads")
        with open(path) as f:
            times = [float(r["epoch_time_s"]) for r in csv.DictReader(f)]
        rows.setdefault(os.path.basename(os.path.dirname(path)), {})[k] = statistics.median(times)
    return rows


def table(title, unit, rows, faster_is_larger):
    counts = sorted({k for per in rows.values() for k in per})
    head = "| " + title + " | " + " | ".join(f"{k} thr" for k in counts) + f" | speed-up {counts[-1]} thr |"
    print(head)
    print("|---" * (len(counts) + 2) + "|")
    for key in sorted(rows):
        per = rows[key]
        cells = [f"{per[k]:.{unit}f}" if k in per else "-" for k in counts]
        lo, hi = counts[0], counts[-1]
        speedup = "-"
        if lo in per and hi in per:
            speedup = f"{(per[hi] / per[lo]) if faster_is_larger else (per[lo] / per[hi]):.2f}x"
        name = " ".join(key) if isinstance(key, tuple) else key
        print(f"| {name} | " + " | ".join(cells) + f" | {speedup} |")
    print()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scaling_table.py RUN_FOLDER")
    run = sys.argv[1]
    gemm, train = gemm_rows(run), train_rows(run)
    if not gemm and not train:
        sys.exit(f"scaling_table.py: no gemm-threads*.json or train-threads*/ results in '{run}'")
    if gemm:
        table("GEMM GFLOP/s: shape impl", 1, gemm, True)
    if train:
        table("median epoch (s): scenario", 3, train, False)


if __name__ == "__main__":
    main()
