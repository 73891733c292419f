"""Loads gradscope result folders (format: results/README.md), checking every file against its documented
columns; each problem becomes a message naming the file, the line and the column."""
import csv
import json
import math
import os
import re
from dataclasses import dataclass, field

from . import machine as machine_mod
from .bench import load_bench_file
from .style import catalog_index

EPOCHS_TEXT = ("label",)
EPOCHS_NUM = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "epoch_time_s", "steps",
              "grad_ratio_first_head", "diverged")
GRADFLOW_TEXT = ("kind", "layer")
GRADFLOW_NUM = ("epoch", "step", "block", "mean_abs_dw", "norm_dw", "norm_w", "update_ratio", "act_mean",
                "act_std", "saturated_frac", "dead_frac", "nonfinite")
KERNELS_TEXT = ("kernel", "impl", "isa", "shape")
KERNELS_NUM = ("calls", "total_s", "median_s", "min_s", "flops_per_call", "bytes_per_call", "gflops", "gbs",
               "pct_peak_flops", "pct_peak_bw")
NEURON_NUM = ("step", "loss_l2", "a_l2", "w_l2", "b_l2", "loss_ce", "a_ce", "w_ce", "b_ce")
VALIDATE_TEXT = ("op", "problem", "impl", "isa", "result")
VALIDATE_NUM = ("threads", "max_rel_err", "ref_rel_err", "threshold")
VALIDATE_RESULTS = ("PASS", "FAIL", "MISTRUSTED")
SUMMARY_TEXT = ("scenario",)

# Folders inside a run folder that are not scenarios.
RESERVED_DIRS = ("report", "kernels")


class DataError(Exception):
    """A missing file, or one that does not have the documented format; the message names the file."""


class NotARunFolder(Exception):
    """A path given as a run folder that holds neither summary.csv nor any <scenario>/meta.json."""


def _number(text, empty):
    """CSV numbers as gradscope prints them: C's "-nan" reads as NaN, an empty cell as `empty`."""
    text = text.strip()
    if not text:
        return empty
    if text in ("-nan", "nan"):
        return math.nan
    return float(text)


def read_csv(path, numeric=(), text=(), where=None, empty=math.nan):
    """Rows (dicts) of a CSV whose header holds at least the `numeric` and `text` columns; numbers parsed,
    an empty numeric cell as `empty`. `where` is the name used in messages (defaults to the path)."""
    where = where or path
    try:
        f = open(path, newline="", encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{where}: missing") from None
    except OSError as e:
        raise DataError(f"{where}: cannot read ({e.strerror})") from None
    with f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
            if header is None:
                raise DataError(f"{where}: empty (expected a header line)")
            missing = [c for c in (*text, *numeric) if c not in header]
            if missing:
                raise DataError(f"{where}: header lacks column(s) {', '.join(missing)}")
            col = {c: header.index(c) for c in (*text, *numeric)}
            rows = []
            for fields in reader:
                line = reader.line_num
                if not fields:
                    continue
                if len(fields) != len(header):
                    raise DataError(f"{where}: line {line}: {len(fields)} fields, the header has {len(header)}")
                row = {c: fields[col[c]] for c in text}
                for c in numeric:
                    try:
                        row[c] = _number(fields[col[c]], empty)
                    except ValueError:
                        raise DataError(f"{where}: line {line}: column {c}: '{fields[col[c]]}' is not a number") \
                            from None
                rows.append(row)
        except (csv.Error, UnicodeDecodeError) as e:
            raise DataError(f"{where}: not a readable CSV file ({e})") from None
    return rows


def _require(obj, keys, where, kinds=(dict,)):
    """obj[keys[0]][keys[1]]... must exist and be one of `kinds`; returns it."""
    cur, trail = obj, []
    for k in keys:
        trail.append(k)
        if not isinstance(cur, dict) or k not in cur:
            raise DataError(f"{where}: missing field {'.'.join(trail)}")
        cur = cur[k]
    if not isinstance(cur, kinds) or isinstance(cur, bool) and bool not in kinds:
        names = " or ".join("object" if t is dict else "number" if t in (int, float) else
                            "string" if t is str else "boolean" if t is bool else "null" for t in kinds)
        raise DataError(f"{where}: field {'.'.join(keys)} is {json.dumps(cur)[:40]}, expected {names}")
    return cur


NUMBER = (int, float)
NUMBER_OR_NULL = (int, float, type(None))


def read_json(path, where):
    """The parsed JSON file; DataError naming `where` if it is missing, unreadable or not JSON."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise DataError(f"{where}: missing") from None
    except OSError as e:
        raise DataError(f"{where}: cannot read ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{where}: not valid JSON ({e})") from None


def read_meta(path, where):
    meta = read_json(path, where)
    if not isinstance(meta, dict):
        raise DataError(f"{where}: expected a JSON object at the top")
    _require(meta, ("scenario",), where, (str,))
    for key in ("section", "activation", "procedure", "model"):
        _require(meta, ("config", key), where, (str,))
    for key in ("cpu", "selected", "topology"):
        _require(meta, ("machine", key), where)
    _require(meta, ("machine", "cpu", "model"), where, (str,))
    _require(meta, ("machine", "selected", "isa"), where, (str,))
    _require(meta, ("machine", "selected", "threads"), where, NUMBER)
    for key in ("test_acc", "grad_ratio_first_head", "epoch_time_median_s", "kernel_share_of_step_time"):
        _require(meta, ("result", key), where, NUMBER_OR_NULL)
    _require(meta, ("result", "steps"), where, NUMBER)
    _require(meta, ("result", "diverged"), where, (bool,))
    return meta


_AUX = re.compile(r"aux(\d+)$")


def layer_order_key(layer, block):
    """Network order: hidden blocks by depth, an auxiliary head right after the block it reads
    (aux<k> after block k, LeNet's side head after conv1), the output head last."""
    if block >= 1:
        return block
    m = _AUX.match(layer)
    if m:
        return int(m.group(1)) + 0.5
    if layer == "side":
        return 1.5
    return math.inf if layer == "head" else 1e6


@dataclass
class Scenario:
    name: str
    path: str
    where: str                       # "<run>/<scenario>" for messages
    meta: dict = None
    epochs: list = None
    gradflow: list = None
    kernels: list = None
    neuron: list = None
    trials: dict = None              # lr_search: "lr_<v>" -> epochs rows
    problems: list = field(default_factory=list)

    @property
    def config(self):
        return self.meta["config"] if self.meta else {}

    @property
    def result(self):
        return self.meta["result"] if self.meta else {}

    @property
    def section(self):
        return self.config.get("section", "?")

    @property
    def diverged(self):
        return bool(self.result.get("diverged"))

    def layers(self):
        """Weight layers of gradflow.csv in network order."""
        seen = {}
        for r in self.gradflow or ():
            seen.setdefault(r["layer"], layer_order_key(r["layer"], int(r["block"])))
        return sorted(seen, key=lambda name: seen[name])

    def first_layer(self):
        hidden = [r for r in self.gradflow or () if r["block"] == 1]
        return hidden[0]["layer"] if hidden else None

    def epoch_grad(self, layer, epoch=None):
        """Mean |dW| of `layer` in the epoch row of `epoch` (default: the last epoch)."""
        rows = [r for r in self.gradflow or () if r["kind"] == "epoch" and r["layer"] == layer]
        if epoch is not None:
            rows = [r for r in rows if r["epoch"] == epoch]
        return rows[-1]["mean_abs_dw"] if rows else math.nan


@dataclass
class Run:
    path: str
    name: str
    scenarios: list = field(default_factory=list)
    partial: list = field(default_factory=list)     # scenarios left as .<name>.partial
    summary: list = None
    machine: object = None
    validate: list = None                           # kernels/validate.csv rows, None when absent
    bench: list = field(default_factory=list)       # BenchPoint of kernels/bench-*.json
    kernels_dir: bool = False
    problems: list = field(default_factory=list)
    label: str = ""

    def scenario(self, name):
        return next((s for s in self.scenarios if s.name == name and s.meta), None)


def is_run_folder(path):
    if not os.path.isdir(path):
        return False
    if os.path.isfile(os.path.join(path, "summary.csv")):
        return True
    with os.scandir(path) as it:
        return any(e.is_dir() and os.path.isfile(os.path.join(e.path, "meta.json")) for e in it)


def _load_trials(sc):
    tdir = os.path.join(sc.path, "trials")
    if not os.path.isdir(tdir):
        raise DataError(f"{sc.where}/trials/: missing (lr_search writes one folder per candidate)")
    trials = {}
    for name in sorted(os.listdir(tdir)):
        if os.path.isdir(os.path.join(tdir, name)):
            trials[name] = read_csv(os.path.join(tdir, name, "epochs.csv"), EPOCHS_NUM, EPOCHS_TEXT,
                                    f"{sc.where}/trials/{name}/epochs.csv")
    if not trials:
        raise DataError(f"{sc.where}/trials/: no lr_<v> folders")
    return trials


def _check_gradflow(rows, where):
    for i, r in enumerate(rows, start=2):
        if r["kind"] not in ("step", "epoch"):
            raise DataError(f"{where}: line {i}: kind '{r['kind']}', expected step or epoch")


def load_scenario(run_path, run_name, name):
    """One scenario folder; every file that fails its check is recorded in .problems and left None."""
    path = os.path.join(run_path, name)
    sc = Scenario(name=name, path=path, where=f"{run_name}/{name}")

    def attempt(attr, loader):
        try:
            setattr(sc, attr, loader())
        except DataError as e:
            sc.problems.append(str(e))

    attempt("meta", lambda: read_meta(os.path.join(path, "meta.json"), f"{sc.where}/meta.json"))
    attempt("epochs", lambda: read_csv(os.path.join(path, "epochs.csv"), EPOCHS_NUM, EPOCHS_TEXT,
                                       f"{sc.where}/epochs.csv"))

    def gradflow():
        where = f"{sc.where}/gradflow.csv"
        rows = read_csv(os.path.join(path, "gradflow.csv"), GRADFLOW_NUM, GRADFLOW_TEXT, where)
        _check_gradflow(rows, where)
        return rows

    attempt("gradflow", gradflow)
    attempt("kernels", lambda: read_csv(os.path.join(path, "kernels.csv"), KERNELS_NUM, KERNELS_TEXT,
                                        f"{sc.where}/kernels.csv"))
    procedure = sc.config.get("procedure")
    if procedure == "neuron_l2_vs_ce":
        attempt("neuron", lambda: read_csv(os.path.join(path, "neuron.csv"), NEURON_NUM, (),
                                           f"{sc.where}/neuron.csv"))
    elif procedure == "lr_search":
        attempt("trials", lambda: _load_trials(sc))
    if sc.meta and sc.meta["scenario"] != name:
        sc.problems.append(f"{sc.where}/meta.json: scenario '{sc.meta['scenario']}' does not match its folder")
    return sc


def _looks_like_scenario(path):
    return any(os.path.exists(os.path.join(path, f)) for f in ("meta.json", "epochs.csv", "gradflow.csv",
                                                                 "kernels.csv"))


def _load_kernels_dir(run):
    kdir = os.path.join(run.path, "kernels")
    run.kernels_dir = os.path.isdir(kdir)
    if not run.kernels_dir:
        if os.path.isdir(os.path.join(run.path, ".kernels.partial")):
            run.problems.append(f"{run.name}/.kernels.partial: the kernels step of the run did not complete "
                                f"(see validate.log and bench.log in it)")
        return
    vpath = os.path.join(kdir, "validate.csv")
    if os.path.exists(vpath):
        try:
            # an empty error means "not compared" (oneDNN has no such op), not NaN: kept as None
            rows = read_csv(vpath, VALIDATE_NUM, VALIDATE_TEXT, f"{run.name}/kernels/validate.csv", empty=None)
            for i, r in enumerate(rows, start=2):
                if r["result"] not in VALIDATE_RESULTS:
                    raise DataError(f"{run.name}/kernels/validate.csv: line {i}: result '{r['result']}', "
                                    f"expected {'|'.join(VALIDATE_RESULTS)}")
            run.validate = rows
        except DataError as e:
            run.problems.append(str(e))
    for name in sorted(os.listdir(kdir)):
        if name.startswith("bench-") and name.endswith(".json"):
            try:
                _, points = load_bench_file(os.path.join(kdir, name), f"{run.name}/kernels/{name}")
                run.bench.extend(points)
            except DataError as e:
                run.problems.append(str(e))


def load_run(path):
    """A run folder: its scenarios (catalog order), summary.csv and kernels/ when present."""
    path = os.path.normpath(path)
    if not is_run_folder(path):
        raise NotARunFolder(f"{path}: not a gradscope run folder (no summary.csv and no <scenario>/meta.json "
                            f"inside; expected a results/<run>/ folder of gradscope train or run-all)")
    run = Run(path=path, name=os.path.basename(os.path.abspath(path)))
    spath = os.path.join(path, "summary.csv")
    if os.path.exists(spath):
        try:
            run.summary = read_csv(spath, (), SUMMARY_TEXT, f"{run.name}/summary.csv")
        except DataError as e:
            run.problems.append(str(e))
    names = []
    with os.scandir(path) as it:
        for e in sorted(it, key=lambda e: e.name):
            if not e.is_dir():
                continue
            if e.name.startswith(".") and e.name.endswith(".partial"):
                name = e.name[1:-len(".partial")]
                if name not in RESERVED_DIRS:  # .report.partial: a report being written
                    run.partial.append(name)
            elif not e.name.startswith(".") and e.name not in RESERVED_DIRS and _looks_like_scenario(e.path):
                names.append(e.name)
    names.sort(key=lambda n: (catalog_index(n), n))
    run.scenarios = [load_scenario(path, run.name, n) for n in names]
    for name in run.partial:
        run.problems.append(f"{run.name}/.{name}.partial: scenario {name} did not finish (interrupted or failed)")
    for row in run.summary or ():
        if row["scenario"] not in names and row["scenario"] not in run.partial:
            run.problems.append(f"{run.name}/summary.csv: scenario {row['scenario']} has no folder")
    metas = [s.meta for s in run.scenarios if s.meta]
    if metas:
        run.machine = machine_mod.from_meta(metas[0]["machine"])
    _load_kernels_dir(run)
    return run
