#!/usr/bin/python3
"""gradscope report: HTML + Markdown report (figures as PNG beside it) of one or more result folders."""
import argparse
import os
import shutil
import sys

sys.dont_write_bytecode = True  # the source tree may be read-only (or shared): no __pycache__ in it
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gsreport import build, render  # noqa: E402
from gsreport.bench import load_bench_file  # noqa: E402
from gsreport.data import DataError, NotARunFolder, load_run  # noqa: E402
from gsreport.style import load_pyplot  # noqa: E402

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Writes DIR/index.html (one page; the figures are PNG files in DIR/figures/, referenced relatively, so keep
the folder together) and DIR/summary.md (the same tables, with links to the figures) from gradscope result
folders (results/<run>/, see results/README.md) and Google Benchmark JSON files of `gradscope bench`.
Sections: results at a glance; across scenarios (one figure per SCENARIOS.md section against mlp7_sigmoid,
layerwise stages, deep supervision, lr_search trials, the single neuron); per scenario (curves, gradient-flow
heat map, gradient ratio, saturated/dead units, costliest kernels); kernels (time breakdown, %% of peak,
roofline, native vs oneDNN speed and error, thread scaling); across CPUs (machines side by side)."""

EPILOG = """\
exit status:
  0  report written (also when matplotlib is missing: a warning, the tables without the figures)
  1  a RUN_DIR is not a run folder (nothing written), or the report was written but some file was
     missing or malformed: every such problem is printed, naming the file, and listed in the report
  2  usage error (bad option, several RUN_DIRs without --out, --out holds something else)"""


def parse_args(argv):
    p = argparse.ArgumentParser(prog="gradscope report", description=DESCRIPTION, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="result folder of gradscope train or run-all")
    p.add_argument("--out", metavar="DIR", help="report folder (default RUN_DIR/report for one run; required for "
                                                "several)")
    p.add_argument("--bench", nargs="+", default=[], metavar="FILE.json", action="extend",
                   help="extra Google Benchmark JSON of gradscope bench, merged into the kernel and across-CPU views")
    args = p.parse_args(argv)
    if args.out is None:
        if len(args.runs) > 1:
            p.error("several RUN_DIRs: --out DIR is required")
        args.out = os.path.join(args.runs[0], "report")
    return args


def prepare_out(out):
    """A fresh temporary folder beside `out`, renamed over it at the end, so an interrupted report never
    looks complete. Refuses to replace a folder that is not an earlier report."""
    out = os.path.normpath(out)
    if os.path.exists(out) and (not os.path.isdir(out) or
                                (os.listdir(out) and not os.path.exists(os.path.join(out, "index.html")))):
        _usage_exit(f"--out {out}: exists and is not an earlier report (no index.html in it); refusing to "
                    f"replace it")
    parent, base = os.path.split(os.path.abspath(out))
    tmp = os.path.join(parent, f".{base}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "figures"))
    return out, tmp


def _usage_exit(message):
    print(f"gradscope report: {message}", file=sys.stderr)
    sys.exit(EXIT_USAGE)


def finish_out(out, tmp):
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.rename(tmp, out)


def main(argv):
    args = parse_args(argv)
    try:
        runs = [load_run(path) for path in args.runs]
    except NotARunFolder as e:
        print(f"gradscope report: {e}", file=sys.stderr)
        return EXIT_PROBLEMS
    problems = build.collect_problems(runs)
    extra = []
    for path in args.bench:
        try:
            extra += load_bench_file(path)[1]
        except DataError as e:
            problems.append(str(e))
    out, tmp = prepare_out(args.out)
    plt, why = load_pyplot()
    if plt is None:
        print(f"gradscope report: warning: {why}", file=sys.stderr)
    builder = build.ReportBuilder(runs, extra, tmp, plt, problems)
    sections = builder.build()
    title = "gradscope report: " + ", ".join(r.name for r in runs)
    subtitle = " | ".join(f"{r.label}: {r.machine.describe() if r.machine else 'unknown machine'}" for r in runs)
    with open(os.path.join(tmp, "index.html"), "w", encoding="utf-8") as f:
        f.write(render.to_html(sections, title, subtitle))
    with open(os.path.join(tmp, "summary.md"), "w", encoding="utf-8") as f:
        f.write(render.to_markdown(sections, title, subtitle))
    if plt is None:
        os.rmdir(os.path.join(tmp, "figures"))
    finish_out(out, tmp)
    for p in problems:
        print(f"gradscope report: problem: {p}", file=sys.stderr)
    print(f"report: {os.path.join(out, 'index.html')} ({len(builder.figs.files)} figures"
          f"{', tables only' if plt is None else ''}{f', {len(problems)} problem(s)' if problems else ''})")
    return EXIT_PROBLEMS if problems else EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
