"""Data-parallel training, Keras style: seed 004's CNN on MNIST with Horovod's API, a
Horovod Keras script (``import horovod.keras as hvd``) with its imports changed.

    mpirun -n 2 python examples/keras_horovod_mnist.py          # 2 processes, batch 32 each
    python examples/keras_horovod_mnist.py --batch-size 64       # 1 process, the same steps
    mpirun -n 2 python examples/keras_horovod_mnist.py --quick   # CI: 1,024 samples, float64

(as root: ``mpirun --allow-run-as-root ...``; needs ``pip install -e '.[distributed]'``.)

``model.fit`` gives each rank its part of every global batch of N*B samples (the same
shuffle on every rank), ``DistributedOptimizer`` averages the gradients during the
backward pass, ``BroadcastGlobalVariablesCallback(0)`` starts every rank from rank 0's
weights and ``MetricAverageCallback`` averages the logs. So N processes with
``--batch-size B`` take the steps of one process with ``--batch-size N*B``. Horovod's
recipe also multiplies the learning rate by N (``--scale-lr``), since the global batch
is N times larger; leave it off to compare with a one-process run. Only rank 0 prints
progress and writes the checkpoint.
"""
import argparse
import os

import numpy as np

import deepgrad.keras as keras
import deepgrad.keras.distributed as hvd


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--samples", type=int, default=60000, help="training samples used")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--scale-lr", action="store_true", help="lr x number of processes")
    parser.add_argument("--warmup-epochs", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--save", help="rank 0 writes the final weights here (.npz)")
    parser.add_argument("--checkpoint", help="rank 0 saves the model here after each epoch")
    parser.add_argument("--test-samples", type=int, default=10000)
    parser.add_argument("--quick", action="store_true",
                        help="1,024 training and 1,000 test samples, in float64")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.test_samples, args.dtype = 1024, 1000, "float64"

    hvd.init()
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = (x_train[:args.samples, ..., None] / 255.0).astype(args.dtype)
    y_train = y_train[:args.samples]
    x_test = (x_test[:args.test_samples, ..., None] / 255.0).astype(args.dtype)
    y_test = y_test[:args.test_samples]

    keras.utils.set_random_seed(args.seed)
    L, d = keras.layers, args.dtype
    model = keras.Sequential([
        keras.Input((28, 28, 1), dtype=d), L.Conv2D(32, (3, 3), activation="relu", dtype=d),
        L.MaxPooling2D((2, 2), dtype=d), L.Flatten(dtype=d),
        L.Dense(128, activation="relu", dtype=d), L.Dense(10, activation="softmax", dtype=d)])
    lr = args.lr * (hvd.size() if args.scale_lr else 1)
    model.compile(optimizer=hvd.DistributedOptimizer(keras.optimizers.Adam(lr)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [hvd.callbacks.BroadcastGlobalVariablesCallback(0),
                 hvd.callbacks.MetricAverageCallback()]
    if args.warmup_epochs:
        callbacks.append(hvd.callbacks.LearningRateWarmupCallback(
            lr, warmup_epochs=args.warmup_epochs, verbose=1))
    if args.checkpoint:                                  # written by rank 0 only
        callbacks.append(keras.callbacks.ModelCheckpoint(args.checkpoint))
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              callbacks=callbacks, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    if hvd.rank() == 0:
        print(f"Test accuracy: {accuracy:.4f}")
        if args.save:
            np.savez(args.save, *model.get_weights())
    hvd.shutdown()


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "torch")
    main()
