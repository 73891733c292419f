"""Kernel figures: time breakdown per scenario, % of measured peak per kernel and shape, the roofline,
ours vs oneDNN (speed and validation error) and thread scaling for GEMM and convolution."""
import math

import numpy as np
from matplotlib.lines import Line2D

from .doc import Skip
from .fig_scenario import save
from .kernels import merge_kernels, scaling_series, speed_ratios, time_by_family, validation_by_op
from .style import DIVERGED_COLOR, FAMILY_COLORS, finite, impl_color, kernel_family

FAMILY_ORDER = ("gemm", "conv", "pool", "bn", "act", "loss", "optim", "harness", "other", "gradflow probe", "data",
                "overhead")


def draw_time_breakdown(plt, path, run):
    rows = [(sc, time_by_family(sc)) for sc in run.scenarios if sc.kernels]
    rows = [(sc, t) for sc, t in rows if sum(t.values()) > 0]
    if not rows:
        raise Skip("no scenario recorded kernel time (kernels.csv files are empty)")
    families = [f for f in FAMILY_ORDER if any(f in t for _, t in rows)]
    y = np.arange(len(rows))[::-1]
    fig, ax = plt.subplots(figsize=(9.5, 1.1 + 0.3 * len(rows)))
    left = np.zeros(len(rows))
    for fam in families:
        share = np.array([100 * t.get(fam, 0.0) / sum(t.values()) for _, t in rows])
        ax.barh(y, share, left=left, color=FAMILY_COLORS.get(fam, "#7f7f7f"), height=0.72, label=fam,
                edgecolor="white", linewidth=0.4)
        for yi, l, s in zip(y, left, share):
            if s >= 9:
                ax.text(l + s / 2, yi, f"{s:.0f}", ha="center", va="center", fontsize=6.5, color="white")
        left += share
    for yi, (sc, t) in zip(y, rows):
        ax.text(101, yi, f"{sum(t.values()):.3g} s", va="center", fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels([sc.name for sc, _ in rows])
    ax.set_xlim(0, 112)
    ax.set_xlabel("share of the training-step time (%); total seconds at the right")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="time in")
    ax.set_title("Where the training time goes: kernels by family, and the harness around them")
    save(plt, fig, path)
    return ("Share of each scenario's training-step time per kernel family (kernels.csv) and outside the kernels "
            "(gradient-flow probe, batch gathering, other overhead from meta.json), with the total at the right")


def _label(k, width=30):
    shape = k.shape if len(k.shape) <= width else k.shape[:width - 1] + "…"
    return f"{k.kernel} {shape}"


PCT_CAP = 150  # bars past this are clipped (the label gives the value)


def draw_kernel_efficiency(plt, path, run, top=18):
    if run.machine is None or not run.machine.measured:
        raise Skip("no measured peak in meta.json (the run used --no-measure), so no % of peak: the kernel "
                   "table lists GFLOP/s and GB/s")
    ks = [k for k in merge_kernels(run.scenarios) if k.calls > 0][:top]
    if not ks:
        raise Skip("no kernel calls recorded")
    y = np.arange(len(ks))[::-1]
    fig, ax = plt.subplots(figsize=(9.5, 1.2 + 0.28 * len(ks)))
    pct = [k.pct if finite(k.pct) else 0.0 for k in ks]
    shown = [min(p, PCT_CAP) for p in pct]
    ax.barh(y, shown, color=[FAMILY_COLORS.get(k.family, "#7f7f7f") for k in ks], height=0.72,
            hatch=[None if k.compute_bound else "///" for k in ks], edgecolor="white")
    for yi, k, p, s in zip(y, ks, pct, shown):
        rate, unit = k.rate
        clipped = f"{p:.0f}% » " if p > PCT_CAP else ""
        ax.text(s + 1, yi, f"{clipped}{rate:.1f} {unit}", va="center", fontsize=7)
    ax.set_yticks(y)
    ax.set_yticklabels([_label(k) for k in ks], fontsize=7.5)
    ax.axvline(100, color="#999999", ls=":", lw=0.9)
    ax.set_xlim(0, min(PCT_CAP, max(100, max(pct))) * 1.3)
    ax.set_xlabel("% of this machine's measured peak (solid: FMA GFLOP/s; hatched: triad GB/s)")
    m = run.machine
    ax.set_title(f"Kernel efficiency, the {len(ks)} costliest kernels and shapes ({m.isa}, {m.threads} threads)")
    save(plt, fig, path)
    over = sum(p > 100 for p in pct)
    note = (f"; {over} above 100%: memory-bound kernels on cache-resident data outrun the DRAM triad, and a peak "
            f"measured on a busy machine comes out low (bars clipped at {PCT_CAP}%)") if over else ""
    return ("Each costliest kernel and shape as % of this machine's measured peak: compute-bound kernels "
            "(GEMM, convolution) against the FMA peak, memory-bound ones (hatched) against the triad bandwidth, "
            f"median call, rate at the right{note}")


def roofline_peaks(run, bench_machines):
    """(Machine, where the peaks come from): the run's own, else a benchmark file's from the same CPU."""
    if run.machine is not None and run.machine.measured:
        return run.machine, "meta.json"
    if run.machine is None:
        return None, ""
    same_cpu = [(m, source) for m, source in bench_machines if m.cpu == run.machine.cpu and m.measured]
    # prefer a file whose all-thread peak was measured at the run's thread count
    same_cpu.sort(key=lambda ms: ms[0].peak_threads != run.machine.threads)
    return same_cpu[0] if same_cpu else (None, "")


def _annotate_costliest(ax, ks, ai, perf, n=5):
    """Labels the costliest points, skipping one that would sit on an earlier label (log-space distance)."""
    placed = []
    for i in np.argsort([-k.total_s for k in ks]):
        if len(placed) == n:
            break
        x, y = math.log10(ai[i]), math.log10(perf[i])
        if any(abs(x - px) < 0.35 and abs(y - py) < 0.06 for px, py in placed):
            continue
        placed.append((x, y))
        ax.annotate(f"{ks[i].kernel} {ks[i].shape[:22]}", (ai[i], perf[i]), fontsize=6.5, xytext=(5, -3),
                    textcoords="offset points", color="#333333")


def draw_roofline(plt, path, run, bench_machines):
    peaks, source = roofline_peaks(run, bench_machines)
    if peaks is None:
        raise Skip("no measured peak for the roofline (the run used --no-measure and no benchmark file of the "
                   "same CPU was given)")
    m = run.machine
    fma, bw = peaks.fma_peak(m.isa, m.threads), peaks.triad_peak(m.threads)
    if not (finite(fma) and finite(bw)):
        raise Skip(f"no measured {m.isa} FMA peak or triad bandwidth for the roofline")
    ks = [k for k in merge_kernels(run.scenarios) if k.compute_bound and k.bytes > 0 and finite(k.gflops)
          and k.gflops > 0]
    if not ks:
        raise Skip("no kernel with counted FLOPs (GEMM or convolution) in this run, so no roofline")
    total = sum(k.total_s for k in ks)
    ai = np.array([k.flops / k.bytes for k in ks])
    perf = np.array([k.gflops for k in ks])
    fig, ax = plt.subplots(figsize=(8, 4.8))
    ridge = fma / bw
    x = np.logspace(math.log10(min(ai.min(), ridge) / 4), math.log10(max(ai.max(), ridge) * 4), 200)
    ax.plot(x, np.minimum(fma, x * bw), color="#333333", lw=2, label=f"{m.threads} threads: {fma:.0f} GFLOP/s, "
                                                                          f"{bw:.1f} GB/s")
    fma1, bw1 = peaks.fma_peak(m.isa, 1), peaks.triad_peak(1)
    if m.threads > 1 and finite(fma1) and finite(bw1):
        ax.plot(x, np.minimum(fma1, x * bw1), color="#999999", lw=1.2, ls="--",
                label=f"1 thread: {fma1:.0f} GFLOP/s, {bw1:.1f} GB/s")
    for fam in sorted({k.family for k in ks}):
        sel = [i for i, k in enumerate(ks) if k.family == fam]
        ax.scatter(ai[sel], perf[sel], s=[20 + 400 * ks[i].total_s / total for i in sel],
                   color=FAMILY_COLORS.get(fam, "#7f7f7f"), alpha=0.75, edgecolor="white", label=fam, zorder=3)
    _annotate_costliest(ax, ks, ai, perf)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP per byte moved, per call)")
    ax.set_ylabel("GFLOP/s (median call)")
    ax.legend(loc="lower right", fontsize=7.5)
    ax.set_title(f"Roofline: the training's GEMM and convolution calls vs measured peaks ({m.isa})")
    save(plt, fig, path)
    from_where = "" if source == "meta.json" else f" (peaks from {source}: the run did not measure them)"
    above = int((perf > 1.1 * np.minimum(fma, ai * bw)).sum())
    if above:
        from_where += (f"; {above} point(s) lie above the roof: the peak measured at the start of the run came out "
                       f"low (a busy machine?) or the data stayed in cache")
    return (f"Roofline of the training's GEMM and convolution calls (marker area = share of their time) under the "
            f"measured {m.isa} FMA peak and triad bandwidth at {m.threads} threads (solid) and 1 thread (dashed)"
            f"{from_where}; element-wise kernels count no FLOPs and are in the efficiency chart")


def draw_speed_ratio(plt, path, points):
    ratios = [r for r in speed_ratios(points) if finite(r.value) and r.value > 0]
    if not ratios:
        raise Skip("no benchmark measured both our kernel and oneDNN (pass --bench FILE.json or let run-all "
                   "write kernels/bench-*.json)")
    ops = sorted({r.op for r in ratios}, key=lambda op: (FAMILY_ORDER.index(kernel_family(op))
                                                         if kernel_family(op) in FAMILY_ORDER else 99, op))
    threads = sorted({r.threads for r in ratios})
    y = {op: len(ops) - 1 - i for i, op in enumerate(ops)}
    fig, ax = plt.subplots(figsize=(9, 1.3 + 0.36 * len(ops)))
    shades = plt.get_cmap("Blues")
    for ti, t in enumerate(threads):
        color = shades(0.45 + 0.45 * ti / max(1, len(threads) - 1))
        off = (ti - (len(threads) - 1) / 2) * 0.22
        sel = [r for r in ratios if r.threads == t]
        ax.scatter([r.value for r in sel], [y[r.op] + off for r in sel], s=22, color=color, edgecolor="white",
                   linewidth=0.5, zorder=3, label=f"{t} thread{'s' if t > 1 else ''}")
        for op in ops:
            vals = sorted(r.value for r in sel if r.op == op)
            if vals:
                med = vals[len(vals) // 2]
                ax.plot([med, med], [y[op] + off - 0.1, y[op] + off + 0.1], color="#222222", lw=2, zorder=4)
    ax.axvline(1.0, color="#333333", lw=1)
    ax.set_xscale("log")
    ax.set_yticks(list(y.values()))
    ax.set_yticklabels([f"{op} ({sum(r.op == op for r in ratios)})" for op in y])
    ax.set_xlabel("ours (widest ISA) / oneDNN in its fastest layout, one dot per problem (log; > 1: ours faster; bar = median)")
    ax.legend(loc="best")
    ax.set_title("Native kernels vs oneDNN: speed ratio per op, same problem and thread count")
    save(plt, fig, path)
    faster = sum(r.value > 1 for r in ratios)
    return (f"Speed of our kernel (the widest ISA, as training dispatches it) over oneDNN's in its fastest layout for every benchmarked "
            f"problem, grouped per op (count in brackets) and thread count, log scale; ours is faster on {faster} "
            f"of {len(ratios)}: the benchmark table has each number")


ERR_FLOOR = 1e-10  # where exact results (error 0) are drawn on the log axis


def draw_validation_error(plt, path, rows):
    groups = [v for v in validation_by_op(rows) if v.compared]
    if not groups:
        raise Skip("no validation results with an error to show (kernels/validate.csv)")
    labels = sorted({v.op for v in groups})
    impls = sorted({v.isa if v.impl == "native" else v.impl for v in groups})
    fig, ax = plt.subplots(figsize=(8.5, 1.3 + 0.32 * len(labels)))
    y = {op: i for i, op in enumerate(reversed(labels))}
    for k, v in enumerate(groups):
        who = v.isa if v.impl == "native" else v.impl
        off = (impls.index(who) - (len(impls) - 1) / 2) * 0.18
        err = v.worst if finite(v.worst) else None
        shown = max(err, ERR_FLOOR) if err is not None else 1.0
        marker = "X" if v.failed else ("o" if err else "D")
        color = DIVERGED_COLOR if v.failed else impl_color(who)
        oracle_only = v.against == {"oracle"}  # hollow: oneDNN has no such op
        ax.scatter([shown], [y[v.op] + off], marker=marker, s=46, zorder=3, linewidths=1.4,
                   facecolors="none" if oracle_only else color, edgecolors=color if oracle_only else "white")
        for thr in v.thresholds:
            if thr > 0:
                ax.plot([thr, thr], [y[v.op] - 0.3, y[v.op] + 0.3], color="#777777", lw=1)
    ax.axvspan(ERR_FLOOR / 3, ERR_FLOOR * 3, color="#e8f4e8")
    ax.set_xscale("log")
    ax.set_xlim(ERR_FLOOR / 3, 1)
    ticks = [ERR_FLOOR, 1e-8, 1e-6, 1e-4, 1e-2, 1]
    ax.set_xticks(ticks)
    ax.set_xticklabels(["0 (exact)"] + [f"1e{int(math.log10(t))}" for t in ticks[1:]])
    ax.set_yticks(list(y.values()))
    ax.set_yticklabels(list(y.keys()))
    handles = [Line2D([], [], marker="o", ls="", color=impl_color(i), label=i) for i in impls]
    handles += [Line2D([], [], color="#777777", label="threshold"),
                Line2D([], [], marker="X", ls="", color=DIVERGED_COLOR, label="FAIL")]
    ax.legend(handles=handles, loc="upper right", fontsize=7.5)
    ax.set_xlabel("worst max relative error vs oneDNN (hollow: vs the scalar oracle); log, 0 = bit-exact")
    ax.set_title("Validation against oneDNN: worst error per op and implementation")
    save(plt, fig, path)
    return ("Worst max relative error of each op and implementation over its validation problems "
            "(kernels/validate.csv), against oneDNN or, hollow, against the scalar oracle where oneDNN has no such "
            "op (optimizers); exact integer fills give 0 (the green band); ticks are the thresholds")


def draw_thread_scaling(plt, path, points, title_machine):
    panels = [(fam, scaling_series(points, fam)) for fam in ("gemm", "conv")]
    panels = [(fam, s) for fam, s in panels if s]
    if not panels:
        raise Skip("no GEMM or convolution benchmark at two or more thread counts (kernels/bench-<op>-threads<k>"
                   ".json or --bench files)")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.6 * len(panels), 3.8), squeeze=False)
    cmap = plt.get_cmap("tab10")
    for ax, (fam, series) in zip(axes[0], panels):
        probs = sorted({(op, prob) for op, prob, _ in series},
                       key=lambda k: -max(max(v.values()) for (o, p, _), v in series.items() if (o, p) == k))[:5]
        for ci, (op, prob) in enumerate(probs):
            for (o, p, impl), per in series.items():
                if (o, p) != (op, prob):
                    continue
                t = list(per)
                style = "--" if impl == "onednn" else "-"
                ax.plot(t, [per[k] for k in t], style, marker="o", ms=4, color=cmap(ci), lw=1.7)
                if 1 in per:
                    ax.plot(t, [per[1] * k for k in t], ":", color=cmap(ci), lw=0.8, alpha=0.6)
        all_t = sorted({t for per in series.values() for t in per})
        ax.set_xticks(all_t)
        ax.set_xlabel("threads")
        ax.set_ylabel("GFLOP/s")
        ax.set_title(f"{fam}: thread scaling")
        handles = [Line2D([], [], color=cmap(ci), lw=2, label=f"{op} {prob}" if fam == "conv" else prob)
                   for ci, (op, prob) in enumerate(probs)]
        handles += [Line2D([], [], color="#555555", ls="-", label="ours (widest ISA)"),
                    Line2D([], [], color="#555555", ls="--", label="oneDNN"),
                    Line2D([], [], color="#555555", ls=":", label="linear from 1 thread")]
        ax.legend(handles=handles, fontsize=7, loc="upper left")
    fig.suptitle(f"Thread scaling on {title_machine}", fontweight="bold")
    save(plt, fig, path)
    return ("GFLOP/s of GEMM and convolution benchmarks against the thread count, ours (solid) and oneDNN "
            "(dashed); the dotted line is perfect scaling from one thread")
