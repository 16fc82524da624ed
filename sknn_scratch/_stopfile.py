"""A checkpoint's stopping-rule state in a model file (``/stopping_state``).

Written only for a per-epoch model of a fit that was still running (see
:mod:`sknn_scratch.estimators._stopstate`), so that resuming it from the file
stops at the same epoch as the uninterrupted fit::

    /stopping_state       attr ``state``: JSON {rule, no_improvement, split_seed,
                          best_score, best_epoch} (early stopping) or {rule,
                          no_improvement} (tol)
      /coefs/0..L-1, /intercepts/0..L-1   the best epoch's weights (early
                          stopping, exactly when best_epoch is set), shaped as
                          coefs_ and intercepts_

NumPy, h5py and :mod:`sknn_scratch._plaindata` only, like the rest of the format.
"""

import math

from ._plaindata import dumps, loads

GROUP = "stopping_state"
_KEYS = {"tol": {"rule", "no_improvement"},
         "early_stopping": {"rule", "no_improvement", "split_seed", "best_score",
                            "best_epoch"}}


def arrays(state):
    """``(attribute text, {dataset name: array})`` of ``state`` for the writer."""
    plain = {k: state[k] for k in _KEYS[state["rule"]]}
    found = {}
    if state.get("best_params") is not None:
        coefs, intercepts = state["best_params"]
        found = {**{f"{GROUP}/coefs/{i}": W for i, W in enumerate(coefs)},
                 **{f"{GROUP}/intercepts/{i}": b for i, b in enumerate(intercepts)}}
    return dumps(plain), found


def read(reader, coefs, intercepts):
    """The state stored by :func:`arrays`, checked against the model's weights."""
    group = reader.h[GROUP]
    members = reader.names(group, f"{GROUP}/", 2)
    try:
        state = loads(reader.attr(group, "state", str, GROUP))
    except ValueError:
        state = None
    ok = isinstance(state, dict) and state.get("rule") in _KEYS
    ok = ok and set(state) == _KEYS[state["rule"]] and _count(state["no_improvement"])
    if ok and state["rule"] == "early_stopping":
        score = state["best_score"]
        ok = (isinstance(score, float) and (math.isfinite(score) or score == -math.inf)
              and (state["best_epoch"] is None or _count(state["best_epoch"]))
              and (state["split_seed"] is None or _count(state["split_seed"])))
    # the best epoch's weights are there exactly when a best epoch is (early
    # stopping keeps them from the first scored epoch on); tol has none
    with_weights = ok and state["rule"] == "early_stopping" and (
        state["best_epoch"] is not None)
    if not ok or members != ({"coefs", "intercepts"} if with_weights else set()):
        reader.fail(f"'{GROUP}' is not a stopping rule's state")
    state["best_params"] = None
    if members:
        best = (reader.layers(f"{GROUP}/coefs/", len(coefs)),
                reader.layers(f"{GROUP}/intercepts/", len(intercepts)))
        for name, got, want in (("coefs", best[0], coefs),
                                ("intercepts", best[1], intercepts)):
            for i, (x, p) in enumerate(zip(got, want)):
                if x.shape != p.shape:  # finite: reader.layers checks that
                    reader.fail(f"'{GROUP}/{name}/{i}' must have shape {p.shape}")
        state["best_params"] = best
    return state


def _count(value):
    return type(value) is int and value >= 0
