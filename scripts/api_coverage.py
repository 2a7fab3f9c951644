"""How much of PyTorch's and Keras 3's public API deepgrad provides, namespace by namespace.

Run::

    python scripts/api_coverage.py            # the tables, then the missing names
    python scripts/api_coverage.py --markdown API_COVERAGE.md

The PyTorch side needs torch installed (skipped otherwise). The Keras side reads Keras
3's public names from an installed keras, else from ``scripts/keras_api_names.json`` (Keras
3.15.1's names, written by ``--dump-keras-names``), so it runs without keras; the ``tf``
names that tf.keras code touches are a fixed list (:data:`TF_NAMES`).

For each namespace the universe is PyTorch's public names of the kind that namespace is
about (functions of ``torch``, methods and properties of ``torch.Tensor``, classes of
``torch.nn``, callables of ``torch.nn.functional``, ``__all__`` of the others), less the
out-of-scope families listed with their reasons in ``deepgrad/_scope.py``. A name counts as
provided when deepgrad's matching namespace has an attribute of that name.
On the Keras side the universe is every public non-module name of ``keras.<namespace>``
less the names of ``deepgrad/keras/_scope.py``.
"""
import argparse
import importlib
import inspect
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from deepgrad._scope import OUT_OF_SCOPE, out_of_scope  # noqa: E402

# typing helpers and dispatch plumbing that torch.nn.functional happens to export
_F_PLUMBING = {"Callable", "DType", "Optional", "Tensor", "ScalingType", "SwizzleType",
               "BroadcastingList1", "BroadcastingList2", "BroadcastingList3",
               "handle_torch_function", "has_torch_function", "has_torch_function_unary",
               "has_torch_function_variadic", "boolean_dispatch", "assert_int_or_pair"}
_SUBMODULES = {"lr_scheduler", "swa_utils", "grad_mode", "variable"}


def _public(obj):
    return [n for n in dir(obj) if not n.startswith("_")]


def universe(torch):
    """{label: (torch object, deepgrad dotted path, [names])}."""
    import torch.nn.functional as F
    import torch.optim.lr_scheduler as sched
    import torch.utils.data as data
    import torch.autograd as autograd

    def is_function(obj, n):
        v = getattr(obj, n)
        return callable(v) and not inspect.isclass(v) and not inspect.ismodule(v)

    return {
        "torch (functions)": (torch, "deepgrad",
                              [n for n in _public(torch) if is_function(torch, n)]),
        "torch.Tensor (methods)": (torch.Tensor, "deepgrad.Tensor", _public(torch.Tensor)),
        "torch.nn (classes)": (torch.nn, "deepgrad.nn",
                               [n for n in _public(torch.nn)
                                if inspect.isclass(getattr(torch.nn, n))]),
        "torch.nn.functional": (F, "deepgrad.nn.functional",
                                [n for n in _public(F) if callable(getattr(F, n))
                                 and n not in _F_PLUMBING]),
        "torch.optim": (torch.optim, "deepgrad.optim",
                        [n for n in torch.optim.__all__ if n not in _SUBMODULES]),
        "torch.optim.lr_scheduler": (sched, "deepgrad.optim.lr_scheduler", list(sched.__all__)),
        "torch.utils.data": (data, "deepgrad.utils.data",
                             [n for n in data.__all__ if not n.startswith("_")]),
        "torch.autograd": (autograd, "deepgrad.autograd",
                           [n for n in autograd.__all__ if n not in _SUBMODULES]),
    }


def _resolve(path):
    parts = path.split(".")
    obj = importlib.import_module(parts[0])
    for i, p in enumerate(parts[1:], 1):
        try:
            obj = importlib.import_module(".".join(parts[:i + 1]))
        except ImportError:
            obj = getattr(obj, p)
    return obj


def measure(torch):
    rows = []
    for label, (_, dg_path, names) in universe(torch).items():
        dg = _resolve(dg_path)
        names = sorted(set(names))
        excluded = {n: out_of_scope(n)[0] for n in names if out_of_scope(n)}
        counted = [n for n in names if n not in excluded]
        have = [n for n in counted if hasattr(dg, n)]
        missing = [n for n in counted if not hasattr(dg, n)]
        rows.append(dict(label=label, total=len(names), excluded=excluded, counted=len(counted),
                         have=len(have), missing=missing,
                         pct=100.0 * len(have) / max(len(counted), 1)))
    return rows


def report(rows, show_missing=True):
    out = ["| namespace | public names | out of scope | counted | deepgrad has | coverage |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| `{r['label']}` | {r['total']} | {len(r['excluded'])} | {r['counted']} | "
                   f"{r['have']} | **{r['pct']:.0f}%** |")
    out.append("")
    out.append("Out-of-scope families (deepgrad/_scope.py):")
    out.append("")
    for family, reason, _ in OUT_OF_SCOPE:
        out.append(f"- **{family}**: {reason}.")
    if show_missing:
        for r in rows:
            out.append("")
            out.append(f"### Missing from `{r['label']}` ({len(r['missing'])})")
            out.append("")
            out.append(", ".join(f"`{n}`" for n in r["missing"]) or "(none)")
    return "\n".join(out)



# ---------------------------------------------------------------------------------------
# Keras side
# ---------------------------------------------------------------------------------------
KERAS_NAMESPACES = ("ops", "random", "constraints", "metrics", "optimizers", "callbacks",
                    "initializers", "losses", "activations", "layers", "utils", "saving")
# the targets (percent of the counted names)
KERAS_TARGETS = {"ops": 70, "random": 90, "constraints": 90, "metrics": 90, "optimizers": 90,
                 "callbacks": 90, "initializers": 90, "losses": 95, "activations": 95,
                 "layers": 85, "utils": 60, "saving": 80}
_NAMES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_api_names.json")

# The tf names tf.keras code touches (issue 9, item 5), as `import deepgrad as tf` sees them:
# each is looked up as an attribute path under `deepgrad`.
_ELEMENTWISE = ("abs exp log sqrt square pow maximum minimum add subtract multiply divide "
                "sin cos tan tanh sigmoid sign floor ceil round negative reciprocal rsqrt "
                "equal not_equal greater greater_equal less less_equal logical_and logical_or "
                "logical_not clip_by_value matmul transpose expand_dims squeeze range zeros "
                "ones zeros_like ones_like fill eye tile pad identity norm floordiv truediv "
                "abs einsum cumsum sort argsort argmin".split())
TF_NAMES = {
    "tf (core)": ["constant", "Variable", "convert_to_tensor", "shape", "reshape", "cast",
                  "concat", "stack", "unstack", "split", "gather", "where", "one_hot",
                  "argmax", "reduce_sum", "reduce_mean", "reduce_max", "reduce_min",
                  "reduce_prod", "reduce_logsumexp", "reduce_any", "reduce_all",
                  "GradientTape", "function", "float32", "float64", "int32", "int64", "bool",
                  "string", "newaxis", "size", "rank", "boolean_mask", "stop_gradient",
                  "Tensor", "TensorShape", "is_tensor"] + list(_ELEMENTWISE),
    "tf.math": ["math." + n for n in (
        "log", "exp", "sqrt", "square", "abs", "reduce_sum", "reduce_mean", "reduce_max",
        "reduce_min", "reduce_prod", "reduce_logsumexp", "reduce_any", "reduce_all",
        "reduce_std", "reduce_variance", "argmax", "argmin", "sigmoid", "tanh", "softplus",
        "erf", "log1p", "expm1", "pow", "maximum", "minimum", "add", "subtract", "multiply",
        "divide", "divide_no_nan", "l2_normalize", "top_k", "in_top_k", "round", "sign",
        "floor", "ceil", "is_nan", "is_inf", "is_finite", "equal", "greater", "less",
        "logical_and", "logical_or", "logical_not", "cumsum", "reciprocal", "rsqrt",
        "squared_difference", "confusion_matrix", "lgamma", "log_sigmoid", "count_nonzero")],
    "tf.nn": ["nn." + n for n in (
        "relu", "relu6", "elu", "selu", "gelu", "leaky_relu", "silu", "swish", "sigmoid",
        "tanh", "softmax", "log_softmax", "softplus", "softsign", "dropout", "moments",
        "l2_loss", "l2_normalize", "bias_add", "softmax_cross_entropy_with_logits",
        "sparse_softmax_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits",
        "embedding_lookup", "top_k", "conv2d", "max_pool2d", "avg_pool2d")],
    "tf.linalg": ["linalg." + n for n in (
        "matmul", "inv", "det", "norm", "diag", "diag_part", "eye", "trace", "transpose",
        "cholesky", "solve", "qr", "svd", "band_part", "matvec", "eigh", "logdet",
        "l2_normalize")],
    "tf.random": ["random." + n for n in (
        "normal", "uniform", "truncated_normal", "shuffle", "set_seed", "categorical",
        "Generator")],
    "tf.config / tf.data": ["config.threading.set_intra_op_parallelism_threads",
                            "config.threading.set_inter_op_parallelism_threads",
                            "config.threading.get_intra_op_parallelism_threads",
                            "config.threading.get_inter_op_parallelism_threads",
                            "config.list_physical_devices", "config.run_functions_eagerly",
                            "data.Dataset", "data.AUTOTUNE", "data.experimental.AUTOTUNE"],
    "tf.keras.backend": ["keras.backend." + n for n in (
        "random_normal", "random_uniform", "epsilon", "set_epsilon", "floatx", "set_floatx",
        "clear_session", "int_shape", "shape", "cast", "mean", "sum", "square", "sqrt", "exp",
        "log", "clip", "abs", "dot", "concatenate", "reshape", "ones", "zeros", "variable",
        "get_value", "set_value", "image_data_format", "backend")],
}


def _has_path(root, dotted):
    obj = root
    for part in dotted.split("."):
        try:
            obj = getattr(obj, part)
        except Exception:   # a lazy attribute that fails to load counts as missing
            return False
    return True


def keras_names():
    """({namespace: [Keras 3 public names]}, where the names came from)."""
    try:
        import keras
        import inspect
        names = {}
        for ns in KERAS_NAMESPACES:
            mod = getattr(keras, ns)
            names[ns] = sorted(n for n in dir(mod) if not n.startswith("_")
                               and not inspect.ismodule(getattr(mod, n)))
        return names, f"installed Keras {keras.__version__}"
    except ImportError:
        import json
        with open(_NAMES_FILE) as f:
            stored = json.load(f)
        return ({ns: stored[ns] for ns in KERAS_NAMESPACES},
                f"Keras {stored['keras_version']}'s names stored in scripts/keras_api_names.json")


def measure_keras(names):
    import deepgrad
    from deepgrad.keras._scope import keras_out_of_scope
    rows = []
    for ns in KERAS_NAMESPACES:
        dg = _resolve(f"deepgrad.keras.{ns}")
        excluded = {n: keras_out_of_scope(ns, n)[0] for n in names[ns]
                    if keras_out_of_scope(ns, n)}
        counted = [n for n in names[ns] if n not in excluded]
        missing = [n for n in counted if not _has_path(dg, n)]
        have = len(counted) - len(missing)
        rows.append(dict(label=f"keras.{ns}", total=len(names[ns]), excluded=excluded,
                         counted=len(counted), have=have, missing=missing,
                         pct=100.0 * have / max(len(counted), 1), target=KERAS_TARGETS[ns]))
    for label, paths in TF_NAMES.items():
        paths = sorted(set(paths))
        missing = [p for p in paths if not _has_path(deepgrad, p)]
        rows.append(dict(label=label, total=len(paths), excluded={}, counted=len(paths),
                         have=len(paths) - len(missing), missing=missing,
                         pct=100.0 * (len(paths) - len(missing)) / len(paths), target=None))
    return rows


def report_keras(rows, show_missing=True):
    from deepgrad.keras._scope import KERAS_OUT_OF_SCOPE
    out = ["| namespace | public names | out of scope | counted | deepgrad has | coverage "
           "| target |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        target = f"{r['target']}%" if r["target"] is not None else "-"
        out.append(f"| `{r['label']}` | {r['total']} | {len(r['excluded'])} | {r['counted']} | "
                   f"{r['have']} | **{r['pct']:.0f}%** | {target} |")
    out += ["", "The `tf` rows count the fixed list of names tf.keras code touches "
            "(`TF_NAMES` in the script), looked up under `import deepgrad as tf`.", "",
            "Out of scope on the Keras side (deepgrad/keras/_scope.py):", ""]
    for family, reason, names in KERAS_OUT_OF_SCOPE:
        listed = ", ".join(f"`keras.{ns}.{n}`" for ns, ns_names in names.items()
                           for n in ns_names)
        out.append(f"- **{family}** ({listed}): {reason}.")
    if show_missing:
        for r in rows:
            out += ["", f"### Missing from `{r['label']}` ({len(r['missing'])})", "",
                    ", ".join(f"`{n}`" for n in r["missing"]) or "(none)"]
    return "\n".join(out)


def dump_keras_names(path=_NAMES_FILE):
    """Write the installed keras's public names to ``path`` (the stored list)."""
    import json
    import keras
    names, _ = keras_names()
    with open(path, "w") as f:
        json.dump({"keras_version": keras.__version__, **names}, f, indent=0)
        f.write("\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", help="also write the report to this file")
    ap.add_argument("--no-missing", action="store_true", help="only the tables")
    ap.add_argument("--excluded", action="store_true",
                    help="list every excluded name with its family")
    ap.add_argument("--dump-keras-names", action="store_true",
                    help="rewrite scripts/keras_api_names.json from the installed keras")
    args = ap.parse_args(argv)
    if args.dump_keras_names:
        dump_keras_names()
        return
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        rows = measure(torch)
        torch_text = report(rows, show_missing=not args.no_missing)
        if args.excluded:
            for r in rows:
                torch_text += f"\n\n### Excluded from `{r['label']}`\n\n" + ", ".join(
                    f"`{n}` ({f})" for n, f in sorted(r["excluded"].items()))
        torch_head = (f"Generated by `python scripts/api_coverage.py --markdown "
                      f"API_COVERAGE.md` (PyTorch {torch.__version__}).")
    else:
        torch_text = "(skipped: torch is not installed; `pip install torch==2.13.0`)"
        torch_head = ""
    names, source = keras_names()
    keras_text = report_keras(measure_keras(names), show_missing=not args.no_missing)
    print("## PyTorch\n\n" + torch_text + "\n\n## Keras 3\n\n" + keras_text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("# deepgrad's coverage of PyTorch's and Keras 3's APIs\n\n"
                    "## PyTorch\n\n" + torch_head + "\n\n" + torch_text + "\n\n"
                    "## Keras 3\n\nGenerated by the same command, against " + source +
                    ".\n\n" + keras_text + "\n")


if __name__ == "__main__":
    main()
