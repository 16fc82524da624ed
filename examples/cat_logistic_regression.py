"""The notes' first model: logistic regression on the course's cat pictures.

Run:  python examples/cat_logistic_regression.py path/to/catvnoncat
(default: $SKNN_SCRATCH_DATA). Expect 99% train / 70% test, as the course reports,
and the same coefficients from Newton's method as from scikit-learn.
"""

import os
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

from sknn_scratch import ScratchLogisticRegression
from sknn_scratch.datasets import load_catvnoncat

folder = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SKNN_SCRATCH_DATA", ".")
cats = load_catvnoncat(folder)
X_train, y_train = cats.train.data, cats.train.target  # (209, 12288), pixels / 255
X_test, y_test = cats.test.data, cats.test.target

# Exactly the notes' recipe: zeros, full-batch gradient descent, lr 0.005 x 2000.
clf = ScratchLogisticRegression(C=np.inf, solver="gd", batch_size=None, init="zeros",
                                learning_rate=0.005, max_iter=2000, tol=None)
clf.fit(X_train, y_train)
for i in range(0, 2000, 500):
    print(f"cost after iteration {i}: {clf.loss_curve_[i]:.6f}")
print(f"train accuracy {clf.score(X_train, y_train):.0%}, "
      f"test accuracy {clf.score(X_test, y_test):.0%}")

# The same model with L2 (C) and Newton's method: no learning rate to tune.
newton = ScratchLogisticRegression(C=0.01).fit(X_train, y_train)
print(f"Newton, C=0.01: {newton.n_iter_} iterations, "
      f"test accuracy {newton.score(X_test, y_test):.0%}")

# It minimises scikit-learn's objective, so its coefficients are sklearn's (to the
# solvers' tolerances): compare them.
reference = LogisticRegression(C=0.01, tol=1e-10, max_iter=10_000).fit(X_train, y_train)
coef_gap = np.max(np.abs(newton.coef_ - reference.coef_))
print(f"largest coefficient difference from sklearn's LogisticRegression(C=0.01): "
      f"{coef_gap:.1e} (coefficients up to {np.max(np.abs(reference.coef_)):.1e}); "
      f"intercepts {newton.intercept_[0]:.6f} vs {reference.intercept_[0]:.6f}")
