"""``einsum``: sums of products over named axes, with the gradient for every operand.

For out[o] = sum over the other letters of prod_k X_k[s_k], the derivative with respect to
one operand is the same kind of sum, with G in the place of that operand:

    dL/dX_k[s_k] = sum over the letters not in s_k of G[o] * prod_{j != k} X_j[s_j]

which is again an einsum ("o,s_1,...(without s_k)...->s_k"). Two cases need care:
a letter that appears only in s_k (summed away in the forward) gets G broadcast along it,
and a letter repeated in s_k (a diagonal, as in "ii->i") gets the gradient written back on
that diagonal, zeros elsewhere. Size-1 axes that broadcast against a larger size of the
same letter are dropped before the forward, so their gradient is summed over that letter.
"""
import string

import numpy as np

from deepgrad.autograd import function as _fn
from deepgrad.autograd.function import Function, to_tensor

_LETTERS = string.ascii_letters


class Einsum(Function):
    """out = einsum(terms -> output) of the operands (already expanded: no ellipsis, no
    broadcast size-1 axes; ``shapes`` are the operands' original shapes)."""

    def forward(self, *xs, terms=(), output="", shapes=()):
        self.terms, self.output, self.shapes = terms, output, shapes
        self.xs = [x.reshape([n for n, keep in zip(x.shape, mask) if keep])
                   for x, mask in zip(xs, self._kept())]
        return _contract(terms, output, self.xs)

    def _kept(self):
        return [[n != -1 for n in shape] for shape in self.shapes]

    def backward(self, g):
        return tuple(self._grad(k, g) if need else None for k, need in enumerate(self.needs_grad))

    def _grad(self, k, g):
        term, x = self.terms[k], self.xs[k]
        others = [j for j in range(len(self.xs)) if j != k]
        unique = "".join(dict.fromkeys(term))
        avail = set(self.output).union(*[self.terms[j] for j in others])
        target = "".join(c for c in unique if c in avail)
        size = {c: n for c, n in zip(term, x.shape)}
        grad = _contract([self.output] + [self.terms[j] for j in others], target,
                         [g] + [self.xs[j] for j in others])
        grad = np.broadcast_to(grad.reshape([size[c] if c in avail else 1 for c in unique]),
                               [size[c] for c in unique])
        if len(unique) != len(term):       # a repeated letter: write onto the diagonal
            full = np.zeros(x.shape, dtype=g.dtype)
            full[tuple(np.arange(size[c]).reshape([-1 if u == c else 1 for u in unique])
                       for c in term)] = grad
            grad = full
        return grad.reshape([1 if n == -1 else n for n in self.shapes[k]])


def _contract(terms, output, xs):
    spec = ",".join(terms) + "->" + output
    return np.einsum(spec, *xs, optimize=len(xs) > 2 or (len(xs) == 2 and "greedy"))


def _from_sublists(args):
    """einsum(a, [0, 1], b, [1, 2], [0, 2]) -> ('ab,bc->ac', a, b)."""
    def letters(sub):
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= s < 52:
                out.append(_LETTERS[s])
            else:
                raise ValueError(f"einsum: sublist entries must be integers in [0, 52) or "
                                 f"Ellipsis, received {s!r}")
        return "".join(out)
    operands = list(args[0::2])
    subs = list(args[1::2])
    terms = [letters(s) for s in subs[:len(operands)]]
    eq = ",".join(terms)
    if len(args) % 2 == 1:
        eq += "->" + letters(args[-1])
        operands = operands[:-1] if len(operands) > len(terms) else operands
    return eq, operands


def _parse(equation, shapes):
    """Terms and output with every ellipsis replaced by explicit letters."""
    eq = equation.replace(" ", "")
    inputs, arrow, output = eq.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} has {len(terms)} operand(s) but "
                         f"{len(shapes)} tensor(s) were given")
    for t in terms + [output]:
        bad = set(t.replace("...", "")) - set(_LETTERS)
        if bad or t.count("...") > 1:
            raise ValueError(f"einsum: invalid subscripts {t!r} in {equation!r} (letters a-z, "
                             f"A-Z and at most one '...' per operand)")
    used = set(eq) & set(_LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for t, shape in zip(terms, shapes):
        letters = len(t.replace("...", ""))
        extra = len(shape) - letters
        if extra < 0 or (extra > 0 and "..." not in t):
            raise ValueError(f"einsum: subscripts {t!r} do not fit an operand of shape {shape}")
        n_ell = max(n_ell, extra)
    ell = "".join(spare[:n_ell])
    expanded = []
    for t, shape in zip(terms, shapes):
        if "..." in t:
            t = t.replace("...", ell[n_ell - (len(shape) - len(t.replace("...", ""))):])
        expanded.append(t)
    terms = expanded
    if arrow:
        output = output.replace("...", ell)
    else:
        counts = {c: "".join(terms).count(c) for c in set("".join(terms))}
        output = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    if len(set(output)) != len(output) or set(output) - set("".join(terms)):
        raise ValueError(f"einsum: output subscripts of {equation!r} must be distinct and "
                         f"appear in the operands")
    return terms, output


def einsum(equation, *operands):
    """Einstein summation: ``einsum('ij,jk->ik', a, b)`` is a @ b; letters missing from the
    output are summed over, '...' stands for broadcast leading axes, and without '->' the
    output is the letters used once, in alphabetical order. Also accepts the operands as
    one list, and PyTorch's sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.

    Gradients for every operand: see the module docstring.
    """
    if not isinstance(equation, str):
        equation, operands = _from_sublists((equation,) + operands)
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    xs = [to_tensor(x) for x in operands]
    if not xs:
        raise ValueError("einsum: expected at least one operand")
    xs = _one_dtype(xs)
    terms, output = _parse(equation, [tuple(x.shape) for x in xs])
    size = {}
    for t, x in zip(terms, xs):
        mine = {}
        for c, n in zip(t, x.shape):
            if mine.setdefault(c, n) != n:
                raise RuntimeError(f"einsum: subscript {c!r} is repeated in an operand of shape "
                                   f"{tuple(x.shape)} with different sizes ({equation!r})")
            if n != 1 and size.get(c, 1) not in (1, n):
                raise RuntimeError(f"einsum: subscript {c!r} has size {n} in an operand of "
                                   f"shape {tuple(x.shape)} but {size[c]} elsewhere "
                                   f"({equation!r})")
            size[c] = n if n != 1 else size.get(c, 1)
    # size-1 axes broadcast against a larger size of their letter are dropped (-1)
    shapes, kept_terms = [], []
    for t, x in zip(terms, xs):
        drop = [n == 1 and size[c] > 1 for c, n in zip(t, x.shape)]
        shapes.append(tuple(-1 if d else n for d, n in zip(drop, x.shape)))
        kept_terms.append("".join(c for c, d in zip(t, drop) if not d))
    return Einsum.apply(*xs, terms=tuple(kept_terms), output=output, shapes=tuple(shapes))


def _one_dtype(xs):
    from deepgrad.ops.join import _common_float
    if len({x.dtype for x in xs}) == 1:
        return xs
    return _common_float("einsum", xs)[0]
