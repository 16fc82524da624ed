"""Dead-unit counting, the end-of-fit outcome, and the checks built on them, by hand."""

import math

import numpy as np
import pytest

from sknn_scratch.core import network
from sknn_scratch.training import diagnostics
from sknn_scratch.training.activity import UnitActivity, dead_since
from sknn_scratch.training.outcome import class_prior_loss, fit_outcome


class _Space:
    """The two workspace fields UnitActivity reads."""

    def __init__(self, *layers):
        self.Z = [np.array(A, dtype=float) for A in layers] + [np.zeros((4, 1))]
        self.ones = np.ones(4)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_a_unit_is_dead_when_zero_in_every_batch_of_the_epoch(activation):
    arch = network.Architecture((3, 3, 2, 1), activation)
    activity = UnitActivity(arch, np.float64)
    activity.start_epoch()
    # layer 1: unit 0 fires in batch 2 only, unit 1 never, unit 2 in batch 1
    # layer 2: both units silent in every row
    activity.observe(_Space([[0, 0, 1], [0, 0, 0], [9, 9, 9], [9, 9, 9]],
                            np.zeros((4, 2))), 2)  # rows 3-4 are not this batch's
    activity.observe(_Space([[0, 0, 0], [0.5, 0, 0], [0, 0, 0], [0, 0, 0]],
                            np.zeros((4, 2))), 4)
    assert activity.dead_fractions() == [pytest.approx(1 / 3), 1.0]
    activity.start_epoch()  # a new epoch forgets the old one
    activity.observe(_Space(np.ones((4, 3)), np.ones((4, 2))), 4)
    assert activity.dead_fractions() == [0.0, 0.0]


def test_tanh_counts_negative_outputs_as_alive():
    arch = network.Architecture((3, 2, 1), "tanh")
    activity = UnitActivity(arch, np.float64)
    activity.start_epoch()
    activity.observe(_Space([[-0.3, 0.0]] * 4), 4)
    assert activity.dead_fractions() == [0.5]


def test_many_batches_fold_without_losing_a_unit():
    arch = network.Architecture((3, 2, 1), "relu")
    activity = UnitActivity(arch, np.float64)
    activity.start_epoch()
    silent, awake = _Space(np.zeros((4, 2))), _Space([[0, 1.0]] + [[0, 0]] * 3)
    for batch in range(100):  # more than one fold of per-batch rows
        activity.observe(awake if batch == 40 else silent, 4)
    assert activity.dead_fractions() == [0.5]


class _Unreadable:
    """A workspace whose activations may not be read."""

    @property
    def Z(self):
        raise AssertionError("read the activations although every unit was alive")


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_later_batches_read_only_the_units_still_silent(activation):
    # the cost of counting (issue 11: <= 2% of an epoch): once a unit has been seen
    # alive this epoch its column is not read again
    arch = network.Architecture((3, 3, 1), activation)
    activity = UnitActivity(arch, np.float64)
    for _ in range(2):  # the second epoch starts over: reads the first batch again
        activity.start_epoch()
        activity.observe(_Space([[0, 2.0, 0]] * 4), 4)  # units 0 and 2 silent
        activity.observe(_Space([[0, 0, np.nan]] + [[7.0, 7.0, 0]] * 3), 1)  # NaN: alive
        assert activity.dead_fractions() == [pytest.approx(1 / 3)]
        activity.observe(_Space([[3.0, 0, 0]] * 4), 4)
        activity.observe(_Unreadable(), 4)  # every unit alive: nothing is read
        assert activity.dead_fractions() == [0.0]


def test_dead_since_is_the_first_epoch_of_the_final_dead_run():
    history = [{"epoch": e, "dead_fraction": [f]} for e, f in
               enumerate([0.0, 1.0, 0.0, 1.0, 1.0, 1.0], start=1)]
    assert dead_since(history, 0, 1.0) == 4
    assert dead_since(history[:3], 0, 1.0) is None
    assert dead_since([{"epoch": 1, "dead_fraction": []}], 0, 1.0) is None


def test_class_prior_loss_is_the_entropy_of_the_class_shares():
    p = 137 / 209
    assert class_prior_loss([p, 1 - p]) == pytest.approx(
        -(p * math.log(p) + (1 - p) * math.log(1 - p)), rel=1e-14)
    assert class_prior_loss([0.25] * 4) == pytest.approx(math.log(4), rel=1e-14)
    assert class_prior_loss([1.0, 0.0]) == 0.0


def test_fit_outcome_of_a_hand_made_linear_model():
    # one input, logit z = x - 0.5: predicts 1 for x > 0.5
    arch = network.Architecture((1, 1), "identity")
    X = np.array([[0.0], [1.0], [2.0], [0.2]])
    codes = np.array([0, 1, 0, 0])
    w = np.array([1.0, 1.0, 2.0, 0.0])  # the last row weighs nothing
    out = fit_outcome(arch, [np.array([[1.0]])], [np.array([-0.5])], X, codes, w, 2)
    # correct: row 0 (w 1), row 1 (w 1); wrong: row 2 (w 2) -> 2 / 4
    assert out.accuracy == 0.5 and out.majority == 0.75
    assert out.n_predicted == 2 and out.n_present == 2 and out.predicted is None
    one = fit_outcome(arch, [np.array([[0.0]])], [np.array([-1.0])], X, codes, w, 2)
    assert one.n_predicted == 1 and one.predicted == 0 and one.accuracy == 0.75


def test_vanishing_hint_covers_gradients_that_are_exactly_zero():
    # issue 11: the last layer's norm 0 returned None
    records = [{"epoch": 1, "grad_norms": [0.3, 0.2, 0.1]},
               {"epoch": 2, "grad_norms": [0.0, 0.0, 0.05]},
               {"epoch": 3, "grad_norms": [0.0, 0.0, 0.0]},
               {"epoch": 4, "grad_norms": [0.0, 0.0, 0.0]}]
    hint = diagnostics.vanishing_hint(records, "relu", "he")
    assert hint is not None
    assert "exactly 0 since epoch 3" in hint and "layer(s) 1, 2, 3" in hint
    assert "dead" in hint and "leaky_relu" in hint
    # one hidden layer is enough for the zero case
    assert diagnostics.vanishing_hint(
        [{"epoch": 1, "grad_norms": [0.0, 0.4]}], "relu", "he") is not None
    # healthy gradients: nothing
    assert diagnostics.vanishing_hint(records[:1], "relu", "he") is None


def _outcome(accuracy, majority, prior):
    from sknn_scratch.training.outcome import FitOutcome

    return FitOutcome(accuracy, majority, 2, 2, prior, None)


def test_poor_stop_message_in_both_directions():
    # improved from 0.69 to 0.30, below the prior loss, 90% > 60%: not poor
    good = diagnostics.poor_stop_message([0.5, 0.3, 0.3], 0.69, _outcome(0.9, 0.6, 0.67),
                                         1e-4, 1, 100, 0.01)
    assert good is None
    # never improved: 0.69 -> best 0.689 (< 1%); oscillating by more than tol
    poor = diagnostics.poor_stop_message([0.74, 0.689, 0.8, 0.75], 0.6931,
                                         _outcome(0.9, 0.6, 0.67), 1e-4, 2, 100, 0.5)
    assert "never improved meaningfully" in poor and "oscillates" in poor
    assert "rose by more than tol in 1 of the last 3 epochs" in poor
    # improved, but only down to the prior loss; flat at the end
    flat = diagnostics.poor_stop_message([0.68, 0.66, 0.66, 0.66], 0.69,
                                         _outcome(0.62, 0.6, 0.655), 1e-4, 2, 100, 1e-5)
    assert "no lower than 0.655" in flat and "The loss is flat" in flat
    assert "majority" not in flat


def test_a_resumed_fit_is_not_judged_by_its_starting_loss():
    # warm_start from the optimum: the loss cannot improve on its start
    args = ([0.1, 0.1, 0.1], _outcome(0.95, 0.6, 0.67), 1e-4, 1, 100, 0.01)
    assert "never improved" in diagnostics.poor_stop_message(args[0], 0.1, *args[1:])
    assert diagnostics.poor_stop_message(args[0], None, *args[1:]) is None


def test_predicting_the_majority_class_everywhere_is_no_better_at_any_round_off():
    # review: the accuracy (summed chunk by chunk) and the majority share (one
    # bincount) are equal when the model predicts the majority class for every row,
    # but round-off made the accuracy 1e-16 larger on 81 of 200 seeds like this
    # one, and the "no better than predicting the majority class" finding vanished
    from sknn_scratch.training.outcome import fit_outcome

    r = np.random.RandomState(0)
    X, codes, w = np.zeros((1000, 2)), (r.rand(1000) < 0.7).astype(np.uint8), r.rand(1000)
    out = fit_outcome(network.Architecture((2, 1), "identity"), [np.zeros((2, 1))],
                      [np.array([5.0])], X, codes, w, 2)  # class 1 for every row
    assert out.predicted == 1 and out.accuracy == pytest.approx(out.majority, rel=1e-12)
    message = diagnostics.poor_stop_message([0.62, 0.61, 0.61], 0.69, out, 1e-4, 1, 100,
                                            1e-5)
    assert message is not None and "no better than predicting the majority" in message
