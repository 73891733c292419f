"""One look for every figure: the catalog order, a fixed colour per scenario, kernel family, implementation
and machine, and the matplotlib set-up (Agg, no display)."""
import math

# SCENARIOS.md's catalog in its order (the names are the contract); a fixed position gives each scenario
# the same colour in every report.
CATALOG = (
    "mlp3_sigmoid", "mlp5_sigmoid", "mlp7_sigmoid",
    "init_std1", "init_std10", "relu", "relu_lr005", "adam", "momentum", "batchnorm", "customnorm", "skip",
    "layerwise", "sigmoid_beta", "sigmoid_linear", "sdagd", "tanh", "leaky_relu", "elu", "init_lecun",
    "init_xavier", "init_he", "relu_deep_small_init", "dying_relu", "gradient_noise", "gradient_norm",
    "deep_supervision_mlp",
    "mse_loss", "neuron_l2_vs_ce", "linear_exploding", "init_std10_clip", "linear_exploding_clip",
    "lr_search", "early_stopping",
    "lenet_sigmoid", "lenet_relu", "lenet_dsn",
)
BASELINE = "mlp7_sigmoid"

SECTIONS = {
    "A": "The problem: deeper sigmoid nets learn slower, then not at all",
    "B": "Remedies (7 hidden sigmoid layers unless stated)",
    "C": "Loss and exploding gradients",
    "D": "Training procedure",
    "E": "Convolutional (LeNet) and deep supervision",
}

# 20 distinguishable colours (tab20 reordered so neighbours in the catalog differ strongly).
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
            "#bcbd22", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
            "#9edae5", "#dbdb8d", "#393b79", "#637939")
BASELINE_COLOR = "#222222"
DIVERGED_COLOR = "#d62728"

FAMILY_COLORS = {
    "gemm": "#1f77b4", "conv": "#ff7f0e", "pool": "#2ca02c", "bn": "#9467bd", "act": "#8c564b",
    "loss": "#e377c2", "optim": "#17becf", "harness": "#bcbd22", "other": "#7f7f7f",
    "gradflow probe": "#c7c7c7", "data": "#dbdb8d", "overhead": "#e5e5e5",
}
IMPL_COLORS = {"avx512": "#1f77b4", "avx2": "#2ca02c", "scalar": "#7f7f7f", "native": "#1f77b4",
               "onednn": "#ff7f0e", "openblas": "#9467bd", "blis": "#8c564b"}
MACHINE_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def catalog_index(name):
    return CATALOG.index(name) if name in CATALOG else len(CATALOG)


def scenario_color(name):
    if name == BASELINE:
        return BASELINE_COLOR
    i = catalog_index(name)
    if i == len(CATALOG):  # not in the catalog: a stable colour from the name
        i = sum(map(ord, name))
    return _PALETTE[i % len(_PALETTE)]


def kernel_family(kernel, isa=""):
    """Groups kernels.csv's kernel names for the time breakdown."""
    if isa == "c":
        return "harness"
    for prefix, family in (("gemm", "gemm"), ("conv", "conv"), ("pool", "pool"), ("bn", "bn"), ("act", "act"),
                           ("softmax", "loss"), ("opt", "optim")):
        if kernel.startswith(prefix):
            return family
    return "other"


def impl_color(impl):
    return IMPL_COLORS.get(impl, "#7f7f7f")


def machine_color(i):
    return MACHINE_COLORS[i % len(MACHINE_COLORS)]


def finite(x):
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def load_pyplot():
    """(pyplot, None) with the house style applied, or (None, why) when matplotlib cannot be imported."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        return None, (f"matplotlib is not available to this Python ({e}); install Debian's python3-matplotlib "
                      f"(scripts/setup.sh does): the tables are written, the figures are not")
    plt.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 110, "font.size": 9.5, "axes.titlesize": 10.5,
        "axes.titleweight": "bold", "axes.labelsize": 9.5, "axes.spines.top": False,
        "axes.spines.right": False, "axes.grid": True, "grid.color": "#e3e3e3", "grid.linewidth": 0.7,
        "axes.axisbelow": True, "legend.fontsize": 8.5, "legend.frameon": False,
        "figure.constrained_layout.use": True,
    })
    return plt, None
