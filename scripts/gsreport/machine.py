"""The machine a result came from: CPU, selected ISA/threads, measured peaks (meta.json's machine block or
a Google Benchmark JSON's gradscope.* context)."""
from dataclasses import dataclass, field


@dataclass
class Machine:
    cpu: str
    cores: int = 0
    isa_available: str = ""
    isa: str = ""          # selected ISA of a training run; "" for benchmark files (each entry has its own)
    impl: str = ""         # native or onednn (training runs)
    threads: int = 0       # threads of a training run
    host: str = ""         # benchmark files only (Google Benchmark's host_name)
    fma: dict = field(default_factory=dict)     # isa -> {"threads_1": GFLOP/s, "threads_all": GFLOP/s}
    triad: dict = field(default_factory=dict)   # {"threads_1": GB/s, "threads_all": GB/s}
    peak_threads: int = 0  # thread count of the threads_all measurement
    versions: dict = field(default_factory=dict)

    @property
    def measured(self):
        return bool(self.fma) and bool(self.triad)

    def fma_peak(self, isa, threads):
        """Measured FP32 FMA peak for `isa` at `threads` (GFLOP/s), None when not measured."""
        per = self.fma.get(isa) or {}
        return per.get("threads_1" if threads == 1 else "threads_all")

    def triad_peak(self, threads):
        return self.triad.get("threads_1" if threads == 1 else "threads_all")

    def describe(self):
        """Short text for labels: CPU, cores, and the selected configuration of a training run."""
        text = f"{self.cpu} ({self.cores} cores)" if self.cores else self.cpu
        if self.isa:
            text += f" · {self.isa} · {self.threads} thr"
        if self.impl and self.impl != "native":
            text += f" · {self.impl}"
        return text


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def from_meta(block):
    """Machine from meta.json's `machine` object (already checked for cpu/selected/topology)."""
    cpu, sel, topo = block["cpu"], block["selected"], block["topology"]
    m = Machine(cpu=str(cpu.get("model", "?")), cores=int(topo.get("cores", 0) or 0),
                isa_available=str(cpu.get("isa_available", "")), isa=str(sel.get("isa", "")),
                impl=str(sel.get("impl", "")), threads=int(sel.get("threads", 0) or 0),
                versions=dict(block.get("versions") or {}))
    peak = block.get("peak")
    if isinstance(peak, dict):
        for isa, per in (peak.get("fma_gflops") or {}).items():
            if isinstance(per, dict):
                m.fma[isa] = {k: _number(v) for k, v in per.items()}
        m.triad = {k: _number(v) for k, v in (peak.get("triad_gbs") or {}).items()}
        m.peak_threads = int(_number(peak.get("threads_all")) or 0)
    return m


def from_bench_context(ctx):
    """Machine from a Google Benchmark context written by `gradscope bench` (all gradscope.* values are
    strings); a file without them still loads, labelled by its host."""
    def get(key, default=""):
        return str(ctx.get(key, default))

    m = Machine(cpu=get("gradscope.cpu.model") or f"unknown CPU (host {get('host_name', '?')})",
                cores=int(_number(ctx.get("gradscope.topology.cores")) or _number(ctx.get("num_cpus")) or 0),
                isa_available=get("gradscope.cpu.isa_available"), host=get("host_name"),
                peak_threads=int(_number(ctx.get("gradscope.peak.threads_all")) or 0))
    prefix = "gradscope.peak.fma_gflops."
    for key, value in ctx.items():
        if key.startswith(prefix):
            isa, _, which = key[len(prefix):].partition(".")
            m.fma.setdefault(isa, {})[which] = _number(value)
        elif key.startswith("gradscope.peak.triad_gbs."):
            m.triad[key.rsplit(".", 1)[1]] = _number(value)
        elif key.startswith("gradscope.versions."):
            m.versions[key.rsplit(".", 1)[1]] = value
    return m
