"""Hessian-vector products of the linear (no hidden layer) cross-entropy objective.

For ``Z = X W + b`` and ``J = sum_i w_i l_i / S + alpha 1/2 ||W||^2 / S`` (``S = sum w``),
the gradient is ``X^T D / S`` with ``D = w (P - Y)``. Differentiating once more in
the direction ``V = (V_W, v_b)`` (the R-operator): ``R{Z} = X V_W + v_b`` and

* sigmoid:  R{P} = P (1 - P) R{Z}
* softmax:  R{P} = P * (R{Z} - sum_k P_k R{Z}_k)      (Jacobian of softmax times R{Z})

so ``H V = (X^T (w R{P}) / S + alpha V_W / S,  sum_rows w R{P} / S)``. Nothing of
size n_features^2 is ever formed, which is what lets Newton's method run on the
cat data's 12,288 features.
"""

import numpy as np

from .losses import inplace_output


def output_probabilities(X, W, b):
    """``P = sigmoid/softmax(X W + b)``, computed once per Newton iteration."""
    Z = X @ W
    Z += b
    return inplace_output(Z)


def hessian_vector_product(X, P, sample_weight, weight_sum, alpha, V_W, v_b):
    """``H V`` at the point whose probabilities are ``P`` (see module docstring)."""
    RZ = X @ V_W
    RZ += v_b
    if P.shape[1] == 1:
        RP = P * (1.0 - P) * RZ
    else:
        RP = P * (RZ - (P * RZ).sum(axis=1, keepdims=True))
    RP *= (sample_weight / weight_sum)[:, None]
    HV_W = X.T @ RP
    if alpha:
        HV_W += (alpha / weight_sum) * V_W
    return np.asarray(HV_W), RP.sum(axis=0)
