"""``sknn-scratch train``: a DeepNNClassifier trained chunk by chunk from an HDF5
file by ``partial_fit``, one chunk in memory at a time, saved as a model file."""

import sys
import time
from pathlib import Path

from . import _trainscale
from ._usage import UsageError


#: Bytes of float32 examples one ``partial_fit`` call of ``train`` receives by default.
TRAIN_CHUNK_BYTES = 16 * 2**20


def _as_features(X):
    """A chunk of examples as a 2-D float array: images are flattened, integer
    pixels become float32 (not float64: the chunk stays small). No rescaling."""
    import numpy as np

    X = X.reshape(X.shape[0], -1)
    return X if X.dtype in (np.float32, np.float64) else X.astype(np.float32)


def _h5_layout(path, x_key, y_key):
    """Rows, features per row and label dtype of an (examples, labels) pair,
    checked with the same messages as :func:`datasets.iter_h5_batches`."""
    import numpy as np

    from . import datasets

    with datasets._open_h5(path) as handle:
        x_node, y_node, n_rows, _ = datasets._check_pair(handle, path, x_key, y_key)
        return n_rows, int(np.prod(x_node.shape[1:], dtype=np.int64)), y_node.dtype


def _stream_classes(path, x_key, y_key, chunk_rows):
    """Sorted distinct labels of the file, ``np.unique`` chunk by chunk. Reads
    the labels only (iter_h5_batches would read every example a second time)."""
    import numpy as np

    from . import datasets

    from ._clifiles import as_labels

    found = None
    with datasets._open_h5(path) as handle:
        _, y_node, n_rows, axis = datasets._check_pair(handle, path, x_key, y_key)
        for start in range(0, n_rows, chunk_rows):
            stop = min(start + chunk_rows, n_rows)
            labels = np.unique(as_labels(datasets._read_rows(y_node, start, stop, axis)))
            found = labels if found is None else np.union1d(found, labels)
    return found


def _train_scaler(args, chunk):
    """``--scale``: a scaler fitted by partial_fit in one pass over the file, or None."""
    if args.scale is None:
        return None
    from . import datasets

    chunks = (_as_features(X) for X, _ in
              datasets.iter_h5_batches(args.h5, args.x_key, args.y_key, chunk))
    return _trainscale.fit_scaler(args.scale, chunks)


def _scaled_chunk(scaler, X, warn):
    """The chunk through the scaler; unscaled, the first chunk is checked (warn)."""
    if scaler is not None:
        return scaler.transform(X)
    if warn:
        _trainscale.warn_if_unscaled(X)
    return X


def cmd_train(args):
    from . import datasets
    from ._clifiles import as_labels, given_classes, refuse_own_input
    from .estimators import DeepNNClassifier
    from .io import save_model

    refuse_own_input(args.out, "--out", args.h5, "--h5")
    out = Path(args.out)  # checked before any work is done
    if out.is_dir():
        raise UsageError(f"--out {args.out} is a folder; give a file name")
    if not out.parent.is_dir():
        raise UsageError(f"--out {args.out}: folder '{out.parent}' does not exist")
    n_rows, n_features, label_dtype = _h5_layout(args.h5, args.x_key, args.y_key)
    if n_rows == 0:
        raise UsageError(f"'{args.x_key}' in '{args.h5}' holds no examples")
    # rows per partial_fit call: whole mini-batches, ~TRAIN_CHUNK_BYTES of float32
    chunk = args.chunk_size or args.batch_size * max(
        1, TRAIN_CHUNK_BYTES // (4 * max(n_features, 1) * args.batch_size))
    start = time.perf_counter()
    if args.classes is not None:
        classes = given_classes(args.classes, label_dtype)
    else:
        classes = _stream_classes(args.h5, args.x_key, args.y_key, max(chunk, 1 << 16))
    if len(classes) < 2:
        where = (f"--classes {args.classes} names" if args.classes is not None
                 else f"'{args.y_key}' in '{args.h5}' holds")
        raise UsageError(f"{where} a single class {classes.tolist()}; a classifier "
                         "needs two or more")
    est = DeepNNClassifier(args.hidden, batch_size=args.batch_size,
                           learning_rate=args.learning_rate,
                           random_state=args.random_state)
    scaler = _train_scaler(args, chunk)
    for epoch in range(args.epochs):
        # one epoch = one pass over the file, chunk after chunk in file order
        # (partial_fit shuffles the rows inside each chunk with the model's rng)
        loss_sum = 0.0
        for i, (X, y) in enumerate(
                datasets.iter_h5_batches(args.h5, args.x_key, args.y_key, chunk)):
            X = _scaled_chunk(scaler, _as_features(X), warn=epoch == 0 and i == 0)
            est.partial_fit(X, as_labels(y), classes=classes)
            loss_sum += est.loss_ * len(y)
            del X, y  # before the next chunk is read: one chunk in memory at a time
        if not args.quiet:
            print(f"epoch {epoch + 1}/{args.epochs}: loss {loss_sum / n_rows:.6g} "
                  f"({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)
    save_model(_trainscale.with_scaler(scaler, est), out)
    if not args.quiet:
        sizes = " -> ".join(map(str, (n_features, *args.hidden, est.n_outputs_)))
        print(f"wrote {out} (DeepNNClassifier {sizes}, {len(classes)} classes; "
              f"{n_rows:,} rows x {args.epochs} epochs, {chunk:,} rows per chunk) in "
              f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0
