"""FedAvg and FedProx on McMahan et al. (2017)'s pathological non-IID MNIST, with the
paper's CNN, on deepgrad.federated.

The paper's setting (section 3, "Communication-Efficient Learning of Deep Networks from
Decentralized Data"): the 60,000 training images sorted by digit and cut into 200 shards
of 300, two shards per client, K = 100 clients (most hold two digits only); each round a
fraction C = 0.1 of the clients runs E = 5 local epochs of SGD with batches of B = 10 and
the server averages their models weighted by their data size; the CNN is two 5x5
convolutions (32 and 64 channels, each followed by 2x2 max pooling), a 512-unit ReLU
layer and a softmax output (1,663,370 parameters). The paper counts the rounds until the
global model reaches 99% test accuracy (its Table 2, CNN: E = 5, B = 10 takes 229 rounds
on this split and 20 on the IID one; FedSGD 483 and 626); it gives no count for 97%.

Measured with the defaults (torch front, seed 0, client lr 0.1, one thread of a shared
2-core machine, 54-138 s a round): 92.4% after 9 rounds, first 97% at round 28
(55 minutes), 97.8% at round 41, where that run was stopped (99% not measured). The
run goes on to 99% or 500 rounds; ``--stop-at 0.97`` ends it at 97%.

FedProx (Li et al. 2020) adds mu/2 ||w - w_t||^2 to every client's local objective.
Each round prints the global model's test accuracy and the client drift, and the first
round at 97% and at 99% is announced ("reached 97% test accuracy at round R"); the last
line is one JSON object: {"algorithm", "rounds_to_97", "rounds_to_99", "final_accuracy"}.

    DEEPGRAD_DATA=../shared/data python examples/fedavg_mnist.py                 # FedAvg
    DEEPGRAD_DATA=../shared/data python examples/fedavg_mnist.py --stop-at 0.97  # to 97%
    DEEPGRAD_DATA=../shared/data python examples/fedavg_mnist.py --algorithm fedprox
    python examples/fedavg_mnist.py --front keras --rounds 50     # the Keras-style model
    python examples/fedavg_mnist.py --quick      # CI: 10 clients x 2 x 50 images, C = 1,
                                                 # E = 2, 3 rounds, 500 test images
"""
import argparse
import json
import time

import numpy as np

import deepgrad as dg
from deepgrad import federated, nn, optim
from deepgrad.datasets import mnist

parser = argparse.ArgumentParser()
parser.add_argument("--algorithm", choices=["fedavg", "fedprox"], default="fedavg")
parser.add_argument("--front", choices=["torch", "keras"], default="torch",
                    help="deepgrad.nn (PyTorch style) or deepgrad.keras model")
parser.add_argument("--rounds", type=int, default=500, help="maximum communication rounds")
parser.add_argument("--stop-at", type=float, default=0.99,
                    help="stop once the global test accuracy reaches this (the paper's 99%%)")
parser.add_argument("--clients", type=int, default=100, help="K")
parser.add_argument("--shards-per-client", type=int, default=2)
parser.add_argument("--shard-size", type=int, default=300)
parser.add_argument("--fraction", type=float, default=0.1, help="C")
parser.add_argument("--local-epochs", type=int, default=5, help="E")
parser.add_argument("--batch-size", type=int, default=10, help="B (0: the whole client data)")
parser.add_argument("--lr", type=float, default=0.1, help="client SGD learning rate")
parser.add_argument("--mu", type=float, default=0.01, help="FedProx's proximal mu")
parser.add_argument("--server-lr", type=float, default=1.0)
parser.add_argument("--test-samples", type=int, default=10000)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--quick", action="store_true",
                    help="CI run: other defaults (QUICK below); explicit options still apply")
QUICK = dict(clients=10, shard_size=50, fraction=1.0, local_epochs=2, rounds=3,
             test_samples=500, stop_at=1.1)
if parser.parse_known_args()[0].quick:
    parser.set_defaults(**QUICK)
args = parser.parse_args()

dg.manual_seed(args.seed)
(x_tr, y_tr), (x_te, y_te) = mnist.load_data()
x_tr, x_te = (x_tr / 255.0).astype(np.float32), (x_te[:args.test_samples] / 255.0).astype(
    np.float32)
y_tr, y_te = y_tr.astype(np.int64), y_te[:args.test_samples].astype(np.int64)
if args.front == "torch":                         # NCHW for nn.Conv2d, NHWC for Keras
    x_tr, x_te = x_tr[:, None], x_te[:, None]
else:
    x_tr, x_te = x_tr[..., None], x_te[..., None]

partitioner = federated.ShardPartitioner(args.clients,
                                         num_shards_per_partition=args.shards_per_client,
                                         shard_size=args.shard_size, seed=args.seed)
partitioner.dataset = (x_tr, y_tr)
clients = [partitioner.load_partition(k) for k in range(args.clients)]
digits = np.mean([len(np.unique(y)) for _, y in clients])

if args.front == "torch":
    model = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Linear(512, 10))
    train_args = dict(loss_fn=nn.CrossEntropyLoss(),
                      optimizer_fn=lambda params: optim.SGD(params, lr=args.lr))
    num_params = sum(p.numel() for p in model.parameters())
else:
    from deepgrad import keras
    from deepgrad.keras import layers
    keras.utils.set_random_seed(args.seed)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(512, activation="relu"), layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=args.lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    train_args = {}
    num_params = model.count_params()

batch_size = None if args.batch_size == 0 else args.batch_size
if args.algorithm == "fedavg":
    strategy = federated.FedAvg(fraction_fit=args.fraction, local_epochs=args.local_epochs,
                                batch_size=batch_size, server_learning_rate=args.server_lr)
else:
    strategy = federated.FedProx(proximal_mu=args.mu, fraction_fit=args.fraction,
                                 local_epochs=args.local_epochs, batch_size=batch_size,
                                 server_learning_rate=args.server_lr)
print(f"{strategy}, client SGD lr {args.lr}, {args.front} CNN of {num_params:,} parameters")
print(f"{args.clients} clients x {args.shards_per_client} shards of {args.shard_size} "
      f"label-sorted images ({digits:.2f} digits per client on average); "
      f"{len(y_te)} test images")

first_reached = {}


def on_round(metrics):
    """Print the first round at 97% and 99% test accuracy; stop at ``--stop-at``."""
    for target in (0.97, 0.99):
        if target not in first_reached and metrics["test_accuracy"] >= target:
            first_reached[target] = metrics["round"]
            print(f"reached {target:.0%} test accuracy at round {metrics['round']} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    return metrics["test_accuracy"] >= args.stop_at


start = time.perf_counter()
history = federated.simulate(
    model, clients, strategy, num_rounds=args.rounds, test_data=(x_te, y_te), seed=args.seed,
    eval_batch_size=100, callback=on_round, **train_args)
print(f"{len(history)} rounds in {time.perf_counter() - start:.0f} s")
print(json.dumps({"algorithm": args.algorithm, "rounds_to_97": history.rounds_to(0.97),
                  "rounds_to_99": history.rounds_to(0.99),
                  "final_accuracy": history.rounds[-1]["test_accuracy"]}))
