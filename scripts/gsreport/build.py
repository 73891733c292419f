"""Puts the report together: which sections, figures and tables, in which order, from the loaded runs and
benchmark files."""
import datetime

from . import tables
from .doc import FigureMaker, Note, Section, slug
from .compare import Source
from .style import BASELINE, machine_color


def label_runs(runs):
    """One run: its folder name; several: the machine and configuration (meta.json) and the folder, so
    runs of different CPUs or of different --isa/--threads on one CPU are told apart."""
    for run in runs:
        desc = run.machine.describe() if run.machine else "unknown machine"
        run.label = run.name if len(runs) == 1 else f"{desc} [{run.name}]"


def _bench_key(m):
    return (m.cpu, m.cores, m.host, m.isa_available)


def bench_groups(runs, extra):
    """Benchmark points of all files grouped per machine: [(Machine, label, [BenchPoint])]."""
    groups = {}
    for p in [p for r in runs for p in r.bench] + extra:
        g = groups.setdefault(_bench_key(p.machine), [p.machine, []])
        if p.machine.peak_threads > g[0].peak_threads:
            g[0] = p.machine  # the file measured at the most threads carries the all-thread peaks
        g[1].append(p)
    out = []
    for m, points in groups.values():
        host = f" · host {m.host}" if m.host else ""
        out.append((m, f"{m.cpu} ({m.cores} cores){host}", points))
    return out


def comparison_sources(runs, groups):
    """Columns of the across-CPU view: every run, with the benchmarks of its CPU attached; benchmark files
    of a CPU that no run used become their own column."""
    sources = [Source(label=r.label or r.name, machine=r.machine, color=machine_color(i), run=r)
               for i, r in enumerate(runs) if r.machine is not None]
    for m, label, points in groups:
        home = next((s for s in sources if s.run is not None and s.machine.cpu == m.cpu
                     and s.machine.cores == m.cores), None)
        if home is not None:
            home.points.extend(points)
        else:
            sources.append(Source(label=f"{label} (bench)", machine=m, color=machine_color(len(sources)),
                                  points=points))
    return sources


class ReportBuilder:
    def __init__(self, runs, extra_bench, out_dir, plt, problems):
        self.runs, self.extra, self.plt, self.problems = runs, extra_bench, plt, problems
        self.figs = FigureMaker(out_dir, plt, problems)
        label_runs(runs)
        self.groups = bench_groups(runs, extra_bench)
        self.sources = comparison_sources(runs, self.groups)

    def prefix(self, run):
        return "" if len(self.runs) == 1 else f"run{self.runs.index(run) + 1}-"

    def per_run(self, section, run):
        """The section itself for one run, a subsection per run for several."""
        if len(self.runs) == 1:
            return section
        return section.sub(f"{section.id}-{slug(run.name)}", run.label)

    def build(self):
        sections = [self.overview(), self.summary(), self.across_scenarios(), self.scenarios(), self.kernels(),
                    self.across_cpus()]
        self.figs.draw_all()
        sections.append(self.problem_section())  # last: drawing may add problems
        return sections

    def overview(self):
        s = Section("overview", "Overview")
        if self.plt is None:
            s.add(Note("matplotlib is missing: this report holds the tables only (install python3-matplotlib "
                       "and run gradscope report again for the figures)", warn=True))
        for run in self.runs:
            meta = next((sc.meta for sc in run.scenarios if sc.meta), {})
            m = run.machine
            s.add(Note(f"Run {run.path}: {len(run.scenarios)} scenario(s), recipe {meta.get('recipe', '?')}, "
                       f"subset {meta.get('subset') or 'full data'}, gradscope revision "
                       f"{meta.get('git_revision', '?')}; machine: {m.describe() if m else 'unknown'}"
                       + ("" if m is None or m.measured else " (peaks not measured: --no-measure)")))
        bench_files = sorted({p.source for _, _, pts in self.groups for p in pts})
        if bench_files:
            s.add(Note(f"Benchmark files: {', '.join(bench_files)}"))
        where = " Figures are PNG files in figures/ beside this page." if self.plt is not None else ""
        s.add(Note(f"Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by "
                   f"scripts/report.py.{where}"))
        return s

    def summary(self):
        s = Section("summary", "Results at a glance",
                    "Every scenario's outcome, and how much of the output gradient reaches the first layer.")
        for run in self.runs:
            part = self.per_run(s, run)
            part.add(tables.summary_table(run))
            self.figs.add(part, f"{self.prefix(run)}gradient-ratio-overview", "fig_catalog.draw_ratio_overview", run)
        return s

    def across_scenarios(self):
        s = Section("across-scenarios", "Across scenarios: the study's story",
                    f"One figure per section of SCENARIOS.md against the {BASELINE} baseline, then the "
                    f"procedures that need their own view.")
        for run in self.runs:
            part = self.per_run(s, run)
            p = self.prefix(run)
            for letter in sorted({sc.section for sc in run.scenarios if sc.meta}):
                self.figs.add(part, f"{p}section-{letter}", "fig_catalog.draw_section", run, letter)
            layerwise = run.scenario("layerwise")
            if layerwise:
                self.figs.add(part, f"{p}layerwise-stages", "fig_catalog.draw_layerwise", layerwise)
            if run.scenario("deep_supervision_mlp") or run.scenario("lenet_dsn"):
                self.figs.add(part, f"{p}deep-supervision", "fig_catalog.draw_deep_supervision", run)
            for sc in run.scenarios:
                if sc.meta and sc.config.get("procedure") == "lr_search":
                    self.figs.add(part, f"{p}{sc.name}-trials", "fig_catalog.draw_lr_trials", sc)
                if sc.meta and sc.config.get("procedure") == "neuron_l2_vs_ce":
                    self.figs.add(part, f"{p}{sc.name}", "fig_catalog.draw_neuron", sc)
        return s

    def scenarios(self):
        s = Section("scenarios", "Per scenario",
                    "Loss and accuracy, gradient flow per layer and epoch, the first/last-layer gradient ratio over "
                    "time, saturated or dead units, and the costliest kernels of each scenario.")
        for run in self.runs:
            part = self.per_run(s, run)
            p = self.prefix(run)
            for sc in run.scenarios:
                sub = part.sub(f"sc-{p}{slug(sc.name)}", sc.name, sc.config.get("description", "") if sc.meta else "")
                for problem in sc.problems:
                    sub.add(Note(problem, warn=True))
                if not sc.meta:
                    continue
                if sc.config.get("procedure") == "neuron_l2_vs_ce":
                    sub.add(Note("A single neuron, not a network: its curves are in the across-scenario section."))
                    continue
                for name, draw in (("curves", "fig_scenario.draw_curves"),
                                   ("gradflow", "fig_scenario.draw_gradflow_heatmap"),
                                   ("grad-ratio", "fig_scenario.draw_grad_ratio"),
                                   ("saturation", "fig_scenario.draw_saturation")):
                    if (name == "curves" and sc.epochs is not None) or (name != "curves" and sc.gradflow is not None):
                        self.figs.add(sub, f"{p}{sc.name}-{name}", draw, sc)
                if sc.kernels:
                    sub.add(tables.scenario_kernel_table(sc))
        return s

    def kernels(self):
        s = Section("kernels", "Kernels",
                    "Where the training time goes, how close each kernel gets to this machine's measured peaks, "
                    "how the native kernels compare with oneDNN (speed and error), and thread scaling.")
        for run in self.runs:
            part = self.per_run(s, run)
            p = self.prefix(run)
            self.figs.add(part, f"{p}time-breakdown", "fig_kernels.draw_time_breakdown", run)
            self.figs.add(part, f"{p}kernel-efficiency", "fig_kernels.draw_kernel_efficiency", run)
            self.figs.add(part, f"{p}roofline", "fig_kernels.draw_roofline", run,
                          [(m, label) for m, label, _ in self.groups])
            part.add(tables.kernel_table(run))
            if not run.kernels_dir:
                part.add(Note(f"{run.name}/kernels/ is absent: no validation or benchmark data from this run "
                              f"(gradscope run-all writes it; benchmark JSON can be added with --bench)."))
            if run.validate is not None:
                self.figs.add(part, f"{p}validation-error", "fig_kernels.draw_validation_error", run.validate)
                part.add(tables.validation_table(run.validate))
        for i, (m, label, points) in enumerate(self.groups):
            sub = s.sub(f"bench-{i + 1}", f"Benchmarks: {label}")
            self.figs.add(sub, f"bench{i + 1}-speed-vs-onednn", "fig_kernels.draw_speed_ratio", points)
            self.figs.add(sub, f"bench{i + 1}-thread-scaling", "fig_kernels.draw_thread_scaling", points, label)
            sub.add(tables.bench_table(points))
        if not self.groups:
            s.add(Note("No benchmark file (neither RUN/kernels/bench-*.json nor --bench): no ours-vs-oneDNN speed "
                       "ratio and no thread scaling."))
        return s

    def across_cpus(self):
        s = Section("across-cpus", "Across CPUs",
                    "Machines (or runs of one machine with different --isa/--threads, labelled from meta.json) side "
                    "by side; benchmark files of a run's CPU are merged into its column.")
        s.add(tables.machine_table(self.sources))
        if len(self.sources) < 2:
            s.add(Note("One machine in this report: give several result folders (other machines, or other --isa / "
                       "--threads runs) or --bench files from other machines to compare them side by side."))
            return s
        self.figs.add(s, "machines-peaks", "fig_machines.draw_peaks", self.sources)
        self.figs.add(s, "machines-gflops", "fig_machines.draw_kernels_across", self.sources, "GFLOP/s")
        self.figs.add(s, "machines-gbs", "fig_machines.draw_kernels_across", self.sources, "GB/s")
        s.add(tables.across_kernel_table(self.sources))
        if len(self.runs) > 1:
            self.figs.add(s, "machines-epoch-times", "fig_machines.draw_epoch_times", self.runs)
            s.add(tables.epoch_time_table(self.runs))
        return s

    def problem_section(self):
        s = Section("problems", "Problems",
                    "Files that are missing or malformed, and anything that could not be drawn.")
        for p in self.problems:
            s.add(Note(p, warn=True))
        if not self.problems:
            s.add(Note("None: every file was read and every figure drawn."))
        return s


def collect_problems(runs):
    out = []
    for run in runs:
        out += run.problems
        for sc in run.scenarios:
            out += sc.problems
    return out
