"""The memory of a mini-batch ``fit``, against a bound derived by hand from the shapes.

Benchmark section d compares the peak with MLPClassifier's; this test pins what
the peak is made of, so that a new parameter-sized copy, a per-layer buffer or a
check that allocates its own activations shows up as a failure here. Measured with
tracemalloc (NumPy reports its allocations to it) in a fresh interpreter, so no
earlier test's state, cache or import is counted.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_SCRIPT = """
import gc, json, sys, tracemalloc, warnings
import numpy as np
from sknn_scratch import DeepNNClassifier
n, d, k, hidden, m = 1024, 256, 10, (256, 128), 256
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
# a first small fit: lazy imports and caches are not what is measured
DeepNNClassifier((4,), max_iter=1, random_state=0).fit(rng.standard_normal((40, 3)),
                                                       np.arange(40) % 2)
out = {}
for name in ("float64", "float32"):
    X = rng.standard_normal((n, d)).astype(name)
    y = rng.integers(0, k, n)
    est = DeepNNClassifier(hidden, batch_size=m, max_iter=2, tol=None, random_state=0)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    est.fit(X, y)
    out[name] = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
print(json.dumps(out))
"""

N, D, K, HIDDEN, M = 1024, 256, 10, (256, 128), 256
SIZES = (D, *HIDDEN, K)


def _bound(itemsize):
    """Bytes a mini-batch Adam fit needs beyond X and y, array by array."""
    P = sum(a * b + b for a, b in zip(SIZES, SIZES[1:]))  # weights and biases
    # parameter-sized vectors: the weights, their gradient, Adam's two averages,
    # and the divergence guard's fallbacks (the weights at the start of this
    # epoch and of the previous one)
    parameters = 6 * P * itemsize
    # per mini-batch (m rows): the gathered rows of X, every layer's Z/A, ONE dA
    # buffer of the widest hidden layer, the batch's targets, weights and ones
    batch = M * (D + sum(SIZES[1:]) + max(HIDDEN) + K + 2) * itemsize
    scratch = min(2**18 // itemsize, P) * itemsize  # the update rule's chunk
    # per sample: one-hot targets (bool), label codes (uint8), the epoch's
    # shuffled row order (int32); unweighted rows carry no vector of ones, and the
    # divergence guard checks all N <= 2000 rows (views, no sample of its own)
    samples = N * (K + 1 + 4)
    # Python objects (records, dicts), per-step temporaries (a ReLU mask of
    # m x 256 bools is 64 kB, the softmax's m x K) and the guard's per-chunk losses
    allowance = 256 * 1024
    return parameters + batch + scratch + samples + allowance


def test_a_mini_batch_fit_allocates_no_more_than_its_arrays_need():
    out = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    peaks = json.loads(out)
    for name, itemsize in (("float64", 8), ("float32", 4)):
        assert peaks[name] <= _bound(itemsize), (name, peaks[name], _bound(itemsize))

