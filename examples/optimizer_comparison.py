"""Gradient descent, momentum, RMSprop and Adam on the same net and data.

Run:  python examples/optimizer_comparison.py   (writes optimizers.png with matplotlib)
"""

import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier
from sknn_scratch.studies import plot_loss_curves

X, y = load_digits(return_X_y=True)
# split first, then fit the scaler on the training rows only: fitted on all rows,
# it would carry the dev set's means and deviations into training (a leak)
X_train, X_dev, y_train, y_dev = train_test_split(X, y, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_dev = scaler.transform(X_train), scaler.transform(X_dev)

rates = {"gd": 0.1, "momentum": 0.1, "rmsprop": 0.001, "adam": 0.001}
nets = {}
for solver, rate in rates.items():
    net = DeepNNClassifier((64, 32), solver=solver, learning_rate=rate, batch_size=64,
                           max_iter=30, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X_train, y_train, X_val=X_dev, y_val=y_dev)
    nets[f"{solver} (lr={rate})"] = net
    print(f"{solver:>8}: final loss {net.loss_curve_[-1]:.4f}, "
          f"dev accuracy {net.validation_scores_[-1]:.3f}")

plot_loss_curves(nets).savefig("optimizers.png", dpi=100)
print("wrote optimizers.png")
