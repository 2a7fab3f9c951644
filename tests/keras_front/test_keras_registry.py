"""The front's one registry: every kind filled by registration, Keras 3's object
registration API (register_keras_serializable, get_registered_object/name,
custom_object_scope / CustomObjectScope, get_custom_objects), serialize/deserialize in
Keras 3's format, and what a config can and cannot make."""
import json
import os

import numpy as np
import pytest

import deepgrad.keras as keras
from deepgrad.keras import (activations, callbacks, constraints, initializers, layers, losses,
                            metrics, optimizers, registry, regularizers, saving, utils)
from deepgrad.keras.optimizers import schedules

X = np.random.default_rng(0).standard_normal((6, 4)).astype("float32")


@pytest.mark.parametrize("kind,module,names", [
    ("layers", layers, ["Dense", "Conv2D", "LSTM", "Bidirectional", "InputLayer",
                        "Sequential", "Functional", "Model"]),
    ("activations", activations, ["relu", "swish", "hard_swish", "gelu"]),
    ("losses", losses, ["mse", "MSE", "mean_squared_error", "MeanSquaredError", "bce"]),
    ("metrics", metrics, ["AUC", "auc", "mse", "rmse", "sparse_categorical_accuracy"]),
    ("optimizers", optimizers, ["adam", "sgd", "adamw", "rmsprop", "nadam"]),
    ("schedules", schedules, ["ExponentialDecay", "CosineDecayRestarts"]),
    ("initializers", initializers, ["glorot_uniform", "GlorotUniform", "he_normal", "zero"]),
    ("regularizers", regularizers, ["l2", "L1L2", "l1_l2"]),
    ("constraints", constraints, ["max_norm", "MaxNorm", "non_neg", "unit_norm",
                                  "min_max_norm"]),
    ("callbacks", callbacks, ["EarlyStopping", "ModelCheckpoint", "History"])])
def test_every_kind_is_filled_by_registration(kind, module, names):
    table = registry.builtins(kind)
    for name in names:
        assert name in table, f"{name} missing from {kind}"


def test_user_subclasses_are_not_registered_by_defining_them():
    class MyDense(layers.Dense):
        pass

    assert "MyDense" not in registry.builtins("layers")
    with pytest.raises(ValueError, match="Unknown layer class 'MyDense'.*custom_objects"):
        layers.deserialize(layers.serialize(MyDense(2)))


def test_register_keras_serializable_and_lookups():
    @saving.register_keras_serializable(package="test_pkg")
    class Doubler(layers.Layer):
        def call(self, x):
            return x * 2.0

    @saving.register_keras_serializable("test_pkg", name="sq")
    def squared_error(y_true, y_pred):
        return (y_pred - y_true) ** 2

    assert saving.get_registered_name(Doubler) == "test_pkg>Doubler"
    assert saving.get_registered_object("test_pkg>Doubler") is Doubler
    assert saving.get_custom_objects()["test_pkg>sq"] is squared_error
    assert utils.get_registered_object is saving.get_registered_object
    entry = layers.serialize(Doubler(name="dbl"))
    assert entry["registered_name"] == "test_pkg>Doubler" and entry["class_name"] == "Doubler"
    again = layers.deserialize(json.loads(json.dumps(entry)))
    assert type(again) is Doubler and again.name == "dbl"
    assert saving.get_registered_name(len) == "len"             # unregistered: its name
    with pytest.raises(ValueError, match="get_config"):
        saving.register_keras_serializable()(type("NoConfig", (), {}))


def test_custom_object_scope_replaces_the_outer_scope_as_keras():
    class Inner(layers.Layer):
        pass

    entry = layers.serialize(Inner(name="inner"))
    with saving.custom_object_scope({"Inner": Inner}):
        assert type(layers.deserialize(entry)) is Inner
        assert saving.get_registered_object("Inner") is Inner
        with utils.CustomObjectScope({"Other": Inner}):          # Keras 3: not merged
            assert saving.get_registered_object("Inner") is None
        assert saving.get_registered_object("Inner") is Inner
    assert saving.get_registered_object("Inner") is None
    assert saving.get_registered_object("Inner", custom_objects={"Inner": Inner}) is Inner
    assert type(layers.deserialize(entry, custom_objects={"Inner": Inner})) is Inner
    with pytest.raises(TypeError, match="dict"):
        saving.custom_object_scope(["Inner"])


def test_serialize_keras_object_format_matches_keras_3():
    dense = layers.Dense(3, activation="relu", kernel_regularizer="l2",
                         kernel_constraint="max_norm")
    entry = saving.serialize_keras_object(dense)
    assert set(entry) == {"module", "class_name", "config", "registered_name"}
    assert entry["module"] == "keras.layers" and entry["registered_name"] is None
    config = entry["config"]
    assert config["activation"] == "relu"
    assert config["kernel_regularizer"] == {"module": "keras.regularizers", "class_name": "L2",
                                            "config": {"l2": 0.01}, "registered_name": None}
    assert config["kernel_constraint"] == {"module": "keras.constraints",
                                           "class_name": "MaxNorm",
                                           "config": {"max_value": 2, "axis": 0},
                                           "registered_name": None}
    assert saving.serialize_keras_object(activations.relu) == {
        "module": "builtins", "class_name": "function", "config": "relu",
        "registered_name": "function"}
    again = saving.deserialize_keras_object(json.loads(json.dumps(entry)))
    assert type(again) is layers.Dense and again.get_config() == dense.get_config()
    # the kind comes from "module": the same class name in two kinds is not confused
    mse_loss = losses.serialize(losses.MeanSquaredError())
    mse_metric = metrics.serialize(metrics.MeanSquaredError())
    assert type(saving.deserialize_keras_object(mse_loss)) is losses.MeanSquaredError
    assert type(saving.deserialize_keras_object(mse_metric)) is metrics.MeanSquaredError


def test_configs_never_run_code_or_import_modules():
    with pytest.raises(ValueError, match="lambda"):
        saving.deserialize_keras_object({"class_name": "__lambda__", "config": {
            "code": "print('pwned')"}})
    with pytest.raises(ValueError, match="Unknown layer class 'system'"):
        layers.deserialize({"module": "os", "class_name": "system", "config": {}})
    with pytest.raises(ValueError, match="Unknown object class 'system'"):
        saving.deserialize_keras_object({"module": "os", "class_name": "system", "config": {}})
    with pytest.raises(ValueError, match="Unknown activation function 'eval'"):
        activations.deserialize({"class_name": "function", "config": "eval"})
    with pytest.raises(ValueError, match="must be a Layer subclass"):
        layers.deserialize({"class_name": "Evil", "config": {}}, custom_objects={"Evil": dict})
    with pytest.raises(ValueError, match="lambda has no name"):
        saving.serialize_keras_object(lambda x: x)


def test_kind_specific_gets():
    assert optimizers.get("ADAM").__class__ is optimizers.Adam          # any case
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    assert isinstance(constraints.get("non_neg"), constraints.NonNeg)
    assert regularizers.get(None) is None and constraints.get(None) is None
    assert activations.get(None) is activations.linear
    assert isinstance(schedules.deserialize(schedules.serialize(
        schedules.ExponentialDecay(0.1, 10, 0.5))), schedules.ExponentialDecay)
    with pytest.raises(ValueError, match=r"Unknown constraint 'maxnorm'.*'max_norm'"):
        constraints.get("maxnorm")
    with pytest.raises(ValueError, match="Could not interpret optimizer"):
        optimizers.get(3)


def test_custom_objects_reach_nested_configs(tmp_path):
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2.0

    model = keras.Sequential([keras.Input((4,)), Twice(), layers.Dense(2)])
    path = str(tmp_path / "t.dgkeras")
    model.save(path)
    with saving.custom_object_scope({"Twice": Twice}):          # a user's enclosing scope
        loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


@pytest.fixture(scope="module")
def keras3():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def test_keras_3_reads_deepgrad_layer_configs(keras3):
    """Keras 3 rebuilds deepgrad's serialized layers (same class, same config values)."""
    for layer in (layers.Dense(3, activation="tanh", kernel_initializer="he_normal",
                               kernel_regularizer=regularizers.L1L2(0.1, 0.2),
                               bias_constraint=constraints.NonNeg()),
                  layers.Conv2D(4, 3, padding="same", kernel_constraint=constraints.MaxNorm(3)),
                  layers.Dropout(0.3)):
        entry = json.loads(json.dumps(layers.serialize(layer)))
        entry["config"].pop("dtype")
        theirs = keras3.layers.deserialize(entry)
        assert type(theirs).__name__ == type(layer).__name__
        ours, ref = layer.get_config(), theirs.get_config()
        for key in ("units", "filters", "rate", "activation", "padding"):
            if key in ours:
                assert ours[key] == ref[key] or list(ours[key]) == list(ref[key])
        for key in ("kernel_initializer", "kernel_regularizer", "kernel_constraint",
                    "bias_constraint"):
            if ours.get(key) is not None:
                assert ours[key]["class_name"] == ref[key]["class_name"]
                assert ours[key]["config"] == {k: v for k, v in ref[key]["config"].items()
                                               if k in ours[key]["config"]}
