"""DP-SGD training throughput: deepgrad.privacy side by side with Opacus (and both
frameworks' non-private steps).

    python benchmarks/dp_opacus.py                       # 1 and 2 threads, 7 rounds
    python benchmarks/dp_opacus.py --threads 1 --repeats 3 --workloads mnist_cnn
    python benchmarks/dp_opacus.py --quick               # smoke run

One DP step is what ``make_private`` makes of a training step: forward through the
GradSampleModule, mean cross-entropy, backward (per-sample gradients), and the DP
optimizer's step (per-sample clipping to C = 1, Gaussian noise sigma = 1.0, averaging by
the batch size, SGD). deepgrad runs ``deepgrad.privacy`` (GradSampleModule + DPOptimizer),
Opacus 1.6 its own (GradSampleModule with hooks + DPOptimizer) on PyTorch. The
non-private columns run the same model with the plain optimizer.

Before timing, the columns are checked to compute the same step: from PyTorch's initial
weights (copied into deepgrad) and with sigma = 0, the first three DP updates of deepgrad
and Opacus must agree (largest relative parameter difference printed). Each column runs
in its own process (so NumPy's and PyTorch's thread pools never share one), with the
given thread count; rounds interleave the columns (A, B, C, D, A, ...) and the median
samples/s over rounds is reported.
"""
import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

COLUMNS = ("deepgrad DP", "opacus DP", "deepgrad", "torch")
WORKLOADS = {
    # TF Privacy's / Opacus's MNIST CNN (the dp_mnist example), batch 256
    "mnist_cnn": dict(batch=256, shape=(1, 28, 28), classes=10),
    # an embedding + LSTM text classifier (per-sample gradients through time), batch 64
    "lstm_text": dict(batch=64, shape=(32,), classes=2, vocab=1000),
}


def build_model(lib, workload, opacus=False):
    """The workload's model in ``lib`` (torch or deepgrad, the same layer names). Opacus
    needs its own DPLSTM in place of nn.LSTM (same parameters and names)."""
    nn = lib.nn
    if workload == "mnist_cnn":
        return nn.Sequential(nn.Conv2d(1, 16, 8, 2, padding=3), nn.ReLU(), nn.MaxPool2d(2, 1),
                             nn.Conv2d(16, 32, 4, 2), nn.ReLU(), nn.MaxPool2d(2, 1),
                             nn.Flatten(), nn.Linear(32 * 4 * 4, 32), nn.ReLU(),
                             nn.Linear(32, 10))

    class TextLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(WORKLOADS["lstm_text"]["vocab"], 32)
            if opacus:
                from opacus.layers import DPLSTM
                self.lstm = DPLSTM(32, 64, batch_first=True)
            else:
                self.lstm = nn.LSTM(32, 64, batch_first=True)
            self.fc = nn.Linear(64, 2)

        def forward(self, x):
            out, _ = self.lstm(self.emb(x))
            return self.fc(out[:, -1])
    return TextLSTM()


def make_batch(workload, seed=0):
    import numpy as np
    spec, rng = WORKLOADS[workload], np.random.default_rng(seed)
    if workload == "lstm_text":
        x = rng.integers(0, spec["vocab"], (spec["batch"],) + spec["shape"])
    else:
        x = rng.random((spec["batch"],) + spec["shape"], dtype=np.float32)
    return x, rng.integers(0, spec["classes"], spec["batch"])


def _opacus_modules():
    """Opacus's GradSampleModule and DPOptimizer classes (its top-level import also loads
    optional integrations that need packages this benchmark does not)."""
    from opacus.grad_sample import GradSampleModule
    from opacus.optimizers import DPOptimizer
    return GradSampleModule, DPOptimizer


def build_step(column, workload, state, sigma):
    """A callable running one training step of ``column``; ``.params()`` -> arrays."""
    import numpy as np
    x, y = make_batch(workload)
    torch_side = column in ("opacus DP", "torch")
    lib = __import__("torch" if torch_side else "deepgrad")
    lib.manual_seed(0)
    model = build_model(lib, workload, opacus=column == "opacus DP")
    with lib.no_grad():                     # by parameter name (DPLSTM renames internally)
        for name, p in model.named_parameters():
            p.copy_(lib.tensor(state[name]))
    xt, yt = lib.tensor(x), lib.tensor(y)
    F = lib.nn.functional
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    if column == "deepgrad DP":
        from deepgrad.privacy import DPOptimizer, GradSampleModule
        model = GradSampleModule(model)
        opt = DPOptimizer(opt, noise_multiplier=sigma, max_grad_norm=1.0,
                          expected_batch_size=len(y))
    elif column == "opacus DP":
        GradSampleModule, DPOptimizer = _opacus_modules()
        model = GradSampleModule(model)
        opt = DPOptimizer(opt, noise_multiplier=sigma, max_grad_norm=1.0,
                          expected_batch_size=len(y))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return float(loss.item())
    inner = getattr(model, "_module", model)

    def params():
        return {n: np.array(p.detach().numpy() if torch_side else p.numpy())
                for n, p in inner.named_parameters()}
    step.params = params
    return step


def _set_threads(n):
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=n, user_api="blas")


def _serve(column, threads, conn):
    import warnings
    warnings.simplefilter("ignore")
    import numpy  # noqa: F401  (BLAS loaded before its limit is set)
    __import__("torch" if column in ("opacus DP", "torch") else "deepgrad")
    _set_threads(threads)
    step = None
    for op, *args in iter(conn.recv, None):
        try:
            if op == "build":
                step = build_step(column, *args)
                reply = None
            elif op == "check":
                reply = [step() for _ in range(args[0])], step.params()
            elif op == "warmup":
                times = []
                while sum(times) < args[0] or len(times) < 3:
                    t0 = time.perf_counter()
                    step()
                    times.append(time.perf_counter() - t0)
                reply = min(times)
            else:
                t0 = time.perf_counter()
                for _ in range(args[0]):
                    step()
                reply = time.perf_counter() - t0
        except Exception:      # noqa: BLE001  (sent to the parent)
            reply = RuntimeError(f"{column} worker, {op}:\n{traceback.format_exc()}")
        conn.send(reply)


class Worker:
    def __init__(self, column, threads):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(column, threads, child), daemon=True)
        self.process.start()

    def call(self, *message):
        self.conn.send(message)
        reply = self.conn.recv()
        if isinstance(reply, Exception):
            raise reply
        return reply

    def close(self):
        self.conn.send(None)
        self.process.join(10)


def initial_state(workload):
    """PyTorch's initialisation of the model, as arrays (every column starts from it)."""
    import torch
    torch.manual_seed(0)
    return {k: v.numpy().copy() for k, v in build_model(torch, workload).state_dict().items()}


def agreement(workload, state):
    """Largest relative parameter difference between deepgrad's and Opacus's first three
    DP updates with sigma = 0 (the clipping and averaging only)."""
    import numpy as np
    out = {}
    for column in ("deepgrad DP", "opacus DP"):
        w = Worker(column, 1)
        w.call("build", workload, state, 0.0)
        out[column] = w.call("check", 3)
        w.close()
    (l1, p1), (l2, p2) = out["deepgrad DP"], out["opacus DP"]
    rel = max(float(np.abs(p1[k] - p2[k]).max() / (np.abs(p2[k]).max() + 1e-12)) for k in p1)
    return rel, l1, l2


def measure(workload, threads, repeats, target_s, warmup_s):
    state = initial_state(workload)
    rel, l1, l2 = agreement(workload, state)
    print(f"{workload}: sigma=0 updates, deepgrad vs Opacus: max rel. parameter diff "
          f"{rel:.1e}; losses {['%.5f' % v for v in l1]} vs {['%.5f' % v for v in l2]}",
          flush=True)
    workers = {c: Worker(c, threads) for c in COLUMNS}
    try:
        for w in workers.values():
            w.call("build", workload, state, 1.0)
        per_step = {c: w.call("warmup", warmup_s) for c, w in workers.items()}
        n = {c: max(1, int(target_s / per_step[c])) for c in COLUMNS}
        for c, w in workers.items():
            w.call("run", n[c])                      # one untimed round
        rates = {c: [] for c in COLUMNS}
        batch = WORKLOADS[workload]["batch"]
        for _ in range(repeats):
            for c, w in workers.items():
                rates[c].append(n[c] * batch / w.call("run", n[c]))
                time.sleep(0.2)
    finally:
        for w in workers.values():
            w.close()
    med = {c: statistics.median(r) for c, r in rates.items()}
    spread = {c: (max(r) - min(r)) / 2 / med[c] for c, r in rates.items()}
    return dict(workload=workload, threads=threads, batch=WORKLOADS[workload]["batch"],
                median=med, spread=spread, best={c: max(r) for c, r in rates.items()},
                agreement=rel)


def markdown(results):
    lines = ["| workload | batch | threads | deepgrad DP samples/s | Opacus DP samples/s | "
             "deepgrad DP / Opacus | deepgrad samples/s | torch samples/s | "
             "deepgrad DP / deepgrad | Opacus / torch | max rel. diff (sigma=0) |",
             "|" + "---|" * 11]
    for r in results:
        m, s = r["median"], r["spread"]
        lines.append(
            f"| {r['workload']} | {r['batch']} | {r['threads']} | "
            f"{m['deepgrad DP']:,.0f} ±{s['deepgrad DP']:.0%} | "
            f"{m['opacus DP']:,.0f} ±{s['opacus DP']:.0%} | "
            f"**{m['deepgrad DP'] / m['opacus DP']:.2f}x** | {m['deepgrad']:,.0f} | "
            f"{m['torch']:,.0f} | {m['deepgrad DP'] / m['deepgrad']:.2f}x | "
            f"{m['opacus DP'] / m['torch']:.2f}x | {r['agreement']:.1e} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="3 short rounds (a smoke run)")
    ap.add_argument("--json", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    target_s, warmup_s, repeats = (0.2, 0.2, 3) if args.quick else (1.5, 1.0, args.repeats)
    results = []
    for threads in [int(t) for t in args.threads.split(",")]:
        for workload in args.workloads.split(","):
            results.append(measure(workload, threads, repeats, target_s, warmup_s))
            print(markdown(results[-1:]).splitlines()[-1], flush=True)
    print()
    print(markdown(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
