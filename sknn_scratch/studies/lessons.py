"""The notes' three lessons on 2-D data, as study presets.

* ``hidden-units`` (flower): the shallow tanh net over hidden sizes 1..50,
  full-batch gradient descent, lr 1.2, 10,000 iterations; logistic regression
  as an eighth panel. Training accuracy on all 400 points, as the notes.
* ``init`` (circles): a (10, 5) relu net, full-batch gd, lr 0.01, 15,000
  iterations, initialised with zeros, 'random' (x0.01), 'xavier' and 'he';
  300 training and 100 test points.
* ``optimizers`` (moons): a (5, 2) relu net, He init, mini-batches of 64,
  lr 0.0007, 10,000 epochs, with gd, momentum (beta 0.9) and Adam; and each
  again with the notes' learning-rate decay (lr0 0.1 for gd and momentum, 0.01
  for Adam, divided by 1 + epoch / 1000; the notes divide once every 1000
  epochs, this divides a little every epoch).

Every estimator parameter that matters is given explicitly (the estimators'
defaults may change). The independent fits run in parallel (joblib); each fit
records its warnings, and a refused configuration (zeros with hidden layers)
records the refusal, so the report shows what the package did. The lesson also
checks each trained net for dead ReLU units and for a single predicted class,
which training itself does not warn about.
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed

from ..core import network
from ..core.predict import architecture
from ..estimators import DeepNNClassifier, ScratchLogisticRegression, ShallowNNClassifier
from .planar import load_planar

#: preset -> the dataset it runs on
LESSON_DATASETS = {"hidden-units": "flower", "init": "circles", "optimizers": "moons"}


@dataclass
class LessonRun:
    """One row of a lesson: the fitted model, or why there is none."""

    name: str
    course: str = ""
    train_accuracy: float = None
    test_accuracy: float = None
    fit_time: float = 0.0
    fit_cpu_time: float = 0.0  # CPU seconds of the fitting process (a shared
    # machine's wall clock says little about what a fit costs)
    warnings: tuple = ()
    checks: tuple = ()  # what the lesson itself found (dead ReLU units, one class)
    refusal: str = None
    model: object = field(default=None, repr=False)

    def as_dict(self):
        return {k: getattr(self, k) for k in ("name", "course", "train_accuracy",
                                              "test_accuracy", "fit_time", "fit_cpu_time",
                                              "refusal")} | {
            "warnings": list(self.warnings), "checks": list(self.checks)}


@dataclass
class Lesson:
    """A lesson: its data, its models (name -> (estimator, course figure))."""

    preset: str
    title: str
    X_train: np.ndarray
    y_train: np.ndarray
    models: dict
    X_test: np.ndarray = None
    y_test: np.ndarray = None
    smoothing: float = None  # EWA overlay of the loss curves (None: no loss figure)
    loss_curves: bool = False
    note: str = ""
    iterations: int = None  # the notes' iterations (epochs), before --max-iter
    runs: list = field(default_factory=list)


def _gd(**kwargs):
    """The notes' fixed-count training: no early stop, no L2."""
    return dict(tol=None, alpha=0.0, **kwargs)


def hidden_units_lesson(*, random_state=0, max_iter=None):
    """The flower and the hidden-layer-size experiment."""
    X, y = load_planar("flower", random_state)
    iters = 10_000 if max_iter is None else max_iter
    course = {1: "67.5", 2: "67.25", 3: "90.75", 4: "90.5", 5: "91.25", 20: "~90", 50: "~90"}
    models = {
        f"{h} hidden unit{'s' if h > 1 else ''}": (ShallowNNClassifier(
            h, activation="tanh", solver="gd", batch_size=None, learning_rate=1.2,
            max_iter=iters, init="random", random_state=random_state, **_gd()),
            course[h])
        for h in (1, 2, 3, 4, 5, 20, 50)}
    models["logistic regression"] = (ScratchLogisticRegression(
        C=1.0, solver="newton", max_iter=100, tol=1e-6), "47")
    return Lesson("hidden-units", "Planar flower: hidden layer size", X, y, models,
                  iterations=10_000,
                  note="Training accuracy on all 400 points, as in the notes.")


def init_lesson(*, random_state=0, max_iter=None):
    """The initialization lesson on circles."""
    X, y = load_planar("circles", random_state)
    X_test, y_test = load_planar("circles", random_state + 1, 100)
    iters = 15_000 if max_iter is None else max_iter
    course = {"zeros": "50 / 50", "he": "99.3 / 96"}
    models = {
        name: (DeepNNClassifier(
            (10, 5), activation="relu", solver="gd", batch_size=None, learning_rate=0.01,
            max_iter=iters, init=init, random_state=random_state, **_gd()),
            course.get(init, ""))
        for name, init in (("zeros", "zeros"), ("random (x0.01)", "random"),
                           ("xavier", "xavier"), ("he", "he"))}
    return Lesson("init", "Initialization: zeros, random, Xavier, He", X, y, models,
                  X_test=X_test, y_test=y_test, loss_curves=True, iterations=15_000,
                  note="The notes' 'random' is x10, too large on purpose; the "
                       "package's 'random' is x0.01, as in the notes' first nets.")


def optimizers_lesson(*, random_state=0, max_iter=None):
    """The optimization lesson on moons, with and without learning-rate decay."""
    X, y = load_planar("moons", random_state)
    epochs = 10_000 if max_iter is None else max_iter
    net = dict(hidden_layer_sizes=(5, 2), activation="relu", init="he", batch_size=64,
               max_iter=epochs, beta_1=0.9, beta_2=0.999, epsilon=1e-8, momentum=0.9,
               random_state=random_state, **_gd())
    decay = dict(learning_rate_schedule="inverse_time", decay_rate=1e-3)
    models = {}
    for solver, label, course, lr0 in (("gd", "gd", "79.7", 0.1),
                                       ("momentum", "momentum", "79.7", 0.1),
                                       ("adam", "Adam", "94", 0.01)):
        models[label] = (DeepNNClassifier(solver=solver, learning_rate=0.0007, **net),
                         course)
        models[f"{label} + decay"] = (DeepNNClassifier(
            solver=solver, learning_rate=lr0, **decay, **net), "")
    return Lesson("optimizers", "Optimization: gd, momentum, Adam on mini-batches", X, y,
                  models, smoothing=0.9, loss_curves=True, iterations=10_000,
                  note="Mini-batches of 64, lr 0.0007; '+ decay' rows: lr0 0.1 "
                       "(0.01 for Adam) / (1 + epoch/1000). Training accuracy, as in "
                       "the notes.")


LESSONS = {"hidden-units": hidden_units_lesson, "init": init_lesson,
           "optimizers": optimizers_lesson}


def dead_relu_units(est, X):
    """Per hidden layer of a fitted relu net, a note when some of its units
    output 0 on every row of ``X`` (dead ReLU: no gradient reaches them)."""
    if getattr(est, "activation", None) != "relu":
        return []
    arch = architecture(est.coefs_, est.activation)
    X = np.asarray(X, dtype=est.coefs_[0].dtype)
    outputs, _ = network.forward(arch, est.coefs_, est.intercepts_, X)
    notes = []
    for layer, A in enumerate(outputs[:-1], start=1):  # outputs[-1]: the logits
        dead = int((A == 0).all(axis=0).sum())
        if dead:
            notes.append(f"dead ReLU: {dead} of {A.shape[1]} units of hidden layer "
                         f"{layer} output 0 on every training point")
    return notes


def _fit_one(name, estimator, course, X, y, X_test, y_test):
    """Fit one model, keeping its warnings; a refusal (ValueError) is a result."""
    run = LessonRun(name, course)
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator.fit(X, y)
        except ValueError as exc:
            run.refusal = f"{type(exc).__name__}: {exc}"
    run.fit_time = time.perf_counter() - start
    run.fit_cpu_time = time.process_time() - cpu
    kept = [w for w in caught if not issubclass(
        w.category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning))]
    run.warnings = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}"
                                       for w in kept))
    if run.refusal is None:
        run.model = estimator
        run.train_accuracy = estimator.score(X, y)
        checks = dead_relu_units(estimator, X)
        if np.unique(estimator.predict(X)).size == 1:
            checks.append("predicts one class for every training point")
        run.checks = tuple(checks)
        if X_test is not None:
            run.test_accuracy = estimator.score(X_test, y_test)
    return run


def run_lesson(lesson, *, n_jobs=2, progress=None):
    """Fit every model of ``lesson`` (in parallel with ``n_jobs`` processes);
    ``progress(i, n, text)`` is told as each fit completes. Returns the lesson
    with its ``runs`` in the order of its models."""
    jobs = [delayed(_fit_one)(name, est, course, lesson.X_train, lesson.y_train,
                              lesson.X_test, lesson.y_test)
            for name, (est, course) in lesson.models.items()]
    done = {}
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)
    for i, run in enumerate(results, start=1):
        done[run.name] = run
        if progress is not None:
            what = (f"refused ({run.refusal.split(':')[0]})" if run.refusal else
                    f"train {100 * run.train_accuracy:.1f}%")
            progress(i, len(jobs), f"{run.name}: {what} in {run.fit_time:.1f} s"
                     + (f", {len(run.warnings)} warning(s)" if run.warnings else "")
                     + (f", {'; '.join(run.checks)}" if run.checks else ""))
    lesson.runs = [done[name] for name in lesson.models]
    return lesson


def format_lesson_table(lesson):
    """The lesson's rows as a markdown table (accuracies in %)."""
    test = lesson.X_test is not None
    head = "| model | train % |" + (" test % |" if test else "") + \
        " course % | fit s | warnings |"
    lines = [head, "|---|---:|" + ("---:|" if test else "") + "---:|---:|---|"]

    def pct(value):
        return "-" if value is None else f"{100 * value:.2f}"

    for run in lesson.runs:
        notes = [run.refusal] if run.refusal else (
            list(run.warnings) + [f"lesson check: {c}" for c in run.checks])
        cell = "<br>".join(" ".join(n.split()) for n in notes) or "none"
        lines.append(f"| {run.name} | {pct(run.train_accuracy)} |"
                     + (f" {pct(run.test_accuracy)} |" if test else "")
                     + f" {run.course or '-'} | {run.fit_time:.1f} | {cell} |")
    return "\n".join(lines)
