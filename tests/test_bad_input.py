"""Bad input at every public entry point, enumerated.

Each case checks three things: the exception type (ValueError / TypeError /
NotFittedError / FileNotFoundError, scikit-learn's InvalidParameterError for
parameters), a message that names the problem, and that the failed call changed
nothing (an unfitted estimator stays unfitted, a fitted one keeps its weights and
every other attribute, bit for bit).

Entry points: fit, partial_fit, predict, predict_proba, predict_log_proba,
decision_function, score, check_gradients, the studies functions,
load_h5_dataset, iter_h5_batches, load_catvnoncat, load_model and the CLI; at
the end, pipelines in model files (save_model, load_model, runtime.load).
"""

import pickle
import re
import warnings

import h5py
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from sknn_scratch import (
    DeepNNClassifier,
    ScratchLogisticRegression,
    ShallowNNClassifier,
    check_gradients,
)
from sknn_scratch._compat import InvalidParameterError
from .test_modelfile import reseal
from sknn_scratch.cli import main as cli_main
from sknn_scratch.datasets import (
    iter_h5_batches,
    load_catvnoncat,
    load_h5_dataset,
    save_h5_dataset,
)
from sknn_scratch.studies import bias_variance_report, diagnose_fitted, train_dev_test_split
from sknn_scratch.studies.grid import grid_search
from sknn_scratch.studies.study import load_study_data

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),  # unscaled-input hints
]

# --------------------------------------------------------------------- helpers
_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(24, 4))
Y = np.arange(24) % 3
CLASSES = np.array([0, 1, 2])

ESTIMATORS = {
    "logistic": lambda: ScratchLogisticRegression(max_iter=5),
    "shallow": lambda: ShallowNNClassifier(n_hidden=3, max_iter=3, random_state=0),
    "deep": lambda: DeepNNClassifier((4, 3), max_iter=3, random_state=0),
}


def _fitted(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ESTIMATORS[name]().fit(X, Y)


def _state(est):
    """Every attribute, pickled one by one (bit-exact, names the one that differs)."""
    return {key: pickle.dumps(value) for key, value in vars(est).items()}


def _assert_unchanged(est, before):
    after = _state(est)
    assert list(after) == list(before), (
        f"attributes changed: added {sorted(set(after) - set(before))}, "
        f"removed {sorted(set(before) - set(after))}")
    changed = [key for key in before if before[key] != after[key]]
    assert not changed, f"a failed call modified {changed}"


def _assert_unfitted(est):
    fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    assert not fitted, f"a failed call left fitted attributes {fitted}"
    with pytest.raises(NotFittedError):
        est.predict(X)


def _raises(exc, match):
    return pytest.raises(exc, match=match)


# ------------------------------------------------------- fit / partial_fit data
def _with(X=X, y=Y, **kw):
    return {"X": X, "y": y, **kw}


def _nan_X():
    Xb = X.copy()
    Xb[3, 1] = np.nan
    return Xb


def _inf_X(sign=1):
    Xb = X.copy()
    Xb[5, 2] = sign * np.inf
    return Xb


def _y_with(value):
    yb = Y.astype(float)
    yb[4] = value
    return yb


# (id, arguments, exception, message regex, applies to partial_fit, to check_gradients,
#  extra parameters to set first)
DATA_CASES = [
    ("X-nan", _with(X=_nan_X()), ValueError, "NaN", True, True, {}),
    ("X-inf", _with(X=_inf_X()), ValueError, "infinity", True, True, {}),
    ("X-neg-inf", _with(X=_inf_X(-1)), ValueError, "infinity", True, True, {}),
    ("X-empty", _with(X=np.empty((0, 4)), y=np.empty(0)), ValueError, "0 sample",
     True, True, {}),
    ("X-no-features", _with(X=np.empty((24, 0))), ValueError, "0 feature", True, True,
     {}),
    ("X-1d", _with(X=X[:, 0]), ValueError, "Expected 2D array", True, True, {}),
    ("X-3d", _with(X=X.reshape(24, 2, 2)), ValueError, "dim 3", True, True, {}),
    ("X-strings", _with(X=np.full((24, 4), "a")), ValueError, "string", True, True, {}),
    ("X-object-None", _with(X=np.full((24, 4), None, dtype=object)), ValueError, "NaN",
     True, True, {}),
    ("X-complex", _with(X=X + 1j), ValueError, "Complex data not supported", True, True,
     {}),
    ("X-ragged", _with(X=[[1.0, 2.0], [3.0]] * 12), ValueError, "inhomogeneous", True,
     True, {}),
    ("X-None", _with(X=None), ValueError, "Expected 2D array", True, True, {}),
    ("y-nan", _with(y=_y_with(np.nan)), ValueError, "y contains NaN", True, True, {}),
    ("y-inf", _with(y=_y_with(np.inf)), ValueError, "y contains infinity", True, True,
     {}),
    ("y-continuous", _with(y=_RNG.normal(size=24)), ValueError,
     "Unknown label type: continuous", True, True, {}),
    # 2-d y of three classes per column: multilabel y is 0/1 (tests/estimators/
    # test_multilabel.py); this one is sent to MultiOutputClassifier
    ("y-2d", _with(y=np.column_stack([Y, Y])), ValueError,
     "multiclass-multioutput.*MultiOutputClassifier", True, True, {}),
    ("y-None", _with(y=None), ValueError, "requires y to be passed", True, True, {}),
    ("y-wrong-length", _with(y=Y[:20]), ValueError, "inconsistent numbers of samples",
     True, True, {}),
    ("y-complex", _with(y=Y + 1j), ValueError, "Complex data not supported", True, True,
     {}),
    ("y-mixed-types", _with(y=np.array([0, "a", 1] * 8, dtype=object)), ValueError,
     "Unknown label type", True, True, {}),
    ("y-one-class", _with(y=np.zeros(24)), ValueError, "one class", False, True, {}),
    ("one-sample", _with(X=X[:1], y=Y[:1]), ValueError, "one class", False, True, {}),
    ("sw-wrong-length", _with(sample_weight=np.ones(5)), ValueError,
     r"sample_weight.shape == \(5,\), expected \(24,\)", True, True, {}),
    ("sw-2d", _with(sample_weight=np.ones((24, 2))), ValueError,
     "Sample weights must be 1D", True, True, {}),
    ("sw-negative", _with(sample_weight=np.r_[-1.0, np.ones(23)]), ValueError,
     "Negative values in data passed to `sample_weight`", True, True, {}),
    ("sw-all-zero", _with(sample_weight=np.zeros(24)), ValueError,
     "(?i)(weight.*zero|zero.*weight)", True, True, {}),
    ("sw-scalar-zero", _with(sample_weight=0), ValueError,
     "(?i)(weight.*zero|zero.*weight)", True, True, {}),
    ("sw-nan", _with(sample_weight=np.full(24, np.nan)), ValueError,
     "sample_weight contains NaN", True, True, {}),
    ("sw-inf", _with(sample_weight=np.full(24, np.inf)), ValueError,
     "sample_weight contains infinity", True, True, {}),
    ("sw-strings", _with(sample_weight=["a"] * 24), ValueError,
     "could not convert string", True, True, {}),
    ("class_weight-unknown-label", _with(), ValueError, r"class_weight .*\[5\]", True,
     True, {"class_weight": {5: 2.0}}),
    ("class_weight-negative", _with(), ValueError, "class_weight.*negative", True,
     True, {"class_weight": {0: -1.0, 1: 1.0, 2: 1.0}}),
    ("class_weight-nan", _with(), ValueError, "class_weight.*(finite|NaN)", True,
     True, {"class_weight": {0: np.nan, 1: 1.0, 2: 1.0}}),
    ("class_weight-all-zero", _with(), ValueError, "(?i)zero", True, True,
     {"class_weight": {0: 0.0, 1: 0.0, 2: 0.0}}),
    ("X_val-wrong-n-features", _with(X_val=X[:6, :3], y_val=Y[:6]), ValueError,
     "X has 3 features, but .* is expecting 4 features", False, False, {}),
    ("X_val-nan", _with(X_val=_nan_X()[:6], y_val=Y[:6]), ValueError, "NaN", False,
     False, {}),
    ("y_val-unknown-class", _with(X_val=X[:6], y_val=Y[:6] + 7), ValueError,
     "classes not in", False, False, {}),
    ("y_val-wrong-length", _with(X_val=X[:6], y_val=Y[:5]), ValueError,
     "inconsistent numbers of samples", False, False, {}),
    ("X_val-without-y_val", _with(X_val=X[:6]), ValueError, "X_val and y_val", False,
     False, {}),
    ("sample_weight_val-alone", _with(sample_weight_val=np.ones(6)), ValueError,
     "sample_weight_val", False, False, {}),
    ("sample_weight_val-all-zero",
     _with(X_val=X[:6], y_val=Y[:6], sample_weight_val=np.zeros(6)), ValueError,
     "sample_weight_val.*zero", False, False, {}),
    ("early_stopping-too-few-samples", _with(), ValueError, "validation_fraction",
     False, False, {"early_stopping": True, "validation_fraction": 0.01,
                    "solver": "adam"}),
]


def _call_fit(est, method, args):
    args = dict(args)
    X_, y_ = args.pop("X"), args.pop("y")
    if method == "partial_fit":
        return est.partial_fit(X_, y_, classes=CLASSES, **args)
    return est.fit(X_, y_, **args)


@pytest.mark.parametrize("state", ["unfitted", "fitted"])
@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("method, case", [
    pytest.param(method, case, id=f"{case[0]}-{method}")
    for method in ("fit", "partial_fit") for case in DATA_CASES
    # one class / one sample are fine partial_fit batches; X_val is fit's only
    if method == "fit" or case[4]])
def test_bad_training_data_raises_and_changes_nothing(method, case, name, state):
    label, args, exc, match, _, _, params = case
    est = _fitted(name) if state == "fitted" else ESTIMATORS[name]()
    est.set_params(**params)
    before = _state(est)
    with _raises(exc, match):
        _call_fit(est, method, args)
    _assert_unchanged(est, before)
    if state == "unfitted":
        _assert_unfitted(est)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_one_feature_and_one_sample_are_valid(name):
    est = ESTIMATORS[name]().fit(X[:, :1], Y)
    assert est.n_features_in_ == 1
    assert est.predict(X[:1, :1]).shape == (1,)
    assert est.predict_proba(X[:1, :1]).shape == (1, 3)
    # one sample is a fine partial_fit batch when the classes are declared
    est = ESTIMATORS[name]().partial_fit(X[:1], Y[:1], classes=CLASSES)
    assert list(est.classes_) == [0, 1, 2]


# ----------------------------------------------------------------- partial_fit
PARTIAL_FIT_CASES = [
    ("no-classes-on-first-call", "unfitted", dict(X=X, y=Y), ValueError,
     "classes must be passed on the first call"),
    ("classes-one-class", "unfitted", dict(X=X, y=np.zeros(24), classes=[0]),
     ValueError, "at least 2 classes"),
    ("y-not-in-classes", "unfitted", dict(X=X, y=Y, classes=[0, 1]), ValueError,
     r"classes not in .*\[2\]"),
    ("changed-classes", "fitted", dict(X=X, y=Y, classes=[0, 1, 2, 3]), ValueError,
     "not the same as on the first call"),
    ("fewer-classes", "fitted", dict(X=X, y=Y % 2, classes=[0, 1]), ValueError,
     "not the same as on the first call"),
    ("new-label-after-fit", "fitted", dict(X=X, y=Y + 1), ValueError,
     r"classes not in .*\[3\]"),
    ("changed-n-features", "fitted", dict(X=X[:, :3], y=Y), ValueError,
     "X has 3 features, but .* is expecting 4 features"),
]


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in PARTIAL_FIT_CASES])
def test_bad_partial_fit_raises_and_changes_nothing(case, name):
    _, state, args, exc, match = case
    est = _fitted(name) if state == "fitted" else ESTIMATORS[name]()
    before = _state(est)
    with _raises(exc, match):
        est.partial_fit(**args)
    _assert_unchanged(est, before)
    if state == "unfitted":
        _assert_unfitted(est)


WARM_START_CASES = [
    ("changed-classes", dict(X=X, y=Y % 2), ValueError,
     "warm_start can only continue with the same classes"),
    ("changed-n-features", dict(X=X[:, :3], y=Y), ValueError,
     "X has 3 features, but .* is expecting 4 features"),
]


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in WARM_START_CASES])
def test_bad_warm_start_fit_keeps_the_weights(case, name):
    _, args, exc, match = case
    est = _fitted(name).set_params(warm_start=True)
    before = _state(est)
    with _raises(exc, match):
        est.fit(**args)
    _assert_unchanged(est, before)


# ------------------------------------------------------------------ parameters
COMMON_BAD_PARAMS = [
    ("learning_rate", -0.1), ("learning_rate", 0), ("learning_rate", np.nan),
    ("learning_rate", np.inf), ("learning_rate", "fast"),
    ("solver", "sgd"), ("solver", None),
    ("batch_size", 0), ("batch_size", -1), ("batch_size", 2.5), ("batch_size", "all"),
    ("max_iter", 0), ("max_iter", -5), ("max_iter", 1.5), ("max_iter", None),
    ("tol", -1e-4), ("tol", "small"),
    ("n_iter_no_change", 0), ("n_iter_no_change", 2.5),
    ("momentum", -0.1), ("momentum", 1.0), ("momentum", 1.5),
    ("beta_1", 1.0), ("beta_1", -0.1), ("beta_2", 1.0), ("beta_2", 1.2),
    ("epsilon", 0.0), ("epsilon", -1e-8),
    ("learning_rate_schedule", "cosine"), ("decay_rate", -0.5), ("decay_steps", 0),
    ("early_stopping", "yes"), ("validation_fraction", 0.0),
    ("validation_fraction", 1.0), ("validation_fraction", 1.5),
    ("class_weight", "auto"), ("class_weight", [1.0, 2.0, 3.0]),
    ("warm_start", "no"), ("random_state", "seed"), ("random_state", 1.5),
    ("verbose", "loud"),
]
NET_BAD_PARAMS = [
    ("activation", "softmax"), ("activation", "gelu"), ("init", "glorot"),
    ("alpha", -1e-4), ("alpha", np.nan), ("dropout", 1.0), ("dropout", 1.5),
    ("dropout", -0.1), ("max_grad_norm", 0.0), ("max_grad_norm", -1.0),
    ("augmentation", 3), ("solver", "newton"),
]
BAD_PARAMS = {
    "logistic": COMMON_BAD_PARAMS + [("C", 0.0), ("C", -1.0), ("C", np.nan),
                                     ("init", "auto"), ("init", "glorot")],
    "shallow": COMMON_BAD_PARAMS + NET_BAD_PARAMS + [
        ("n_hidden", 0), ("n_hidden", -1), ("n_hidden", 2.5), ("n_hidden", None),
        ("n_hidden", (4,))],
    "deep": COMMON_BAD_PARAMS + NET_BAD_PARAMS + [
        ("hidden_layer_sizes", ()), ("hidden_layer_sizes", []),
        ("hidden_layer_sizes", (0,)), ("hidden_layer_sizes", (4, 0)),
        ("hidden_layer_sizes", (-1,)), ("hidden_layer_sizes", (4.5,)),
        ("hidden_layer_sizes", 0), ("hidden_layer_sizes", -3),
        ("hidden_layer_sizes", "64"), ("hidden_layer_sizes", None)],
}
PARAM_CASES = [pytest.param(name, p, v, id=f"{name}-{p}={v!r}")
               for name, cases in BAD_PARAMS.items() for p, v in cases]


def _param_entry_points(est):
    """Every entry point that must validate the parameters, as zero-arg calls."""
    return {
        "fit": lambda: est.fit(X, Y),
        "partial_fit": lambda: est.partial_fit(X, Y, classes=CLASSES),
        "check_gradients": lambda: check_gradients(est, X[:6], Y[:6]),
    }


@pytest.mark.parametrize("state", ["unfitted", "fitted"])
@pytest.mark.parametrize("name, param, value", PARAM_CASES)
def test_invalid_parameter_raises_invalid_parameter_error(name, param, value, state):
    est = _fitted(name) if state == "fitted" else ESTIMATORS[name]()
    est.set_params(**{param: value})
    before = _state(est)
    for entry, call in _param_entry_points(est).items():
        with pytest.raises(InvalidParameterError, match=f"'?{param}'?"):
            call()
        _assert_unchanged(est, before)
    if state == "unfitted":
        _assert_unfitted(est)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_unknown_parameter_name(name):
    cls = type(ESTIMATORS[name]())
    with _raises(TypeError, "unexpected keyword argument 'hidden_units'"):
        cls(hidden_units=3)
    with _raises(ValueError, "Invalid parameter 'hidden_units'"):
        cls().set_params(hidden_units=3)


# ------------------------------------------------------------------ prediction
PREDICT_METHODS = ["predict", "predict_proba", "predict_log_proba",
                   "decision_function", "score"]


def _call_predict(est, method, X_):
    if method == "score":
        return est.score(X_, Y[: len(X_)] if hasattr(X_, "__len__") else Y)
    return getattr(est, method)(X_)


PREDICT_CASES = [
    ("X-nan", _nan_X(), ValueError, "NaN"),
    ("X-inf", _inf_X(), ValueError, "infinity"),
    ("X-empty", np.empty((0, 4)), ValueError, "0 sample"),
    ("X-1d", X[:, 0], ValueError, "Expected 2D array"),
    ("X-3d", X.reshape(24, 2, 2), ValueError, "dim 3"),
    ("X-strings", np.full((24, 4), "a"), ValueError, "string"),
    ("X-complex", X + 1j, ValueError, "Complex data not supported"),
    ("X-ragged", [[1.0, 2.0], [3.0]] * 12, ValueError, "inhomogeneous"),
    ("X-None", None, ValueError, "Expected 2D array"),
    ("wrong-n-features", X[:, :3], ValueError,
     "X has 3 features, but .* is expecting 4 features"),
    ("wrong-n-features-1", X[:, :1], ValueError,
     "X has 1 features, but .* is expecting 4 features"),
]


@pytest.mark.parametrize("method", PREDICT_METHODS)
@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in PREDICT_CASES])
def test_bad_predict_input_raises_and_changes_nothing(case, name, method):
    _, X_, exc, match = case
    est = _fitted(name)
    before = _state(est)
    with _raises(exc, match):
        _call_predict(est, method, X_)
    _assert_unchanged(est, before)


@pytest.mark.parametrize("method", PREDICT_METHODS)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_predict_before_fit_raises_not_fitted(name, method):
    est = ESTIMATORS[name]()
    with _raises(NotFittedError, f"This {type(est).__name__} instance is not fitted"):
        _call_predict(est, method, X)
    _assert_unfitted(est)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_score_with_y_of_wrong_length(name):
    est = _fitted(name)
    before = _state(est)
    with _raises(ValueError, "inconsistent numbers of samples"):
        est.score(X, Y[:10])
    _assert_unchanged(est, before)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_predict_with_other_feature_names(name):
    pd = pytest.importorskip("pandas")
    est = ESTIMATORS[name]().fit(pd.DataFrame(X, columns=list("abcd")), Y)
    before = _state(est)
    with _raises(ValueError, "feature names should match"):
        est.predict(pd.DataFrame(X, columns=list("abce")))
    _assert_unchanged(est, before)


# ------------------------------------------------------------- check_gradients
@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("state, case", [
    pytest.param(state, case, id=f"{case[0]}-{state}")
    for state in ("unfitted", "fitted") for case in DATA_CASES
    # a fitted model knows its classes: one class in y is fine then
    if case[5] and not (state == "fitted" and case[0] in ("y-one-class", "one-sample"))])
def test_check_gradients_bad_data(state, case, name):
    label, args, exc, match, _, _, params = case
    est = _fitted(name) if state == "fitted" else ESTIMATORS[name]()
    est.set_params(**params)
    before = _state(est)
    args = dict(args)
    with _raises(exc, match):
        check_gradients(est, args.pop("X"), args.pop("y"), **args)
    _assert_unchanged(est, before)


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("case", [
    pytest.param((X[:6, :3], Y[:6], ValueError, "X has 3 features"), id="n-features"),
    pytest.param((X[:6], Y[:6] + 5, ValueError, "classes not in"), id="unknown-label"),
])
def test_check_gradients_on_fitted_model_checks_against_fit(case, name):
    X_, y_, exc, match = case
    est = _fitted(name)
    before = _state(est)
    with _raises(exc, match):
        check_gradients(est, X_, y_)
    _assert_unchanged(est, before)


@pytest.mark.parametrize("estimator, exc, match", [
    pytest.param("model", TypeError, "expects a sknn_scratch estimator", id="str"),
    pytest.param(None, TypeError, "expects a sknn_scratch estimator", id="None"),
    pytest.param(LogisticRegression(), TypeError, "got LogisticRegression",
                 id="sklearn-estimator"),
    pytest.param(ScratchLogisticRegression, TypeError, "class|instance",
                 id="class-not-instance"),
])
def test_check_gradients_rejects_other_objects(estimator, exc, match):
    with _raises(exc, match):
        check_gradients(estimator, X[:6], Y[:6])


@pytest.mark.parametrize("epsilon, exc", [
    (0.0, ValueError), (-1e-7, ValueError), (np.nan, ValueError), (np.inf, ValueError),
    ("1e-7", TypeError), (None, TypeError),
])
def test_check_gradients_bad_epsilon(epsilon, exc):
    est = ESTIMATORS["deep"]()
    with _raises(exc, "epsilon"):
        check_gradients(est, X[:6], Y[:6], epsilon=epsilon)
    _assert_unfitted(est)


# --------------------------------------------------------------------- studies
@pytest.mark.parametrize("kwargs, exc, match", [
    pytest.param(dict(dev_size=0, test_size=0.2), ValueError, "dev_size", id="dev-0"),
    pytest.param(dict(dev_size=-2, test_size=0.2), ValueError, "dev_size", id="dev-neg"),
    pytest.param(dict(dev_size=1.0, test_size=0.2), ValueError, "dev_size", id="dev-1.0"),
    pytest.param(dict(dev_size=np.nan, test_size=0.2), ValueError, "dev_size",
                 id="dev-nan"),
    pytest.param(dict(dev_size="0.2", test_size=0.2), ValueError, "dev_size",
                 id="dev-str"),
    pytest.param(dict(dev_size=True, test_size=0.2), ValueError, "dev_size",
                 id="dev-bool"),
    pytest.param(dict(dev_size=0.2, test_size=1.5), ValueError, "test_size",
                 id="test-1.5"),
    pytest.param(dict(dev_size=0.2, test_size=24), ValueError, "test_size",
                 id="test-count-too-big"),
    pytest.param(dict(dev_size=0.5, test_size=0.5), ValueError, "no training set",
                 id="sum-too-big"),
    pytest.param(dict(dev_size=0.2, test_size=0.2, stratify="yes"), ValueError,
                 "stratify", id="stratify-str"),
    pytest.param(dict(dev_size=0.2, test_size=0.2, y=Y[:20]), ValueError,
                 "inconsistent numbers of samples", id="y-wrong-length"),
    pytest.param(dict(dev_size=1, test_size=1, X=X[:2], y=Y[:2]), ValueError,
                 "at least 3 samples", id="two-samples"),
    pytest.param(dict(dev_size=0.2, test_size=0.2, y=np.r_[Y[:23], 9]), ValueError,
                 "Stratified split", id="class-with-one-member"),
])
def test_train_dev_test_split_bad_input(kwargs, exc, match):
    kwargs = {"X": X, "y": Y, **kwargs}
    with _raises(exc, match):
        train_dev_test_split(kwargs.pop("X"), kwargs.pop("y"), **kwargs)


@pytest.mark.parametrize("kwargs, exc, match", [
    pytest.param(dict(baseline_error=-0.1), ValueError, "baseline_error", id="base-neg"),
    pytest.param(dict(baseline_error=np.nan), ValueError, "baseline_error",
                 id="base-nan"),
    pytest.param(dict(baseline_error="0"), ValueError, "baseline_error", id="base-str"),
    pytest.param(dict(threshold=-1), ValueError, "threshold", id="threshold-neg"),
    pytest.param(dict(threshold=np.inf), ValueError, "threshold", id="threshold-inf"),
    pytest.param(dict(scoring="frobnicate"), ValueError, "not a valid scoring value",
                 id="unknown-scoring"),
    pytest.param(dict(X_train=_nan_X()), ValueError, "NaN", id="X-train-nan"),
    pytest.param(dict(X_dev=X[:6, :3]), ValueError, "X has 3 features",
                 id="X-dev-n-features"),
    pytest.param(dict(y_train=np.zeros(24)), ValueError, "one class", id="one-class"),
    pytest.param(dict(estimator="model"), TypeError, "Cannot clone", id="not-estimator"),
])
def test_bias_variance_report_bad_input(kwargs, exc, match):
    est = ESTIMATORS["shallow"]()
    args = {"estimator": est, "X_train": X, "y_train": Y, "X_dev": X[:6],
            "y_dev": Y[:6], **kwargs}
    before = _state(est)
    with _raises(exc, match):
        bias_variance_report(args.pop("estimator"), args.pop("X_train"),
                             args.pop("y_train"), args.pop("X_dev"), args.pop("y_dev"),
                             **args)
    _assert_unchanged(est, before)


@pytest.mark.parametrize("fitted, X_dev, exc, match", [
    pytest.param(False, X[:6], NotFittedError, "not fitted", id="unfitted"),
    pytest.param(True, X[:6, :2], ValueError, "X has 2 features", id="X-dev-n-features"),
    pytest.param(True, _nan_X()[:6], ValueError, "NaN", id="X-dev-nan"),
])
def test_diagnose_fitted_bad_input(fitted, X_dev, exc, match):
    est = _fitted("deep") if fitted else ESTIMATORS["deep"]()
    before = _state(est)
    with _raises(exc, match):
        diagnose_fitted(est, X, Y, X_dev, Y[:6])
    _assert_unchanged(est, before)


@pytest.mark.parametrize("name, kwargs, exc, match", [
    pytest.param("mnist", {}, ValueError, "Unknown dataset 'mnist'", id="unknown"),
    pytest.param("catvnoncat", {}, ValueError, "SKNN_SCRATCH_DATA", id="cats-no-dir"),
    pytest.param("catvnoncat", {"data_dir": "/nonexistent/data"}, FileNotFoundError,
                 "/nonexistent/data", id="cats-missing-dir"),
    pytest.param("iris", {"dev_size": 0}, ValueError, "dev_size", id="bad-dev-size"),
])
def test_load_study_data_bad_input(name, kwargs, exc, match, monkeypatch):
    monkeypatch.delenv("SKNN_SCRATCH_DATA", raising=False)
    with _raises(exc, match):
        load_study_data(name, **kwargs)


@pytest.mark.parametrize("grid, exc, match", [
    pytest.param({"deepnnclassifier__hidden_units": [3]}, ValueError,
                 "Invalid parameter 'hidden_units'", id="unknown-param"),
    pytest.param({"deepnnclassifier__alpha": [-1.0]}, ValueError, "fits failed",
                 id="invalid-value"),
])
def test_grid_search_bad_grid(grid, exc, match):
    data = load_study_data("iris")
    with _raises(exc, match):
        grid_search(data, grid=grid, max_iter=2)


@pytest.fixture
def pyplot():
    # the plots build Figures without pyplot (tests/studies/test_plots.py checks
    # that pyplot is never imported), so neither do these tests
    return pytest.importorskip("matplotlib")


@pytest.mark.parametrize("make, exc, match", [
    pytest.param(lambda: ESTIMATORS["deep"](), NotFittedError, "not fitted",
                 id="unfitted-estimator"),
    pytest.param(lambda: "loss", TypeError, "loss_curve_", id="string"),
    pytest.param(lambda: [], ValueError, "empty", id="empty-list"),
    pytest.param(lambda: {}, ValueError, "empty dict", id="empty-dict"),
    pytest.param(lambda: np.ones((3, 2)), ValueError, "not 1-D", id="2d-curve"),
])
def test_plot_loss_curves_bad_input(make, exc, match, pyplot):
    from sknn_scratch.studies import plot_loss_curves

    with _raises(exc, match):
        plot_loss_curves(make())


@pytest.mark.parametrize("smoothing", [1.0, -0.1, np.nan, "0.9", True])
def test_plot_loss_curves_bad_smoothing(smoothing, pyplot):
    from sknn_scratch.studies import plot_loss_curves

    with _raises(ValueError, "smoothing"):
        plot_loss_curves([1.0, 0.5], smoothing=smoothing)


@pytest.mark.parametrize("reports, exc, match", [
    pytest.param({}, ValueError, "non-empty dict", id="empty"),
    pytest.param({"a": 0.3}, TypeError, "not a BiasVarianceReport", id="number"),
    pytest.param("report", ValueError, "BiasVarianceReport", id="string"),
])
def test_plot_bias_variance_bad_input(reports, exc, match, pyplot):
    from sknn_scratch.studies import plot_bias_variance

    with _raises(exc, match):
        plot_bias_variance(reports)


def test_plot_validation_curve_empty_range(pyplot):
    from sknn_scratch.studies import plot_validation_curve

    with _raises(ValueError, "param_range is empty"):
        plot_validation_curve(ESTIMATORS["deep"](), X, Y, param_name="alpha",
                              param_range=[])


# -------------------------------------------------------------------- HDF5 data
def _write_cats(folder, *, n=4, images=None, classes=(b"non-cat", b"cat"),
                test_classes=None):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for part, names in (("train", classes), ("test", test_classes or classes)):
        imgs = images if images is not None else rng.integers(
            0, 256, size=(n, 4, 4, 3), dtype=np.uint8)
        save_h5_dataset(folder / f"{part}_catvnoncat.h5", imgs, np.arange(len(imgs)) % 2,
                        f"{part}_set_x", f"{part}_set_y",
                        classes=None if names is None else list(names))
    return folder


@pytest.fixture(scope="module")
def h5_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("h5")
    good = save_h5_dataset(root / "good.h5", np.zeros((6, 2, 2, 3), np.uint8),
                           np.arange(6) % 2, "x", "y", classes=["a", "b"])
    raw = good.read_bytes()
    files = {"good": good, "dir": root / "a_folder", "missing": root / "missing.h5"}
    files["dir"].mkdir()
    (root / "text.h5").write_text("x,y\n1,0\n")
    files["text"] = root / "text.h5"
    (root / "empty.h5").write_bytes(b"")
    files["empty"] = root / "empty.h5"
    (root / "truncated.h5").write_bytes(raw[: len(raw) // 3])
    files["truncated"] = root / "truncated.h5"
    tampered = bytearray(raw)
    tampered[8:48] = b"\xff" * 40  # superblock after the signature
    (root / "tampered.h5").write_bytes(bytes(tampered))
    files["tampered"] = root / "tampered.h5"
    with h5py.File(root / "odd.h5", "w") as f:
        f.create_group("group")
        f["y"] = np.arange(6)
        f["y3"] = np.zeros((6, 3))
        f["y_short"] = np.arange(5)
        f["x"] = np.zeros((6, 2))
        f["scalar"] = 3.0
    files["odd"] = root / "odd.h5"
    return files


H5_CASES = [
    ("missing-file", "missing", "x", "y", FileNotFoundError, "not found"),
    ("directory", "dir", "x", "y", IsADirectoryError, "directory"),
    ("text-file", "text", "x", "y", ValueError, "not an HDF5 file"),
    ("empty-file", "empty", "x", "y", ValueError, "not an HDF5 file"),
    ("truncated", "truncated", "x", "y", ValueError, "truncated or corrupt"),
    ("tampered-superblock", "tampered", "x", "y", ValueError, "truncated or corrupt"),
    ("wrong-x-key", "good", "train_set_x", "y", ValueError,
     r"Key 'train_set_x' not found.*available keys"),
    ("wrong-y-key", "good", "x", "labels", ValueError, "Key 'labels' not found"),
    ("group-not-dataset", "odd", "group", "y", ValueError, "is a group, not a dataset"),
    ("different-lengths", "odd", "x", "y_short", ValueError, "different lengths"),
    ("labels-2d", "odd", "x", "y3", ValueError, "must have shape"),
    ("scalar-examples", "odd", "scalar", "y", ValueError, "scalar"),
    ("x_key-not-str", "good", 0, "y", TypeError, "x_key must be a non-empty string"),
    ("y_key-empty", "good", "x", "", TypeError, "y_key must be a non-empty string"),
    ("same-keys", "good", "x", "x", ValueError, "must differ"),
]


@pytest.mark.parametrize("reader", ["load_h5_dataset", "iter_h5_batches"])
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in H5_CASES])
def test_h5_dataset_bad_files(case, reader, h5_files):
    _, file, x_key, y_key, exc, match = case
    with _raises(exc, match):
        if reader == "load_h5_dataset":
            load_h5_dataset(h5_files[file], x_key, y_key)
        else:  # fails at call time, not at the first next()
            iter_h5_batches(h5_files[file], x_key, y_key, 2)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "2", None])
def test_iter_h5_batches_bad_batch_size(batch_size, h5_files):
    with _raises(ValueError, "batch_size must be a positive integer"):
        iter_h5_batches(h5_files["good"], "x", "y", batch_size)


def _cats_missing_test(folder):
    _write_cats(folder)
    (folder / "test_catvnoncat.h5").unlink()


def _cats_truncated(folder):
    _write_cats(folder)
    path = folder / "test_catvnoncat.h5"
    path.write_bytes(path.read_bytes()[:700])


def _cats_foreign(folder):
    folder.mkdir()
    for part in ("train", "test"):
        save_h5_dataset(folder / f"{part}_catvnoncat.h5", np.zeros((4, 2)),
                        np.arange(4) % 2, "X", "y")


CATS_CASES = [
    ("folder-missing", lambda f: None, FileNotFoundError, "Data folder not found"),
    ("folder-empty", lambda f: f.mkdir(), FileNotFoundError, "not found in"),
    ("test-file-missing", _cats_missing_test, FileNotFoundError,
     "'test_catvnoncat.h5' not found"),
    ("truncated-file", _cats_truncated, ValueError, "truncated or corrupt"),
    ("foreign-hdf5", _cats_foreign, ValueError, "Key 'train_set_x' not found"),
    ("float-images", lambda f: _write_cats(f, images=np.zeros((4, 4, 4, 3))), ValueError,
     "uint8 RGB images"),
    ("flat-images", lambda f: _write_cats(f, images=np.zeros((4, 48), np.uint8)),
     ValueError, "uint8 RGB images"),
    ("no-class-names", lambda f: _write_cats(f, classes=None), ValueError,
     "Key 'list_classes' not found"),
    ("class-names-disagree", lambda f: _write_cats(f, test_classes=(b"dog", b"cat")),
     ValueError, "disagree on the class names"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CATS_CASES])
def test_load_catvnoncat_bad_folder(case, tmp_path):
    _, build, exc, match = case
    folder = tmp_path / "cats"
    build(folder)
    with _raises(exc, match):
        load_catvnoncat(folder)


# ------------------------------------------------------------------ load_model
def _io():
    try:
        from sknn_scratch import io
    except ImportError as exc:  # pragma: no cover - io.py is written in parallel
        pytest.skip(f"sknn_scratch.io not importable yet ({exc}); see tests/test_io.py")
    if not hasattr(io, "load_model"):  # pragma: no cover
        pytest.skip("sknn_scratch.io.load_model not written yet; see tests/test_io.py")
    return io


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    io = _io()
    path = tmp_path_factory.mktemp("model") / "model.h5"
    io.save_model(_fitted("deep"), path)
    return path


def _tamper(attr=None, value=None, dataset=None, data=None, delete=None):
    def apply(path):
        with h5py.File(path, "r+") as f:
            if attr is not None:
                f.attrs[attr] = value
            if delete is not None:
                del f[delete]
            if dataset is not None:
                del f[dataset]
                f[dataset] = data
        reseal(path)
    return apply


def _params_json(**changes):
    def apply(path):
        import json

        with h5py.File(path, "r+") as f:  # a 0-d dataset of UTF-8 JSON bytes
            params = json.loads(f["params"][()].decode("utf-8"))
            params.update(changes)
            del f["params"]
            f.create_dataset("params", data=np.bytes_(json.dumps(params).encode()))
        reseal(path)
    return apply


MODEL_CASES = [
    ("missing-file", "missing", FileNotFoundError, "Model file not found"),
    ("directory", "dir", IsADirectoryError, "directory"),
    ("text-file", "text", ValueError, "not an HDF5 file"),
    ("truncated", "truncated", ValueError, "truncated or corrupt"),
    ("course-dataset-file", "dataset", ValueError, "Cannot load model"),
    ("tampered-format-name", _tamper(attr="format", value="keras"), ValueError,
     "Cannot load model"),
    ("tampered-class-name", _tamper(attr="class_name", value="os.system"), ValueError,
     "Cannot load model"),
    ("missing-weights", _tamper(delete="coefs_/1"), ValueError, "Cannot load model"),
    ("weights-wrong-shape", _tamper(dataset="coefs_/0", data=np.zeros((3, 4))),
     ValueError, "Cannot load model"),
    ("weights-nan", _tamper(dataset="coefs_/0", data=np.full((4, 4), np.nan)),
     ValueError, "Cannot load model"),
    ("params-invalid-value", _params_json(learning_rate=-1.0), ValueError,
     "learning_rate"),
    ("params-unknown-name", _params_json(hidden_units=3), ValueError, "hidden_units"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in MODEL_CASES])
def test_load_model_bad_files(case, tmp_path, model_file, h5_files):
    io = _io()
    _, source, exc, match = case
    if callable(source):
        path = tmp_path / "tampered.h5"
        path.write_bytes(model_file.read_bytes())
        source(path)
    elif source == "truncated":
        path = tmp_path / "truncated.h5"
        path.write_bytes(model_file.read_bytes()[:2000])
    elif source == "dataset":
        path = h5_files["good"]
    else:
        path = h5_files[source]
    with _raises(exc, match):
        io.load_model(path)


# ------------------------------------------------------------------------- CLI
def _cli(argv, capsys):
    """Run the CLI; returns (exit code, stderr lines). Usage errors may exit."""
    try:
        code = cli_main(argv)
    except SystemExit as exc:  # argparse's convention for bad usage
        code = exc.code
    return code, capsys.readouterr().err.strip().splitlines()


def _cats_dir(kind, tmp_path):
    folder = tmp_path / "cats"
    {"truncated": _cats_truncated, "foreign": _cats_foreign,
     "disagree": lambda f: _write_cats(f, test_classes=(b"dog", b"cat"))}[kind](folder)
    return str(folder)


CLI_CASES = [
    ("no-command", [], "required: command"),
    ("unknown-command", ["train-everything"], "invalid choice"),
    ("unknown-option", ["study", "--epochs", "3"], "unrecognized arguments"),
    ("unknown-dataset", ["study", "--dataset", "mnist"], "invalid choice: 'mnist'"),
    ("max-iter-zero", ["study", "--max-iter", "0"], "--max-iter must be a positive"),
    ("max-iter-negative", ["study", "--max-iter", "-3"], "--max-iter must be a positive"),
    ("max-iter-not-int", ["study", "--max-iter", "ten"], "invalid int value: 'ten'"),
    ("random-state-not-int", ["study", "--random-state", "x"], "invalid int value"),
    ("random-state-negative", ["study", "--random-state", "-1"], "--random-state"),
    ("unknown-preset", ["study", "--preset", "fast"], "invalid choice: 'fast'"),
    ("course-preset-without-cats", ["study", "--preset", "course"],
     "--preset course needs --dataset catvnoncat"),
    ("cats-without-data-dir", ["study", "--dataset", "catvnoncat"], "SKNN_SCRATCH_DATA"),
    ("cats-missing-dir", ["study", "--dataset", "catvnoncat", "--data-dir",
                          "/nonexistent/data"], "/nonexistent/data"),
    ("cats-truncated", ["study", "--dataset", "catvnoncat", "--data-dir", "truncated"],
     "truncated or corrupt"),
    ("cats-foreign-hdf5", ["study", "--dataset", "catvnoncat", "--data-dir", "foreign"],
     "Key 'train_set_x' not found"),
    ("cats-class-names-disagree", ["study", "--dataset", "catvnoncat", "--data-dir",
                                   "disagree"], "disagree"),
    ("out-is-a-file", ["study", "--dataset", "iris", "--out", "FILE"], "--out"),
] + [(f"train-{label}", ["train", "--h5", h5, "--x-key", x_key, "--y-key", "y",
                         "--out", out, *extra], message)
     for label, h5, x_key, out, extra, message in [
         ("missing-file", "{missing}", "x", "{model}", [], "HDF5 file not found"),
         ("truncated-file", "{truncated}", "x", "{model}", [], "truncated or corrupt"),
         ("text-file", "{text}", "x", "{model}", [], "not an HDF5 file"),
         ("wrong-key", "{good}", "X", "{model}", [], "Key 'X' not found"),
         ("hidden-zero", "{good}", "x", "{model}", ["--hidden", "0"], "--hidden"),
         ("hidden-not-ints", "{good}", "x", "{model}", ["--hidden", "64,a"], "--hidden"),
         ("epochs-zero", "{good}", "x", "{model}", ["--epochs", "0"], "--epochs"),
         ("negative-learning-rate", "{good}", "x", "{model}",
          ["--learning-rate", "-1"], "learning_rate"),
         ("nan-learning-rate", "{good}", "x", "{model}", ["--learning-rate", "nan"],
          "learning_rate"),
         ("out-folder-missing", "{good}", "x", "{nofolder}", [], "does not exist"),
         ("out-is-a-folder", "{good}", "x", "{folder}", [], "is a folder"),
         ("one-class", "{good}", "x", "{model}", ["--classes", "0"], "single class"),
     ]] + [
    ("train-missing-required", ["train", "--h5", "{good}", "--x-key", "x"],
     "required: --y-key, --out"),
] + [(f"export-{label}", ["export", model, "--onnx", "{onnx}", *extra], message)
     for label, model, extra, message in [
         ("missing-file", "{missing}", [], "Model file not found"),
         ("data-file-not-model", "{good}", [], "not an sknn_scratch model file"),
         ("text-file", "{text}", [], "not an HDF5 file"),
         ("bad-dtype", "{good}", ["--dtype", "int8"], "invalid choice: 'int8'"),
     ]]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CLI_CASES])
def test_cli_user_mistakes_one_line_exit_2(case, tmp_path, capsys, monkeypatch):
    _, argv, message = case
    monkeypatch.delenv("SKNN_SCRATCH_DATA", raising=False)
    argv = list(argv)
    if "--data-dir" in argv:
        i = argv.index("--data-dir") + 1
        if argv[i] in ("truncated", "foreign", "disagree"):
            argv[i] = _cats_dir(argv[i], tmp_path)
    if "FILE" in argv:
        (tmp_path / "a_file").write_text("not a folder")
        argv[argv.index("FILE")] = str(tmp_path / "a_file")
    elif argv and argv[0] == "study":
        argv += ["--out", str(tmp_path / "out")]
    if argv and argv[0] in ("train", "export"):
        paths = _cli_files(tmp_path)
        argv = [arg.format(**paths) for arg in argv]
        if argv[0] == "export" and message != "invalid choice: 'int8'":
            try:
                import skl2onnx  # noqa: F401
            except ImportError:  # the command says what to install instead
                message = "needs skl2onnx"
    if argv:
        argv.append("--quiet")
    code, err = _cli(argv, capsys)
    assert code == 2
    assert len(err) == 1, f"expected one line on stderr, got {err}"
    assert err[0].startswith("sknn-scratch: error: "), err[0]
    assert re.search(re.escape(message), err[0]), err[0]
    # nothing written by a failed run
    assert not (tmp_path / "out").exists() and not (tmp_path / "model.h5").exists()
    assert not (tmp_path / "model.onnx").exists()


def _cli_files(tmp_path):
    good = save_h5_dataset(tmp_path / "data.h5", np.random.default_rng(0).random((20, 3)),
                           np.arange(20) % 2, "x", "y")
    raw = good.read_bytes()
    (tmp_path / "truncated.h5").write_bytes(raw[: len(raw) // 3])
    (tmp_path / "text.h5").write_text("x,y\n1,0\n")
    (tmp_path / "a_folder").mkdir()
    return {"good": good, "truncated": tmp_path / "truncated.h5",
            "text": tmp_path / "text.h5", "missing": tmp_path / "missing.h5",
            "model": tmp_path / "model.h5", "nofolder": tmp_path / "nope" / "model.h5",
            "folder": tmp_path / "a_folder", "onnx": tmp_path / "model.onnx"}


# ======================================== issue 16: fitting semantics (self-contained)
# Bools are not sizes; partial_fit cannot change the network nor balance one batch;
# class_weight dicts as scikit-learn's compute_class_weight; the early-stopping
# hold-out needs rows that carry weight. Each: the error, and nothing changed.
ISSUE16_BOOL_PARAMS = [
    ("shallow", "n_hidden", True), ("shallow", "n_hidden", False),
    ("shallow", "batch_size", True), ("deep", "batch_size", True),
    ("logistic", "batch_size", True), ("deep", "hidden_layer_sizes", True),
    ("deep", "hidden_layer_sizes", (True,)), ("deep", "hidden_layer_sizes", (4, True)),
    ("deep", "max_iter", True), ("logistic", "n_iter_no_change", True),
]


@pytest.mark.parametrize("state", ["unfitted", "fitted"])
@pytest.mark.parametrize("name, param, value", [
    pytest.param(*case, id=f"{case[0]}-{case[1]}={case[2]!r}")
    for case in ISSUE16_BOOL_PARAMS])
def test_issue16_a_bool_is_not_a_size_or_count(name, param, value, state):
    est = _fitted(name) if state == "fitted" else ESTIMATORS[name]()
    est.set_params(**{param: value})
    before = _state(est)
    for call in _param_entry_points(est).values():
        with pytest.raises(InvalidParameterError, match=rf"'{param}' parameter .*int"):
            call()
        _assert_unchanged(est, before)
    if state == "unfitted":
        _assert_unfitted(est)


ISSUE16_PARTIAL_FIT_CASES = [
    ("shallow-n_hidden-changed", "shallow", {"n_hidden": 5},
     r"partial_fit cannot continue .*n_hidden=5"),
    ("deep-more-layers", "deep", {"hidden_layer_sizes": (4, 3, 2)},
     r"partial_fit cannot continue .*hidden_layer_sizes=\(4, 3, 2\)"),
    ("deep-wider", "deep", {"hidden_layer_sizes": (5, 3)},
     r"partial_fit cannot continue .*hidden_layer_sizes=\(5, 3\)"),
    ("deep-fewer-layers", "deep", {"hidden_layer_sizes": 4},
     r"partial_fit cannot continue .*hidden_layer_sizes=4"),
] + [(f"{name}-balanced", name, {"class_weight": "balanced"},
      "class_weight='balanced' is not supported for partial_fit")
     for name in ESTIMATORS]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0])
                                  for c in ISSUE16_PARTIAL_FIT_CASES])
def test_issue16_partial_fit_cannot_change_the_model(case):
    _, name, params, match = case
    balanced = params.get("class_weight") == "balanced"  # refused on the first call too
    for est in [_fitted(name)] + ([ESTIMATORS[name]()] if balanced else []):
        est.set_params(**params)
        before = _state(est)
        with _raises(ValueError, match):
            est.partial_fit(X, Y, classes=CLASSES)
        _assert_unchanged(est, before)


def test_issue16_check_gradients_checks_the_fitted_layers_after_a_size_change():
    # as predict does: the fitted coefs_ define the network, not the new parameter
    est = _fitted("deep")
    expected = check_gradients(est, X[:6], Y[:6])
    est.set_params(hidden_layer_sizes=(4,))
    before = _state(est)
    assert check_gradients(est, X[:6], Y[:6]) == expected
    _assert_unchanged(est, before)


ISSUE16_FIT_CASES = [
    ("class_weight-other-labels-and-a-class-missing", {"class_weight": {0: 1.0, 5: 2.0}},
     {}, r"class_weight names labels \[5\] .* no weight to the classes \[1, 2\]"),
    ("early_stopping-one-validation-row", {"early_stopping": True,
                                           "validation_fraction": 0.01},
     {}, "validation_fraction=0.01 .* at least 2"),
    ("early_stopping-no-training-row", {"early_stopping": True,
                                        "validation_fraction": 0.99},
     {}, "validation_fraction=0.99 .*no sample to train on"),
    ("early_stopping-too-few-weighted-rows", {"early_stopping": True},
     {"sample_weight": np.r_[np.ones(3), np.zeros(21)]},
     "validation_fraction=0.1 of the 3 samples with positive sample_weight"),
]


@pytest.mark.parametrize("state", ["unfitted", "fitted"])
@pytest.mark.parametrize("name", ["logistic-gd", "shallow", "deep"])
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in ISSUE16_FIT_CASES])
def test_issue16_bad_fit_settings_raise_and_change_nothing(case, name, state):
    _, params, kwargs, match = case
    if name == "logistic-gd":  # early stopping is for the first-order solvers
        est = ScratchLogisticRegression(solver="gd", max_iter=3)
        if state == "fitted":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X, Y)
    else:
        est = _fitted(name) if state == "fitted" else ESTIMATORS[name]()
    est.set_params(**params)
    before = _state(est)
    with _raises(ValueError, match):
        est.fit(X, Y, **kwargs)
    _assert_unchanged(est, before)
    if state == "unfitted":
        _assert_unfitted(est)


# ============================================ issue 16: augmentation return values
# Self-contained block (its own data and helpers): an augmentation callable that
# returns the wrong thing is a clear ValueError/TypeError naming `augmentation`
# and what it returned, never a traceback from deep inside the network, and the
# failed fit changes nothing.
_AUG_X = np.random.default_rng(16).normal(size=(24, 4))
_AUG_Y = np.arange(24) % 3

AUGMENTATION_CASES = [
    ("drops-a-row", lambda Xb, rng: Xb[:-1], ValueError,
     r"augmentation returned an array of shape \(\d+, 4\) for a batch of shape"),
    ("drops-a-column", lambda Xb, rng: Xb[:, :3], ValueError,
     r"augmentation returned an array of shape \(\d+, 3\)"),
    ("returns-a-list", lambda Xb, rng: Xb.tolist(), TypeError,
     "augmentation returned a list"),
    ("returns-none", lambda Xb, rng: None, TypeError, "augmentation returned None"),
    ("returns-ints", lambda Xb, rng: np.rint(Xb).astype(int), TypeError,
     "augmentation returned an array of dtype int"),
    ("returns-strings", lambda Xb, rng: Xb.astype(str), TypeError,
     "augmentation returned an array of dtype <U"),
]


@pytest.mark.parametrize("batch_size", [None, 8], ids=["full-batch", "mini-batch"])
@pytest.mark.parametrize("entry", ["fit", "partial_fit-first", "partial_fit-fitted"])
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in AUGMENTATION_CASES])
def test_augmentation_returning_the_wrong_thing_is_a_clear_error(case, entry,
                                                                 batch_size):
    _, augmentation, error, message = case
    est = DeepNNClassifier((4,), max_iter=2, batch_size=batch_size, random_state=0)
    if entry == "partial_fit-fitted":
        est.partial_fit(_AUG_X, _AUG_Y, classes=[0, 1, 2])
    before = pickle.dumps(est)
    est.set_params(augmentation=augmentation)
    with pytest.raises(error, match=message):
        if entry == "fit":
            est.fit(_AUG_X, _AUG_Y)
        else:
            est.partial_fit(_AUG_X, _AUG_Y, classes=[0, 1, 2])
    est.set_params(augmentation=None)
    assert pickle.dumps(est) == before  # the failed call changed nothing


# ------------------------------------------- issue 16: sparsify() / densify() unfitted
# Self-contained block (appended for issue 16): ScratchLogisticRegression's sparsify()
# and densify() (scikit-learn's SparseCoefMixin) on an unfitted estimator.
@pytest.mark.parametrize("method", ["sparsify", "densify"])
def test_issue16_sparsify_and_densify_on_an_unfitted_model_raise_not_fitted(method):
    est = ScratchLogisticRegression()
    before = dict(vars(est))
    with pytest.raises(NotFittedError,
                       match="ScratchLogisticRegression, must be fitted before"):
        getattr(est, method)()
    assert vars(est) == before  # still unfitted, nothing added


# ------------------------------------------------------- pipelines in model files
# Self-contained: save_model / load_model / runtime.load with pipelines (scalers
# followed by an sknn_scratch estimator), see tests/test_pipeline_files.py.
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402

from sknn_scratch import runtime as _runtime  # noqa: E402
from sknn_scratch.io import load_model as _load_model  # noqa: E402
from sknn_scratch.io import save_model as _save_model  # noqa: E402


def _pipe_fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_pipeline(StandardScaler(), MinMaxScaler(clip=True),
                             DeepNNClassifier((4,), max_iter=3, random_state=0)).fit(X, Y)


@pytest.fixture(scope="module")
def pipe_model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pipe") / "pipe.h5"
    _save_model(_pipe_fitted(), path)
    return path


def _pipe_with(index, step):
    pipe = _pipe_fitted()
    pipe.steps[index] = (pipe.steps[index][0], step)
    return pipe


PIPE_SAVE_CASES = [
    ("pca-step", lambda: _pipe_with(0, PCA(4).fit(X)), TypeError,
     r"pipeline step 'standardscaler': a sklearn.decomposition.*PCA is not a "
     r"supported preprocessing step.*StandardScaler.*ONNX"),
    ("passthrough-step", lambda: _pipe_with(1, "passthrough"), TypeError,
     r"pipeline step 'minmaxscaler': 'passthrough' is not a supported"),
    ("nested-pipeline-step", lambda: _pipe_with(0, make_pipeline(StandardScaler().fit(X))),
     TypeError, r"'standardscaler': a sklearn.pipeline.Pipeline is not"),
    ("sklearn-final-step", lambda: _pipe_with(2, LogisticRegression().fit(X, Y)),
     TypeError, r"'deepnnclassifier': the last step must be an sknn_scratch estimator"),
    ("unfitted-scaler", lambda: _pipe_with(0, StandardScaler()), NotFittedError,
     r"'standardscaler' \(StandardScaler\) is not fitted"),
    ("unfitted-estimator", lambda: _pipe_with(2, DeepNNClassifier()), NotFittedError,
     "not fitted"),
    ("unplain-pipeline-param", lambda: _pipe_fitted().set_params(memory=object()),
     ValueError, r"Parameter 'memory' cannot be saved"),
    ("unplain-scaler-param", lambda: _pipe_fitted().set_params(
        standardscaler__copy=np.random.RandomState(0)), ValueError,
     r"pipeline step 'standardscaler': Parameter 'copy' cannot be saved"),
    ("scaler-with-nan-statistics", lambda: _pipe_fitted().set_params(),
     ValueError, "mean_ contains NaN"),
    ("pipeline-subclass", lambda: type("MyPipeline", (Pipeline,), {})(
        _pipe_fitted().steps), TypeError, "not a subclass"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in PIPE_SAVE_CASES])
def test_save_model_bad_pipelines(case, tmp_path):
    name, make, exc, match = case
    pipe = make()
    if name == "scaler-with-nan-statistics":
        pipe[0].mean_ = np.where(np.arange(4) == 1, np.nan, pipe[0].mean_)
    with _raises(exc, match):
        _save_model(pipe, tmp_path / "pipe.h5")
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary left


def _pipe_tamper(name, data=None, attr=None):
    def apply(path):
        with h5py.File(path, "r+") as f:
            if attr is not None:
                f[name].attrs[attr] = data
            else:
                del f[name]
                if data is not None:
                    f[name] = data
        reseal(path)
    return apply


PIPE_FILE_CASES = [
    ("truncated", lambda p: p.write_bytes(p.read_bytes()[:3000]), "truncated or corrupt"),
    ("byte-changed", lambda p: p.write_bytes(p.read_bytes()[:-9] + b"x" + p.read_bytes()[-8:]),
     "checksum mismatch"),
    ("unknown-step-class", _pipe_tamper("pipeline/steps/1", "Binarizer", "class_name"),
     "'minmaxscaler' is a 'Binarizer', which this version of sknn_scratch cannot read"),
    ("scale-wrong-shape", _pipe_tamper("pipeline/steps/0/scale_", np.ones(5)),
     r"'pipeline/steps/0/scale_' has shape \(5,\)"),
    ("scale-inf", _pipe_tamper("pipeline/steps/0/scale_", np.full(4, np.inf)),
     "contains NaN or infinity"),
    ("missing-step", _pipe_tamper("pipeline/steps/1"), r"should hold 2 group\(s\)"),
    ("missing-array", _pipe_tamper("pipeline/steps/1/min_"), "missing"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in PIPE_FILE_CASES])
@pytest.mark.parametrize("loader", ["load_model", "runtime"])
def test_load_bad_pipeline_files(case, loader, tmp_path, pipe_model_file):
    _, change, match = case
    path = tmp_path / "bad.h5"
    path.write_bytes(pipe_model_file.read_bytes())
    change(path)
    load = _load_model if loader == "load_model" else _runtime.load
    with _raises(ValueError, match):
        load(path)


def _pipe_sparse():
    sparse = pytest.importorskip("scipy.sparse")
    return sparse.csr_matrix(X)


PIPE_PREDICT_CASES = [
    ("too-few-features", lambda: X[:, :3], "X has 3 features, but this model expects 4"),
    ("one-dimensional", lambda: X[0], "Expected a 2D array"),
    ("nan", _nan_X, "Input X contains NaN"),  # scikit-learn's words
    ("inf", _inf_X, "Input X contains infinity"),
    ("no-rows", lambda: np.zeros((0, 4)), "0 samples"),
    ("sparse", _pipe_sparse, "dense arrays only"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in PIPE_PREDICT_CASES])
@pytest.mark.parametrize("method", ["predict", "predict_proba", "decision_function"])
def test_runtime_pipeline_bad_predict_input(case, method, pipe_model_file):
    _, make, match = case
    model = _runtime.load(pipe_model_file)
    arrays = [a.copy() for _, _, _, step in model.preprocessing for a in step.values()]
    data = make()
    before = data.copy()
    with _raises(ValueError, match):
        getattr(model, method)(data)
    after = [a for _, _, _, step in model.preprocessing for a in step.values()]
    assert all(np.array_equal(a, b) for a, b in zip(arrays, after))  # nothing changed
    if isinstance(data, np.ndarray):
        np.testing.assert_array_equal(data, before)  # nor the caller's X


# ================================= adversarial review of issue 16 (self-contained)
@pytest.mark.parametrize("schedule", ["exponential", "step"])
def test_a_zero_decay_rate_that_would_stop_all_training_is_refused(schedule):
    est = ShallowNNClassifier(learning_rate_schedule=schedule, decay_rate=0.0)
    before = _state(est)
    with _raises(ValueError, f"decay_rate=0 makes the '{schedule}' schedule"):
        est.fit(X, Y)
    _assert_unchanged(est, before)
    _assert_unfitted(est)


def test_a_dev_set_label_unknown_to_training_names_y_val():
    est = ShallowNNClassifier(max_iter=2)
    with _raises(ValueError, r"`y_val` has classes not in `self.classes_` or `classes`: \[7\]"):
        est.fit(X, Y, X_val=X[:5], y_val=np.array([0, 1, 2, 7, 0]))
    _assert_unfitted(est)
