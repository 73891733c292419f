"""Google Benchmark JSON written by `gradscope bench` (results/README.md, "bench/"): one point per
benchmark name <op>/<problem>/<impl>/threads:<N>/real_time, the median when repeated."""
import statistics
from dataclasses import dataclass

from . import machine as machine_mod

OURS = ("avx512", "avx2", "scalar")   # our implementations, widest first
RATE_KEYS = (("GFLOP/s", "GFLOP/s"), ("GB/s", "GB/s"))


@dataclass
class BenchPoint:
    machine: object      # Machine of the file it came from
    source: str          # file name for messages and tables
    op: str              # gemm, conv_fwd, act_fwd, ...
    problem: str
    impl: str            # avx512, avx2, onednn, openblas, blis, ...
    threads: int
    rate: float = None   # GFLOP/s or GB/s (None when the benchmark reported an error)
    unit: str = ""
    pct_peak: float = None
    error: str = ""


def _parse_name(name):
    parts = name.split("/")
    if len(parts) < 4 or not parts[3].startswith("threads:"):
        return None
    try:
        threads = int(parts[3][len("threads:"):])
    except ValueError:
        return None
    return parts[0], parts[1], parts[2], threads


def _rate(entry):
    for key, unit in RATE_KEYS:
        if isinstance(entry.get(key), (int, float)):
            return float(entry[key]), unit
    return None, ""


def _collapse(entries):
    """One entry per run name: its median aggregate, else the median of its repetitions."""
    by_name = {}
    for e in entries:
        by_name.setdefault(e.get("run_name") or e.get("name", ""), []).append(e)
    for run_name, group in by_name.items():
        medians = [e for e in group if e.get("run_type") == "aggregate" and e.get("aggregate_name") == "median"]
        if medians:
            yield run_name, medians[0], None
            continue
        reps = [e for e in group if e.get("run_type", "iteration") == "iteration"]
        if not reps:
            continue
        errors = [e for e in reps if e.get("error_occurred")]
        if errors:
            yield run_name, errors[0], str(errors[0].get("error_message", "error"))
            continue
        rates = [_rate(e)[0] for e in reps if _rate(e)[0] is not None]
        pcts = [float(e["pct_peak"]) for e in reps if isinstance(e.get("pct_peak"), (int, float))]
        merged = dict(reps[0])
        if rates:
            merged[_rate(reps[0])[1]] = statistics.median(rates)
        if pcts:
            merged["pct_peak"] = statistics.median(pcts)
        yield run_name, merged, None


def load_bench_file(path, where=None):
    """(Machine, [BenchPoint]) of one Google Benchmark JSON; DataError naming the file otherwise."""
    from .data import DataError, read_json  # data imports this module
    where = where or path
    doc = read_json(path, where)
    if not isinstance(doc, dict) or not isinstance(doc.get("context"), dict) \
            or not isinstance(doc.get("benchmarks"), list):
        raise DataError(f"{where}: not a Google Benchmark JSON (expected an object with 'context' and "
                        f"'benchmarks')")
    mach = machine_mod.from_bench_context(doc["context"])
    points = []
    source = where.rsplit("/", 1)[-1]
    for run_name, entry, error in _collapse(e for e in doc["benchmarks"] if isinstance(e, dict)):
        parsed = _parse_name(run_name)
        if not parsed:
            continue  # not a gradscope benchmark name: nothing to place it by
        op, problem, impl, threads = parsed
        rate, unit = _rate(entry)
        pct = entry.get("pct_peak")
        points.append(BenchPoint(machine=mach, source=source, op=op, problem=problem, impl=impl, threads=threads,
                                 rate=None if error else rate, unit=unit,
                                 pct_peak=float(pct) if isinstance(pct, (int, float)) and not error else None,
                                 error=error or ""))
    if not points:
        raise DataError(f"{where}: no benchmark named <op>/<problem>/<impl>/threads:<N> (not from gradscope bench?)")
    return mach, points


def op_family(op):
    """gemm, conv or the op itself: thread scaling is drawn for gemm and conv."""
    return "conv" if op.startswith("conv") else op


def is_ours(impl):
    return impl in OURS


def best_ours(points):
    """Among our implementations' points (same op/problem/threads), the widest ISA's."""
    ours = [p for p in points if is_ours(p.impl) and p.rate is not None]
    ours.sort(key=lambda p: OURS.index(p.impl))
    return ours[0] if ours else None
