"""``model.summary()``: Keras's table of layers, output shapes and parameter counts."""


def _fmt_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024


def _shape(layer, model):
    if model._functional:
        shapes = [t.shape for node in model._nodes if node.layer is layer for t in node.outputs]
        return shapes[0] if len(shapes) == 1 else shapes
    shape = model._build_shape
    if shape is None:
        return "?"
    for lyr in model.layers:
        shape = lyr.compute_output_shape(shape)
        if lyr is layer:
            return shape
    return "?"


def summary(model, print_fn=None):
    print_fn = print_fn or print
    rows = [(f"{layer.name} ({type(layer).__name__})", str(_shape(layer, model)),
             f"{layer.count_params():,}" if layer.built else "0 (unbuilt)")
            for layer in model.layers]
    w = [max([len(r[i]) for r in rows] + [len(h)]) + 2 for i, h in
         enumerate(("Layer (type)", "Output Shape", "Param #"))]
    w = [max(w[0], 33), max(w[1], 26), max(w[2], 15)]
    line = "━" * sum(w)
    print_fn(f'Model: "{model.name}"')
    print_fn(line)
    print_fn("Layer (type)".ljust(w[0]) + "Output Shape".ljust(w[1]) + "Param #".rjust(w[2]))
    print_fn("━" * sum(w))
    for r in rows:
        print_fn(r[0].ljust(w[0]) + r[1].ljust(w[1]) + r[2].rjust(w[2]))
    print_fn(line)
    weights = model.weights
    trainable = model.trainable_weights
    total = sum(x.array.size for x in weights)
    n_train = sum(x.array.size for x in trainable)
    size = sum(x.array.nbytes for x in weights)
    size_train = sum(x.array.nbytes for x in trainable)
    print_fn(f" Total params: {total:,} ({_fmt_bytes(size)})")
    print_fn(f" Trainable params: {n_train:,} ({_fmt_bytes(size_train)})")
    print_fn(f" Non-trainable params: {total - n_train:,} ({_fmt_bytes(size - size_train)})")
