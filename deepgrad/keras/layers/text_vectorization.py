"""Keras 3's TextVectorization: strings to token ids or bag-of-words vectors.

Each string goes through

    standardize  "lower_and_strip_punctuation" (default), "lower", "strip_punctuation",
                 None or a callable on one string
    split        "whitespace" (runs of whitespace), "character", None or a callable
    ngrams       n-grams of the split tokens joined by a space (``ngrams=2`` or a tuple)
    lookup       a :class:`StringLookup` whose vocabulary ``adapt`` learns (most frequent
                 first) or ``vocabulary`` gives

and ``output_mode`` ``"int"`` gives ids (0 is padding "", 1 the OOV "[UNK]"), padded or cut
to ``output_sequence_length`` (else to the longest string of the batch), while
``"multi_hot"``, ``"count"`` and ``"tf_idf"`` give one vector of the vocabulary size per
string (OOV at 0, no padding token). Runs on Python strings and NumPy, without TensorFlow.
"""
import re

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.layers.preprocessing_lookup import StringLookup
from deepgrad.keras.layers.preprocessing_numeric import iterate_batches

# Keras's DEFAULT_STRIP_REGEX: ASCII punctuation
_PUNCTUATION = re.compile(r"[!\"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~']")
_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_MODES = ("int", "multi_hot", "count", "tf_idf")


def _strings(x):
    """A flat list of Python strings from an array-like of str/bytes of shape (n,) or
    (n, 1)."""
    arr = np.asarray(x.array if isinstance(x, Tensor) else x, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"TextVectorization expects a batch of strings of shape (batch,) or "
                         f"(batch, 1); received shape {arr.shape}")
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in arr.tolist()]


class TextVectorization(Layer):
    """Keras 3's TextVectorization (see the module docstring).

    Args:
        max_tokens (int): the vocabulary size, special tokens included.
        standardize, split, ngrams: the text pipeline.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        output_sequence_length (int): pad/cut ``"int"`` outputs to this length.
        pad_to_max_tokens (bool): bag-of-words vectors of size ``max_tokens``.
        vocabulary, idf_weights: a fixed vocabulary (list or file) instead of ``adapt``.
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        if output_mode not in _MODES:
            raise ValueError(f"Unknown arg for output_mode: {output_mode!r}. Expected one of "
                             f"{_MODES}.")
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(f"Invalid value for argument `standardize`: {standardize!r}. "
                             f"Expected one of {_STANDARDIZE}, None or a callable.")
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(f"Invalid value for argument `split`: {split!r}. Expected one "
                             f"of {_SPLIT}, None or a callable.")
        if ngrams is not None and not (isinstance(ngrams, int) and ngrams > 0 or (
                isinstance(ngrams, (tuple, list)) and all(
                    isinstance(n, int) and n > 0 for n in ngrams))):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and output_sequence_length is not None and (
                not isinstance(output_sequence_length, int) or output_sequence_length <= 0):
            raise ValueError(f"`output_sequence_length` must be a positive integer. Received: "
                             f"output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"`output_sequence_length` must not be set if `output_mode` is "
                             f"not 'int'. Received output_sequence_length="
                             f"{output_sequence_length}.")
        if ragged or sparse:
            raise ValueError("TextVectorization: ragged/sparse outputs are not supported "
                             "(deepgrad has dense tensors only)")
        super().__init__(name=name, **kwargs)
        self.max_tokens, self.standardize, self.split = max_tokens, standardize, split
        self.ngrams = tuple(ngrams) if isinstance(ngrams, list) else ngrams
        self.output_mode, self.output_sequence_length = output_mode, output_sequence_length
        self.pad_to_max_tokens, self.sparse, self.ragged = pad_to_max_tokens, sparse, ragged
        self.encoding = encoding
        self._lookup = StringLookup(
            max_tokens=max_tokens, mask_token="" if output_mode == "int" else None,
            output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
            vocabulary=vocabulary, idf_weights=idf_weights, encoding=encoding,
            name=f"{self.name}_lookup")
        self.built = True

    # ------------------------------------------------------------ text pipeline
    def _standardize(self, text):
        if self.standardize is None:
            return text
        if callable(self.standardize):
            return self.standardize(text)
        if "lower" in self.standardize:
            text = text.lower()
        if "strip_punctuation" in self.standardize:
            text = _PUNCTUATION.sub("", text)
        return text

    def _split(self, text):
        if self.split is None:
            return [text]
        if callable(self.split):
            return list(self.split(text))
        if self.split == "character":
            return list(text)
        return text.split()

    def _ngrams(self, tokens):
        if self.ngrams is None:
            return tokens
        sizes = range(1, self.ngrams + 1) if isinstance(self.ngrams, int) else self.ngrams
        out = []
        for n in sizes:
            out += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        return out

    def tokenize(self, texts):
        """The token lists of a batch of strings (standardized, split, n-grams)."""
        return [self._ngrams(self._split(self._standardize(t))) for t in _strings(texts)]

    # ------------------------------------------------------------ vocabulary
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and idf weights) from strings: an array/list of strings
        or an iterable of batches of them (e.g. ``dataset.map(lambda x, y: x)``)."""
        counts, doc_counts, docs = {}, {}, 0
        for batch in iterate_batches(data, steps):
            for tokens in self.tokenize(batch):
                tokens = [t for t in tokens if t not in ("", "[UNK]")]
                for t in tokens:
                    counts[t] = counts.get(t, 0) + 1
                for t in set(tokens):
                    doc_counts[t] = doc_counts.get(t, 0) + 1
                docs += 1
        self._lookup._adapt_from_counts(counts, doc_counts, docs)

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------ call
    def __call__(self, inputs, *args, **kwargs):
        return self.call(inputs)

    def call(self, inputs):
        if self._lookup._tokens is None:
            raise ValueError(f"TextVectorization {self.name!r} has no vocabulary: pass "
                             f"`vocabulary=` or call `adapt(data)` before using it")
        token_lists = self.tokenize(inputs)
        if self.output_mode != "int":
            rows = [self._lookup.call(np.array([t or [""]], dtype=object)).numpy()[0]
                    if t else np.zeros(self._bag_size(), np.float32) for t in token_lists]
            return Tensor(np.stack(rows).astype(np.float32))
        ids = [self._lookup.lookup_ids(np.array(t, dtype=object)) if t else
               np.zeros(0, np.int64) for t in token_lists]
        length = self.output_sequence_length or max([len(i) for i in ids] + [0])
        out = np.zeros((len(ids), length), np.int64)
        for row, i in zip(out, ids):
            row[:min(len(i), length)] = i[:length]
        return Tensor(out)

    def _bag_size(self):
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return (input_shape[0], self._bag_size() if self._lookup._tokens is not None else None)

    def get_config(self):
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "standardize": self.standardize if not callable(self.standardize) else None,
                "split": self.split if not callable(self.split) else None,
                "ngrams": self.ngrams, "output_mode": self.output_mode,
                "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": self.pad_to_max_tokens, "sparse": self.sparse,
                "ragged": self.ragged, "encoding": self.encoding,
                "vocabulary": None if self._lookup._tokens is None else
                self.get_vocabulary(),
                "idf_weights": None if self._lookup.idf_weights is None else
                self._lookup.idf_weights[self._lookup._token_start():].tolist()}
