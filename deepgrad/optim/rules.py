"""The per-parameter update rules, written once for both optimizer fronts.

:mod:`deepgrad.optim` (PyTorch's classes: parameter groups, closures, ``state_dict``)
and :mod:`deepgrad.keras.optimizers` (Keras's: lazy ``build``, ``iterations``,
schedules, clipping, EMA, gradient accumulation, constraints) both step a parameter
with these functions. Each one updates the NumPy array ``param`` and its state arrays
in place, only reads ``grad``, and allocates one or two temporaries at most.

Where PyTorch's and Keras's published formulas differ, a flag chooses (the difference
is documented by both projects; everything else is shared):

* ``epsilon_hat`` (Adam): Keras adds ``eps`` to ``sqrt(v)`` before the bias correction
  (Kingma & Ba's "epsilon hat", just before their section 2.1); PyTorch adds it after
  (their Algorithm 1).
* ``eps_in_sqrt`` (RMSprop, Adagrad): Keras divides by ``sqrt(v + eps)``, PyTorch by
  ``sqrt(v) + eps``.
* ``eps_in_max`` (Adamax): PyTorch keeps ``u = max(beta2 u, |g| + eps)``, Keras
  ``u = max(beta2 u, |g|)`` and divides by ``u + eps``.
* ``lr_in_velocity`` (SGD and RMSprop momentum): Keras's velocity accumulates
  ``lr``-scaled steps, PyTorch's buffer accumulates unscaled ones and is multiplied by
  ``lr`` when applied (the two agree while ``lr`` is constant).
* Weight decay: coupled (PyTorch's ``weight_decay``: ``g + lambda theta``, see
  :func:`deepgrad.optim.optimizer.effective_grad`) or decoupled (AdamW, Keras's
  ``weight_decay``: :func:`decay_` before the rule).
* ``eps1_added`` (Adafactor): Keras adds ``epsilon_1`` to ``g^2``; PyTorch uses it as a
  floor of the factored second moment.

Momentum schedules (Nadam's ``mu_t``), learning-rate decay (Adagrad's ``lr_decay``) and
the step count belong to the fronts; the rules get the resulting numbers.
"""
import math

import numpy as np

from deepgrad import kernels, parallel


# ---------------------------------------------------------------------- building blocks
def lerp_(start, end, weight, tmp=None):
    """``start <- start + weight * (end - start)`` in place (``torch.Tensor.lerp_``).

    Rounded as PyTorch's CPU kernel does: ``start + w (end - start)`` for ``|w| < 0.5``,
    ``end - (end - start)(1 - w)`` otherwise (so ``w = 1`` gives ``end`` exactly).

    Args:
        start (ndarray): updated in place.
        end (ndarray): same shape (or broadcastable to it); not ``tmp``.
        weight (float): ``w``.
        tmp (ndarray, optional): scratch array of ``start``'s shape (else one is made).
    """
    diff = np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        np.subtract(end, diff, out=start)
    return start


def ema_square_(avg, grad, weight, tmp):
    """``avg <- avg + weight * (g^2 - avg)``: a moving average of squares, in place."""
    np.multiply(grad, grad, out=tmp)
    tmp -= avg
    tmp *= weight
    avg += tmp
    return avg


def decay_(param, amount):
    """Decoupled weight decay: ``theta <- theta (1 - amount)``, ``amount = lr * wd``."""
    param *= 1.0 - amount


#: every this many steps, :func:`adam` sets its moments' subnormal entries to zero
FLUSH_EVERY = 256


def flush_subnormal_(*arrays):
    """Set the subnormal entries (``0 < |a| < finfo.tiny``) of float arrays to 0, in place.

    A moment estimate whose gradient stays exactly 0 (the weights of a dead ReLU unit,
    say) decays by ``beta`` each step into the subnormal range and then stays there
    (``beta * a`` rounds back to ``a`` at the smallest subnormal). Arithmetic on
    subnormals is many times slower on x86 CPUs, so a model with dead units steps more
    and more slowly (mlp32_64 after 2,000 steps: Adam's update 1.5x to 3x slower). Such
    a value (below 1.2e-38 in float32) cannot move a parameter; zero is where it was
    heading.
    """
    for a in arrays:
        if a is not None:
            np.copyto(a, 0, where=np.abs(a) < np.finfo(a.dtype).tiny)


def rms(x):
    """``sqrt(mean(x^2))`` as a Python float."""
    return math.sqrt(float(np.vdot(x, x).real) / x.size) if x.size else 0.0


# ---------------------------------------------------------------------- algorithms
def sgd(param, grad, buf, lr, momentum=0.0, dampening=0.0, nesterov=False,
        lr_in_velocity=False, fresh=False):
    r"""Gradient descent, with (Nesterov) momentum when ``buf`` is given.

        no momentum (buf None):  theta <- theta - lr g
        PyTorch:  b <- mu b + (1 - tau) g       (b = g at the first step: fresh=True)
                  theta <- theta - lr (g + mu b)   nesterov,   else theta - lr b
        Keras (lr_in_velocity):  v <- mu v - lr g
                  theta <- theta + mu v - lr g    nesterov,   else theta + v

    Args:
        buf (ndarray or None): the momentum buffer ``b`` / velocity ``v``.
        fresh (bool): ``buf`` already holds this step's ``g`` (PyTorch's first step).
    """
    step = np.multiply(grad, lr, out=np.empty_like(param))     # lr g (the one temporary)
    if buf is None:
        param -= step
        return
    if lr_in_velocity:
        buf *= momentum
        buf -= step
        if nesterov:
            param -= step
            np.multiply(buf, momentum, out=step)
            param += step
        else:
            param += buf
        return
    if not fresh:
        buf *= momentum
        buf += grad if dampening == 0 else grad * (1 - dampening)
    if nesterov:
        np.multiply(buf, momentum, out=step)
        step += grad
        step *= lr
    else:
        np.multiply(buf, lr, out=step)
    param -= step


#: Large tensors are updated block by block: every pass of the update runs on one block
#: of this many elements (256 KiB of float32 per array) before the next block starts, so
#: the arrays stay in cache instead of streaming from memory once per pass (Adam makes 12
#: passes). Each element's arithmetic is unchanged, so blocks change no bits; they also
#: split over the threads. cnn_mnist's step (Adam on a 692K-weight Linear): 8.09 -> 7.10 ms
#: at one thread; blocks of 2^14 were slower on mlp128 (0.99 vs 0.96 ms).
BLOCK = 1 << 16


def adam(param, grad, m, v, lr, beta1, beta2, eps, step, v_max=None, epsilon_hat=False):
    r"""Adam (AMSGrad when ``v_max`` is given), at step ``t = step``:

        m <- m + (1 - beta1)(g - m);   v <- v + (1 - beta2)(g^2 - v)
        v_hat = max(v_max, v)  (amsgrad)  else  v
        PyTorch:  theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v_hat / (1 - beta2^t)) + eps)
        Keras (epsilon_hat):
                  theta <- theta - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v_hat) + eps)

    Every :data:`FLUSH_EVERY` steps the moments' subnormal entries become 0 first
    (:func:`flush_subnormal_`).
    """
    if step % FLUSH_EVERY == 0:
        flush_subnormal_(m, v, v_max)
    bc1, bc2 = 1.0 - beta1 ** step, 1.0 - beta2 ** step
    step_size = lr * bc2 ** 0.5 / bc1 if epsilon_hat else lr / bc1
    hyper = (beta1, beta2, eps, None if epsilon_hat else bc2 ** 0.5, step_size)
    if _compiled_adam(param, grad, m, v, v_max, hyper):
        return
    if param.size < 2 * BLOCK:                 # the common small tensor: no blocks to make
        _adam_update(param, grad, m, v, v_max, *hyper)
    else:
        parallel.blockwise(lambda *arrays: _adam_update(*arrays, *hyper), param, grad, m,
                           v, v_max, block=BLOCK)


def _compiled_adam(param, grad, m, v, v_max, hyper):
    """Adam's update by :func:`deepgrad.kernels.optim.adam` (one pass, the same bits), in
    blocks shared by the threads; False where the kernels are off or the arrays don't suit
    it (another dtype, not contiguous, not all in one memory order). Arrays all in
    Fortran order (a Keras ``Dense`` kernel, its gradient and moments) run as they lie in
    memory: the update is elementwise, so it is the same update.

    On the small tensors of a dense model the call's own Python is most of the cost (6
    tensors of seed 001's MLP: 52 us a step against 21 for the kernel calls), so it is
    kept short: one test per array, the constants made once per step and dtype."""
    dtype, shape = param.dtype, param.shape
    if dtype not in kernels.FLOATS:
        return False
    k = kernels.get("optim", "adam")
    if k is None:
        return False
    arrays = (param, grad, m, v, v if v_max is None else v_max)
    order = "C_CONTIGUOUS" if param.flags.c_contiguous else "F_CONTIGUOUS"
    for a in arrays:                        # one memory order: ravel("K") pairs elements
        if type(a) is not np.ndarray or a.dtype != dtype or a.shape != shape \
                or not a.flags[order]:
            return False
    flat = arrays if len(shape) == 1 else [a.ravel("K") for a in arrays]
    global _adam_constants
    key, c = _adam_constants                # one read: another thread may replace it
    if key != (hyper, dtype):               # the same for every tensor of one step
        beta1, beta2, eps, v_scale, step_size = hyper
        c = np.array([1.0 - beta1, 1.0 - beta2, v_scale or 1.0, eps, step_size], dtype)
        _adam_constants = ((hyper, dtype), c)
    amsgrad, scale = v_max is not None, hyper[3] is not None
    if param.size < 2 * BLOCK:
        k(*flat, amsgrad, scale, c)
    else:
        parallel.blockwise(lambda *blocks: k(*blocks, amsgrad, scale, c), *flat, block=BLOCK)
    return True


#: ((hyper, dtype), constants) of the last compiled Adam call: the array of (1 - beta1,
#: 1 - beta2, v_scale, eps, step_size) in that dtype. One entry, replaced whole (threads
#: read it once, so a pair never mixes two steps'): a step's tensors share it, and the
#: kernel only reads it.
_adam_constants = (None, None)


def _adam_update(param, grad, m, v, v_max, beta1, beta2, eps, v_scale, step_size):
    """One Adam update of (blocks of) the arrays: see :func:`adam` (``v_scale``:
    sqrt(1 - beta2^t), or None for Keras's epsilon-hat form)."""
    tmp = np.empty_like(param)               # (the moments written out, not by lerp_ /
    np.subtract(grad, m, out=tmp)            # ema_square_: this is the hot loop of fit)
    tmp *= 1.0 - beta1
    m += tmp
    np.multiply(grad, grad, out=tmp)
    tmp -= v
    tmp *= 1.0 - beta2
    v += tmp
    if v_max is not None:
        v = np.maximum(v_max, v, out=v_max)
    np.sqrt(v, out=tmp)
    if v_scale is not None:
        tmp /= v_scale
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= step_size
    param -= tmp


def adamax(param, grad, m, u, lr, beta1, beta2, eps, step, eps_in_max=False):
    r"""Adamax (Adam with the infinity norm), at step ``t = step``:

        m <- m + (1 - beta1)(g - m)
        PyTorch (eps_in_max):  u <- max(beta2 u, |g| + eps);  theta <- theta - lr m / ((1 - beta1^t) u)
        Keras:                 u <- max(beta2 u, |g|);  theta <- theta - lr m / ((1 - beta1^t)(u + eps))
    """
    tmp = np.empty_like(param)
    lerp_(m, grad, 1.0 - beta1, tmp)
    u *= beta2
    np.abs(grad, out=tmp)
    if eps_in_max:
        tmp += eps
        np.maximum(u, tmp, out=u)
        np.divide(m, u, out=tmp)
    else:
        np.maximum(u, tmp, out=u)
        np.add(u, eps, out=tmp)
        np.divide(m, tmp, out=tmp)
    tmp *= lr / (1.0 - beta1 ** step)
    param -= tmp


def nadam_momentum(beta1, step, psi):
    """Nadam's momentum schedule ``mu_t = beta1 (1 - 0.5 * 0.96^(t psi))`` (PyTorch's
    ``momentum_decay`` is ``psi``, 0.004 by default; Keras's schedule has ``psi = 1``)."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))


def nadam(param, grad, m, v, lr, beta1, beta2, eps, step, mu, mu_next, mu_product):
    r"""Nadam (Adam with Nesterov momentum), at step ``t = step``:

        m <- m + (1 - beta1)(g - m);   v <- v + (1 - beta2)(g^2 - v)
        m_hat = mu_{t+1} m / (1 - P_t mu_{t+1}) + (1 - mu_t) g / (1 - P_t)
        theta <- theta - lr m_hat / (sqrt(v / (1 - beta2^t)) + eps)

    with ``mu = mu_t``, ``mu_next = mu_{t+1}`` (:func:`nadam_momentum`) and
    ``mu_product = P_t = mu_1 ... mu_t``.
    """
    tmp, m_hat = np.empty_like(param), np.empty_like(param)
    lerp_(m, grad, 1.0 - beta1, tmp)
    ema_square_(v, grad, 1.0 - beta2, tmp)
    np.multiply(m, mu_next / (1.0 - mu_product * mu_next), out=m_hat)
    np.multiply(grad, (1.0 - mu) / (1.0 - mu_product), out=tmp)
    m_hat += tmp
    np.divide(v, 1.0 - beta2 ** step, out=tmp)
    np.sqrt(tmp, out=tmp)
    tmp += eps
    m_hat /= tmp
    m_hat *= lr
    param -= m_hat


def rmsprop(param, grad, v, lr, rho, eps, buf=None, momentum=0.0, avg=None,
            eps_in_sqrt=False, lr_in_velocity=False):
    r"""RMSprop: divide by a running root mean square of the gradient.

        v <- v + (1 - rho)(g^2 - v);   a <- a + (1 - rho)(g - a)    (centered: avg given)
        d = sqrt(v - a^2) + eps   (PyTorch)   or   sqrt(v - a^2 + eps)   (eps_in_sqrt, Keras)
        no momentum:  theta <- theta - lr g / d
        PyTorch:      b <- mu b + g / d;        theta <- theta - lr b
        Keras:        b <- mu b + lr g / d;     theta <- theta - b        (lr_in_velocity)
    """
    tmp = np.empty_like(param)
    ema_square_(v, grad, 1.0 - rho, tmp)
    if avg is not None:
        lerp_(avg, grad, 1.0 - rho, tmp)
        np.multiply(avg, avg, out=tmp)
        np.subtract(v, tmp, out=tmp)
    else:
        np.copyto(tmp, v)
    if eps_in_sqrt:
        tmp += eps
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(tmp, out=tmp)
        tmp += eps
    np.divide(grad, tmp, out=tmp)
    if buf is None:
        tmp *= lr
        param -= tmp
    elif lr_in_velocity:
        tmp *= lr
        buf *= momentum
        buf += tmp
        param -= buf
    else:
        buf *= momentum
        buf += tmp
        np.multiply(buf, lr, out=tmp)
        param -= tmp


def adagrad(param, grad, acc, lr, eps, eps_in_sqrt=False):
    r"""Adagrad: ``acc <- acc + g^2``, then ``theta <- theta - lr g / (sqrt(acc) + eps)``
    (PyTorch) or ``theta - lr g / sqrt(acc + eps)`` (Keras, ``eps_in_sqrt``)."""
    tmp = np.multiply(grad, grad, out=np.empty_like(param))
    acc += tmp
    if eps_in_sqrt:
        np.add(acc, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(acc, out=tmp)
        tmp += eps
    np.divide(grad, tmp, out=tmp)
    tmp *= lr
    param -= tmp


def adadelta(param, grad, v, u, lr, rho, eps):
    r"""Adadelta (the same formula in PyTorch and Keras):

        v <- v + (1 - rho)(g^2 - v)
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u <- u + (1 - rho)(delta^2 - u)
        theta <- theta - lr delta
    """
    tmp, delta = np.empty_like(param), np.empty_like(param)
    ema_square_(v, grad, 1.0 - rho, tmp)
    np.add(u, eps, out=delta)
    np.sqrt(delta, out=delta)
    delta *= grad
    np.add(v, eps, out=tmp)
    np.sqrt(tmp, out=tmp)
    delta /= tmp
    ema_square_(u, delta, 1.0 - rho, tmp)
    delta *= lr
    param -= delta


def adafactor(param, grad, row, col, var, lr, step, beta2_decay, eps1, eps2, clip_threshold,
              decay=0.0, eps1_added=False):
    r"""Adafactor (Shazeer & Stern, 2018), at step ``t = step``:

        rho = min(lr, 1 / sqrt(t));   alpha = max(eps2, RMS(theta)) rho
        w = t^beta2_decay                                   (1 - beta2_t)
        s = g^2 + eps1   (Keras, eps1_added)   or   g^2   (PyTorch)
        factored (row, col given, for >= 2-D theta; row keeps the last axis as 1, col the
        second-to-last):
            R <- R + w (mean_{-1} s - R);   C <- C + w (mean_{-2} s - C)
            V = R C / mean_{-2} R           (PyTorch: / max(mean_{-2} R, eps1))
        otherwise:  V <- V + w (s - V)
        PyTorch: V = max(V, eps1^2)
        U = g / sqrt(V);   theta <- theta (1 - decay);   theta <- theta - alpha U / max(1, RMS(U) / d)

    Args:
        row, col (ndarray or None): the factored second moments (views of the state).
        var (ndarray or None): the unfactored second moment (state), or, factored,
            where to store ``V`` (Keras keeps it as a slot); None: a temporary.
        decay (float): PyTorch's decoupled ``lr * weight_decay``, applied after ``alpha``
            is taken (Keras's front decays before the rule).
        clip_threshold (float): ``d``.
    """
    w = float(step) ** beta2_decay
    rho = min(lr, 1.0 / math.sqrt(step))
    alpha = max(eps2, rms(param)) * rho
    if decay:
        decay_(param, decay)
    sq = np.multiply(grad, grad)
    if eps1_added:
        sq += eps1
    if row is not None:
        lerp_(row, np.mean(sq, axis=-1, keepdims=True), w)
        lerp_(col, np.mean(sq, axis=-2, keepdims=True), w)
        mean_row = row.mean(axis=-2, keepdims=True)
        if not eps1_added:
            mean_row = np.maximum(mean_row, eps1)
        v = np.matmul(row, col, out=var)
        v /= mean_row
        v = v if var is None else v.copy()
    else:
        lerp_(var, sq, w)
        v = var.copy()
    if not eps1_added:
        np.maximum(v, eps1 * eps1, out=v)
    update = np.divide(grad, np.sqrt(v, out=v), out=v)
    alpha /= max(1.0, rms(update) / clip_threshold)
    update *= alpha
    param -= update


def ftrl(param, grad, accum, linear, lr, lr_power, l1, l2, l2_shrinkage, beta):
    r"""FTRL-proximal (McMahan et al., 2013), Keras's formulation:

        g' = g + 2 l2_shrinkage theta;   n' = n + g^2
        z <- z + g' - (n'^(-p) - n^(-p)) / lr * theta          (p = lr_power)
        theta <- (clip(z, -l1, l1) - z) / (n'^(-p) / lr + 2 (l2 + beta / (2 lr)));   n <- n'
    """
    l2 = l2 + beta / (2.0 * lr)
    shrunk = grad + (2.0 * l2_shrinkage) * param if l2_shrinkage else grad
    new_accum = accum + grad * grad
    power_new = np.power(new_accum, -lr_power)
    sigma = (power_new - np.power(accum, -lr_power)) / lr
    linear += shrunk - sigma * param
    quadratic = power_new / lr + 2.0 * l2
    param[...] = (np.clip(linear, -l1, l1) - linear) / quadratic
    accum[...] = new_accum


def lion(param, grad, m, lr, beta1, beta2):
    r"""Lion (Chen et al., 2023):

        theta <- theta - lr sign(beta1 m + (1 - beta1) g)
        m <- beta2 m + (1 - beta2) g
    """
    c = np.multiply(m, beta1, out=np.empty_like(param))
    c += grad * (1.0 - beta1)
    np.sign(c, out=c)
    c *= lr
    param -= c
    m *= beta2
    m += grad * (1.0 - beta2)


def lamb(param, grad, m, v, lr, beta1, beta2, eps, step):
    r"""LAMB (You et al., 2019), Keras's formulation, at step ``t = step``:

        m <- m + (1 - beta1)(g - m);   v <- v + (1 - beta2)(g^2 - v)
        r = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
        theta <- theta - lr ||theta|| / ||r|| r        (ratio 1 when either norm is 0)
    """
    tmp, update = np.empty_like(param), np.empty_like(param)
    lerp_(m, grad, 1.0 - beta1, tmp)
    ema_square_(v, grad, 1.0 - beta2, tmp)
    np.divide(m, 1.0 - beta1 ** step, out=update)
    np.divide(v, 1.0 - beta2 ** step, out=tmp)
    np.sqrt(tmp, out=tmp)
    tmp += eps
    update /= tmp
    w_norm = math.sqrt(float(np.vdot(param, param).real))
    u_norm = math.sqrt(float(np.vdot(update, update).real))
    ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
    update *= ratio * lr
    param -= update


def schedule_free_adamw(param, grad, z, v, lr, beta1, beta2, eps, step):
    r"""Schedule-free AdamW (Defazio et al., 2024) in Keras 3's form, at step ``t``:

        v <- v + (1 - beta2)(g^2 - v)
        z_new = z - lr g / (sqrt(v / (1 - beta2^t)) + eps)      (the base sequence)
        x = (y - (1 - beta1) z) / beta1                          (the averaged sequence)
        x <- (1 - 1/t) x + (1/t) z_new
        y <- (1 - beta1) z_new + beta1 x                         (the evaluated point)

    ``param`` holds y; ``z`` starts as a copy of it (warm-up scales ``lr`` outside).
    """
    x = param - (1.0 - beta1) * z
    x /= beta1
    v += (1.0 - beta2) * (grad * grad - v)
    z -= lr * grad / (np.sqrt(v / (1.0 - beta2 ** step)) + eps)
    weight = 1.0 / step
    x *= 1.0 - weight
    x += weight * z
    param[...] = (1.0 - beta1) * z + beta1 * x


def newton_schulz5(x, steps, a=3.4445, b=-4.775, c=2.0315):
    r"""Muon's orthogonalisation: ``x / ||x||_F`` then ``steps`` quintic iterations
    ``x <- a x + (b A + c A^2) x``, ``A = x x^T`` (on the wide orientation), an
    approximation of ``U V^T`` of x's SVD (Jordan et al., 2024)."""
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = np.swapaxes(x, -1, -2)
    x = x / (np.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
    for _ in range(steps):
        gram = x @ np.swapaxes(x, -1, -2)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return np.swapaxes(x, -1, -2) if tall else x


def muon(param, grad, m, lr, momentum, nesterov, ns_steps, abc, rms_rate):
    r"""Muon's step for a 2-D weight: ``m <- m + g + (mu - 1) m`` (i.e. ``mu m + g``),
    ``u = NS5(g + mu m)`` (nesterov) or ``NS5(m)``, and
    ``theta <- theta - lr u sqrt(max(n, k)) rms_rate`` (Moonlight's scaling; none when
    ``rms_rate`` is None)."""
    m += grad + (momentum - 1.0) * m
    update = newton_schulz5(grad + momentum * m if nesterov else m, ns_steps, *abc)
    scale = lr if rms_rate is None else lr * math.sqrt(max(param.shape[0],
                                                            param.shape[1])) * rms_rate
    param -= scale * update
