"""Model configs for saving (JSON-friendly dicts); filled in by the saving work."""


def sequential_config(model):
    return {"name": model.name, "layers": [
        {"class_name": type(layer).__name__, "config": layer.get_config()}
        for layer in model.layers],
        "build_input_shape": list(model._input_shape_known) if model._input_shape_known else None}


def functional_config(model):
    raise NotImplementedError("functional model configs are not written yet")
