"""The training loop: one step by hand, purity, divergence, stopping."""

import numpy as np
import pytest

from sknn_scratch.core import losses, network
from sknn_scratch.core.network import Architecture
from sknn_scratch.optim import GD, Adam, Momentum
from sknn_scratch.training.callbacks import ConvergenceMonitor, EarlyStopping
from sknn_scratch.training.loop import (
    LoopSettings,
    clip_by_global_norm,
    run_training,
    train_epoch,
)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logistic_data(seed=0, m=8, n=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    y = (rng.random(m) < 0.5).astype(float)
    y[:2] = [0.0, 1.0]
    return X, y.reshape(-1, 1)


def net_problem(seed=0, m=9, hidden=(4,), n_classes=3, activation="tanh"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, 3))
    arch = Architecture((3, *hidden, losses.n_outputs(n_classes)), activation)
    coefs, intercepts = network.init_params(arch, "xavier", rng)
    intercepts = [0.1 * rng.standard_normal(b.shape) for b in intercepts]
    Y = losses.one_hot(np.arange(m) % n_classes, n_classes)
    w = rng.uniform(0.5, 2.0, m)
    return arch, coefs, intercepts, X, Y, w


# -- one epoch by hand -----------------------------------------------------------------
def test_full_batch_gd_epoch_equals_hand_logistic_update():
    X, y = logistic_data()
    W, b = np.array([[0.2], [-0.1], [0.4]]), np.array([0.05])
    w = np.ones(len(y))
    lr = 0.5
    coefs, intercepts = [W.copy()], [b.copy()]
    loss, state, norms = train_epoch(Architecture((3, 1), "identity"), coefs, intercepts,
                                     GD(), {"t": 0}, X, y, w, LoopSettings(), lr,
                                     np.random.default_rng(0))
    p = sigmoid(X @ W + b)
    grad_W = X.T @ (p - y) / len(y)
    grad_b = (p - y).mean(axis=0)
    np.testing.assert_allclose(coefs[0], W - lr * grad_W, rtol=1e-13)
    np.testing.assert_allclose(intercepts[0], b - lr * grad_b, rtol=1e-13)
    # the reported loss is the objective at the starting point
    expected_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    assert state == {"t": 1}
    assert norms == pytest.approx([np.linalg.norm(grad_W)], rel=1e-13)


def test_full_batch_gd_epoch_equals_w_minus_lr_grad_for_a_hidden_layer_net():
    arch, coefs, intercepts, X, Y, w = net_problem()
    alpha, lr = 0.3, 0.2
    loss0, dW, db = network.loss_and_gradients(arch, coefs, intercepts, X, Y, w, alpha)
    expected = [p - lr * g for p, g in zip(coefs + intercepts, dW + db)]
    c, b = [W.copy() for W in coefs], [v.copy() for v in intercepts]
    loss, _, _ = train_epoch(arch, c, b, GD(), {"t": 0}, X, Y, w,
                             LoopSettings(alpha=alpha), lr, np.random.default_rng(0))
    for got, exp in zip(c + b, expected):
        np.testing.assert_allclose(got, exp, rtol=1e-13)
    assert loss == pytest.approx(loss0, rel=1e-14)


def test_copy_false_trains_init_params_vector_in_place_and_copies_other_layouts():
    arch, coefs, intercepts, X, Y, w = net_problem()
    flat_coefs, flat_intercepts = network.init_params(arch, "xavier",
                                                      np.random.default_rng(0))
    start = [p.copy() for p in flat_coefs + flat_intercepts]
    result = run_training(arch, flat_coefs, flat_intercepts, GD(), None, X, Y, w,
                          LoopSettings(), np.random.default_rng(0), max_epochs=2,
                          copy=False)
    assert all(np.shares_memory(a, b) for a, b in zip(result.coefs, flat_coefs))
    assert not np.array_equal(flat_coefs[0], start[0])  # trained in place
    # one vector in the right order, but its wide 40 -> 3 layer row by row where
    # the layout stores it column by column: copied, not reinterpreted
    wide = Architecture((40, 3, 3), "relu")
    rng = np.random.default_rng(1)
    vector = rng.standard_normal(40 * 3 + 3 * 3 + 3 + 3)
    W0, W1 = vector[:120].reshape(40, 3), vector[120:129].reshape(3, 3)
    b0, b1 = vector[129:132], vector[132:]
    expected_W0 = W0.copy()
    Xw = rng.standard_normal((6, 40))
    result = run_training(wide, [W0, W1], [b0, b1], GD(), None, Xw,
                          losses.one_hot(np.arange(6) % 3, 3), np.ones(6),
                          LoopSettings(learning_rate=0.0), np.random.default_rng(0),
                          max_epochs=1, copy=False)
    assert not np.shares_memory(result.coefs[0], vector)
    np.testing.assert_array_equal(result.coefs[0], expected_W0)  # lr 0: unchanged
    np.testing.assert_array_equal(W0, expected_W0)


@pytest.mark.parametrize("rule", [GD(), Adam()])
def test_one_step_on_a_net_with_a_wide_layer_equals_the_rule_on_backprops_gradient(rule):
    # 40 -> 3 is stored column by column (core.flat): the step must still land on
    # the right entries
    rng = np.random.default_rng(5)
    arch = Architecture((40, 3, 3), "relu")
    X = rng.standard_normal((12, 40))
    Y = losses.one_hot(np.arange(12) % 3, 3)
    w = rng.uniform(0.5, 2.0, 12)
    coefs, intercepts = network.init_params(arch, "he", rng)
    assert coefs[0].flags.f_contiguous
    _, dW, db = network.loss_and_gradients(arch, coefs, intercepts, X, Y, w, 0.2)
    steps, _ = rule.update(dW + db, rule.init(coefs + intercepts), 0.05)
    expected = [p + s for p, s in zip(coefs + intercepts, steps)]
    result = run_training(arch, coefs, intercepts, rule, None, X, Y, w,
                          LoopSettings(alpha=0.2, learning_rate=0.05),
                          np.random.default_rng(0), max_epochs=1)
    for got, exp in zip(result.coefs + result.intercepts, expected):
        np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-15)


def test_mini_batch_epoch_without_shuffle_equals_sequential_hand_steps():
    arch, coefs, intercepts, X, Y, w = net_problem(m=7)
    lr = 0.1
    settings = LoopSettings(batch_size=3, shuffle=False)
    params = [p.copy() for p in coefs + intercepts]
    loss_sum = 0.0
    for rows in ([0, 1, 2], [3, 4, 5], [6]):
        c, b = params[:2], params[2:]
        loss, dW, db = network.loss_and_gradients(arch, c, b, X[rows], Y[rows], w[rows])
        loss_sum += loss * w[rows].sum()
        params = [p - lr * g for p, g in zip(params, dW + db)]
    c, b = [W.copy() for W in coefs], [v.copy() for v in intercepts]
    loss, state, _ = train_epoch(arch, c, b, GD(), {"t": 0}, X, Y, w, settings, lr,
                                 np.random.default_rng(0))
    for got, exp in zip(c + b, params):
        np.testing.assert_allclose(got, exp, rtol=1e-13)
    assert loss == pytest.approx(loss_sum / w.sum(), rel=1e-13)
    assert state["t"] == 3


def test_batch_with_zero_total_weight_is_skipped():
    arch, coefs, intercepts, X, Y, w = net_problem(m=6)
    w[3:] = 0.0  # second batch (rows 3-5, no shuffle) carries no weight
    settings = LoopSettings(batch_size=3, shuffle=False)
    c, b = [W.copy() for W in coefs], [v.copy() for v in intercepts]
    _, state, _ = train_epoch(arch, c, b, GD(), {"t": 0}, X, Y, w, settings, 0.1,
                              np.random.default_rng(0))
    _, dW, db = network.loss_and_gradients(arch, coefs, intercepts, X[:3], Y[:3], w[:3])
    for got, p, g in zip(c + b, coefs + intercepts, dW + db):
        np.testing.assert_allclose(got, p - 0.1 * g, rtol=1e-13)
    assert state["t"] == 1


# -- gradient clipping -----------------------------------------------------------------
def test_clip_by_global_norm_rescales_to_max_norm():
    grads = [np.array([3.0]), np.array([[0.0, 4.0]])]  # global norm 5
    norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(grads[0], [0.6])
    np.testing.assert_allclose(grads[1], [[0.0, 0.8]])


def test_clip_by_global_norm_leaves_small_gradients_alone():
    grads = [np.array([0.3, 0.4])]
    clip_by_global_norm(grads, 1.0)
    np.testing.assert_array_equal(grads[0], [0.3, 0.4])


def test_max_grad_norm_in_settings_clips_the_step():
    X, y = logistic_data()
    W, b = np.zeros((3, 1)), np.zeros(1)
    c, bb = [W.copy()], [b.copy()]
    train_epoch(Architecture((3, 1), "identity"), c, bb, GD(), {"t": 0}, X, y,
                np.ones(len(y)), LoopSettings(max_grad_norm=1e-3), 1.0,
                np.random.default_rng(0))
    step = np.concatenate([c[0].ravel(), bb[0]])
    assert np.linalg.norm(step) == pytest.approx(1e-3, rel=1e-12)


# -- run_training ----------------------------------------------------------------------
def test_run_training_does_not_modify_callers_arrays():
    arch, coefs, intercepts, X, Y, w = net_problem()
    before = [a.copy() for a in coefs + intercepts + [X, Y, w]]
    result = run_training(arch, coefs, intercepts, Adam(), Adam().init(coefs + intercepts),
                          X, Y, w, LoopSettings(learning_rate=0.05, batch_size=4),
                          np.random.default_rng(0), max_epochs=5)
    for a, b in zip(coefs + intercepts + [X, Y, w], before):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(result.coefs[0], coefs[0])  # but training did move
    assert all(r is not c for r, c in zip(result.coefs, coefs))


def test_run_training_does_not_modify_injected_optimizer_state():
    arch, coefs, intercepts, X, Y, w = net_problem()
    rule = Momentum(beta=0.9)
    state = rule.init(coefs + intercepts)
    run_training(arch, coefs, intercepts, rule, state, X, Y, w, LoopSettings(),
                 np.random.default_rng(0), max_epochs=3)
    assert state["t"] == 0 and all(not v.any() for v in state["velocity"])


def test_run_training_records_one_entry_per_epoch_with_schedule_rate():
    arch, coefs, intercepts, X, Y, w = net_problem()
    settings = LoopSettings(learning_rate=0.1, schedule="inverse_time", decay_rate=1.0)
    result = run_training(arch, coefs, intercepts, GD(), {"t": 0}, X, Y, w, settings,
                          np.random.default_rng(0), max_epochs=4, first_epoch=2)
    assert [r["epoch"] for r in result.records] == [3, 4, 5, 6]
    # epoch numbers count from 1 (optim.schedules): epoch t runs at 0.1 / (1 + t)
    assert [r["learning_rate"] for r in result.records] == pytest.approx(
        [0.1 / 4, 0.1 / 5, 0.1 / 6, 0.1 / 7])
    assert result.stop_reason is None
    assert result.opt_state == {"t": 4}


def test_history_rates_follow_the_lectures_inverse_time_table():
    # alpha0 = 0.2, decay_rate = 1: epochs 1..4 run at 0.1, 0.067, 0.05, 0.04
    arch, coefs, intercepts, X, Y, w = net_problem()
    settings = LoopSettings(learning_rate=0.2, schedule="inverse_time", decay_rate=1.0)
    result = run_training(arch, coefs, intercepts, GD(), None, X, Y, w, settings,
                          np.random.default_rng(0), max_epochs=4)
    assert [r["epoch"] for r in result.records] == [1, 2, 3, 4]
    assert [round(r["learning_rate"], 3) for r in result.records] == [
        0.1, 0.067, 0.05, 0.04]


def test_run_training_full_batch_loss_curve_is_the_objective_before_each_step():
    arch, coefs, intercepts, X, Y, w = net_problem()
    result = run_training(arch, coefs, intercepts, GD(), {"t": 0}, X, Y, w,
                          LoopSettings(learning_rate=0.3), np.random.default_rng(0),
                          max_epochs=3)
    c, b = [W.copy() for W in coefs], [v.copy() for v in intercepts]
    expected = []
    for _ in range(3):
        loss, dW, db = network.loss_and_gradients(arch, c, b, X, Y, w)
        expected.append(loss)
        c = [p - 0.3 * g for p, g in zip(c, dW)]
        b = [p - 0.3 * g for p, g in zip(b, db)]
    assert [r["loss"] for r in result.records] == pytest.approx(expected, rel=1e-13)
    for got, exp in zip(result.coefs + result.intercepts, c + b):
        np.testing.assert_allclose(got, exp, rtol=1e-12)


def test_run_training_evaluate_hook_fills_validation_fields():
    arch, coefs, intercepts, X, Y, w = net_problem()
    calls = []

    def evaluate(c, b):
        calls.append(1)
        return 0.25, 0.75

    result = run_training(arch, coefs, intercepts, GD(), {"t": 0}, X, Y, w,
                          LoopSettings(), np.random.default_rng(0), max_epochs=2,
                          evaluate=evaluate)
    assert len(calls) == 2
    assert all(r["val_loss"] == 0.25 and r["val_score"] == 0.75 for r in result.records)


class _StopAt:
    reason = "my-reason"

    def __init__(self, epoch):
        self.epoch = epoch
        self.finished = None

    def on_epoch_end(self, record, coefs, intercepts):
        return record["epoch"] == self.epoch

    def finish(self, result):
        self.finished = result


def test_monitor_returning_true_stops_with_its_reason_and_finish_is_called():
    arch, coefs, intercepts, X, Y, w = net_problem()
    monitor = _StopAt(3)
    result = run_training(arch, coefs, intercepts, GD(), {"t": 0}, X, Y, w,
                          LoopSettings(), np.random.default_rng(0), max_epochs=10,
                          monitors=[monitor])
    assert len(result.records) == 3
    assert result.stop_reason == "my-reason"
    assert monitor.finished is result


# -- divergence ------------------------------------------------------------------------
def _diverging_problem():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1000, (40, 5))  # unscaled inputs
    Y = losses.one_hot((X[:, 0] > 500).astype(int), 2)
    arch = Architecture((5, 8, 8, 1), "relu")
    coefs, intercepts = network.init_params(arch, "he", np.random.default_rng(1))
    return arch, coefs, intercepts, X, Y, np.ones(40)


def _train(problem, epochs, lr=1e6):
    arch, coefs, intercepts, X, Y, w = problem
    with np.errstate(over="ignore", invalid="ignore"):
        return run_training(arch, coefs, intercepts, GD(), {"t": 0}, X, Y, w,
                            LoopSettings(learning_rate=lr), np.random.default_rng(2),
                            max_epochs=epochs)


def test_divergence_sets_stop_reason_and_message():
    result = _train(_diverging_problem(), 50)
    assert result.stop_reason == "diverged"
    assert "diverged" in result.message
    assert len(result.records) < 50


def test_divergence_restores_the_last_finite_weights():
    problem = _diverging_problem()
    result = _train(problem, 50)
    n_finite = len(result.records)
    assert all(np.isfinite(r["loss"]) for r in result.records)
    for p in result.coefs + result.intercepts:
        assert np.isfinite(p).all()
    # the kept weights are those after the last finite epoch: train exactly that long
    reference = _train(problem, n_finite)
    assert reference.stop_reason is None
    for got, exp in zip(result.coefs + result.intercepts,
                        reference.coefs + reference.intercepts):
        np.testing.assert_array_equal(got, exp)
    # the optimizer's state restarts: its averages have seen the exploding gradients
    assert result.opt_state == {"t": 0}


def test_divergence_resets_the_optimizer_state_to_a_fresh_init():
    arch, coefs, intercepts, X, Y, w = _diverging_problem()
    with np.errstate(over="ignore", invalid="ignore"):
        result = run_training(arch, coefs, intercepts, Adam(), None, X, Y, w,
                              LoopSettings(learning_rate=1e6), np.random.default_rng(2),
                              max_epochs=50)
    assert result.stop_reason == "diverged"
    assert result.opt_state["t"] == 0
    for key in ("m", "v"):
        assert [a.shape for a in result.opt_state[key]] == [
            p.shape for p in coefs + intercepts]
        assert all(not a.any() for a in result.opt_state[key])


# -- ConvergenceMonitor ----------------------------------------------------------------
def _feed(monitor, loss_values):
    """Epoch (1-based) at which the monitor asks to stop, or None."""
    for epoch, loss in enumerate(loss_values, start=1):
        if monitor.on_epoch_end({"epoch": epoch, "loss": loss}, None, None):
            return epoch
    return None


def test_convergence_monitor_stops_after_n_iter_no_change_plus_one_flat_epochs():
    # tol = 0.1, n_iter_no_change = 2 (MLPClassifier's rule: stop when the count of
    # epochs without a tol-improvement over the best loss exceeds n_iter_no_change)
    # epoch 1: 1.0 best=1.0 count 0 | 2: 0.5 improves by 0.5 -> 0 | 3: 0.45 -> 1
    # epoch 4: 0.44 -> 2 | epoch 5: 0.43 -> 3 > 2: stop
    monitor = ConvergenceMonitor(tol=0.1, n_iter_no_change=2)
    assert _feed(monitor, [1.0, 0.5, 0.45, 0.44, 0.43, 0.42]) == 5
    assert monitor.best_loss == pytest.approx(0.43)


def test_convergence_monitor_resets_count_on_a_tol_improvement():
    # 3: 0.95 (count 1), 4: 0.7 improves on best 0.9 by 0.2 -> 0, then 5, 6, 7 flat
    monitor = ConvergenceMonitor(tol=0.1, n_iter_no_change=2)
    assert _feed(monitor, [1.0, 0.9, 0.95, 0.7, 0.69, 0.68, 0.67, 0.66]) == 7


def test_convergence_monitor_small_improvements_below_tol_count_as_no_change():
    monitor = ConvergenceMonitor(tol=1e-2, n_iter_no_change=1)
    # 1 -> 0.995 -> 0.99: each improves by 0.005 < tol, count 1 then 2 > 1
    assert _feed(monitor, [1.0, 0.995, 0.99]) == 3


def test_convergence_monitor_never_stops_on_steady_improvement():
    monitor = ConvergenceMonitor(tol=1e-3, n_iter_no_change=1)
    assert _feed(monitor, list(np.linspace(2.0, 1.0, 20))) is None


def test_convergence_monitor_carries_best_loss_from_a_previous_fit():
    monitor = ConvergenceMonitor(tol=0.0, n_iter_no_change=1, best_loss=0.1)
    assert _feed(monitor, [0.5, 0.4]) == 2


def test_convergence_monitor_treats_a_nan_best_loss_as_none_yet():
    # a previous fit that kept no epoch has best_loss_ NaN: the monitor must then
    # behave as a fresh one (stop at epoch 5 on this curve, see the test above)
    monitor = ConvergenceMonitor(tol=0.1, n_iter_no_change=2, best_loss=float("nan"))
    assert _feed(monitor, [1.0, 0.5, 0.45, 0.44, 0.43, 0.42]) == 5
    assert monitor.best_loss == pytest.approx(0.43)


def test_convergence_monitor_reason_is_tol_and_repr_readable():
    # 'tol' (the loss plateau test), not 'converged': that is Newton's gradient test
    monitor = ConvergenceMonitor(tol=1e-4, n_iter_no_change=10)
    assert monitor.reason == "tol"
    assert "n_iter_no_change=10" in repr(monitor)


def test_run_training_with_convergence_monitor_stops_by_tol():
    arch, coefs, intercepts, X, Y, w = net_problem()
    result = run_training(arch, coefs, intercepts, GD(), {"t": 0}, X, Y, w,
                          LoopSettings(learning_rate=1e-9), np.random.default_rng(0),
                          max_epochs=50, monitors=[ConvergenceMonitor(1e-4, 3)])
    assert result.stop_reason == "tol"
    # epoch 1 sets the best loss; epochs 2..5 do not improve it by tol: counts 1..4,
    # and 4 > n_iter_no_change = 3 stops at epoch 5
    assert len(result.records) == 5


def test_divergence_message_names_non_finite_weights_when_the_loss_was_finite():
    from sknn_scratch.training.diagnostics import explosion_message

    text = explosion_message(3, 0.69, 1.16, 10.0, "gd", weights_finite=False)
    assert "weights became infinite or NaN" in text and "10.0" in text
    assert "grew" not in text


# -- augmentation: never the caller's X, and checked output (issue 16) -------------------
def _add_one_in_place(X_batch, rng):
    X_batch += 1.0  # works in place, and returns the batch
    return X_batch


@pytest.mark.parametrize("batch_size", [None, 4])
def test_an_in_place_augmentation_never_changes_the_callers_X(batch_size):
    arch, coefs, intercepts, X, Y, w = net_problem()
    before = X.copy()
    settings = LoopSettings(batch_size=batch_size, augmentation=_add_one_in_place)
    run_training(arch, coefs, intercepts, GD(), None, X, Y, w, settings,
                 np.random.default_rng(0), max_epochs=3)
    np.testing.assert_array_equal(X, before)


def test_an_in_place_augmentation_sees_the_original_rows_every_epoch():
    # full batch: each epoch's gradient is taken at X + 1, never X + 2, X + 3 ...
    arch, coefs, intercepts, X, Y, w = net_problem()
    seen = []

    def record(X_batch, rng):
        seen.append(X_batch.copy())
        return _add_one_in_place(X_batch, rng)

    run_training(arch, coefs, intercepts, GD(), None, X, Y, w,
                 LoopSettings(augmentation=record), np.random.default_rng(0),
                 max_epochs=3)
    for batch in seen:
        np.testing.assert_array_equal(batch, X)


@pytest.mark.parametrize("returned, error, message", [
    (lambda Xb: Xb[:-1], ValueError, r"augmentation returned an array of shape \(8, 3\)"
                                     r" for a batch of shape \(9, 3\)"),
    (lambda Xb: Xb[:, :2], ValueError, r"shape \(9, 2\) for a batch of shape \(9, 3\)"),
    (lambda Xb: Xb.tolist(), TypeError, "augmentation returned a list"),
    (lambda Xb: None, TypeError, "augmentation returned None"),
    (lambda Xb: (Xb > 0), TypeError, "augmentation returned an array of dtype bool"),
    (lambda Xb: Xb.astype(np.int64), TypeError, "dtype int64"),
])
def test_an_augmentation_returning_the_wrong_thing_is_a_clear_error(returned, error,
                                                                    message):
    arch, coefs, intercepts, X, Y, w = net_problem()
    settings = LoopSettings(augmentation=lambda Xb, rng: returned(Xb))
    with pytest.raises(error, match=message):
        run_training(arch, coefs, intercepts, GD(), None, X, Y, w, settings,
                     np.random.default_rng(0), max_epochs=1)


def test_an_augmentation_returning_another_float_dtype_is_cast_to_the_batchs():
    arch, coefs, intercepts, X, Y, w = net_problem()
    identity32 = LoopSettings(augmentation=lambda Xb, rng: Xb.astype(np.float32))
    got = run_training(arch, coefs, intercepts, GD(), None, X, Y, w, identity32,
                       np.random.default_rng(0), max_epochs=2)
    X32 = X.astype(np.float32).astype(np.float64)  # what the net then sees
    expected = run_training(arch, coefs, intercepts, GD(), None, X32, Y, w,
                            LoopSettings(), np.random.default_rng(0), max_epochs=2)
    for a, b in zip(got.coefs + got.intercepts, expected.coefs + expected.intercepts):
        assert a.dtype == np.float64
        np.testing.assert_array_equal(a, b)


def test_early_stopping_does_not_restore_the_weights_of_a_dropped_epoch():
    # epoch 2 scored best, but the divergence guard dropped it (its weights
    # exploded): the result keeps the guard's weights, not epoch 2's
    monitor = EarlyStopping(patience=5)
    good, exploded = [np.ones(2)], [np.full(2, 1e200)]
    monitor.on_epoch_end({"epoch": 1, "val_score": 0.5}, good, [np.zeros(1)])
    monitor.on_epoch_end({"epoch": 2, "val_score": 0.9}, exploded, [np.zeros(1)])

    class Result:
        records = [{"epoch": 1}]
        coefs, intercepts = good, [np.zeros(1)]

    monitor.finish(Result)
    assert Result.coefs is good
    Result.records = [{"epoch": 1}, {"epoch": 2}, {"epoch": 3}]
    monitor.finish(Result)  # epoch 2 kept: its weights are restored
    np.testing.assert_array_equal(Result.coefs[0], exploded[0])
