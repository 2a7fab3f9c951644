"""A Keras model's layer graph drawn with matplotlib (:func:`model_graph`), what
``keras.utils.plot_model`` draws when pydot and graphviz are not installed.

Layout (a small version of graphviz's layered drawing): each box gets a rank, the length
of the longest path of edges reaching it (inputs have rank 0), so every edge points
forward; boxes of one rank sit side by side, ordered by the mean position of the boxes
feeding them (the barycentre heuristic, which untangles most crossings), and each rank
is centred. Sizes are computed in inches from the text (a monospace font), so the figure
is exactly as large as the graph. An edge that skips ranks is curved so that it does not
run through the boxes between.
"""
from deepgrad.plot._figures import check_save_to, finish, new_figure, require_matplotlib

_DIRECTIONS = ("TB", "LR", "BT", "RL")


def _ranks(graph):
    """``{key: rank}``: 0 for boxes nothing feeds, else 1 + the largest rank feeding it."""
    preds = {b.key: [] for b in graph.boxes}
    for src, dst in graph.edges:
        preds[dst].append(src)
    rank, pending = {}, [b.key for b in graph.boxes]
    while pending:
        ready = [k for k in pending if all(p in rank for p in preds[k])]
        if not ready:
            raise ValueError(f"model_graph: the layer graph has a cycle through {pending}")
        for k in ready:
            rank[k] = max((rank[p] + 1 for p in preds[k]), default=0)
        pending = [k for k in pending if k not in rank]
    return rank, preds


def _layout(graph, sizes, rankdir, gap_cross=0.3, gap_main=0.45):
    """``{key: (x, y)}`` box centres in inches, from ranks and barycentres."""
    rank, preds = _ranks(graph)
    rows = {}
    for b in graph.boxes:
        rows.setdefault(rank[b.key], []).append(b.key)
    vertical = rankdir in ("TB", "BT")
    cross = {k: sizes[k][0] if vertical else sizes[k][1] for k in sizes}
    main = {k: sizes[k][1] if vertical else sizes[k][0] for k in sizes}
    pos_cross, pos_main, offset = {}, {}, 0.0
    for r in sorted(rows):
        keys = rows[r]
        if r:
            def barycentre(k):
                placed = [pos_cross[p] for p in preds[k] if p in pos_cross]
                return sum(placed) / len(placed) if placed else 0.0
            keys = sorted(keys, key=barycentre)
        total = sum(cross[k] for k in keys) + gap_cross * (len(keys) - 1)
        start = -total / 2.0
        depth = max(main[k] for k in keys)
        for k in keys:
            pos_cross[k] = start + cross[k] / 2.0
            pos_main[k] = offset + depth / 2.0
            start += cross[k] + gap_cross
        offset += depth + gap_main
    sign = -1.0 if rankdir in ("TB", "RL") else 1.0      # TB: down the page, LR: rightwards
    if vertical:
        return {k: (pos_cross[k], sign * pos_main[k]) for k in sizes}, rank
    return {k: (sign * pos_main[k], -pos_cross[k]) for k in sizes}, rank


def _bend(start, end, rankdir, skip):
    """``arc3``'s ``rad`` for an edge: 0 (straight) between neighbouring ranks; for an edge
    that skips ranks, a bow away from the centre line, where the skipped boxes are."""
    if not skip:
        return 0.0
    dx, dy = end[0] - start[0], end[1] - start[1]
    mid = (start[0] + end[0]) / 2 if rankdir in ("TB", "BT") else (start[1] + end[1]) / 2
    away = (1.0 if mid >= 0 else -1.0, 0.0) if rankdir in ("TB", "BT") else \
        (0.0, 1.0 if mid >= 0 else -1.0)
    normal = (dy, -dx)                      # where matplotlib's arc3 bows for rad > 0
    return 0.35 if normal[0] * away[0] + normal[1] * away[1] >= 0 else -0.35


def _anchor(center, size, rankdir, leaving):
    """Where an edge leaves (``leaving``) or enters a box."""
    (x, y), (w, h) = center, size
    forward = {"TB": (0, -1), "BT": (0, 1), "LR": (1, 0), "RL": (-1, 0)}[rankdir]
    s = 1 if leaving else -1
    return x + s * forward[0] * w / 2.0, y + s * forward[1] * h / 2.0


def draw_layer_graph(graph, rankdir="TB", fontsize=9, dpi=100, title=None, save_to=None):
    """Draw a :class:`~deepgrad.keras.utils.model_graph.LayerGraph`.

    Each box is a dark title bar ("name (Class)" or "Class") over the lines the graph
    asked for (activation, input/output shape, dtype, trainable). Patches carry ``gid`` s
    for programs reading the figure: a box's title bar is ``gid=<layer name>``, an arrow
    ``gid="<source name>-><destination name>"``, a nested model's frame
    ``gid="cluster:<model name>"``.

    Returns:
        matplotlib.figure.Figure
    """
    from matplotlib.patches import FancyArrowPatch, Rectangle
    if rankdir not in _DIRECTIONS:
        raise ValueError(f"rankdir must be one of {_DIRECTIONS}, received {rankdir!r}")
    check_save_to(save_to)
    char, line, pad = 0.62 * fontsize / 72.0, 1.5 * fontsize / 72.0, 0.1
    sizes, names = {}, {}
    for b in graph.boxes:
        texts = [b.title] + b.lines()
        sizes[b.key] = (max(len(t) for t in texts) * char + 2 * pad,
                        len(texts) * line + pad * (2 if b.lines() else 1))
        names[b.key] = b.name
    centers, rank = _layout(graph, sizes, rankdir)
    xs = [c[0] + s * sizes[k][0] / 2 for k, c in centers.items() for s in (-1, 1)]
    ys = [c[1] + s * sizes[k][1] / 2 for k, c in centers.items() for s in (-1, 1)]
    margin = 0.3
    top_room = line * 1.5 if title else 0.0
    width, height = max(xs) - min(xs) + 2 * margin, max(ys) - min(ys) + 2 * margin + top_room
    fig = new_figure((width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(min(xs) - margin, max(xs) + margin)
    ax.set_ylim(min(ys) - margin, max(ys) + margin + top_room)
    ax.axis("off")
    text = dict(family="monospace", fontsize=fontsize, ha="center", va="center")
    for b in graph.boxes:
        (x, y), (w, h) = centers[b.key], sizes[b.key]
        top, left = y + h / 2, x - w / 2
        bar = line + pad
        ax.add_patch(Rectangle((left, top - bar), w, bar, facecolor="#202020",
                               edgecolor="#202020", gid=b.name))
        ax.text(x, top - bar / 2, b.title, color="white", fontweight="bold", **text)
        if b.lines():
            ax.add_patch(Rectangle((left, y - h / 2), w, h - bar, facecolor="white",
                                   edgecolor="#202020"))
        for i, t in enumerate(b.lines()):
            cy = top - bar - pad / 2 - (i + 0.5) * line
            if t in ("Trainable", "Non-trainable"):
                ax.add_patch(Rectangle((left, cy - line / 2), w, line, edgecolor="none",
                                       facecolor="forestgreen" if t == "Trainable"
                                       else "firebrick"))
                ax.text(x, cy, t, color="white", fontweight="bold", **text)
            else:
                ax.text(x, cy, t, color="black", **text)
    for src, dst in graph.edges:
        start = _anchor(centers[src], sizes[src], rankdir, True)
        end = _anchor(centers[dst], sizes[dst], rankdir, False)
        bend = _bend(start, end, rankdir, rank[dst] - rank[src] > 1)
        ax.add_patch(FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=10, linewidth=1.2,
            color="#404040", shrinkA=0, shrinkB=1, connectionstyle=f"arc3,rad={bend}",
            gid=f"{names[src]}->{names[dst]}"))
    for name, keys in graph.clusters.items():
        x0 = min(centers[k][0] - sizes[k][0] / 2 for k in keys) - 0.1
        x1 = max(centers[k][0] + sizes[k][0] / 2 for k in keys) + 0.1
        y0 = min(centers[k][1] - sizes[k][1] / 2 for k in keys) - 0.1
        y1 = max(centers[k][1] + sizes[k][1] / 2 for k in keys) + 0.1 + line
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linestyle="--",
                               edgecolor="#606060", gid=f"cluster:{name}"))
        ax.text(x0 + 0.05, y1 - line / 2, name, family="monospace", fontsize=fontsize,
                ha="left", va="center", color="#404040")
    if title:
        ax.text((min(xs) + max(xs)) / 2, max(ys) + margin + top_room / 2, title,
                ha="center", va="center", fontsize=fontsize + 2)
    return finish(fig, save_to, dpi=dpi)


def model_graph(model, show_shapes=True, show_dtype=False, show_layer_names=True,
                rankdir="TB", expand_nested=False, show_layer_activations=False,
                show_trainable=False, *, fontsize=9, dpi=100, title=None, save_to=None):
    """A Keras model's layer graph, drawn with matplotlib: one box per layer, an arrow
    for every tensor passed from one layer to another (branches and merges of a
    functional model included), nested models as dashed frames with ``expand_nested``.

    Args:
        model: a built deepgrad.keras model (Sequential, functional, or subclassed, which
            is one box, as in Keras).
        show_shapes (bool): each layer's input and output shapes (``None`` = batch axis).
        show_dtype, show_layer_names, show_layer_activations, show_trainable (bool):
            as ``keras.utils.plot_model`` (whose defaults show less).
        rankdir ({"TB", "LR", "BT", "RL"}): the direction the data flows.
        expand_nested (bool): draw the layers of models used as layers.
        fontsize (int), dpi (int), title (str, optional): text size, the saved image's
            resolution, and a title.
        save_to (str or path, optional): write the figure there (PNG by default).
    Returns:
        matplotlib.figure.Figure (patches named by ``gid``, see :func:`draw_layer_graph`).
    """
    from deepgrad.keras.utils.model_graph import layer_graph
    check_save_to(save_to)
    if rankdir not in _DIRECTIONS:
        raise ValueError(f"rankdir must be one of {_DIRECTIONS}, received {rankdir!r}")
    graph = layer_graph(model, show_shapes, show_dtype, show_layer_names, expand_nested,
                        show_layer_activations, show_trainable)
    require_matplotlib("deepgrad.plot.model_graph")
    return draw_layer_graph(graph, rankdir, fontsize=fontsize, dpi=dpi, title=title,
                            save_to=save_to)
