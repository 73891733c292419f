"""The columns of the across-CPU view: each training run (with the benchmarks of its CPU) or the benchmark
files of a CPU no run used, and the kernel rates each one measured."""
from dataclasses import dataclass, field

from .bench import best_ours
from .kernels import merge_kernels
from .style import finite


@dataclass
class Source:
    """One column of the comparison: a training run, or the benchmark files of one machine."""
    label: str
    machine: object
    color: str
    run: object = None
    points: list = field(default_factory=list)

    def isa(self):
        if self.machine.isa:
            return self.machine.isa
        avail = self.machine.isa_available.split(",")
        return next((i for i in ("avx512", "avx2", "scalar") if i in avail), "")

    def threads(self):
        """A run's thread count; for benchmark files, the most threads they measured."""
        if self.machine.threads:
            return self.machine.threads
        return max([p.threads for p in self.points] + [self.machine.peak_threads, 1])

    def kernel_values(self):
        """{(op, shape): (rate, unit, % of own peak or None)} at this column's thread count: the training's
        kernels, then the benchmarks (ours at the widest ISA) where the training has no such shape."""
        out = {}
        if self.run is not None:
            measured = self.machine.measured
            for k in merge_kernels(self.run.scenarios):
                rate, unit = k.rate
                if finite(rate) and rate > 0:
                    out.setdefault((k.kernel, k.shape), (rate, unit, k.pct if measured else None))
        groups = {}
        for p in self.points:
            if p.threads == self.threads():
                groups.setdefault((p.op, p.problem), []).append(p)
        for key, pts in groups.items():
            p = best_ours(pts)
            if p is not None:
                out.setdefault(key, (p.rate, p.unit, p.pct_peak))
        return out
