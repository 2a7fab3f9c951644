"""The ring-allreduce cost model behind the scaling predictions (benchmarks/SCALING.md).

Ring allreduce of n bytes on N ranks (reduce-scatter, then allgather, around a ring):
every rank sends and receives 2(N-1) messages of n/N bytes, so

    T(N, n) = 2(N-1) * alpha  +  2(N-1)/N * n * (1/beta + gamma)

with alpha the latency of one message, beta the link bandwidth (bytes/s) and gamma the
CPU's time per byte (copying and summing). One data-parallel step of a model whose
gradients hold n bytes, computing for t_c seconds per rank (B samples at this
machine's one-thread throughput), then takes t_c + T(N, n) when nothing overlaps
(the conservative case), and its scaling efficiency is

    E(N) = t_c / (t_c + T(N, n)),        E >= e  <=>  B >= e/(1-e) * T(N, n) * r_1

where r_1 is one rank's samples/s (t_c = B / r_1). Calibration: on this machine, MPI's
allreduce on 2 ranks over shared memory is timed for 8 B .. 32 MiB and fitted by least
squares as T_2(n) = 2 alpha_0 + n gamma (N = 2: 2(N-1)/N = 1; shared memory is so fast
that the fitted per-byte time is the CPU's copying and summing). Across machines the
link adds its own latency alpha_link per message and its wire time n/beta.
"""
import numpy as np

#: assumed per-message latency of the links (seconds): TCP over 10 Gb/s Ethernet, and an
#: RDMA fabric at 100 Gb/s (InfiniBand / RoCE)
LINKS = {"10 Gb/s": (10e9 / 8, 25e-6), "100 Gb/s": (100e9 / 8, 2e-6)}


def fit_local(points):
    """``(alpha_0, gamma)`` from ``[(bytes, seconds), ...]`` of 2-rank allreduces.

    Least squares on T = 2 alpha_0 + gamma n, weighted by 1/T so that small and large
    messages count alike (relative error).
    """
    n = np.array([p[0] for p in points], dtype=np.float64)
    t = np.array([p[1] for p in points], dtype=np.float64)
    w = 1.0 / t
    a = np.stack([2 * np.ones_like(n), n], axis=1) * w[:, None]
    (alpha, gamma), *_ = np.linalg.lstsq(a, t * w, rcond=None)
    return max(float(alpha), 0.0), max(float(gamma), 0.0)


def ring_time(ranks, nbytes, alpha, gamma, bandwidth=None, alpha_link=0.0):
    """T(N, n) in seconds (``bandwidth`` None: shared memory, no wire time)."""
    if ranks < 2:
        return 0.0
    wire = 0.0 if bandwidth is None else 1.0 / bandwidth
    return (2 * (ranks - 1) * (alpha + alpha_link)
            + 2 * (ranks - 1) / ranks * nbytes * (wire + gamma))


def efficiency(step_s, comm_s):
    """t_c / (t_c + T): the fraction of N times one rank's throughput."""
    return step_s / (step_s + comm_s)


def batch_for(target, comm_s, samples_per_s):
    """The smallest per-rank batch B with efficiency >= ``target`` (t_c = B / r_1)."""
    return int(np.ceil(target / (1.0 - target) * comm_s * samples_per_s))
