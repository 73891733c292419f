"""The report as a tree of sections holding figures, tables and notes; the HTML and Markdown writers
render the same tree, and FigureMaker draws each figure into figures/ (or records why it could not)."""
import importlib
import multiprocessing
import os
import re
import struct
import traceback
from dataclasses import dataclass, field


@dataclass
class Figure:
    file: str        # relative to the report folder: figures/<name>.png
    caption: str
    alt: str
    width: int = 0   # pixels: the page gives wide figures a whole row, pairs the others


@dataclass
class Table:
    headers: list
    rows: list       # lists of str, one per header
    caption: str = ""
    numeric: tuple = ()   # indices of right-aligned columns


@dataclass
class Note:
    text: str
    warn: bool = False


@dataclass
class Section:
    id: str
    title: str
    intro: str = ""
    blocks: list = field(default_factory=list)

    def add(self, block):
        self.blocks.append(block)
        return block

    def sub(self, id, title, intro=""):
        return self.add(Section(id=id, title=title, intro=intro))


class Skip(Exception):
    """A figure that the data does not allow (e.g. no measured peak): the message becomes a note."""


def png_width(path):
    """Width of a PNG from its IHDR chunk (bytes 16-19), 0 when it cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return 0
    return struct.unpack(">I", head[16:20])[0] if len(head) == 24 and head[12:16] == b"IHDR" else 0


def slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower()


@dataclass
class _Job:
    section: Section
    slot: int        # index in section.blocks of the block reserved for this figure
    rel: str
    draw: str        # "module.function"
    args: tuple


class _Reserved:
    """A figure's block in its section until draw_all() replaces it (a failed figure's is dropped)."""


# The jobs of the FigureMaker drawing now: forked workers inherit them, so a job travels as its index
# instead of being pickled with all the run data it reads.
_JOBS = []


def _draw_job(plt, out_dir, job):
    """("ok", caption) | ("skip", why) | ("error", what): one figure drawn into out_dir."""
    module, _, func = job.draw.partition(".")
    try:
        draw = getattr(importlib.import_module(f"{__package__}.{module}"), func)
        return "ok", draw(plt, os.path.join(out_dir, job.rel), *job.args)
    except Skip as e:
        return "skip", str(e)
    except Exception as e:  # a figure bug must not cost the rest of the report; it is reported
        return "error", (f"figure {job.rel}: {type(e).__name__}: {e} "
                         f"({traceback.extract_tb(e.__traceback__)[-1].name})")
    finally:
        plt.close("all")


def _draw_in_worker(i):
    import matplotlib.pyplot as plt  # already set up (Agg, house style) in the parent before the fork
    return _draw_job(plt, _OUT_DIR[0], _JOBS[i])


_OUT_DIR = [""]


class FigureMaker:
    """Draws figures into <out>/figures/ through functions `draw(plt, path, ...) -> caption`, named
    "module.function" of this package (the figure modules import matplotlib, so they are imported only
    when it is there). add() reserves the figure's place; draw_all() draws every figure, in parallel
    worker processes when there are several CPUs, and puts each caption, skip note or problem in place."""

    def __init__(self, out_dir, plt, problems):
        self.out_dir, self.plt, self.problems = out_dir, plt, problems
        self.files = []
        self.names = set()
        self.jobs = []

    def add(self, section, name, draw, *args):
        if self.plt is None:
            return
        name = slug(name)
        while name in self.names:  # two runs can hold the same scenario
            name += "-1"
        self.names.add(name)
        section.add(_Reserved())
        self.jobs.append(_Job(section, len(section.blocks) - 1, f"figures/{name}.png", draw, args))

    def _results(self):
        workers = min(len(os.sched_getaffinity(0)), len(self.jobs))
        if workers < 2:
            return [_draw_job(self.plt, self.out_dir, job) for job in self.jobs]
        _JOBS[:], _OUT_DIR[0] = self.jobs, self.out_dir
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return pool.map(_draw_in_worker, range(len(self.jobs)), chunksize=1)
        finally:
            _JOBS.clear()

    def draw_all(self):
        for job, (kind, text) in zip(self.jobs, self._results()):
            if kind == "ok":
                self.files.append(job.rel)
                job.section.blocks[job.slot] = Figure(file=job.rel, caption=text, alt=text.split(":")[0],
                                                      width=png_width(os.path.join(self.out_dir, job.rel)))
            elif kind == "skip":
                job.section.blocks[job.slot] = Note(text)
            else:
                self.problems.append(text)
        for section in {id(job.section): job.section for job in self.jobs}.values():  # failed figures' blocks
            section.blocks[:] = [b for b in section.blocks if not isinstance(b, _Reserved)]
        self.jobs = []
