"""StringLookup, IntegerLookup and TextVectorization: Keras 3's documented outputs and
vocabulary rules (Keras's own need TensorFlow, so the references are its documented
examples and NumPy), tf-idf, inversion, configs, and errors raised before state changes."""
import numpy as np
import pytest

from deepgrad.keras import layers as L
from deepgrad.keras.layers.string_hash import fingerprint64


def test_string_lookup_documented_examples():
    data = np.array([["a", "c", "d"], ["d", "z", "b"]])
    layer = L.StringLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    vocab = ["a", "b", "c", "d"]
    np.testing.assert_array_equal(L.StringLookup(vocabulary=vocab)(data).numpy(),
                                  [[1, 3, 4], [4, 0, 2]])
    two = L.StringLookup(vocabulary=vocab, num_oov_indices=2)(data).numpy()
    z = 1 - 1 + fingerprint64("z") % 2                    # OOV bucket of "z"
    np.testing.assert_array_equal(two, [[2, 4, 5], [5, z, 3]])
    np.testing.assert_array_equal(
        L.StringLookup(vocabulary=vocab, output_mode="one_hot")(np.array(["a", "b", "c", "d",
                                                                          "z"])).numpy(),
        np.eye(5)[[1, 2, 3, 4, 0]])
    np.testing.assert_array_equal(
        L.StringLookup(vocabulary=vocab, output_mode="multi_hot")(data).numpy(),
        [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    np.testing.assert_array_equal(
        L.StringLookup(vocabulary=vocab, output_mode="count")(
            np.array([["a", "c", "d", "d"], ["d", "z", "b", "z"]])).numpy(),
        [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    tfidf = L.StringLookup(output_mode="tf_idf", vocabulary=vocab,
                           idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tfidf(np.array([["a", "c", "d", "d"], ["d", "z", "b", "z"]]))
                               .numpy(), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]],
                               rtol=1e-6)
    inv = L.StringLookup(vocabulary=vocab, invert=True)
    np.testing.assert_array_equal(inv(np.array([[1, 3, 4], [4, 0, 2]])),
                                  [["a", "c", "d"], ["d", "[UNK]", "b"]])
    masked = L.StringLookup(vocabulary=["", "[UNK]"] + vocab, mask_token="")
    assert masked.get_vocabulary() == ["", "[UNK]"] + vocab
    np.testing.assert_array_equal(masked(np.array(["", "b", "q"])).numpy(), [0, 3, 1])


def test_integer_lookup_documented_examples():
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    layer = L.IntegerLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    vocab = [12, 36, 1138, 42]
    np.testing.assert_array_equal(L.IntegerLookup(vocabulary=vocab)(data).numpy(),
                                  [[1, 3, 4], [4, 0, 2]])
    inv = L.IntegerLookup(vocabulary=vocab, invert=True)
    np.testing.assert_array_equal(inv(np.array([[1, 3, 4], [4, 0, 2]])).numpy(),
                                  [[12, 1138, 42], [42, -1, 36]])
    limited = L.IntegerLookup(max_tokens=3)
    limited.adapt(data)
    assert limited.get_vocabulary() == [-1, 42, 1138]


def test_tf_idf_from_adapt_and_vocabulary_file(tmp_path):
    docs = np.array([["a", "b", "c"], ["a", "b", "d"], ["a", "e", "e"]])
    layer = L.StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    vocab = layer.get_vocabulary()[1:]
    df = np.array([sum(t in d for d in docs.tolist()) for t in vocab])
    idf = np.log(1 + 3 / (1 + df))
    np.testing.assert_allclose(layer.idf_weights[1:], idf, rtol=1e-6)
    counts = np.array([list(docs[2]).count(t) for t in vocab])
    np.testing.assert_allclose(layer(docs[2:]).numpy()[0, 1:], counts * idf, rtol=1e-6)
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nz\n")
    np.testing.assert_array_equal(L.StringLookup(vocabulary=str(path))(["y", "q"]).numpy(),
                                  [2, 0])


def test_lookup_errors_before_state_changes():
    with pytest.raises(ValueError, match="repeated term.*\\['a'\\]"):
        L.StringLookup(vocabulary=["a", "b", "a"])
    layer = L.StringLookup(vocabulary=["a", "b"])
    with pytest.raises(ValueError, match="repeated term.*\\['b'\\]"):
        layer.set_vocabulary(["b", "c", "b"])
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]            # unchanged
    with pytest.raises(ValueError, match="reserved tokens.*\\[UNK\\]"):
        L.StringLookup(vocabulary=["a", "[UNK]"])
    with pytest.raises(ValueError, match="has no vocabulary.*adapt"):
        L.StringLookup()(["a"])
    with pytest.raises(ValueError, match="has no vocabulary.*adapt"):
        L.IntegerLookup()([1])
    with pytest.raises(ValueError, match="idf_weights` must be set"):
        L.StringLookup(output_mode="tf_idf", vocabulary=["a"])
    with pytest.raises(ValueError, match="larger than the maximum vocab size"):
        L.StringLookup(max_tokens=2, vocabulary=["a", "b"])
    with pytest.raises(ValueError, match="`output_mode` must be `'int'` when `invert`"):
        L.StringLookup(invert=True, output_mode="one_hot")


def test_text_vectorization_int_and_bags():
    tv = L.TextVectorization(max_tokens=6, output_sequence_length=4)
    tv.adapt(["The cat sat.", "The dog sat!", "a CAT, a cat"])
    assert tv.get_vocabulary() == ["", "[UNK]", "cat", "the", "sat", "a"]
    assert tv.vocabulary_size() == 6
    np.testing.assert_array_equal(tv(["the cat ran away fast now", "dog"]).numpy(),
                                  [[3, 2, 1, 1], [1, 0, 0, 0]])
    ragged = L.TextVectorization(vocabulary=["cat", "the"])
    np.testing.assert_array_equal(ragged(np.array([["The cat"], ["cat"]])).numpy(),
                                  [[3, 2], [2, 0]])
    bag = L.TextVectorization(output_mode="multi_hot", ngrams=2)
    bag.adapt(np.array([["the cat sat"], ["the dog"]]))
    vocab = bag.get_vocabulary()
    assert vocab[0] == "[UNK]" and "the cat" in vocab and "cat sat" in vocab
    y = bag(["the cat"]).numpy()[0]
    assert {vocab[i] for i in np.flatnonzero(y)} == {"the", "cat", "the cat"}
    tfidf = L.TextVectorization(output_mode="tf_idf", vocabulary=["a", "b"],
                                idf_weights=[1.0, 2.0])
    np.testing.assert_allclose(tfidf(["a b b c"]).numpy(), [[1.5, 1.0, 4.0]])
    chars = L.TextVectorization(split="character", standardize=None,
                                vocabulary=list("ab"))
    np.testing.assert_array_equal(chars(["abz"]).numpy(), [[2, 3, 1]])
    clone = L.TextVectorization.from_config(tv.get_config())
    np.testing.assert_array_equal(clone(["the cat"]).numpy(), tv(["the cat"]).numpy())


def test_text_vectorization_adapt_on_batches_and_errors():
    batches = [np.array(["x y", "y"]), np.array(["y z"])]
    tv = L.TextVectorization()
    tv.adapt(batches)
    assert tv.get_vocabulary() == ["", "[UNK]", "y", "z", "x"]
    pairs = [(np.array(["x y"]), np.array([1]))]               # (x, y) batches: x is used
    tv2 = L.TextVectorization()
    tv2.adapt(pairs)
    assert tv2.get_vocabulary()[2:] == ["y", "x"]
    with pytest.raises(ValueError, match="no vocabulary.*adapt"):
        L.TextVectorization()(["x"])
    with pytest.raises(ValueError, match="repeated term"):
        L.TextVectorization(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="output_sequence_length.*not 'int'"):
        L.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="standardize.*'upper'"):
        L.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="shape \\(batch,\\)"):
        tv(np.array([["a", "b"]]))
