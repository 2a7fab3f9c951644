"""SwapEMAWeights (validation on the moving averages, training on the weights; Keras 3's
logs from the same weights) and RemoteMonitor (POSTs to a local server; a dead server
warns)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import numpy as np
import pytest

from deepgrad.keras import Input, Sequential, callbacks, layers, optimizers

RNG = np.random.default_rng(61)
X = RNG.standard_normal((64, 4)).astype("float32")
Y = (X @ RNG.standard_normal((4, 1))).astype("float32")


def _model(lib):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="tanh"),
                           lib.layers.Dense(1)])


def _fit(lib, model, cbs):
    model.compile(lib.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9), "mse")
    return model.fit(X, Y, batch_size=16, epochs=3, validation_data=(X[:16], Y[:16]),
                     shuffle=False, verbose=0, callbacks=cbs).history


def test_validation_uses_ema_weights():
    from deepgrad import keras as dk
    plain = _model(dk)
    swapped = _model(dk)
    swapped.set_weights(plain.get_weights())
    h_plain = _fit(dk, plain, [])
    h_swap = _fit(dk, swapped, [callbacks.SwapEMAWeights()])
    np.testing.assert_allclose(h_plain["loss"], h_swap["loss"], rtol=1e-6)   # same training
    assert not np.allclose(h_plain["val_loss"], h_swap["val_loss"])
    # the last val_loss is the loss of the averaged weights, which fit leaves in the model
    np.testing.assert_allclose(h_swap["val_loss"][-1],
                               swapped.evaluate(X[:16], Y[:16], verbose=0), rtol=1e-5)
    with pytest.raises(ValueError, match="use_ema=True"):
        m = _model(dk)
        m.compile("sgd", "mse")
        m.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.SwapEMAWeights()])


def test_against_keras():
    keras = pytest.importorskip("keras")
    from deepgrad import keras as dk
    theirs, ours = _model(keras), _model(dk)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    h_ours = _fit(dk, ours, [callbacks.SwapEMAWeights(swap_on_epoch=True)])
    h_theirs = _fit(keras, theirs, [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)])
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(h_ours[key], h_theirs[key], rtol=1e-4)


class _Handler(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Handler.received.append((self.path, self.headers.get("Content-Type"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_remote_monitor_posts_and_warns():
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_port}"
        model = Sequential([Input((4,)), layers.Dense(1)])
        model.compile(optimizers.SGD(0.01), "mse")
        model.fit(X, Y, epochs=2, verbose=0,
                  callbacks=[callbacks.RemoteMonitor(root=root),
                             callbacks.RemoteMonitor(root=root, path="/json",
                                                     send_as_json=True)])
    finally:
        server.shutdown()
    form = [r for r in _Handler.received if r[0] == "/publish/epoch/end/"]
    as_json = [r for r in _Handler.received if r[0] == "/json"]
    assert len(form) == 2 and len(as_json) == 2
    first = json.loads(parse_qs(form[0][2].decode())["data"][0])
    assert first["epoch"] == 0 and "loss" in first
    assert as_json[1][1] == "application/json" and json.loads(as_json[1][2])["epoch"] == 1
    model = Sequential([Input((4,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        model.fit(X, Y, epochs=1, verbose=0,
                  callbacks=[callbacks.RemoteMonitor(root="http://127.0.0.1:9")])
