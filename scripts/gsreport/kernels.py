"""Kernel numbers derived from kernels.csv, validate.csv and benchmark points: merged per kernel and shape,
time per kernel family, validation per op, ours vs oneDNN speed ratios, thread-scaling series."""
import math
from dataclasses import dataclass, field

from .bench import OURS, best_ours, op_family
from .style import finite, kernel_family

NON_KERNEL = ("gradflow_probe", "data", "overhead")  # meta.json time_breakdown_s parts outside kernels


@dataclass
class KernelStat:
    kernel: str
    impl: str
    isa: str
    shape: str
    calls: float = 0
    total_s: float = 0.0
    gflops: float = 0.0
    gbs: float = 0.0
    pct_flops: float = 0.0
    pct_bw: float = 0.0
    flops: float = 0.0          # per call
    bytes: float = 0.0          # per call
    scenarios: list = field(default_factory=list)

    @property
    def family(self):
        return kernel_family(self.kernel, self.isa)

    @property
    def compute_bound(self):
        """FLOPs are counted (GEMM, convolution): judged against the FMA peak, else against bandwidth."""
        return self.flops > 0

    @property
    def rate(self):
        return (self.gflops, "GFLOP/s") if self.compute_bound else (self.gbs, "GB/s")

    @property
    def pct(self):
        return self.pct_flops if self.compute_bound else self.pct_bw


def merge_kernels(scenarios):
    """One KernelStat per (kernel, impl, isa, shape) over the scenarios, by total time; rates and % of
    peak come from the scenario that called it most (they are medians of its calls)."""
    merged, most = {}, {}
    for sc in scenarios:
        for r in sc.kernels or ():
            key = (r["kernel"], r["impl"], r["isa"], r["shape"])
            k = merged.setdefault(key, KernelStat(*key))
            k.calls += r["calls"]
            k.total_s += r["total_s"] if finite(r["total_s"]) else 0.0
            k.scenarios.append(sc.name)
            if r["calls"] > most.get(key, -1):
                most[key] = r["calls"]
                k.gflops, k.gbs = r["gflops"], r["gbs"]
                k.pct_flops, k.pct_bw = r["pct_peak_flops"], r["pct_peak_bw"]
                k.flops, k.bytes = r["flops_per_call"], r["bytes_per_call"]
    return sorted(merged.values(), key=lambda k: -k.total_s)


def time_by_family(sc):
    """{family: seconds} of the scenario's profiled kernels plus the non-kernel parts of its steps."""
    out = {}
    for r in sc.kernels or ():
        if finite(r["total_s"]):
            fam = kernel_family(r["kernel"], r["isa"])
            out[fam] = out.get(fam, 0.0) + r["total_s"]
    parts = sc.result.get("time_breakdown_s") or {}
    for part in NON_KERNEL:
        v = parts.get(part)
        if finite(v) and v > 0:
            out[part.replace("_", " ")] = v
    return out


@dataclass
class OpValidation:
    op: str
    impl: str
    isa: str
    checks: int = 0
    passed: int = 0
    failed: int = 0
    mistrusted: int = 0
    compared: int = 0
    worst: float = 0.0         # largest relative error: against oneDNN, else against the scalar oracle
    worst_problem: str = ""
    against: set = field(default_factory=set)   # "oneDNN" and/or "oracle"
    thresholds: set = field(default_factory=set)


def validation_by_op(rows):
    """validate.csv rows grouped per (op, impl, isa). A row's error is its max_rel_err (against oneDNN),
    or its ref_rel_err (against the scalar oracle) where oneDNN was not compared (None: optimizers)."""
    out = {}
    for r in rows or ():
        v = out.setdefault((r["op"], r["impl"], r["isa"]), OpValidation(r["op"], r["impl"], r["isa"]))
        v.checks += 1
        v.passed += r["result"] == "PASS"
        v.failed += r["result"] == "FAIL"
        v.mistrusted += r["result"] == "MISTRUSTED"
        err, vs = r["max_rel_err"], "oneDNN"
        if err is None:
            err, vs = r["ref_rel_err"], "oracle"
        if err is not None:
            v.against.add(vs)
            err = err if finite(err) else math.inf  # a NaN/Inf error is the worst there is
            if v.compared == 0 or err > v.worst:
                v.worst, v.worst_problem = err, r["problem"]
            v.compared += 1
        if finite(r["threshold"]):
            v.thresholds.add(r["threshold"])
    return sorted(out.values(), key=lambda v: (v.op, v.impl, v.isa))


def is_onednn(impl):
    return impl == "onednn" or impl.startswith("onednn_")


@dataclass
class Ratio:
    op: str
    problem: str
    threads: int
    ours: object       # BenchPoint (widest ISA)
    onednn: object     # BenchPoint

    @property
    def value(self):
        return self.ours.rate / self.onednn.rate if self.onednn.rate else math.nan


def speed_ratios(points):
    """Ours (widest ISA) over oneDNN in its fastest layout (plain `onednn` or a blocked `onednn_nChw16c`...)
    for every op/problem/thread count both measured, per machine."""
    groups = {}
    for p in points:
        groups.setdefault((id(p.machine), p.op, p.problem, p.threads), []).append(p)
    out = []
    for (_, op, problem, threads), pts in groups.items():
        ours = best_ours(pts)
        dnnl = max((p for p in pts if is_onednn(p.impl) and p.rate), key=lambda p: p.rate, default=None)
        if ours and dnnl:
            out.append(Ratio(op, problem, threads, ours, dnnl))
    return sorted(out, key=lambda r: (r.op, r.problem, r.threads))


def scaling_series(points, family):
    """{(op, problem, impl): {threads: rate}} of `family` (gemm or conv) with at least two thread counts,
    for our widest ISA and oneDNN. A measurement repeated across files (each thread-count file also holds
    the 1-thread rows) is averaged."""
    acc = {}
    for p in points:
        if op_family(p.op) == family and p.rate is not None:
            acc.setdefault((p.op, p.problem), {}).setdefault(p.impl, {}).setdefault(p.threads, []).append(p.rate)
    out = {}
    for (op, problem), impls in acc.items():
        keep = [i for i in OURS if i in impls][:1] + (["onednn"] if "onednn" in impls else [])
        for impl in keep:
            if len(impls[impl]) >= 2:
                out[(op, problem, impl)] = {t: sum(v) / len(v) for t, v in sorted(impls[impl].items())}
    return out
