"""Monitors the loop consults after every epoch; they stop it by returning True."""


class ConvergenceMonitor:
    """Stop when the training loss has not improved by ``tol`` for more than
    ``n_iter_no_change`` consecutive epochs (MLPClassifier's rule without early
    stopping: it stops on the ``n_iter_no_change + 1``-th such epoch).

    ``best_loss`` carries over between calls (for ``warm_start``/``partial_fit``);
    NaN (a previous fit that kept no epoch, e.g. diverged on its first) counts
    as no best loss yet. A NaN would disable the test: ``loss > NaN - tol`` is
    never true.
    """

    reason = "tol"  # the loss plateau test (see training.stops)

    def __init__(self, tol, n_iter_no_change, best_loss=float("inf"), no_improvement=0):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.best_loss = float("inf") if best_loss != best_loss else best_loss  # NaN
        self.no_improvement = no_improvement

    def on_epoch_end(self, record, coefs, intercepts):
        loss = record["loss"]
        if loss > self.best_loss - self.tol:
            self.no_improvement += 1
        else:
            self.no_improvement = 0
        self.best_loss = min(self.best_loss, loss)
        return self.no_improvement > self.n_iter_no_change

    def __repr__(self):
        return (f"ConvergenceMonitor(tol={self.tol}, n_iter_no_change="
                f"{self.n_iter_no_change}, best_loss={self.best_loss:.6g})")


class EarlyStopping:
    """Stop when the dev score has not improved by ``tol`` for ``patience`` epochs,
    and hand back the weights of the best epoch (``restore_best``).

    The score is ``record['val_score']`` (higher is better), so the loop must be
    given an ``evaluate`` function.
    """

    reason = "early_stopping"

    def __init__(self, patience=10, tol=1e-4, restore_best=True):
        self.patience = patience
        self.tol = tol
        self.restore_best = restore_best
        self.best_score = -float("inf")
        self.best_epoch = None
        self.best_params = None
        self.no_improvement = 0

    def on_epoch_end(self, record, coefs, intercepts):
        score = record["val_score"]
        if score is None:
            raise ValueError("EarlyStopping needs a dev set: no val_score was recorded.")
        if score > self.best_score + self.tol:
            self.no_improvement = 0
        else:
            self.no_improvement += 1
        if score > self.best_score:
            self.best_score, self.best_epoch = score, record["epoch"]
            if self.restore_best:
                self.best_params = ([W.copy() for W in coefs], [b.copy() for b in intercepts])
        return self.no_improvement > self.patience

    def finish(self, result):
        """Put the best epoch's weights into the result, if that epoch was kept
        (the divergence guard may drop the last epoch: its weights exploded)."""
        kept = result.records[-1]["epoch"] if result.records else None
        if (self.restore_best and self.best_params is not None and kept is not None
                and self.best_epoch <= kept):
            result.coefs, result.intercepts = self.best_params

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, tol={self.tol}, "
                f"best_score={self.best_score:.6g} at epoch {self.best_epoch})")
