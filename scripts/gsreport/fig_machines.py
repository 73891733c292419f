"""Across CPUs: machines (or --isa/--threads runs of one machine) side by side: their measured peaks,
per-kernel rates and % of each one's own peak, and epoch times."""
import math
import numpy as np

from .doc import Skip
from .fig_scenario import save
from .style import finite, machine_color


def draw_peaks(plt, path, sources):
    if len(sources) < 2:
        raise Skip("one machine only")
    fig, (ax_f, ax_b) = plt.subplots(1, 2, figsize=(10, 1.3 + 0.45 * len(sources)))
    y = np.arange(len(sources))[::-1]
    for ax, what in ((ax_f, "fma"), (ax_b, "triad")):
        for off, threads, alpha in ((0.2, 1, 0.55), (-0.2, 0, 1.0)):
            vals = []
            for s in sources:
                t = 1 if threads == 1 else s.threads()
                v = s.machine.fma_peak(s.isa(), t) if what == "fma" else s.machine.triad_peak(t)
                vals.append(v if finite(v) else math.nan)
            ax.barh(y + off, vals, height=0.38, color=[s.color for s in sources], alpha=alpha,
                    label="1 thread" if threads == 1 else "all threads of the run")
            for yi, v in zip(y + off, vals):
                if finite(v):
                    ax.text(v, yi, f" {v:.0f}", va="center", fontsize=7)
        ax.set_yticks(y)
        ax.set_yticklabels([s.label for s in sources], fontsize=7.5)
    ax_f.set_xlabel("measured FP32 FMA peak of the ISA used (GFLOP/s)")
    ax_b.set_xlabel("measured triad bandwidth (GB/s)")
    ax_b.set_yticklabels([])
    ax_f.legend(loc="lower right", fontsize=7)
    fig.suptitle("Machines side by side: what each one can do at most", fontweight="bold")
    save(plt, fig, path)
    return ("Measured FP32 FMA peak (for the ISA each run used) and triad bandwidth of every machine or "
            "configuration, 1 thread (light) and all of the run's threads")


def draw_kernels_across(plt, path, sources, unit, top=14):
    values = [s.kernel_values() for s in sources]
    keys = {}
    for v in values:
        for key, (rate, u, _) in v.items():
            if u == unit:
                keys[key] = keys.get(key, 0) + 1
    common = [k for k, n in keys.items() if n >= 2]
    if len(sources) < 2 or not common:
        raise Skip(f"no {unit} kernel measured on two or more of the machines")
    common.sort(key=lambda k: -max(v[k][0] for v in values if k in v))
    common = common[:top]
    y = np.arange(len(common))[::-1]
    h = 0.8 / len(sources)
    fig, (ax_r, ax_p) = plt.subplots(1, 2, figsize=(11, 1.3 + 0.36 * len(common) * max(1, len(sources) / 2)),
                                     sharey=True)
    for si, (s, v) in enumerate(zip(sources, values)):
        pos = y + (len(sources) / 2 - si - 0.5) * h
        rates = [v[k][0] if k in v else math.nan for k in common]
        pcts = [v[k][2] if k in v and finite(v[k][2]) else math.nan for k in common]
        ax_r.barh(pos, rates, height=h, color=s.color, label=s.label)
        ax_p.barh(pos, pcts, height=h, color=s.color)
    ax_r.set_yticks(y)
    ax_r.set_yticklabels([f"{op} {shape[:30]}" for op, shape in common], fontsize=7)
    ax_r.set_xlabel(unit)
    ax_p.set_xlabel(f"% of each machine's own measured {'FMA peak' if unit == 'GFLOP/s' else 'triad bandwidth'}")
    ax_p.axvline(100, color="#999999", ls=":", lw=0.9)
    ax_r.legend(loc="lower right", fontsize=7)
    kind = "compute-bound (GEMM, convolution)" if unit == "GFLOP/s" else "memory-bound (element-wise, pooling, BN)"
    fig.suptitle(f"Same kernels, different machines: {kind}", fontweight="bold")
    save(plt, fig, path)
    return (f"{unit} (left) and % of each machine's own measured peak (right) of the {kind} kernels measured on "
            f"at least two machines: training profiles and gradscope bench files merged")


def draw_epoch_times(plt, path, runs):
    if len(runs) < 2:
        raise Skip("one run only")
    names = []
    for run in runs:
        for sc in run.scenarios:
            if sc.meta and sc.name not in names and finite(sc.result.get("epoch_time_median_s")) \
                    and sc.result["epoch_time_median_s"] > 0:
                names.append(sc.name)
    names = [n for n in names if sum(1 for r in runs if r.scenario(n)) >= 2]
    if not names:
        raise Skip("no scenario trained in two of the runs")
    y = np.arange(len(names))[::-1]
    h = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.3 * len(names) * max(1, len(runs) / 2)))
    for ri, run in enumerate(runs):
        vals = []
        for n in names:
            sc = run.scenario(n)
            v = sc.result.get("epoch_time_median_s") if sc else None
            vals.append(v if finite(v) and v > 0 else math.nan)
        ax.barh(y + (len(runs) / 2 - ri - 0.5) * h, vals, height=h, color=machine_color(ri), label=run.label)
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=7.5)
    ax.set_xlabel("median epoch time (s, log)")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title("Epoch time per scenario on each machine")
    save(plt, fig, path)
    return "Median epoch time of every scenario trained in at least two of the runs (log scale)"
