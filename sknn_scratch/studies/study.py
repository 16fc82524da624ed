"""The study behind ``sknn-scratch study``: one split, five models, one table.

The three sknn_scratch estimators and scikit-learn's LogisticRegression and
MLPClassifier are fitted on the same train split (the same StandardScaler
pipeline; the course's cat images are only divided by 255, as in the notes), and
compared on train, dev and test.
"""

import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn import datasets as sk_datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..estimators import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from ..estimators._linear_solvers import SOLVERS as FULL_BATCH
from ..estimators.base import BaseScratchClassifier
from .bias_variance import diagnose_fitted
from .planar import PLANAR, load_planar
from .split import train_dev_test_split

DATASETS = ("digits", "breast_cancer", "iris", "catvnoncat", "flower", "moons", "circles")

#: The course's published train/test accuracy (%) for its three cat models.
COURSE_RESULTS = {
    "logistic regression": (99.0, 70.0),
    "2-layer net [7]": (100.0, 72.0),
    "4-layer net [20, 7, 5]": (98.6, 80.0),
}


@dataclass
class StudyData:
    """A dataset split into train/dev/test (or the course's own train/test)."""

    name: str
    X_train: np.ndarray
    X_dev: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_dev: np.ndarray
    y_test: np.ndarray
    scaled_inputs: bool = True  # False: inputs already in [0, 1] (the course's X/255)
    dev_is_test: bool = False  # the course preset: no dev set, the test set stands in

    @property
    def dev_label(self):
        """What the "dev" column really is: ``'dev'``, or the test set for the course."""
        return DEV_IS_TEST_LABEL if self.dev_is_test else "dev"


#: How the study labels its "dev" numbers when they are the test set's.
DEV_IS_TEST_LABEL = "test (no dev set in the course)"


def load_study_data(name, *, data_dir=None, random_state=0, dev_size=0.2,
                    test_size=0.2, course=False):
    """Load ``name`` and split it train/dev/test (stratified).

    ``catvnoncat`` reads the course files from ``data_dir`` (default
    ``$SKNN_SCRATCH_DATA``) and keeps the course's test set; its training set is
    split into train and dev, except with ``course=True``: the notes train on all
    209 images and have no dev set, so the test set stands in for it.
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    if name == "catvnoncat":
        from ..datasets import load_catvnoncat

        data_dir = data_dir or os.environ.get("SKNN_SCRATCH_DATA")
        if not data_dir:
            raise ValueError(
                "the catvnoncat dataset needs the course files: pass --data-dir or set "
                "SKNN_SCRATCH_DATA to the folder holding train_catvnoncat.h5.")
        cats = load_catvnoncat(data_dir)
        if course:
            return StudyData(name, cats.train.data, cats.test.data, cats.test.data,
                             cats.train.target, cats.test.target, cats.test.target,
                             scaled_inputs=False, dev_is_test=True)
        X_tr, X_dev, y_tr, y_dev = train_test_split(
            cats.train.data, cats.train.target, test_size=dev_size,
            stratify=cats.train.target, random_state=random_state)
        return StudyData(name, X_tr, X_dev, cats.test.data, y_tr, y_dev,
                         cats.test.target, scaled_inputs=False)
    if name in PLANAR:  # the lessons' 2-D data, drawn with the study's seed
        X, y = load_planar(name, random_state)
    else:
        X, y = getattr(sk_datasets, f"load_{name}")(return_X_y=True)
    parts = train_dev_test_split(X, y, dev_size=dev_size, test_size=test_size,
                                 random_state=random_state)
    return StudyData(name, *parts)


#: Default-study models that ``max_iter`` leaves alone, and why.
MAX_ITER_SKIPPED = {
    "ScratchLogisticRegression": "Newton's method runs to convergence (about ten "
                                 "iterations; its max_iter counts Newton iterations)",
    "sklearn LogisticRegression": "lbfgs runs to convergence (max_iter=1000)",
}


def max_iter_record(models, max_iter):
    """Which ``models`` a ``--max-iter`` value reached: ``{'value', 'applied_to',
    'skipped'}``, with the reason for each skipped model."""
    skipped = {name: MAX_ITER_SKIPPED[name] for name in models if name in MAX_ITER_SKIPPED}
    if max_iter is None:
        return {"value": None, "applied_to": [], "skipped": {}}
    return {"value": max_iter,
            "applied_to": [name for name in models if name not in skipped],
            "skipped": skipped}


def default_models(*, random_state=0, max_iter=None, scale=True):
    """The five models of the default study, each in the same pipeline.

    ``max_iter`` (epochs) goes to the three iterative nets only; the two
    logistic regressions run to convergence (:data:`MAX_ITER_SKIPPED`).
    """
    epochs = {} if max_iter is None else {"max_iter": max_iter}
    models = {
        "ScratchLogisticRegression": ScratchLogisticRegression(),
        "ShallowNNClassifier": ShallowNNClassifier(random_state=random_state, **epochs),
        "DeepNNClassifier": DeepNNClassifier(random_state=random_state, **epochs),
        "sklearn LogisticRegression": LogisticRegression(max_iter=1000),
        "sklearn MLPClassifier": MLPClassifier(random_state=random_state, **epochs),
    }
    if not scale:
        return models
    return {name: make_pipeline(StandardScaler(), est) for name, est in models.items()}


#: The notes' iterations of each course model (its published numbers come from these).
COURSE_ITERATIONS = {"logistic regression": 2000, "2-layer net [7]": 2500,
                     "4-layer net [20, 7, 5]": 2500}


def max_iter_note(max_iter, notes_counts):
    """A report's warning that ``--max-iter`` replaced the notes' iteration
    counts, or '' without ``--max-iter`` or when it equals the notes' one count.

    ``notes_counts`` maps each of the notes' counts to the models run with it
    (named after the count when any are given)."""
    if max_iter is None or set(notes_counts) == {max_iter}:
        return ""
    counts = " and ".join(f"{count:,}" + (f" ({', '.join(names)})" if names else "")
                          for count, names in notes_counts.items())
    return (f"Note: --max-iter {max_iter} ran {max_iter} iterations instead of "
            f"the notes' {counts}: the results are not comparable with the course's "
            "published numbers beside them.")


def course_max_iter_note(max_iter):
    """The course report's :func:`max_iter_note` (the course models' counts)."""
    by_count = {}
    for name, count in COURSE_ITERATIONS.items():
        by_count.setdefault(count, []).append(name)
    return max_iter_note(max_iter, by_count)


def course_models(*, random_state=0, max_iter=None):
    """The notes' three cat models, exactly as the course trains them (X/255)."""
    lr_epochs = COURSE_ITERATIONS["logistic regression"] if max_iter is None else max_iter
    nn_epochs = COURSE_ITERATIONS["2-layer net [7]"] if max_iter is None else max_iter
    gd = dict(solver="gd", batch_size=None, tol=None)
    return {
        "logistic regression": ScratchLogisticRegression(
            C=np.inf, init="zeros", learning_rate=0.005, max_iter=lr_epochs, **gd),
        "2-layer net [7]": ShallowNNClassifier(
            n_hidden=7, activation="relu", init="random", alpha=0.0,
            learning_rate=0.0075, max_iter=nn_epochs, random_state=random_state, **gd),
        "4-layer net [20, 7, 5]": DeepNNClassifier(
            (20, 7, 5), activation="relu", init="xavier", alpha=0.0,
            learning_rate=0.0075, max_iter=nn_epochs, random_state=random_state, **gd),
    }


@dataclass
class ModelResult:
    name: str
    train_accuracy: float
    dev_accuracy: float
    test_accuracy: float
    dev_log_loss: float
    test_log_loss: float
    fit_time: float
    diagnosis: str
    report: object = field(repr=False)
    model: object = field(repr=False)

    def as_dict(self):
        return {k: getattr(self, k) for k in (
            "name", "train_accuracy", "dev_accuracy", "test_accuracy", "dev_log_loss",
            "test_log_loss", "fit_time", "diagnosis")}


def _fit_with_dev_curve(model, data):
    """Fit on train; sknn_scratch nets also record their dev curve (``X_val``).

    In a pipeline the dev set must go through the same fitted preprocessing, so
    the steps before the net are fitted first and the net is given the
    transformed dev set.
    """
    steps = getattr(model, "steps", None)
    net = steps[-1][1] if steps else model
    if not isinstance(net, BaseScratchClassifier) or net.solver in FULL_BATCH:
        return model.fit(data.X_train, data.y_train)
    X_train, X_dev = data.X_train, data.X_dev
    if steps:
        pre = model[:-1]
        X_train, X_dev = pre.fit_transform(X_train, data.y_train), pre.transform(X_dev)
    callbacks = getattr(model, "_skl_callbacks", None) if steps else None
    if callbacks:  # the pipeline's callbacks (e.g. a ProgressBar) follow the net
        net.set_callbacks(*callbacks)
    try:
        net.fit(X_train, data.y_train, X_val=X_dev, y_val=data.y_dev)
    finally:
        if callbacks:
            net.set_callbacks()
    return model


def evaluate_model(name, model, data):
    """Fit ``model`` on the train split and measure it on every split."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _fit_with_dev_curve(model, data)
    fit_time = time.perf_counter() - start
    report = diagnose_fitted(model, data.X_train, data.y_train, data.X_dev, data.y_dev)
    labels = model.classes_
    return ModelResult(
        name=name,
        train_accuracy=model.score(data.X_train, data.y_train),
        dev_accuracy=model.score(data.X_dev, data.y_dev),
        test_accuracy=model.score(data.X_test, data.y_test),
        dev_log_loss=log_loss(data.y_dev, model.predict_proba(data.X_dev), labels=labels),
        test_log_loss=log_loss(data.y_test, model.predict_proba(data.X_test),
                               labels=labels),
        fit_time=fit_time, diagnosis=report.diagnosis, report=report, model=model)


def run_study(data, models, *, progress=None):
    """Fit and evaluate every model; ``progress(i, n, name, result_or_None)`` reports."""
    results = []
    for i, (name, model) in enumerate(models.items(), start=1):
        if progress is not None:
            progress(i, len(models), name, None)
        results.append(evaluate_model(name, model, data))
        if progress is not None:
            progress(i, len(models), name, results[-1])
    return results


def format_table(results, course=False, dev_label="dev"):
    """The results as a fixed-width text table (accuracies in %).

    A ``dev_label`` other than ``'dev'`` (the course's test set standing in)
    is written under the table.
    """
    head = (f"{'model':<28} {'train':>6} {'dev':>6} {'test':>6} {'dev loss':>9} "
            f"{'fit s':>7}  diagnosis")
    if course:
        head += "  | course train/test"
    lines = [head, "-" * len(head)]
    for r in results:
        line = (f"{r.name:<28} {100 * r.train_accuracy:6.1f} {100 * r.dev_accuracy:6.1f} "
                f"{100 * r.test_accuracy:6.1f} {r.dev_log_loss:9.4f} {r.fit_time:7.2f}  "
                f"{r.diagnosis}")
        if course and r.name in COURSE_RESULTS:
            line += "  | {:.1f} / {:.1f}".format(*COURSE_RESULTS[r.name])
        lines.append(line)
    if dev_label != "dev":
        lines.append(f"(dev, dev loss and diagnosis: {dev_label})")
    return "\n".join(lines)
