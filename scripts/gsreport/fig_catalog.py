"""Figures across the scenarios of one run: one per SCENARIOS.md section against the mlp7_sigmoid
baseline, the gradient-ratio overview, layerwise stages, deep supervision vs none, lr_search trials and
the single-neuron L2 vs CE curves."""
import math
import re

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from .doc import Skip
from .fig_scenario import CHANCE, save, stage_bounds
from .style import BASELINE, BASELINE_COLOR, DIVERGED_COLOR, SECTIONS, finite, scenario_color


def _trained(sc):
    """Scenarios with a trained network (the single neuron has no test accuracy or layers)."""
    return sc.meta is not None and sc.config.get("procedure") != "neuron_l2_vs_ce"


def _first_grad(sc):
    first = sc.first_layer()
    return sc.epoch_grad(first) if first else math.nan


def draw_section(plt, path, run, letter):
    members = [s for s in run.scenarios if _trained(s) and s.section == letter]
    base = run.scenario(BASELINE)
    if base is not None and base not in members:
        members.insert(0, base)
    if len(members) < 1 or not any(s.section == letter for s in members):
        raise Skip(f"section {letter}: no trained scenario in this run")
    names = [s.name for s in members]
    colors = [scenario_color(n) for n in names]
    y = np.arange(len(members))[::-1]
    fig, (ax_a, ax_g) = plt.subplots(1, 2, figsize=(10, 0.9 + 0.32 * len(members)), sharey=True)
    acc = [s.result.get("test_acc") if finite(s.result.get("test_acc")) else math.nan for s in members]
    ax_a.barh(y, np.nan_to_num(acc), color=colors, height=0.7)
    for yi, s, a in zip(y, members, acc):
        if s.diverged:
            ax_a.text(0.01, yi, f"✕ diverged at step {s.result.get('diverged_step', '?')}", va="center",
                      color=DIVERGED_COLOR, fontsize=8, fontweight="bold")
        elif finite(a):
            ax_a.text(a + 0.01, yi, f"{a:.3f}", va="center", fontsize=7.5)
    ax_a.axvline(CHANCE, color="#999999", ls=":", lw=0.9)
    ax_a.text(CHANCE, 1.0, "chance", transform=ax_a.get_xaxis_transform(), fontsize=7, color="#777777",
              ha="center", va="bottom")
    ax_a.set_xlim(0, 1.08)
    ax_a.set_xlabel("test accuracy")
    ax_a.set_yticks(y)
    ax_a.set_yticklabels(names)
    grads = [_first_grad(s) for s in members]
    shown = [g if finite(g) and g > 0 else math.nan for g in grads]
    ax_g.barh(y, shown, color=colors, height=0.7)
    ax_g.set_xscale("log")
    ax_g.set_xlabel("first-layer mean |dW|, last epoch (log)")
    for yi, g in zip(y, grads):
        if not (finite(g) and g > 0):
            ax_g.text(0.02, yi, "no finite gradient", transform=ax_g.get_yaxis_transform(), va="center",
                      fontsize=7.5, color=DIVERGED_COLOR)
    if base is not None:
        for ax, v in ((ax_a, acc[names.index(BASELINE)]), (ax_g, shown[names.index(BASELINE)])):
            if finite(v) and v > 0:
                ax.axvline(v, color=BASELINE_COLOR, ls="--", lw=1)
    ax_a.set_title("what it reaches" + (" (dashed: mlp7_sigmoid)" if base is not None else ""))
    ax_g.set_title("how much the first layer learns")
    fig.suptitle(f"{letter}. {SECTIONS.get(letter, '')}", fontweight="bold")
    save(plt, fig, path)
    return (f"Section {letter}: test accuracy and first-layer mean |dW| (last epoch, log scale) of each scenario; "
            f"the dashed line is the {BASELINE} baseline" + ("" if base is not None else " (not in this run)"))


def draw_ratio_overview(plt, path, run):
    members = [s for s in run.scenarios if _trained(s)]
    vals = [(s, s.result.get("grad_ratio_first_head")) for s in members]
    vals = [(s, v) for s, v in vals if finite(v) and v > 0]
    if not vals:
        raise Skip("no scenario has a finite first-layer / output-layer gradient ratio")
    y = np.arange(len(vals))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.9 + 0.27 * len(vals)))
    ax.barh(y, [v for _, v in vals], color=[scenario_color(s.name) for s, _ in vals], height=0.7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="#999999", ls=":", lw=0.9)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{s.name} ({s.section})" for s, _ in vals])
    for yi, (s, v) in zip(y, vals):
        ax.text(v, yi, f" {v:.1e}" + (" ✕ diverged" if s.diverged else ""), va="center", fontsize=7,
                color=DIVERGED_COLOR if s.diverged else "#333333")
    ax.set_xlabel("mean |dW| first layer / output layer at the end of training (log; 1 = balanced)")
    ax.set_title("How much of the output layer's gradient reaches the first layer")
    save(plt, fig, path)
    return ("First-layer / output-layer gradient ratio of every scenario at the end of training (log scale): "
            "orders of magnitude below 1 is the vanishing-gradient signature")


def draw_layerwise(plt, path, sc):
    rows = sc.epochs or []
    bounds = stage_bounds(rows)
    if not bounds:
        raise Skip(f"{sc.name}: epochs.csv has no /stageK labels, so no stage figure")
    stages = [b[1] for b in bounds]
    fig, (ax_a, ax_g) = plt.subplots(1, 2, figsize=(10.5, 3.6), gridspec_kw={"width_ratios": [1, 1.15]})
    cmap = plt.get_cmap("viridis")
    for k, stage in enumerate(stages):
        part = [r for r in rows if r["label"].endswith("/" + stage)]
        ax_a.plot([r["epoch"] for r in part], [r["val_acc"] for r in part], "-o", ms=4,
                  color=cmap(k / max(1, len(stages) - 1)), label=stage)
    for epoch, _ in bounds[1:]:
        ax_a.axvline(epoch - 0.5, color="#bbbbbb", lw=0.8, ls=":")
    ax_a.axhline(CHANCE, color="#999999", ls=":", lw=0.9)
    ax_a.set_ylim(0, 1)
    ax_a.set_xlabel("epoch (stages continue the numbering)")
    ax_a.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_a.set_ylabel("validation accuracy")
    ax_a.legend(ncol=2, fontsize=7.5)
    ax_a.set_title("validation accuracy, stage by stage")
    layers = [l for l in sc.layers() if l != "head"] + ["head"]
    last_epoch = {stage: max(r["epoch"] for r in rows if r["label"].endswith("/" + stage)) for stage in stages}
    m = np.full((len(layers), len(stages)), np.nan)
    for j, stage in enumerate(stages):
        for i, layer in enumerate(layers):
            m[i, j] = sc.epoch_grad(layer, last_epoch[stage])
    positive = m[np.isfinite(m) & (m > 0)]
    if positive.size:
        im = ax_g.imshow(np.ma.masked_where(~np.isfinite(m) | (m <= 0), m), aspect="auto", cmap="viridis",
                         norm=LogNorm(vmin=positive.min(), vmax=max(positive.max(), positive.min() * 10)))
        fig.colorbar(im, ax=ax_g, label="mean |dW| (log)")
    for i, j in zip(*np.where(m == 0)):
        ax_g.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fc="#dddddd", ec="white", hatch="///"))
        ax_g.text(j, i, "frozen", ha="center", va="center", fontsize=6.5, color="#555555")
    ax_g.set_xticks(range(len(stages)))
    ax_g.set_xticklabels([s.replace("stage", "s") for s in stages])
    ax_g.set_yticks(range(len(layers)))
    ax_g.set_yticklabels(layers)
    ax_g.grid(False)
    ax_g.set_title("per-layer mean |dW| at the end of each stage")
    fig.suptitle(f"{sc.name}: layer-wise training in {len(stages)} stages", fontweight="bold")
    save(plt, fig, path)
    return (f"{sc.name}: validation accuracy per stage (left) and each layer's mean |dW| at the end of each "
            f"stage (right, log colour; hatched = frozen in that stage, blank = not yet built)")


def _mean_grads(sc, layers):
    out = []
    for layer in layers:
        vals = [r["mean_abs_dw"] for r in sc.gradflow or () if r["kind"] == "epoch" and r["layer"] == layer
                and finite(r["mean_abs_dw"]) and r["mean_abs_dw"] > 0]
        out.append(sum(vals) / len(vals) if vals else math.nan)
    return out


DSN_PAIRS = (("deep_supervision_mlp", "mlp7_sigmoid"), ("lenet_dsn", "lenet_sigmoid"))


def draw_deep_supervision(plt, path, run):
    pairs = [(run.scenario(a), run.scenario(b)) for a, b in DSN_PAIRS]
    pairs = [(a, b) for a, b in pairs if a is not None and a.gradflow]
    if not pairs:
        raise Skip("deep supervision: neither deep_supervision_mlp nor lenet_dsn is in this run")
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.4 * len(pairs), 3.4), squeeze=False)
    for ax, (dsn, base) in zip(axes[0], pairs):
        layers = [l for l in dsn.layers() if any(r["layer"] == l and r["block"] >= 1 for r in dsn.gradflow)]
        layers.append("head")
        x = np.arange(len(layers))
        for sc, style in ((dsn, "-o"), (base, "--s")):
            if sc is None or not sc.gradflow:
                continue
            ax.plot(x, _mean_grads(sc, layers), style, color=scenario_color(sc.name), lw=1.8, ms=5,
                    label=sc.name + (" (deep supervision)" if sc is dsn else " (none)"))
        ax.set_yscale("log")
        ax.set_xticks(x)
        ax.set_xticklabels(layers)
        ax.set_xlabel("layer (input → output)")
        ax.set_ylabel("mean |dW|, averaged over epochs (log)")
        ax.legend(loc="best")
        ax.set_title(f"{dsn.name} vs {base.name if base else '(baseline not in this run)'}")
    fig.suptitle("Deep supervision vs none: gradient reaching each layer", fontweight="bold")
    save(plt, fig, path)
    return ("Per-layer mean |dW| averaged over the epochs, with auxiliary heads (solid) and without (dashed), "
            "log scale: the auxiliary losses feed gradient into the early layers")


def _chosen_lr(sc):
    m = re.search(r"chose lr ([0-9.eE+-]+)", sc.result.get("note", ""))
    return float(m.group(1)) if m else None


def _trial_lr(name):
    try:
        return float(name[len("lr_"):])
    except ValueError:
        return math.nan


def draw_lr_trials(plt, path, sc):
    if not sc.trials:
        raise Skip(f"{sc.name}: no trials recorded")
    trials = sorted(sc.trials.items(), key=lambda kv: _trial_lr(kv[0]))
    chosen = _chosen_lr(sc)
    cmap = plt.get_cmap("plasma")
    fig, (ax_c, ax_b) = plt.subplots(1, 2, figsize=(10, 3.4), gridspec_kw={"width_ratios": [1.4, 1]})
    best = []
    for k, (name, rows) in enumerate(trials):
        lr = _trial_lr(name)
        is_chosen = chosen is not None and math.isclose(lr, chosen, rel_tol=1e-6)
        ax_c.plot([r["epoch"] for r in rows], [r["val_acc"] for r in rows], "-o", ms=4,
                  lw=2.6 if is_chosen else 1.3, color=cmap(0.85 * k / max(1, len(trials) - 1)),
                  label=f"lr {lr:g}" + (" (chosen)" if is_chosen else ""))
        vals = [r["val_acc"] for r in rows if finite(r["val_acc"])]
        best.append((lr, max(vals) if vals else math.nan, is_chosen))
    ax_c.axhline(CHANCE, color="#999999", ls=":", lw=0.9)
    ax_c.set_ylim(0, 1)
    ax_c.set_xlabel("trial epoch")
    ax_c.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_c.set_ylabel("validation accuracy")
    ax_c.legend(fontsize=7.5)
    ax_c.set_title("each candidate's trial")
    x = np.arange(len(best))
    ax_b.bar(x, np.nan_to_num([b[1] for b in best]), color=[cmap(0.85 * k / max(1, len(best) - 1))
                                                             for k in range(len(best))],
             edgecolor=["black" if b[2] else "none" for b in best], linewidth=2)
    ax_b.set_xticks(x)
    ax_b.set_xticklabels([f"{b[0]:g}" for b in best])
    ax_b.set_xlabel("learning rate")
    ax_b.set_ylabel("best validation accuracy")
    ax_b.set_ylim(0, 1)
    ax_b.set_title("the pick (outlined)")
    fig.suptitle(f"{sc.name}: learning-rate search", fontweight="bold")
    save(plt, fig, path)
    pick = f"chosen lr {chosen:g}" if chosen is not None else "no choice recorded in meta.json"
    return f"{sc.name}: validation accuracy of each learning-rate trial and the best value per candidate; {pick}"


def draw_neuron(plt, path, sc):
    rows = sc.neuron
    if not rows:
        raise Skip(f"{sc.name}: neuron.csv has no rows")
    steps = [r["step"] for r in rows]
    fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(10, 3.3))
    for key, label, color in (("l2", "L2 loss 0.5(a-y)²", "#d62728"), ("ce", "cross-entropy", "#1f77b4")):
        ax_l.plot(steps, [r[f"loss_{key}"] for r in rows], color=color, lw=1.8, label=label)
        ax_a.plot(steps, [r[f"a_{key}"] for r in rows], color=color, lw=1.8, label=label)
    ax_l.set_yscale("log")
    ax_l.set_xlabel("step")
    ax_l.set_ylabel("loss (log)")
    ax_l.set_title("loss")
    ax_l.legend()
    ax_a.axhline(sc.config.get("neuron_y", 0), color="#999999", ls=":", lw=0.9)
    ax_a.set_xlabel("step")
    ax_a.set_ylabel("output a = σ(wx + b)")
    ax_a.set_ylim(-0.02, 1.02)
    ax_a.set_title("output (target dotted)")
    cfg = sc.config
    fig.suptitle(f"Single sigmoid neuron (x={cfg.get('neuron_x', '?'):g}, y={cfg.get('neuron_y', '?'):g}, "
                 f"w=b={cfg.get('neuron_w', '?'):g}, lr {cfg.get('lr', 0):.3g}): L2 starts slowly, CE does not",
                 fontweight="bold")
    save(plt, fig, path)
    return (f"{sc.name}: loss and output of one saturated sigmoid neuron trained with L2 and with cross-entropy "
            f"over {len(rows)} steps; after the last step L2 gives a = {rows[-1]['a_l2']:.3f}, "
            f"CE a = {rows[-1]['a_ce']:.3f} (target {cfg.get('neuron_y', 0):g})")
