"""Figures of one scenario: loss/accuracy curves, gradient-flow heat map, first/last-layer gradient ratio,
saturated or dead units per layer. Each draw_* takes (plt, path, scenario), saves a PNG and returns its
caption, or raises Skip when the scenario has nothing to draw."""
import math

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from .doc import Skip
from .style import DIVERGED_COLOR, finite, scenario_color

CHANCE = 0.1  # ten Fashion-MNIST classes

SATURATING = ("sigmoid", "tanh", "sigmoid_modderiv", "sigmoid_linear")
RECTIFYING = ("relu", "leaky_relu", "elu")


def save(plt, fig, path):
    fig.savefig(path)
    plt.close(fig)


def stage_bounds(rows):
    """[(first epoch, stage label)] where the label's /stageK part changes (layerwise)."""
    bounds, last = [], None
    for r in rows:
        stage = r["label"].rpartition("/")[2] if "/stage" in r["label"] else None
        if stage and stage != last:
            bounds.append((r["epoch"], stage))
        last = stage
    return bounds


def divergence_text(sc):
    res = sc.result
    return f"diverged at step {res.get('diverged_step', '?')} (epoch {res.get('diverged_epoch', '?')})"


def mark_divergence_epoch(ax, sc):
    if sc.diverged and finite(sc.result.get("diverged_epoch")):
        ax.axvline(sc.result["diverged_epoch"], color=DIVERGED_COLOR, lw=1.5, ls="-", alpha=0.8)
        ax.text(sc.result["diverged_epoch"], 0.97, " ✕ " + divergence_text(sc), color=DIVERGED_COLOR,
                transform=ax.get_xaxis_transform(), va="top", ha="left", fontsize=8, fontweight="bold")


def mark_stages(ax, rows):
    for epoch, stage in stage_bounds(rows):
        ax.axvline(epoch - 0.5, color="#999999", lw=0.8, ls=":")
        ax.text(epoch - 0.45, 0.02, stage.replace("stage", "s"), transform=ax.get_xaxis_transform(),
                fontsize=7, color="#666666")


def _series(rows, key):
    return [r[key] for r in rows]


def draw_curves(plt, path, sc):
    rows = sc.epochs
    if not rows:
        raise Skip(f"{sc.name}: no epoch was recorded (epochs.csv has no rows), so no curves")
    color = scenario_color(sc.name)
    x = _series(rows, "epoch")
    fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(9.5, 3.3))
    loss_name = "MSE loss" if sc.config.get("loss") == "mse" else "cross-entropy loss"
    for ax, key, ylabel in ((ax_l, "loss", loss_name), (ax_a, "acc", "accuracy")):
        ax.plot(x, _series(rows, f"train_{key}"), "-o", color=color, ms=3.5, lw=1.8, label="train")
        ax.plot(x, _series(rows, f"val_{key}"), "--s", color=color, ms=3.5, lw=1.4, alpha=0.75, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        if len(x) <= 12:
            ax.set_xticks(x)
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(min(x) - 0.5, max(x) + 0.5)
        mark_stages(ax, rows)
        mark_divergence_epoch(ax, sc)
    losses = [v for k in ("train_loss", "val_loss") for v in _series(rows, k) if finite(v) and v > 0]
    if losses and max(losses) / min(losses) > 30:
        ax_l.set_yscale("log")
    ax_a.axhline(CHANCE, color="#999999", lw=0.9, ls=":")
    ax_a.text(x[0], CHANCE, " chance", va="bottom", fontsize=7.5, color="#777777")
    ax_a.set_ylim(0, 1)
    ax_l.set_title("loss")
    ax_a.set_title("accuracy")
    ax_a.legend(loc="lower right")
    fig.suptitle(f"{sc.name}: does it learn?", fontweight="bold")
    save(plt, fig, path)
    test = sc.result.get("test_acc")
    tail = f"test accuracy {test:.3f}" if finite(test) else "no test accuracy"
    if sc.diverged:
        tail += "; " + divergence_text(sc) + " (red line)"
    return f"{sc.name}: train (solid) and validation (dashed) loss and accuracy per epoch; {tail}"


def _grid(sc, key, layers):
    """layers x epochs matrix of `key` from the epoch rows (NaN where a layer has no row)."""
    epochs = sorted({r["epoch"] for r in sc.gradflow if r["kind"] == "epoch"})
    m = np.full((len(layers), len(epochs)), np.nan)
    nonfinite = np.zeros_like(m, dtype=bool)
    li, ei = {l: i for i, l in enumerate(layers)}, {e: j for j, e in enumerate(epochs)}
    for r in sc.gradflow:
        if r["kind"] == "epoch" and r["layer"] in li:
            m[li[r["layer"]], ei[r["epoch"]]] = r[key]
            nonfinite[li[r["layer"]], ei[r["epoch"]]] = r["nonfinite"] > 0
    return m, epochs, nonfinite


def _annotate(ax, m, fmt, dark):
    if m.shape[0] * m.shape[1] > 260:
        return
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = m[i, j]
            if finite(v):
                ax.text(j, i, fmt(v), ha="center", va="center", fontsize=6.5,
                        color="white" if dark(v) else "#222222")


def _set_grid_axes(ax, layers, epochs):
    ax.set_yticks(range(len(layers)))
    ax.set_yticklabels(layers)
    step = max(1, len(epochs) // 15)
    ax.set_xticks(range(0, len(epochs), step))
    ax.set_xticklabels([str(int(e)) for e in epochs[::step]])
    ax.set_xlabel("epoch")
    ax.set_ylabel("layer (input at the top)")
    ax.grid(False)


def _mark_diverged_column(ax, sc, epochs, nrows):
    if sc.diverged and sc.result.get("diverged_epoch") in epochs:
        j = epochs.index(sc.result["diverged_epoch"])
        ax.add_patch(Rectangle((j - 0.5, -0.5), 1, nrows, fill=False, ec=DIVERGED_COLOR, lw=2.2))


def draw_gradflow_heatmap(plt, path, sc):
    layers = sc.layers()
    if not sc.gradflow or not layers:
        raise Skip(f"{sc.name}: no gradient-flow rows (gradflow.csv is empty), so no heat map")
    m, epochs, nonfinite = _grid(sc, "mean_abs_dw", layers)
    positive = m[np.isfinite(m) & (m > 0)]
    if positive.size == 0:
        raise Skip(f"{sc.name}: every recorded mean |dW| is zero or not finite, so no heat map")
    fig, ax = plt.subplots(figsize=(min(4.2 + 0.55 * len(epochs), 11), 1.4 + 0.34 * len(layers)))
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#ffffff")
    shown = np.ma.masked_where(~np.isfinite(m) | (m <= 0), m)
    norm = LogNorm(vmin=positive.min(), vmax=max(positive.max(), positive.min() * 10))
    im = ax.imshow(shown, aspect="auto", cmap=cmap, norm=norm, interpolation="nearest")
    for i, j in zip(*np.where(m == 0)):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fc="#dddddd", ec="white", hatch="///"))
    for i, j in zip(*np.where(nonfinite | np.isinf(m))):
        ax.text(j, i, "NaN/Inf", ha="center", va="center", color=DIVERGED_COLOR, fontsize=7, fontweight="bold")
    mid = math.sqrt(norm.vmin * norm.vmax)
    _annotate(ax, np.where(m > 0, m, np.nan), lambda v: f"{v:.0e}", lambda v: v < mid)
    _set_grid_axes(ax, layers, epochs)
    _mark_diverged_column(ax, sc, epochs, len(layers))
    fig.colorbar(im, ax=ax, label="mean |dW| (log scale)")
    ax.set_title(f"{sc.name}: gradient flow\nmean |dW| per layer and epoch")
    save(plt, fig, path)
    first, last = m[0][np.isfinite(m[0])], m[-1][np.isfinite(m[-1])]
    span = ""
    if first.size and last.size and first[-1] > 0 and last[-1] > 0:
        span = f"; last epoch: {layers[0]} {first[-1]:.1e} vs {layers[-1]} {last[-1]:.1e}"
    frozen = " Hatched grey: zero (frozen layer)." if (m == 0).any() else ""
    return (f"{sc.name}: gradient-flow heat map, mean |dW| per layer (rows, input at the top) and epoch, "
            f"log colour scale{span}.{frozen}")


def _ratio_points(sc):
    """(step, first-layer / output-layer mean |dW|) of the logged steps where both are positive."""
    first = sc.first_layer()
    by_step = {}
    for r in sc.gradflow or ():
        if r["kind"] == "step" and r["layer"] in (first, "head"):
            by_step.setdefault(r["step"], {})[r["layer"]] = r["mean_abs_dw"]
    pts = []
    for step in sorted(by_step):
        a, b = by_step[step].get(first), by_step[step].get("head")
        if finite(a) and finite(b) and a > 0 and b > 0:
            pts.append((step, a / b))
    return first, pts


def draw_grad_ratio(plt, path, sc):
    first, pts = _ratio_points(sc)
    if not pts:
        raise Skip(f"{sc.name}: no logged step with a nonzero first-layer and output-layer gradient, "
                   f"so no gradient-ratio plot")
    color = scenario_color(sc.name)
    fig, ax = plt.subplots(figsize=(6.2, 3.2))
    ax.plot([p[0] for p in pts], [p[1] for p in pts], "-", color=color, lw=1.6, marker="." if len(pts) < 60 else None,
            label="logged steps")
    ep = [(r["steps"], r["grad_ratio_first_head"]) for r in sc.epochs or ()
          if finite(r["grad_ratio_first_head"]) and r["grad_ratio_first_head"] > 0]
    if ep:
        ax.plot([e[0] for e in ep], [e[1] for e in ep], "D", color=color, mec="white", ms=6, label="epoch mean")
    ax.set_yscale("log")
    ax.axhline(1.0, color="#999999", lw=0.9, ls=":")
    ax.text(pts[0][0], 1.0, " balanced (1)", va="bottom", fontsize=7.5, color="#777777")
    if sc.diverged and finite(sc.result.get("diverged_step")):
        ax.axvline(sc.result["diverged_step"], color=DIVERGED_COLOR, lw=1.5)
        ax.text(sc.result["diverged_step"], 0.97, " ✕ " + divergence_text(sc), color=DIVERGED_COLOR,
                transform=ax.get_xaxis_transform(), va="top", fontsize=8, fontweight="bold")
    ax.set_xlabel("training step")
    ax.set_ylabel(f"mean |dW| {first} / head")
    ax.legend(loc="best")
    ax.set_title(f"{sc.name}: first-layer / output-layer gradient ratio")
    save(plt, fig, path)
    return (f"{sc.name}: mean |dW| of {first} over that of the output layer at every logged step (log scale); "
            f"far below 1 = vanishing, above 1 = exploding; last {pts[-1][1]:.2e}")


def draw_saturation(plt, path, sc):
    act = sc.config.get("activation", "")
    if act in SATURATING:
        key, what = "saturated_frac", ("saturated units (sigmoid output < 0.01 or > 0.99)" if act != "tanh"
                                       else "saturated units (|tanh| > 0.99)")
    elif act in RECTIFYING:
        key, what = "dead_frac", "dead units (output 0 for the whole batch)"
    else:
        raise Skip(f"{sc.name}: {act or 'this'} activation has no saturated or dead units to show")
    layers = [l for l in sc.layers() if any(r["layer"] == l and r["block"] >= 1 for r in sc.gradflow)]
    if not layers:
        raise Skip(f"{sc.name}: no hidden-layer rows in gradflow.csv, so no saturation map")
    m, epochs, _ = _grid(sc, key, layers)
    fig, ax = plt.subplots(figsize=(min(4.2 + 0.55 * len(epochs), 11), 1.4 + 0.34 * len(layers)))
    cmap = plt.get_cmap("magma_r").copy()
    cmap.set_bad("#ffffff")
    im = ax.imshow(np.ma.masked_invalid(m), aspect="auto", cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    _annotate(ax, m, lambda v: f"{100 * v:.0f}%", lambda v: v > 0.55)
    _set_grid_axes(ax, layers, epochs)
    _mark_diverged_column(ax, sc, epochs, len(layers))
    fig.colorbar(im, ax=ax, label="fraction of units")
    ax.set_title(f"{sc.name}\n{what.split(' (')[0]} per layer")
    save(plt, fig, path)
    worst = np.nanmax(m) if np.isfinite(m).any() else math.nan
    return f"{sc.name}: fraction of {what} per hidden layer and epoch; highest {100 * worst:.0f}%"
