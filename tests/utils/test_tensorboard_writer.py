"""deepgrad.utils.tensorboard.SummaryWriter: what it writes, read back with TensorBoard's own
event reader (EventAccumulator), tag by tag, step by step, value by value.

The expected values follow torch.utils.tensorboard: float images scaled by 255 and clipped,
add_scalars runs named ``<main>_<tag>``, add_hparams in a ``run_name`` sub-run.
"""
import io
import os
import socket

import numpy as np
import pytest

import deepgrad as dg

pytest.importorskip("tensorboardX")
pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

from deepgrad.utils.tensorboard import SummaryWriter  # noqa: E402
from deepgrad.utils.tensorboard.writer import _default_bins  # noqa: E402


def read(path):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0,
                                                     "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def event_files(path):
    return [f for f in os.listdir(path) if f.startswith("events.out.tfevents")]


def png(event):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(event.encoded_image_string)))


# ----------------------------------------------------------------------------- scalars
def test_scalars_from_tensors_arrays_and_numbers(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", dg.tensor(0.5), 0)
        w.add_scalar("loss", np.float64(0.25), 1)
        w.add_scalar("loss", np.array([[0.125]], np.float32), 2)
        w.add_scalar("train/acc", 1, 7, walltime=123.0)
        w.add_scalar("g", dg.tensor(3.0, requires_grad=True) * 2, 3)
    acc = read(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["g", "loss", "train/acc"]
    assert scalars(acc, "loss") == [(0, 0.5), (1, 0.25), (2, 0.125)]
    assert scalars(acc, "train/acc") == [(7, 1.0)]
    assert acc.Scalars("train/acc")[0].wall_time == 123.0
    assert scalars(acc, "g") == [(3, 6.0)]
    assert len(event_files(tmp_path)) == 1


def test_new_style_scalars_are_tensors_of_the_scalars_plugin(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("f32", 0.1, 4, new_style=True)
        w.add_scalar("f64", 0.1, 5, new_style=True, double_precision=True)
    acc = read(tmp_path)
    assert acc.Tags()["scalars"] == [] and sorted(acc.Tags()["tensors"]) == ["f32", "f64"]
    [f32], [f64] = acc.Tensors("f32"), acc.Tensors("f64")
    assert (f32.step, list(f32.tensor_proto.float_val)) == (4, [np.float32(0.1)])
    assert (f64.step, list(f64.tensor_proto.double_val)) == (5, [0.1])
    assert acc.SummaryMetadata("f32").plugin_data.plugin_name == "scalars"


def test_add_scalars_writes_one_run_per_series_as_torch_names_them(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("loss/all", {"train": step * 1.0, "val": dg.tensor(step * 2.0)}, step)
    assert sorted(os.listdir(tmp_path)) == sorted(
        event_files(tmp_path) + ["loss_all_train", "loss_all_val"])
    train, val = read(tmp_path / "loss_all_train"), read(tmp_path / "loss_all_val")
    assert scalars(train, "loss/all") == [(0, 0.0), (1, 1.0), (2, 2.0)]
    assert scalars(val, "loss/all") == [(0, 0.0), (1, 2.0), (2, 4.0)]


def test_purge_step_hides_the_steps_a_restarted_run_writes_again(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(10):
            w.add_scalar("x", step, step)
    with SummaryWriter(tmp_path, purge_step=5, filename_suffix=".restart") as w:
        for step in range(5, 8):
            w.add_scalar("x", 100 + step, step)
    assert scalars(read(tmp_path), "x") == [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4),
                                            (5, 105), (6, 106), (7, 107)]
    assert any(f.endswith(".restart") for f in event_files(tmp_path))


# ----------------------------------------------------------------------------- histograms
def test_histogram_statistics_and_buckets(tmp_path):
    values = dg.tensor(np.array([0.5, 1.5, 1.5, 2.5, -3.0, 7.25]))
    edges = [-4.0, 0.0, 1.0, 2.0, 3.0, 8.0]
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", values, 3)
        w.add_histogram("w_edges", values, 4, bins=edges)
    acc = read(tmp_path)
    assert sorted(acc.Tags()["histograms"]) == ["w", "w_edges"]
    v = values.numpy()
    for tag, step in (("w", 3), ("w_edges", 4)):
        [event] = acc.Histograms(tag)
        h = event.histogram_value
        assert event.step == step
        assert (h.min, h.max, h.num) == (-3.0, 7.25, 6)
        assert (h.sum, h.sum_squares) == (v.sum(), v.dot(v))
        assert sum(h.bucket) == 6
    h = acc.Histograms("w_edges")[0].histogram_value
    # numpy counts per bin [1, 1, 2, 1, 1]; TensorBoard keeps right edges, with an empty bin
    # in front carrying the leftmost edge
    assert (h.bucket_limit, h.bucket) == ([-4.0, 0.0, 1.0, 2.0, 3.0, 8.0], [0, 1, 1, 2, 1, 1])
    h = acc.Histograms("w")[0].histogram_value
    assert set(h.bucket_limit) <= set(_default_bins())       # TensorFlow's exponential edges


def test_default_bins_are_tensorflows():
    bins = _default_bins()
    assert bins[len(bins) // 2] == 0 and bins[len(bins) // 2 + 1] == 1e-12
    assert bins == [-b for b in reversed(bins)]
    assert bins[-1] < 1e20 <= bins[-1] * 1.1


# ----------------------------------------------------------------------------- images
def test_add_image_formats_scaling_and_clipping(tmp_path):
    chw = np.array([[[0.0, 0.5, 1.0], [-0.5, 2.0, 0.25]]], np.float32)     # (1, 2, 3)
    hwc = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10       # (2, 3, 3)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", dg.tensor(chw), 1)
        w.add_image("hwc", hwc, 2, dataformats="HWC")
        w.add_image("hw", chw[0], 3, dataformats="HW")
    acc = read(tmp_path)
    assert sorted(acc.Tags()["images"]) == ["chw", "hw", "hwc"]
    grey = (chw[0] * 255).clip(0, 255).astype(np.uint8)          # [[0, 127, 255], [0, 255, 63]]
    assert grey.tolist() == [[0, 127, 255], [0, 255, 63]]
    for tag, step in (("chw", 1), ("hw", 3)):
        [event] = acc.Images(tag)
        assert (event.step, event.width, event.height) == (step, 3, 2)
        np.testing.assert_array_equal(png(event), np.stack([grey] * 3, axis=-1))
    [event] = acc.Images("hwc")
    assert (event.step, event.width, event.height) == (2, 3, 2)
    np.testing.assert_array_equal(png(event), hwc)


def test_add_images_tiles_the_batch(tmp_path):
    batch = np.zeros((3, 1, 2, 2), np.float32)
    batch[0], batch[1], batch[2] = 0.0, 0.5, 1.0
    with SummaryWriter(tmp_path) as w:
        w.add_images("batch", batch, 0)
        w.add_images("nhwc", batch.transpose(0, 2, 3, 1), 1, dataformats="NHWC")
    acc = read(tmp_path)
    expected = np.repeat(np.array([[0, 0, 127, 127, 255, 255]] * 2, np.uint8)[..., None], 3, -1)
    for tag in ("batch", "nhwc"):
        [event] = acc.Images(tag)
        assert (event.width, event.height) == (6, 2)
        np.testing.assert_array_equal(png(event), expected)


def test_add_figure_renders_the_figure(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    fig = plt.figure(figsize=(2, 1), dpi=50)
    fig.gca().plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 9)
    [event] = read(tmp_path).Images("fig")
    assert (event.step, event.width, event.height) == (9, 100, 50)
    assert not plt.fignum_exists(fig.number)                  # close=True closed it


@pytest.mark.parametrize("call, message", [
    (lambda w: w.add_image("x", np.zeros((2, 4, 4))), "1, 3 or 4 channels, received 2"),
    (lambda w: w.add_image("x", np.zeros((4, 4)), dataformats="CHW"), "needs a 3-D array"),
    (lambda w: w.add_image("x", np.zeros((4, 4, 3)), dataformats="NHWC"), "permutation"),
    (lambda w: w.add_images("x", np.zeros((1, 4, 4))), "needs a 4-D array"),
    (lambda w: w.add_scalar("x", np.zeros(3)), "expected one number"),
    (lambda w: w.add_histogram("x", np.zeros(0)), "values are empty"),
])
def test_bad_values_raise_before_anything_is_written(tmp_path, call, message):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match=message):
            call(w)
    tags = read(tmp_path).Tags()
    assert not any(tags[k] for k in ("scalars", "images", "histograms", "tensors"))


def test_bad_types_raise(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match="tag must be a str, received int"):
            w.add_scalar(3, 1.0)
        with pytest.raises(TypeError, match="text_string must be a str, received int"):
            w.add_text("t", 5)
        with pytest.raises(TypeError, match="tag_scalar_dict must be a dict"):
            w.add_scalars("m", [1.0])
    with pytest.raises(ValueError, match="max_queue must be a positive number"):
        SummaryWriter(tmp_path, max_queue=0)


# ----------------------------------------------------------------------------- text
def test_text(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "**lr** = 0.1", 2)
        w.add_text("notes", "done", 5)
    acc = read(tmp_path)
    assert acc.Tags()["tensors"] == ["notes/text_summary"]
    events = acc.Tensors("notes/text_summary")
    assert [(e.step, list(e.tensor_proto.string_val)) for e in events] == [
        (2, [b"**lr** = 0.1"]), (5, [b"done"])]
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"


# ----------------------------------------------------------------------------- hparams
def _plugin(acc, tag):
    return plugin_data_pb2.HParamsPluginData.FromString(acc.PluginTagToContent("hparams")[tag])


def test_hparams_run_with_values_domains_and_metrics(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "layers": 3, "opt": "adam", "bn": True, "skip": None,
                       "wd": dg.tensor(0.5)},
                      {"hparam/accuracy": 0.75, "hparam/loss": dg.tensor(0.25)},
                      hparam_domain_discrete={"opt": ["adam", "sgd"], "layers": [2, 3]},
                      run_name="trial0", global_step=4)
    assert os.path.isdir(tmp_path / "trial0")
    acc = read(tmp_path / "trial0")
    assert scalars(acc, "hparam/accuracy") == [(4, 0.75)]
    assert scalars(acc, "hparam/loss") == [(4, 0.25)]
    assert sorted(acc.PluginTagToContent("hparams")) == [
        "_hparams_/experiment", "_hparams_/session_end_info", "_hparams_/session_start_info"]
    start = _plugin(acc, "_hparams_/session_start_info").session_start_info.hparams
    assert {k: v.WhichOneof("kind") for k, v in start.items()} == {
        "lr": "number_value", "layers": "number_value", "opt": "string_value",
        "bn": "bool_value", "wd": "number_value"}
    assert (start["lr"].number_value, start["layers"].number_value, start["opt"].string_value,
            start["bn"].bool_value, start["wd"].number_value) == (0.01, 3.0, "adam", True, 0.5)
    exp = _plugin(acc, "_hparams_/experiment").experiment
    infos = {h.name: h for h in exp.hparam_infos}
    assert sorted(infos) == ["bn", "layers", "lr", "opt", "wd"]
    assert [v.string_value for v in infos["opt"].domain_discrete.values] == ["adam", "sgd"]
    assert [v.number_value for v in infos["layers"].domain_discrete.values] == [2.0, 3.0]
    assert [m.name.tag for m in exp.metric_infos] == ["hparam/accuracy", "hparam/loss"]
    end = _plugin(acc, "_hparams_/session_end_info").session_end_info
    assert end.status == 1                                      # STATUS_SUCCESS


def test_hparams_errors(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match=r"hparam_dict\['f'\] must be an int, float"):
            w.add_hparams({"f": [1, 2]}, {"m": 1.0}, run_name="a")
        with pytest.raises(TypeError, match=r"hparam_domain_discrete\['lr'\]"):
            w.add_hparams({"lr": 0.1}, {"m": 1.0}, hparam_domain_discrete={"lr": ["x"]},
                          run_name="b")
        with pytest.raises(TypeError, match="must be dicts"):
            w.add_hparams([("lr", 0.1)], {"m": 1.0}, run_name="c")
    assert not any(os.path.exists(tmp_path / r) for r in "abc")


# ----------------------------------------------------------------------------- lifetime
def test_default_log_dir_is_runs_date_host_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    [run] = os.listdir(tmp_path / "runs")
    assert run.endswith("_" + socket.gethostname() + "_lr0.1")
    assert w.get_logdir() == os.path.join("runs", run)
    assert len(event_files(tmp_path / "runs" / run)) == 1


def test_flush_makes_events_readable_and_close_then_add_opens_a_new_file(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=1000, max_queue=1000)
    w.add_scalar("a", 1.0, 0)
    assert read(tmp_path).Tags()["scalars"] == []              # still pending
    w.flush()
    assert scalars(read(tmp_path), "a") == [(0, 1.0)]
    w.close()
    w.close()                                                   # a second close is harmless
    w.add_scalar("a", 2.0, 1)                                   # opens a second file, as torch
    w.close()
    assert len(event_files(tmp_path)) == 2
    assert scalars(read(tmp_path), "a") == [(0, 1.0), (1, 2.0)]


def test_max_queue_flushes(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=1000, max_queue=3)
    w.add_scalar("a", 1.0, 0)                      # the file_version event + 1 pending
    assert read(tmp_path).Tags()["scalars"] == []
    w.add_scalar("a", 2.0, 1)                      # 3 pending: flushed
    assert scalars(read(tmp_path), "a") == [(0, 1.0), (1, 2.0)]
    w.close()


def test_writers_opened_in_the_same_second_keep_their_own_files(tmp_path):
    for step in range(3):                  # tensorboardX's FileWriter would truncate here
        with SummaryWriter(tmp_path) as w:
            w.add_scalar("a", step, step)
    assert len(event_files(tmp_path)) == 3
    assert scalars(read(tmp_path), "a") == [(0, 0.0), (1, 1.0), (2, 2.0)]
