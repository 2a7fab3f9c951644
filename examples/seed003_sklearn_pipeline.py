"""Seed 003 as one scikit-learn pipeline: ``StandardScaler`` then the seed's MLP
(784-h-h-10, ReLU, softmax, Adam), with a grid search over the hidden width h.

The seed (sections 3.1-3.4, ``examples/seed003_tf_keras_mlp.py``) standardises all of
MNIST with ``StandardScaler`` before it splits off a test set, builds the MLP with h = 64
and trains it for 10 epochs. Here the network is wrapped in
``keras.wrappers.SKLearnClassifier`` (Keras 3's wrapper, on deepgrad) so that the scaler
and the network form a single ``Pipeline``: ``GridSearchCV`` then fits the scaler on the
training folds only (no statistics leak from the fold that scores) and picks h by
cross-validated accuracy, refits the best pipeline on the whole training set and scores
it on the held-out 20% (the seed's ``train_test_split(test_size=0.2, random_state=42)``).

The wrapper one-hot encodes the digits, so the loss is ``categorical_crossentropy`` on
one-hot rows, the same number as the seed's ``sparse_categorical_crossentropy`` on
integer labels. Needs scikit-learn (``pip install deepgrad[sklearn]``) and MNIST
(``$DEEPGRAD_DATA/mnist.npz``, as the other MNIST examples).

    DEEPGRAD_DATA=../shared/data python examples/seed003_sklearn_pipeline.py
    python examples/seed003_sklearn_pipeline.py --quick      # seconds: 1,500 images,
                                                            # 2 epochs, 2 folds, h in {16, 32}
"""
import argparse
import time

import numpy as np
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import deepgrad as tf
from deepgrad.keras.wrappers import SKLearnClassifier


def build_mlp(X, y, hidden=64):
    """The seed's network with hidden width ``hidden``, sized from the data: X.shape[1]
    inputs (784) and y.shape[1] outputs (the wrapper's one-hot target: 10)."""
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(hidden, activation='relu', input_shape=(X.shape[1],)),
        tf.keras.layers.Dense(hidden, activation='relu'),
        tf.keras.layers.Dense(y.shape[1], activation='softmax')
    ])
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a few-second run: 1,500 training images, 2 epochs, 2 folds, "
                             "widths 16 and 32")
    parser.add_argument("--epochs", type=int, default=None, help="default 10 (quick: 2)")
    parser.add_argument("--samples", type=int, default=None,
                        help="training images used (default all 56,000; quick: 1,500)")
    parser.add_argument("--widths", type=int, nargs="+", default=None,
                        help="hidden widths searched (default 32 64 128; quick: 16 32)")
    parser.add_argument("--cv", type=int, default=None, help="folds (default 3; quick: 2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    quick = {"epochs": 2, "samples": 1500, "widths": [16, 32], "cv": 2}
    full = {"epochs": 10, "samples": None, "widths": [32, 64, 128], "cv": 3}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)

    tf.keras.utils.set_random_seed(args.seed)
    start = time.perf_counter()

    # MNIST flattened, as sklearn's fetch_openml('mnist_784') lays it out (the seed's
    # `dataset`), then the seed's split: 20% held out with random_state=42
    (x_tr, y_tr), (x_te, y_te) = tf.keras.datasets.mnist.load_data()
    X = np.concatenate([x_tr, x_te]).reshape(-1, 784).astype(np.float64)
    y = np.concatenate([y_tr, y_te]).astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2,
                                                        random_state=42)
    X_train, y_train = X_train[:args.samples], y_train[:args.samples]

    pipe = Pipeline([
        ("scaler", StandardScaler()),
        ("mlp", SKLearnClassifier(build_mlp, fit_kwargs={"epochs": args.epochs,
                                                          "batch_size": 32,
                                                          "verbose": 0})),
    ])
    grid = {"mlp__model_kwargs": [{"hidden": h} for h in args.widths]}
    search = GridSearchCV(pipe, grid, cv=args.cv, scoring="accuracy")
    search.fit(X_train, y_train)

    for params, mean, std in zip(search.cv_results_["params"],
                                 search.cv_results_["mean_test_score"],
                                 search.cv_results_["std_test_score"]):
        print(f"hidden={params['mlp__model_kwargs']['hidden']:>4}: "
              f"CV accuracy {mean:.4f} +/- {std:.4f}")
    best = search.best_params_["mlp__model_kwargs"]["hidden"]
    print(f"Training images: {len(X_train)}, epochs: {args.epochs}, folds: {args.cv}")
    print(f"Best hidden width: {best}")
    print(f"Best CV accuracy: {search.best_score_:.4f}")
    print(f"Test accuracy: {search.score(X_test, y_test):.4f}")
    print(f"Wall time: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
