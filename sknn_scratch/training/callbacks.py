"""Monitors the loop consults after every epoch; they stop it by returning True."""


class ConvergenceMonitor:
    """Stop when the training loss has not improved by ``tol`` for ``n_iter_no_change``
    consecutive epochs (MLPClassifier's rule without early stopping).

    ``best_loss`` carries over between calls (for ``warm_start``/``partial_fit``).
    """

    reason = "converged"

    def __init__(self, tol, n_iter_no_change, best_loss=float("inf"), no_improvement=0):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.best_loss = best_loss
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
