"""The report's tables (the same in HTML and Markdown, and all that is left when matplotlib is missing)."""
import math

from .bench import OURS
from .doc import Table
from .kernels import merge_kernels, speed_ratios, validation_by_op
from .style import finite


def fmt(v, spec=".3g", suffix=""):
    return format(v, spec) + suffix if finite(v) else "—"


def pct(v):
    return fmt(v, ".0f", "%") if finite(v) else "—"


def diverged_text(sc):
    return f"step {sc.result.get('diverged_step', '?')}" if sc.diverged else "no"


def summary_table(run):
    rows = []
    for sc in run.scenarios:
        if not sc.meta:
            rows.append([sc.name, "?"] + ["—"] * 7 + ["not loaded: " + "; ".join(sc.problems)])
            continue
        r = sc.result
        if sc.config.get("procedure") == "neuron_l2_vs_ce":  # one neuron: no epochs, test set or kernels
            rows.append([sc.name, sc.section] + ["—"] * 7 + [r.get("note", "")])
            continue
        ratio = r.get("grad_ratio_first_head")
        rows.append([sc.name, sc.section, fmt(r.get("test_acc"), ".4f"), fmt(r.get("best_val_acc"), ".4f"),
                     fmt(r.get("epochs_run"), ".0f"), fmt(ratio, ".2e") if finite(ratio) and ratio >= 0 else "—",
                     diverged_text(sc), fmt(r.get("epoch_time_median_s"), ".3g"),
                     pct(100 * r["kernel_share_of_step_time"]) if finite(r.get("kernel_share_of_step_time")) else "—",
                     r.get("note", "")])
    return Table(["scenario", "section", "test acc", "best val acc", "epochs", "grad first/head", "diverged",
                  "epoch time (s)", "in kernels", "note"], rows,
                 "One row per scenario (meta.json): test accuracy, first-layer / output-layer mean |dW| at the end, "
                 "divergence, median epoch time and the share of step time inside profiled kernels",
                 numeric=(2, 3, 4, 5, 7, 8))


def _kernel_row(k, total):
    rate, unit = k.rate
    return [k.kernel, k.isa if k.impl == "native" else k.impl, k.shape, fmt(k.calls, ".0f"), fmt(k.total_s, ".3g"),
            pct(100 * k.total_s / total) if total else "—", f"{fmt(rate, '.1f')} {unit}", pct(k.pct)]


KERNEL_HEADERS = ["kernel", "impl", "shape", "calls", "total (s)", "share", "rate (median call)", "% of peak"]


def scenario_kernel_table(sc, top=8):
    ks = merge_kernels([sc])
    total = sum(k.total_s for k in ks)
    return Table(KERNEL_HEADERS, [_kernel_row(k, total) for k in ks[:top]],
                 f"The {min(top, len(ks))} costliest of {len(ks)} kernel/shape rows of {sc.name} (kernels.csv)",
                 numeric=(3, 4, 5, 6, 7))


def kernel_table(run, top=30):
    ks = merge_kernels(run.scenarios)
    total = sum(k.total_s for k in ks)
    measured = run.machine is not None and run.machine.measured
    note = "" if measured else " (no % of peak: the run used --no-measure)"
    return Table(KERNEL_HEADERS, [_kernel_row(k, total) for k in ks[:top]],
                 f"The {min(top, len(ks))} costliest kernel/shape rows over all scenarios of {run.name}; compute-bound "
                 f"kernels in GFLOP/s against the FMA peak, memory-bound ones in GB/s against the triad bandwidth"
                 f"{note}", numeric=(3, 4, 5, 6, 7))


def validation_table(rows):
    groups = validation_by_op(rows)
    out = []
    for v in groups:
        if not v.compared:
            worst = "—"
        else:
            worst = "0 (exact)" if v.worst == 0 else ("NaN/Inf" if not finite(v.worst) else f"{v.worst:.2e}")
        ts = sorted(v.thresholds)
        thr = ", ".join(f"{t:g}" for t in ts) if len(ts) <= 3 else f"{ts[0]:g} … {ts[-1]:g} ({len(ts)} values)"
        thr = thr or "—"
        out.append([v.op, v.isa if v.impl == "native" else v.impl, str(v.checks), str(v.passed), str(v.failed),
                    str(v.mistrusted), worst, " + ".join(sorted(v.against)) or "—", v.worst_problem, thr])
    return Table(["op", "impl", "checks", "PASS", "FAIL", "MISTRUSTED", "worst rel err", "vs", "on problem",
                  "threshold(s)"], out, "Validation against oneDNN and the scalar oracle (kernels/validate.csv): the "
                 "error against oneDNN, or against the oracle where oneDNN has no such op", numeric=(2, 3, 4, 5, 6))


def bench_table(points):
    impls = [i for i in (*OURS, "onednn", "openblas", "blis") if any(p.impl == i for p in points)]
    impls += sorted({p.impl for p in points} - set(impls))
    rows_by = {}
    for p in points:
        rows_by.setdefault((p.op, p.problem, p.threads), {})[p.impl] = p
    ratios = {(r.op, r.problem, r.threads): r.value for r in speed_ratios(points)}
    rows = []
    for (op, problem, threads), per in sorted(rows_by.items()):
        unit = next((p.unit for p in per.values() if p.unit), "")
        cells = []
        for i in impls:
            p = per.get(i)
            cells.append("—" if p is None else ("error" if p.error else fmt(p.rate, ".1f")))
        rows.append([op, problem, str(threads), unit] + cells + [fmt(ratios.get((op, problem, threads)), ".2f")])
    return Table(["op", "problem", "threads", "unit"] + impls + ["ours/oneDNN"], rows,
                 "Google Benchmark results (median when repeated); ours/oneDNN uses our widest ISA",
                 numeric=tuple(range(2, 5 + len(impls))))


def machine_table(sources):
    rows = []
    for s in sources:
        m = s.machine
        isa, t = s.isa(), s.threads()
        rows.append([s.label, m.cpu, str(m.cores or "?"), m.isa_available or "?",
                     f"{m.isa} / {m.threads}" if m.isa else "(per benchmark)",
                     f"{fmt(m.fma_peak(isa, 1), '.0f')} / {fmt(m.fma_peak(isa, t), '.0f')}",
                     f"{fmt(m.triad_peak(1), '.1f')} / {fmt(m.triad_peak(t), '.1f')}",
                     m.versions.get("compiler", "?"), m.versions.get("onednn", "?"),
                     s.run.path if s.run is not None else ", ".join(sorted({p.source for p in s.points}))])
    return Table(["machine", "CPU", "cores", "ISAs", "ISA / threads used", "FMA peak GFLOP/s (1 / all thr)",
                  "triad GB/s (1 / all thr)", "compiler", "oneDNN", "source"], rows,
                 "Machines and configurations in this report, with their measured peaks (the denominators of every "
                 "% of peak)", numeric=(2, 5, 6))


def across_kernel_table(sources, top=40):
    values = [s.kernel_values() for s in sources]
    keys = {}
    for v in values:
        for key, (rate, _, _) in v.items():
            keys[key] = max(keys.get(key, 0), rate)
    order = sorted((k for k in keys if sum(k in v for v in values) >= 2), key=lambda k: -keys[k])[:top]
    rows = []
    for op, shape in order:
        cells = []
        for v in values:
            rate, unit, p = v.get((op, shape), (math.nan, "", None))
            cells.append(f"{fmt(rate, '.1f')} {unit} ({pct(p)})" if finite(rate) else "—")
        rows.append([op, shape] + cells)
    return Table(["kernel", "shape"] + [f"{s.label} ({s.threads()} thr)" for s in sources], rows,
                 "Kernels measured on at least two machines (or configurations), each at its own thread count: "
                 "rate and (% of that machine's own peak)", numeric=tuple(range(2, 2 + len(sources))))


def epoch_time_table(runs):
    names = []
    for run in runs:
        names += [sc.name for sc in run.scenarios if sc.meta and sc.name not in names]
    rows = []
    for n in names:
        cells = []
        for run in runs:
            sc = run.scenario(n)
            cells.append(fmt(sc.result.get("epoch_time_median_s"), ".3g") if sc else "—")
        rows.append([n] + cells)
    return Table(["scenario"] + [r.label for r in runs], rows, "Median epoch time (s) per scenario and run",
                 numeric=tuple(range(1, 1 + len(runs))))
