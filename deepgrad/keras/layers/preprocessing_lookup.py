"""Keras 3's vocabulary layers StringLookup and IntegerLookup (and the shared IndexLookup).

A vocabulary maps tokens to integer ids:

    [mask_token]  (id 0, only when mask_token is set)
    [oov] * num_oov_indices   (the next ids; a token outside the vocabulary gets
                               mask_offset + Fingerprint64(token) mod num_oov_indices)
    the tokens, most frequent first (ties: the larger token first, as Keras sorts)

learned by ``adapt(data)`` or given as ``vocabulary`` (a list or a file with one token a
line). ``invert=True`` maps ids back to tokens. ``output_mode`` ``"one_hot"``,
``"multi_hot"``, ``"count"`` and ``"tf_idf"`` encode the ids over the vocabulary size;
``tf_idf`` multiplies counts by ``idf = log(1 + N / (1 + df))`` (document frequencies
from ``adapt``, or ``idf_weights``).

Unlike Keras (whose lookup tables need TensorFlow), these run on NumPy; a lookup layer
with neither a vocabulary nor ``adapt`` refuses to run instead of mapping everything to
OOV.
"""
import os

import numpy as np

from deepgrad.autograd.tensor import Tensor
from deepgrad.keras.layers.layer import Layer
from deepgrad.keras.layers.preprocessing_numeric import encode_categorical, iterate_batches
from deepgrad.keras.layers.string_hash import fingerprint64

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def _array(x):
    return x.array if isinstance(x, Tensor) else np.asarray(x)


class IndexLookup(Layer):
    """Shared body of StringLookup and IntegerLookup (see the module docstring)."""

    _kind = "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, name=None, **kwargs):
        if output_mode not in _MODES:
            raise ValueError(f"Unknown arg for output_mode: {output_mode!r}. Expected one of "
                             f"{_MODES}.")
        if sparse:
            raise ValueError(f"{type(self).__name__}: sparse=True is not supported (deepgrad "
                             f"has no sparse tensors)")
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. "
                             f"Received: num_oov_indices={num_oov_indices}")
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: "
                             f"output_mode={output_mode}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError("If pad_to_max_tokens is True, must set `max_tokens`. Received: "
                             "max_tokens=None")
        super().__init__(name=name, **kwargs)
        self.max_tokens, self.num_oov_indices = max_tokens, num_oov_indices
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode = invert, output_mode
        self.pad_to_max_tokens, self.sparse = pad_to_max_tokens, sparse
        self._tokens = None                 # the learned/given tokens (no special ones)
        self.idf_weights = None
        self.built = True
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ValueError("`idf_weights` should only be set if `vocabulary` is set.")

    # ------------------------------------------------------------ vocabulary
    def _token_start(self):
        return (self.mask_token is not None) + self.num_oov_indices

    def _normalize(self, token):
        return token

    def _read_vocabulary(self, vocabulary):
        if isinstance(vocabulary, str):
            if not os.path.isfile(vocabulary):
                raise ValueError(f"Vocabulary file {vocabulary} does not exist.")
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = [line.rstrip("\n") for line in f]
            if self._kind == "int":
                vocabulary = [int(v) for v in vocabulary]
        return [self._normalize(t) for t in np.asarray(
            _array(vocabulary) if not isinstance(vocabulary, list) else vocabulary,
            dtype=object).ravel().tolist()]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and ``idf_weights`` for ``"tf_idf"``); special tokens may
        lead it in their places. Checked entirely before anything changes."""
        tokens = self._read_vocabulary(vocabulary)
        specials = ([self.mask_token] if self.mask_token is not None else []) + \
            [self.oov_token] * self.num_oov_indices
        if specials and tokens[:len(specials)] == specials:
            tokens = tokens[len(specials):]
        seen, repeated = set(), []
        for t in tokens:
            if t in seen and t not in repeated:
                repeated.append(t)
            seen.add(t)
        if repeated:
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please "
                             f"uniquify your dataset. The repeated terms are {repeated}")
        reserved = [t for t in tokens if t in (self.mask_token, self.oov_token)
                    and t is not None]
        if reserved:
            raise ValueError(f"Found reserved tokens in `vocabulary`: {reserved}; the mask "
                             f"token {self.mask_token!r} and OOV token {self.oov_token!r} may "
                             f"only lead the vocabulary, in that order. Received vocabulary: "
                             f"{tokens[:10]}{'...' if len(tokens) > 10 else ''}")
        if self.max_tokens is not None and len(tokens) + self._token_start() > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab "
                             f"size. Received vocabulary size is "
                             f"{len(tokens) + self._token_start()}; `max_tokens` is "
                             f"{self.max_tokens}.")
        idf = None
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
            idf = np.asarray(idf_weights, np.float32).ravel()
            if idf.size != len(tokens):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. "
                                 f"len(idf_weights) is {idf.size}; len(vocabulary) is "
                                 f"{len(tokens)}")
            idf = np.concatenate([np.full(self._token_start(), idf.mean() if idf.size else 0,
                                          np.float32), idf])
        elif idf_weights is not None:
            raise ValueError(f"`idf_weights` should only be set if output_mode is 'tf_idf'. "
                             f"`output_mode` is {self.output_mode!r}.")
        self._tokens, self.idf_weights = tokens, idf

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens in id order (with the mask and OOV tokens first by default)."""
        self._check_ready()
        if not include_special_tokens:
            return list(self._tokens)
        return ([self.mask_token] if self.mask_token is not None else []) + \
            [self.oov_token] * self.num_oov_indices + list(self._tokens)

    def vocabulary_size(self):
        """The number of ids (special tokens included)."""
        return self._token_start() + len(self._tokens or ())

    def _check_ready(self):
        if self._tokens is None:
            raise ValueError(f"{type(self).__name__} {self.name!r} has no vocabulary: pass "
                             f"`vocabulary=` or call `adapt(data)` before using it")

    def _tokens_of(self, batch):
        return [self._normalize(t) for t in np.asarray(batch, dtype=object).ravel().tolist()]

    def adapt(self, data, steps=None):
        """Learn the vocabulary (and document frequencies) from ``data``: an array of
        tokens (rows are documents) or an iterable of such batches."""
        counts, doc_counts, num_docs = {}, {}, 0
        for batch in iterate_batches(data, steps):
            batch = np.asarray(batch, dtype=object)
            docs = batch.reshape(batch.shape[0], -1) if batch.ndim > 1 else batch.reshape(-1, 1)
            for doc in docs:
                tokens = [t for t in self._tokens_of(doc)
                          if t not in (self.mask_token, self.oov_token)]
                for t in tokens:
                    counts[t] = counts.get(t, 0) + 1
                for t in set(tokens):
                    doc_counts[t] = doc_counts.get(t, 0) + 1
            num_docs += len(docs)
        self._adapt_from_counts(counts, doc_counts, num_docs)

    def _adapt_from_counts(self, counts, doc_counts, num_docs):
        tokens = sorted(counts, key=lambda t: (counts[t], self._sort_key(t)), reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start()]
        idf = None
        if self.output_mode == "tf_idf":
            df = np.array([doc_counts[t] for t in tokens], np.float64)
            idf = np.log(1 + num_docs / (1 + df)).astype(np.float32)
            idf = np.concatenate([np.full(self._token_start(), idf.mean() if idf.size else 0,
                                          np.float32), idf])
        self._tokens, self.idf_weights = tokens, idf

    def _sort_key(self, token):
        return token.encode("utf-8") if isinstance(token, str) else token

    # ------------------------------------------------------------ lookup
    def _oov_id(self, token):
        offset = self.mask_token is not None
        if self.num_oov_indices == 0:
            return -1
        if self.num_oov_indices == 1:
            return offset
        key = str(token) if self._kind == "int" else token
        return offset + fingerprint64(key) % self.num_oov_indices

    def lookup_ids(self, tokens):
        """Ids of an array of tokens (any shape)."""
        self._check_ready()
        table = {t: i + self._token_start() for i, t in enumerate(self._tokens)}
        if self.mask_token is not None:
            table[self.mask_token] = 0
        flat = self._tokens_of(tokens)
        ids = np.array([table[t] if t in table else self._oov_id(t) for t in flat], np.int64)
        return ids.reshape(np.shape(tokens))

    def __call__(self, inputs, *args, **kwargs):
        return self.call(inputs)

    def call(self, inputs):
        data = _array(inputs)
        if self.invert:
            return self._invert(data)
        ids = self.lookup_ids(data)
        if self.output_mode == "int":
            return Tensor(ids)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        if ids.ndim == 1:                        # a batch of single tokens, as Keras
            ids = ids[:, None]
        out = encode_categorical(ids, mode, depth)
        if self.output_mode == "tf_idf":
            idf = np.zeros(depth, np.float32)
            idf[:len(self.idf_weights)] = self.idf_weights
            out = out * idf
        return Tensor(out.astype(np.float32))

    def _invert(self, ids):
        vocab = self.get_vocabulary()
        ids = np.asarray(ids).astype(np.int64)
        out = np.empty(ids.shape, dtype=object)
        for index in np.ndindex(ids.shape):
            i = ids[index]
            out[index] = vocab[i] if 0 <= i < len(vocab) else self.oov_token
        return out if self._kind == "string" else Tensor(out.astype(np.int64))

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        shape = tuple(input_shape)
        return (shape[:-1] if len(shape) > 1 else shape) + (depth,)

    def get_config(self):
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "mask_token": self.mask_token,
                "oov_token": self.oov_token, "invert": self.invert,
                "output_mode": self.output_mode, "pad_to_max_tokens": self.pad_to_max_tokens,
                "sparse": self.sparse,
                "vocabulary": None if self._tokens is None else self.get_vocabulary(),
                "idf_weights": None if self.idf_weights is None else
                self.idf_weights[self._token_start():].tolist()}


class StringLookup(IndexLookup):
    """String tokens to integer ids (and back with ``invert=True``).

    Args: as Keras 3 (``max_tokens``, ``num_oov_indices=1``, ``mask_token=None``,
    ``oov_token="[UNK]"``, ``vocabulary``, ``idf_weights``, ``invert``, ``output_mode``,
    ``pad_to_max_tokens``, ``encoding="utf-8"``). Bytes are decoded with ``encoding``.
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None,
                 **kwargs):
        self.encoding = encoding
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, pad_to_max_tokens, sparse, name,
                         **kwargs)

    def _normalize(self, token):
        if isinstance(token, bytes):
            return token.decode(self.encoding)
        return str(token)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(IndexLookup):
    """Integer tokens (e.g. raw category codes) to contiguous ids (and back).

    Args: as Keras 3 (``oov_token=-1``, ``mask_token=None``, ``vocabulary_dtype="int64"``).
    """

    _kind = "int"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False, name=None,
                 **kwargs):
        if vocabulary_dtype not in ("int32", "int64"):
            raise ValueError(f"IntegerLookup: vocabulary_dtype must be 'int32' or 'int64', "
                             f"received {vocabulary_dtype!r}")
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, pad_to_max_tokens, sparse, name,
                         **kwargs)

    def _normalize(self, token):
        if isinstance(token, (float, np.floating)) and not float(token).is_integer():
            raise ValueError(f"IntegerLookup expects integer tokens; received {token!r}")
        return int(token)

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}
