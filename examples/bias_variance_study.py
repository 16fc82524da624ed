"""Bias or variance? The notes' recipe on digits, in a few lines.

Run:  python examples/bias_variance_study.py
A tiny net underfits (high bias: make it bigger); a wide net trained on 60
samples overfits (high variance: more data or regularisation).
"""

from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import DeepNNClassifier
from sknn_scratch.studies import bias_variance_report, train_dev_test_split

X, y = load_digits(return_X_y=True)
X_train, X_dev, X_test, y_train, y_dev, y_test = train_dev_test_split(
    X, y, dev_size=0.2, test_size=0.2, random_state=0)

tiny = make_pipeline(StandardScaler(), DeepNNClassifier((2,), random_state=0))
print(bias_variance_report(tiny, X_train, y_train, X_dev, y_dev), "\n")

wide = make_pipeline(StandardScaler(),
                     DeepNNClassifier((256,), alpha=0.0, max_iter=300, random_state=0))
print(bias_variance_report(wide, X_train[:60], y_train[:60], X_dev, y_dev), "\n")

# The notes' fix for variance: regularise (and, better, get more data).
regularised = make_pipeline(StandardScaler(),
                            DeepNNClassifier((256,), alpha=1.0, dropout=0.3,
                                             max_iter=300, random_state=0))
print(bias_variance_report(regularised, X_train, y_train, X_dev, y_dev))
