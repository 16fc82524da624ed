"""Tests for studies.plots: figures, lines, labels, saving, and the matplotlib guard."""

import sys
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sknn_scratch import DeepNNClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sknn_scratch.studies import BiasVarianceDisplay, LossCurveDisplay  # noqa: E402
from sknn_scratch.studies import (  # noqa: E402
    BiasVarianceReport,
    plot_bias_variance,
    plot_learning_curve,
    plot_loss_curves,
    plot_validation_curve,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


@pytest.fixture(scope="module")
def iris():
    # iris is sorted by class: shuffle it so that every CV training prefix holds
    # several classes (the estimators refuse a single class, as LogisticRegression does)
    X, y = load_iris(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    return StandardScaler().fit_transform(X)[order], y[order]


def _mlp(**kwargs):
    # batch_size 'auto' = min(200, n): iris in one batch, one step per epoch
    params = dict(hidden_layer_sizes=(5,), batch_size="auto", max_iter=15, random_state=0)
    params.update(kwargs)
    return DeepNNClassifier(**params)


@pytest.fixture(scope="module")
def fitted(iris):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _mlp().fit(*iris)


def _legend(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def _report(name, baseline, train, dev, diagnosis):
    return BiasVarianceReport(
        train_error=train, dev_error=dev, baseline_error=baseline,
        avoidable_bias=train - baseline, variance=dev - train,
        diagnosis=diagnosis, advice=(), estimator=SimpleNamespace(), threshold=0.05,
    )


# ------------------------------------------------------------ loss curves
def test_loss_curve_draws_the_real_loss_with_a_faint_ewa_overlay(fitted):
    fig = plot_loss_curves(fitted)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 2
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert _legend(ax) == ["DeepNNClassifier train"]  # the overlay stays out of it
    real, smoothed = ax.get_lines()
    np.testing.assert_allclose(real.get_ydata(), fitted.loss_curve_)
    np.testing.assert_array_equal(real.get_xdata(), np.arange(1, fitted.n_iter_ + 1))
    assert real.get_alpha() is None and smoothed.get_alpha() < 1.0
    assert smoothed.get_linewidth() < real.get_linewidth()
    # iris fits in one batch (batch_size 'auto' = 150): one step per epoch
    assert "EWA of the epoch losses" in ax.get_title()


def test_ewa_is_taken_over_the_mini_batch_losses_at_their_steps():
    # two epochs of two steps: x at the end of each step; y the bias-corrected
    # EWA (beta 0.5) of 4, 0, 2, 2: v = 2, 1, 1.5, 1.75, divided by
    # 1 - 0.5**t = .5, .75, .875, .9375 gives 4, 4/3, 12/7, 28/15
    history = [{"loss": 2.0, "val_loss": None, "batch_losses": [4.0, 0.0]},
               {"loss": 2.0, "val_loss": None, "batch_losses": [2.0, 2.0]}]
    ax = plot_loss_curves({"h": history}, smoothing=0.5).axes[0]
    real, smoothed = ax.get_lines()
    np.testing.assert_array_equal(real.get_ydata(), [2.0, 2.0])
    np.testing.assert_allclose(smoothed.get_xdata(), [0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(smoothed.get_ydata(), [4.0, 4 / 3, 12 / 7, 28 / 15])


def test_newton_iterations_are_marked_not_drawn_as_epochs(iris, fitted):
    from sknn_scratch import ScratchLogisticRegression

    X, y = iris
    newton = ScratchLogisticRegression(solver="newton").fit(X, y == 0)
    ax = plot_loss_curves({"lr": newton, "net": fitted}).axes[0]
    assert _legend(ax) == ["lr train (Newton iterations)", "net train"]
    assert ax.get_lines()[0].get_linestyle() == ":"
    assert len(ax.get_lines()) == 3  # no EWA over a handful of Newton steps
    assert "Newton iteration" in ax.get_xlabel()


def test_dict_of_estimators_gives_two_lines_each_with_names(fitted):
    fig = plot_loss_curves({"a": fitted, "b": fitted})
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 4
    assert _legend(ax) == ["a train", "b train"]


def test_validation_loss_is_drawn_dashed_when_present():
    model = SimpleNamespace(loss_curve_=[3.0, 2.0, 1.0], validation_loss_curve_=[3.5, 2.5, 2.0])
    ax = plot_loss_curves({"net": model}).axes[0]
    assert len(ax.get_lines()) == 3  # train, validation, EWA of train
    assert _legend(ax) == ["net train", "net validation"]
    assert ax.get_lines()[1].get_linestyle() == "--"


def test_validation_loss_none_is_skipped():
    model = SimpleNamespace(loss_curve_=[3.0, 2.0], validation_loss_curve_=None)
    assert len(plot_loss_curves(model).axes[0].get_lines()) == 2


def test_smoothed_line_is_the_bias_corrected_average():
    ax = plot_loss_curves([1.0, 0.0], smoothing=0.5).axes[0]
    # v1 = 0.5*1 = 0.5 -> /(1-0.5) = 1;  v2 = 0.5*0.5 + 0.5*0 = 0.25 -> /(1-0.25) = 1/3
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [1.0, 1.0 / 3.0])


def test_zero_smoothing_draws_only_the_raw_curve():
    ax = plot_loss_curves([3.0, 2.0, 1.0], smoothing=0).axes[0]
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), [3.0, 2.0, 1.0])


def test_history_records_are_accepted():
    history = [
        {"epoch": 1, "loss": 2.0, "val_loss": 2.5},
        {"epoch": 2, "loss": 1.0, "val_loss": 2.0},
    ]
    ax = plot_loss_curves({"h": history}).axes[0]
    assert _legend(ax) == ["h train", "h validation"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [2.0, 1.0])


def test_pipeline_uses_its_last_step(iris):
    pipe = make_pipeline(StandardScaler(), _mlp()).fit(*iris)
    ax = plot_loss_curves(pipe).axes[0]
    assert _legend(ax) == ["DeepNNClassifier train"]


def test_unfitted_estimator_is_reported():
    with pytest.raises(TypeError, match="without loss_curve_"):
        plot_loss_curves(_mlp())


@pytest.mark.parametrize("smoothing", [1.0, -0.1, True, "0.9"])
def test_invalid_smoothing_is_rejected(smoothing):
    with pytest.raises(ValueError, match=r"smoothing must be a float in \[0, 1\)"):
        plot_loss_curves([1.0, 2.0], smoothing=smoothing)


def test_empty_dict_and_empty_curve_are_rejected():
    with pytest.raises(ValueError, match="empty dict"):
        plot_loss_curves({})
    with pytest.raises(ValueError, match="empty"):
        plot_loss_curves({"x": []})


def test_given_axes_are_drawn_on_and_their_figure_returned():
    fig = Figure()
    ax = fig.add_subplot(1, 2, 2)
    assert plot_loss_curves([1.0, 0.5], ax=ax) is fig
    assert len(ax.get_lines()) == 2


def test_figure_saves_as_png(fitted, tmp_path):
    path = tmp_path / "loss.png"
    plot_loss_curves(fitted).savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pyplot_is_never_imported(fitted):
    if "matplotlib.pyplot" in sys.modules:
        pytest.skip("pyplot was imported by something else in this session")
    plot_loss_curves(fitted)
    plot_bias_variance(_report("m", 0.0, 0.1, 0.2, "high bias"))
    assert "matplotlib.pyplot" not in sys.modules  # scikit-learn's Displays import it


def test_missing_matplotlib_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"requires matplotlib: "
                                          r"pip install sknn-scratch\[plot\]"):
        plot_loss_curves([1.0, 0.5])


# ------------------------------------------------------------ learning curve
def test_learning_curve_plots_train_and_cv_error_at_absolute_sizes(iris, tmp_path):
    fig = plot_learning_curve(_mlp(), *iris, train_sizes=[0.2, 0.5, 1.0], cv=3)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    assert _legend(ax) == ["train", "cross-validation"]
    assert ax.get_xlabel() == "training examples"
    assert ax.get_ylabel() == "error (1 - score)"
    # 3 stratified folds of 150 -> 100 training rows; 20 %, 50 %, 100 % of them
    for line in ax.get_lines():
        np.testing.assert_array_equal(line.get_xdata(), [20, 50, 100])
        assert np.all((line.get_ydata() >= 0) & (line.get_ydata() <= 1))
    fig.savefig(tmp_path / "learning.png")
    assert (tmp_path / "learning.png").stat().st_size > 0


def test_learning_curve_names_the_scoring(iris):
    fig = plot_learning_curve(_mlp(), *iris, train_sizes=[0.5, 1.0], cv=2,
                              scoring="balanced_accuracy", shuffle=True, random_state=0)
    assert fig.axes[0].get_ylabel() == "error (1 - balanced_accuracy)"


# ------------------------------------------------------------ validation curve
def test_validation_curve_over_decades_uses_a_log_axis(iris, tmp_path):
    pipe = make_pipeline(StandardScaler(), _mlp())
    fig = plot_validation_curve(pipe, *iris, param_name="deepnnclassifier__alpha",
                                param_range=[1e-4, 1e-2, 1.0], cv=3)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "deepnnclassifier__alpha"
    assert ax.get_ylabel() == "error (1 - score)"
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1e-4, 1e-2, 1.0])
    fig.savefig(tmp_path / "validation.png")


def test_validation_curve_narrow_range_is_linear_unless_asked(iris):
    kwargs = dict(param_name="alpha", param_range=[0.1, 1.0], cv=2)
    assert plot_validation_curve(_mlp(), *iris, **kwargs).axes[0].get_xscale() == "linear"
    ax = plot_validation_curve(_mlp(), *iris, log_scale=True, **kwargs).axes[0]
    assert ax.get_xscale() == "log"


def test_validation_curve_labels_non_numeric_values(iris):
    fig = plot_validation_curve(_mlp(), *iris, param_name="hidden_layer_sizes",
                                param_range=[(2,), (4, 4)], cv=2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["(2,)", "(4, 4)"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0, 1])


def test_validation_curve_rejects_bad_ranges(iris):
    with pytest.raises(ValueError, match="param_range is empty"):
        plot_validation_curve(_mlp(), *iris, param_name="alpha", param_range=[])
    with pytest.raises(ValueError, match="log_scale=True needs positive"):
        plot_validation_curve(_mlp(), *iris, param_name="alpha", param_range=[0.0, 1.0],
                              log_scale=True)


# ------------------------------------------------------------ bias / variance bars
def test_bias_variance_bars_are_grouped_per_model(tmp_path):
    reports = {
        "tiny": _report("tiny", 0.0, 0.5, 0.5, "high bias"),
        "wide": _report("wide", 0.0, 0.0, 0.25, "high variance"),
    }
    fig = plot_bias_variance(reports)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.patches) == 6  # 3 bars x 2 models
    assert _legend(ax) == ["baseline", "train", "dev"]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [0.0, 0.0, 0.5, 0.0, 0.5, 0.25]  # baseline, train, dev series
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["tiny\n(high bias)", "wide\n(high variance)"]
    assert ax.get_ylabel() == "error (1 - score)"
    fig.savefig(tmp_path / "bv.png")


def test_bias_variance_accepts_a_single_report():
    ax = plot_bias_variance(_report("m", 0.0, 0.1, 0.2, "high bias")).axes[0]
    assert len(ax.patches) == 3


def test_bias_variance_rejects_other_objects():
    with pytest.raises(TypeError, match=r"reports\['x'\] is a dict"):
        plot_bias_variance({"x": {"train_error": 0.1}})
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_bias_variance({})


def test_bias_variance_y_axis_says_what_a_neg_log_loss_bar_is():
    # 1 - neg_log_loss = 1 + log loss: bars above 1 are not error rates
    report = BiasVarianceReport(
        train_error=1.03, dev_error=1.14, baseline_error=0.0, avoidable_bias=1.03,
        variance=0.11, diagnosis="high bias", advice=(), estimator=SimpleNamespace(),
        scoring="neg_log_loss")
    ax = plot_bias_variance({"m": report}).axes[0]
    assert ax.get_ylabel() == "1 - neg_log_loss = 1 + log_loss (not an error rate)"


def test_a_make_scorer_report_is_named_by_its_metric_not_scorer_class():
    from sklearn.metrics import log_loss, make_scorer

    scorer = make_scorer(log_loss, greater_is_better=False, response_method="predict_proba")
    report = BiasVarianceReport(
        train_error=1.0, dev_error=1.0, baseline_error=0.0, avoidable_bias=1.0,
        variance=0.0, diagnosis="high bias", advice=(), estimator=SimpleNamespace(),
        scoring=scorer)
    label = plot_bias_variance({"m": report}).axes[0].get_ylabel()
    assert "neg_log_loss" in label and "_Scorer" not in label


def test_bias_variance_value_labels_stand_upright_and_short():
    # neighbouring labels such as 0.000 and 0.001 ran together ("0.0000.001")
    ax = plot_bias_variance({"m": _report("m", 0.0, 0.0004, 0.0012, "good fit")}).axes[0]
    texts = [t for t in ax.texts]
    assert [t.get_text() for t in texts] == ["0", "0.0004", "0.0012"]
    assert all(t.get_rotation() == 90 for t in texts)


# ------------------------------------------------------------ Displays on a given ax
def test_displays_draw_on_the_given_ax_and_keep_figure_and_ax(fitted, iris):
    from sknn_scratch.studies import (BiasVarianceDisplay, DecisionBoundaryGridDisplay,
                                      LossCurveDisplay)
    from sknn_scratch.studies.curve_displays import error_learning_curve

    fig = Figure()
    ax1, ax2, ax3 = fig.subplots(1, 3)
    loss = LossCurveDisplay.from_estimator(fitted, ax=ax1)
    assert loss.ax_ is ax1 and loss.figure_ is fig and ax1.get_lines()
    again = loss.plot(ax=ax3, smoothing=0.9)  # redraw elsewhere
    assert again.ax_ is ax3 and len(ax3.get_lines()) == 2
    bars = BiasVarianceDisplay.from_estimator(fitted, *iris, *iris, ax=ax2)
    assert bars.ax_ is ax2 and bars.figure_ is fig and len(ax2.patches) == 3
    X, y = iris
    curve = error_learning_curve(_mlp(max_iter=3), X, y, train_sizes=(0.5, 1.0), cv=2,
                                 ax=ax3)
    assert curve.ax_ is ax3 and curve.figure_ is fig
    np.testing.assert_array_less(-1e-12, curve.test_scores)  # errors, not scores
    grid = DecisionBoundaryGridDisplay.from_estimators(
        {"net": _mlp(max_iter=3).fit(X[:, :2], y), "refused": "no model"}, X[:, :2], y)
    assert len(grid.axes_) == 2 and not grid.axes_[1].axison
    with pytest.raises(ValueError, match="2 features"):
        DecisionBoundaryGridDisplay.from_estimators({"net": fitted}, X, y)


def test_boundaries_of_three_classes_colour_regions_and_points_alike():
    from sklearn.datasets import make_blobs
    from sklearn.linear_model import LogisticRegression

    from sknn_scratch.studies import DecisionBoundaryGridDisplay

    X, y = make_blobs(60, centers=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn warned that cmap was ignored
        grid = DecisionBoundaryGridDisplay.from_estimators(
            {"lr": LogisticRegression().fit(X, y)}, X, y)
    points = grid.axes_[0].collections[-1].get_facecolors()
    from matplotlib.colors import to_rgba

    for k in range(3):
        np.testing.assert_allclose(points[y == k], [to_rgba(f"C{k}")] * (y == k).sum())


def test_bias_variance_dev_bars_named_as_the_data_they_are(tmp_path, monkeypatch):
    # the course preset has no dev set: its test set fills the dev slot, and the
    # figure must say so (issue 19), as the table, report and results.json do
    from sknn_scratch.studies import bias_variance_display
    from sknn_scratch.studies.outputs import write_figures
    from sknn_scratch.studies.study import DEV_IS_TEST_LABEL

    display = BiasVarianceDisplay.from_reports(_report("m", 0.0, 0.1, 0.2, "high bias"),
                                               dev_label=DEV_IS_TEST_LABEL)
    assert _legend(display.ax_) == ["baseline", "train", DEV_IS_TEST_LABEL]
    assert list(display.bars_) == ["baseline", "train", DEV_IS_TEST_LABEL]
    # and the study's figure writer passes the data's label on
    drawn = []
    plot = bias_variance_display.BiasVarianceDisplay.plot
    monkeypatch.setattr(bias_variance_display.BiasVarianceDisplay, "plot",
                        lambda self, ax=None: drawn.append(self) or plot(self, ax))
    data = SimpleNamespace(X_train=np.zeros((4, 3)), y_train=np.zeros(4),
                           dev_label=DEV_IS_TEST_LABEL)
    result = SimpleNamespace(name="m", model=SimpleNamespace(),
                             report=_report("m", 0.0, 0.1, 0.2, "high bias"))
    write_figures(tmp_path, data, [result])
    assert _legend(drawn[0].ax_) == ["baseline", "train", DEV_IS_TEST_LABEL]


def test_loss_curve_names_the_validation_curve_as_the_data_it_is():
    # the course preset scores its test set in the dev slot: the curve says so
    from sknn_scratch.studies.study import DEV_IS_TEST_LABEL

    history = [{"loss": 1.0, "val_loss": 1.2}, {"loss": 0.5, "val_loss": 0.9}]
    ax = plot_loss_curves({"h": history}).axes[0]
    assert _legend(ax) == ["h train", "h validation"]
    display = LossCurveDisplay.from_history({"h": history}, val_label=DEV_IS_TEST_LABEL)
    assert _legend(display.ax_) == ["h train", f"h {DEV_IS_TEST_LABEL}"]


def test_boundary_grid_redraws_on_given_axes_and_names_a_list_by_class(iris):
    from sklearn.linear_model import LogisticRegression

    from sknn_scratch.studies import DecisionBoundaryGridDisplay

    X, y = iris
    X = X[:, :2]
    lr = LogisticRegression().fit(X, y)
    grid = DecisionBoundaryGridDisplay.from_estimators([lr, "refused"], X, y)
    assert list(grid.displays) == ["LogisticRegression", "model 2"]
    fig = Figure()
    axes = fig.subplots(1, 2)
    again = grid.plot(ax=axes)
    assert again is grid and grid.figure_ is fig and list(grid.axes_) == list(axes)
    assert grid.ax_ is axes[0] and axes[0].collections and not axes[1].axison
    assert grid.plot().figure_ is not fig  # None: a new figure
    with pytest.raises(ValueError, match="2 panels"):
        grid.plot(ax=axes[:1])
    with pytest.raises(TypeError, match="estimators"):
        DecisionBoundaryGridDisplay.from_estimators(lr, X, y)
