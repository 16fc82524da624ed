"""Multilabel indicator y for the two nets: sigmoid outputs, per-label cross-entropy.

Compared with hand-derived values, finite differences and MLPClassifier.
"""

import math
import subprocess
import sys
import warnings

import h5py
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics import accuracy_score
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._base import binary_log_loss
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from sknn_scratch import (DeepNNClassifier, ScratchLogisticRegression,
                          ShallowNNClassifier, check_gradients, runtime)
from sknn_scratch.core import losses, network
from sknn_scratch.estimators._fitting import TrainingDiagnosticWarning
from sknn_scratch.core.gradcheck import check_network_gradients
from sknn_scratch.io import load_model, save_model
from sknn_scratch.training.guard import DivergenceGuard
from sknn_scratch.training.loop import LoopSettings, make_evaluator
from sknn_scratch.optim.optimizers import GD

from ..test_modelfile import reseal

NETS = [ShallowNNClassifier, DeepNNClassifier]

X_ALL, Y_ALL = make_multilabel_classification(300, 10, n_classes=4, random_state=0)
X_ALL = StandardScaler().fit_transform(X_ALL)
X, Y = X_ALL[:200], Y_ALL[:200]


def _quiet(fit, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs on purpose
        return fit(*args, **kwargs)


def _small(cls, **params):
    sizes = {"n_hidden": 8} if cls is ShallowNNClassifier else {"hidden_layer_sizes": (8,)}
    return cls(**{**sizes, "max_iter": 30, "random_state": 0, **params})


# -- the loss: by hand, as MLPClassifier's, and its gradient ------------------------------
Z_TINY = np.array([[0.5, -1.0, 2.0], [-0.3, 0.0, 1.5]])
Y_TINY = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])


def test_loss_is_the_binary_cross_entropy_summed_over_labels_by_hand():
    a = 1 / (1 + np.exp(-Z_TINY))
    by_hand = [-sum(math.log(a[i, k]) if Y_TINY[i, k] else math.log(1 - a[i, k])
                    for k in range(3)) for i in range(2)]
    got = losses.sample_losses(Z_TINY, Y_TINY, multilabel=True)
    np.testing.assert_allclose(got, by_hand, rtol=1e-14)


def test_weighted_loss_is_mlpclassifiers_binary_log_loss():
    w = np.array([0.5, 2.0])
    a = 1 / (1 + np.exp(-Z_TINY))
    expected = binary_log_loss(Y_TINY, a, sample_weight=w)
    got = losses.weighted_loss(Z_TINY, Y_TINY, w, multilabel=True)
    assert got == pytest.approx(expected, rel=1e-12)


def test_chance_loss_is_n_labels_log_2_the_loss_at_zero_logits():
    zero = np.zeros((2, 3))
    assert losses.chance_loss(3, multilabel=True) == pytest.approx(3 * math.log(2))
    np.testing.assert_allclose(losses.sample_losses(zero, Y_TINY, True), 3 * math.log(2))
    assert losses.chance_loss(3) == pytest.approx(math.log(3))  # softmax unchanged


def test_divergence_guard_floors_at_the_multilabel_chance_loss():
    arch = network.Architecture((2, 5), "identity", multilabel=True)
    Yb = np.ones((4, 5))
    guard = DivergenceGuard(arch, [np.zeros((2, 5))], [np.zeros(5)], np.ones((4, 2)),
                            Yb, np.ones(4), LoopSettings(), GD(), reference_loss=0.0)
    assert guard.chance_loss == pytest.approx(5 * math.log(2))  # not log 5
    assert guard.threshold == pytest.approx(100 * 5 * math.log(2))


def test_backprop_matches_finite_differences():
    rng = np.random.default_rng(0)
    arch = network.Architecture((4, 5, 3), "tanh", multilabel=True)
    coefs, intercepts = network.init_params(arch, "xavier", rng)
    Xs = rng.standard_normal((7, 4))
    Ys = (rng.random((7, 3)) < 0.5).astype(float)
    result = check_network_gradients(arch, coefs, intercepts, Xs, Ys,
                                      rng.random(7) + 0.5, alpha=0.1)
    assert result.max_relative_error < 1e-7


def test_output_delta_is_sigmoid_minus_targets():
    w = np.array([1.0, 3.0])
    loss, dZ = losses.inplace_loss_and_delta(Z_TINY.copy(), Y_TINY, w, w.sum(), True)
    a = 1 / (1 + np.exp(-Z_TINY))
    np.testing.assert_allclose(dZ, (a - Y_TINY) * (w / w.sum())[:, None], rtol=1e-14)
    assert loss == pytest.approx(losses.weighted_loss(Z_TINY, Y_TINY, w, multilabel=True))


@pytest.mark.parametrize("cls", NETS)
def test_check_gradients_on_a_multilabel_estimator(cls):
    est = _small(cls, activation="tanh", alpha=0.01)
    assert check_gradients(est, X[:20], Y[:20]).max_relative_error < 1e-6


# -- the estimators' face, as MLPClassifier's ------------------------------------------
@pytest.fixture(scope="module", params=NETS, ids=lambda c: c.__name__)
def fitted(request):
    return _quiet(_small(request.param, max_iter=200).fit, X, Y)


def test_fitted_attributes_as_mlpclassifier(fitted):
    mlp = _quiet(MLPClassifier(max_iter=5, random_state=0).fit, X, Y)
    np.testing.assert_array_equal(fitted.classes_, mlp.classes_)
    assert (fitted.out_activation_, fitted.n_outputs_) == (mlp.out_activation_, 4)


def test_predictions_are_indicators_and_per_label_probabilities(fitted):
    mlp = _quiet(MLPClassifier(max_iter=5, random_state=0).fit, X, Y)
    pred, proba = fitted.predict(X_ALL), fitted.predict_proba(X_ALL)
    assert pred.shape == proba.shape == (300, 4)
    assert pred.dtype == mlp.predict(X_ALL).dtype
    assert set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    np.testing.assert_allclose(proba, 1 / (1 + np.exp(-fitted.decision_function(X_ALL))),
                               rtol=1e-12)
    np.testing.assert_allclose(fitted.predict_log_proba(X_ALL), np.log(proba), rtol=1e-12,
                               atol=1e-14)
    assert not np.allclose(proba.sum(axis=1), 1)  # labels are independent


def test_score_is_subset_accuracy(fitted):
    Xt, Yt = X_ALL[200:], Y_ALL[200:]
    expected = np.mean(np.all(fitted.predict(Xt) == Yt, axis=1))
    assert fitted.score(Xt, Yt) == pytest.approx(expected)
    assert fitted.score(Xt, Yt) == pytest.approx(accuracy_score(Yt, fitted.predict(Xt)))


def test_accuracy_comparable_to_mlpclassifier_with_the_same_settings():
    # one hidden layer of 32 relu units, Adam, batches of 200, MLPClassifier's alpha
    Xt, Yt = X_ALL[200:], Y_ALL[200:]
    ours = _quiet(DeepNNClassifier((32,), solver="adam", learning_rate=1e-3, alpha=1e-4,
                                   max_iter=200, random_state=0).fit, X, Y)
    mlp = _quiet(MLPClassifier((32,), max_iter=200, random_state=0).fit, X, Y)
    # subset accuracy on 100 held-out rows (measured: 0.39 and MLPClassifier 0.41)
    assert ours.score(Xt, Yt) >= mlp.score(Xt, Yt) - 0.05
    # label by label (measured: 0.775 and 0.78)
    assert np.mean(ours.predict(Xt) == Yt) >= np.mean(mlp.predict(Xt) == Yt) - 0.02


def test_tags():
    for cls in NETS:
        assert get_tags(cls()).classifier_tags.multi_label
    assert not get_tags(ScratchLogisticRegression()).classifier_tags.multi_label


@pytest.mark.parametrize("y", [Y, Y.astype(bool), Y.astype(np.float32)], ids=str)
def test_indicator_dtypes_give_the_same_model(y):
    ref = _quiet(_small(DeepNNClassifier).fit, X, Y)
    est = _quiet(_small(DeepNNClassifier).fit, X, y)
    np.testing.assert_array_equal(est.predict_proba(X), ref.predict_proba(X))


def test_a_sparse_indicator_gives_the_same_model():
    ref = _quiet(_small(DeepNNClassifier).fit, X, Y)
    est = _quiet(_small(DeepNNClassifier).fit, X, sp.csr_matrix(Y))
    np.testing.assert_array_equal(est.predict_proba(X), ref.predict_proba(X))


def test_integer_sample_weight_acts_as_repeated_rows():
    params = dict(solver="gd", batch_size=None, tol=None, max_iter=20)
    w = np.ones(len(X))
    w[:50] = 2
    weighted = _quiet(_small(ShallowNNClassifier, **params).fit, X, Y, sample_weight=w)
    repeated = _quiet(_small(ShallowNNClassifier, **params).fit,
                      np.vstack([X, X[:50]]), np.vstack([Y, Y[:50]]))
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-10)


def test_early_stopping_and_a_dev_set_score_subset_accuracy():
    est = _quiet(_small(DeepNNClassifier, early_stopping=True).fit, X, Y)
    assert len(est.validation_scores_) == est.n_iter_
    est = _quiet(_small(DeepNNClassifier).fit, X, Y, X_val=X_ALL[200:], y_val=Y_ALL[200:])
    assert est.validation_scores_[-1] == pytest.approx(est.score(X_ALL[200:], Y_ALL[200:]))


def test_evaluator_score_needs_every_label_right():
    arch = network.Architecture((1, 2), "identity", multilabel=True)
    Xv, Yv = np.ones((2, 1)), np.array([[1.0, 0.0], [1.0, 1.0]])
    evaluate = make_evaluator(arch, Xv, Yv, np.ones(2))
    _, score = evaluate([np.array([[1.0, -1.0]])], [np.zeros(2)])  # predicts [1, 0]
    assert score == 0.5


# -- partial_fit ------------------------------------------------------------------------
@pytest.mark.parametrize("cls", NETS)
def test_partial_fit_with_label_indices_as_classes(cls):
    est = _small(cls)
    est.partial_fit(X[:100], Y[:100], classes=np.arange(4))
    est.partial_fit(X[100:], Y[100:])
    assert est.predict(X).shape == (200, 4) and est.t_ == 200
    np.testing.assert_array_equal(est.classes_, np.arange(4))


def test_partial_fit_needs_classes_on_the_first_call():
    with pytest.raises(ValueError, match="classes must be passed"):
        _small(DeepNNClassifier).partial_fit(X, Y)


def test_partial_fit_refuses_classes_that_are_not_label_indices():
    with pytest.raises(ValueError, match=r"4 label columns.*0\.\.3.*np.arange"):
        _small(DeepNNClassifier).partial_fit(X, Y, classes=["a", "b", "c", "d"])


def _unchanged(est, call, match):
    before = est.predict_proba(X).copy(), est.t_
    with pytest.raises(ValueError, match=match):
        call()
    np.testing.assert_array_equal(est.predict_proba(X), before[0])
    assert est.t_ == before[1]


def test_partial_fit_refuses_mixed_kinds_and_leaves_the_model_alone():
    multi = _small(DeepNNClassifier).partial_fit(X, Y, classes=np.arange(4))
    _unchanged(multi, lambda: multi.partial_fit(X, Y[:, 0]),
               "1-d array of class labels.*multilabel indicator y of 4 labels")
    _unchanged(multi, lambda: multi.partial_fit(X, Y[:, :3]), r"3 label columns.*fitted classes_ is \[0, 1, 2, 3\]")
    labels = _small(DeepNNClassifier).partial_fit(X, Y[:, 0] + Y[:, 1],
                                                  classes=[0, 1, 2])
    # [0, 1, 2] are also the label indices of a 3-column indicator: still refused
    _unchanged(labels, lambda: labels.partial_fit(X, Y[:, :3]),
               "multilabel indicator matrix.*1-d y of class labels")


def test_warm_start_refuses_mixed_kinds():
    est = _quiet(_small(DeepNNClassifier, warm_start=True).fit, X, Y[:, :3])
    with pytest.raises(ValueError, match="cannot mix"):
        est.fit(X, Y[:, 0] + Y[:, 1])


# -- refused, with the reason -----------------------------------------------------------
def test_logistic_regression_refuses_multilabel_pointing_to_multioutputclassifier():
    with pytest.raises(ValueError, match="MultiOutputClassifier.*ShallowNNClassifier"):
        ScratchLogisticRegression().fit(X, Y)


def test_the_suggested_multioutputclassifier_fits_logistic_regression_per_label():
    est = MultiOutputClassifier(ScratchLogisticRegression()).fit(X, Y)
    assert est.predict(X).shape == Y.shape


def test_multiclass_multioutput_refused():
    with pytest.raises(ValueError, match="multiclass-multioutput.*MultiOutputClassifier"):
        _small(DeepNNClassifier).fit(X, Y + Y[:, ::-1])  # values 0, 1, 2


@pytest.mark.parametrize("bad", [Y * 2, Y - 1], ids=["0/2", "-1/0"])
def test_indicator_of_other_two_values_refused(bad):
    # scikit-learn calls any two integer values 'multilabel-indicator'; predict
    # would answer in 0/1, so score would compare 0/1 with the user's values
    with pytest.raises(ValueError, match="holds only 0 and 1"):
        _small(DeepNNClassifier).fit(X, bad)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 2.0}])
def test_class_weight_refused_for_multilabel(class_weight):
    with pytest.raises(ValueError, match="not supported with a multilabel y"):
        _small(DeepNNClassifier, class_weight=class_weight).fit(X, Y)


def test_dev_set_must_be_the_same_kind():
    est = _small(DeepNNClassifier)
    with pytest.raises(ValueError, match="y_val must be a multilabel indicator"):
        est.fit(X, Y, X_val=X, y_val=Y[:, 0])
    with pytest.raises(ValueError, match="y_val has 3 label columns, but y has 4"):
        est.fit(X, Y, X_val=X, y_val=Y[:, :3])


# -- model files, runtime, ONNX ---------------------------------------------------------
def test_model_file_and_runtime_serve_the_indicator(fitted, tmp_path):
    path = tmp_path / "m.h5"
    save_model(fitted, path)
    loaded, served = load_model(path), runtime.load(path)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        expected = getattr(fitted, method)(X_ALL)
        for model in (loaded, served):
            got = getattr(model, method)(X_ALL)
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)
    assert served.predict(X_ALL).shape == (300, 4)


def test_model_file_refuses_multilabel_classes_that_are_not_label_indices(fitted,
                                                                          tmp_path):
    path = tmp_path / "m.h5"
    save_model(fitted, path)
    with h5py.File(path, "r+") as f:
        f["classes_"][...] = np.array([0, 1, 2, 5])
    reseal(path)
    with pytest.raises(ValueError, match="multilabel model must be its label indices"):
        load_model(path)


def test_onnx_export_refuses_multilabel(fitted):
    pytest.importorskip("skl2onnx")
    from sknn_scratch.onnx import to_onnx
    with pytest.raises(RuntimeError, match="multilabel.*sknn_scratch.runtime"):
        to_onnx(fitted)


def test_a_fresh_process_fits_the_same_multilabel_model():
    code = (
        "import warnings; warnings.simplefilter('ignore')\n"
        "from sklearn.datasets import make_multilabel_classification\n"
        "from sknn_scratch import DeepNNClassifier\n"
        "X, Y = make_multilabel_classification(200, 10, n_classes=4, random_state=0)\n"
        "est = DeepNNClassifier((8,), max_iter=30, random_state=0).fit(X, Y)\n"
        "print(est.predict_proba(X).tobytes().hex())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    Xr, Yr = make_multilabel_classification(200, 10, n_classes=4, random_state=0)
    est = _quiet(DeepNNClassifier((8,), max_iter=30, random_state=0).fit, Xr, Yr)
    assert bytes.fromhex(out) == est.predict_proba(Xr).tobytes()


@pytest.mark.parametrize("y", [[[0, 1], [2]] * 100, [(0,), (1, 2)] * 100],
                         ids=["lists", "tuples"])
def test_lists_of_labels_get_a_pointer_to_multilabelbinarizer(y):
    # numpy's own error ("inhomogeneous shape") says nothing of labels
    with pytest.raises(ValueError, match="lists of labels.*MultiLabelBinarizer"):
        _small(DeepNNClassifier).fit(X, y)


def test_callbacks_score_the_intermediate_multilabel_model():
    callback = pytest.importorskip("sklearn.callback")
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = _small(DeepNNClassifier, max_iter=3, tol=None).set_callbacks(monitor).fit(X, Y)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert len(rows) == 3
    assert rows[-1]["accuracy"] == pytest.approx(est.score(X, Y))  # subset accuracy


# -- the end-of-fit checks on a multilabel y (the merged issue-11 diagnostics) ------------
def test_fit_outcome_of_a_hand_made_multilabel_model():
    from sknn_scratch.training.outcome import fit_outcome

    # two labels, logits z = (x - 0.5, 0.5 - x): label 0 for x > 0.5, label 1 below
    arch = network.Architecture((1, 2), "identity", multilabel=True)
    X = np.array([[0.0], [1.0], [2.0], [0.2]])
    Y_ = np.array([[0, 1], [1, 0], [1, 1], [0, 0]])
    w = np.array([1.0, 1.0, 2.0, 0.0])  # the last row weighs nothing
    out = fit_outcome(arch, [np.array([[1.0, -1.0]])], [np.array([-0.5, 0.5])], X, Y_, w, 2)
    # predicted sets: (0,1) (1,0) (1,0): rows 0, 1 right (w 2 of 4), row 2 wrong
    assert out.accuracy == pytest.approx(0.5)
    # label shares (weighted): label 0 in 3/4, label 1 in 3/4 -> the majority set (1, 1)
    # is right on row 2 only: 2/4
    assert out.majority == pytest.approx(0.5)
    p = 0.75
    entropy = -(p * math.log(p) + (1 - p) * math.log(1 - p))
    assert out.prior_loss == pytest.approx(2 * entropy, rel=1e-12)  # summed over labels
    assert out.n_present == 3 and out.n_predicted == 2 and out.predicted is None


@pytest.mark.parametrize("cls", NETS)
def test_an_ordinary_multilabel_fit_at_the_default_tol_is_quiet(cls):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = _small(cls, max_iter=3000, learning_rate=0.01).fit(X, Y)
    assert model.stop_reason_ == "tol"


def test_one_label_set_for_every_sample_warns():
    # inputs that carry nothing: the net can only learn the label frequencies, and
    # predicts label 0 (in every row of y) and none of the others (in a quarter each)
    Y4 = np.repeat([[1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1]], 50, axis=0)
    with pytest.warns(TrainingDiagnosticWarning, match=r"predicts the labels \[0\] for "
                      "every training sample, although y has 4 label sets"):
        model = DeepNNClassifier((8,), max_iter=300, learning_rate=0.01, tol=None,
                                 random_state=0).fit(np.zeros_like(X), Y4)
    assert (model.predict(X) == [1, 0, 0, 0]).all()
