"""Image augmentation as a per-batch transform for flattened image rows.

The training loop calls ``augmentation(X_batch, rng)`` on every training
mini-batch (never on validation data, never in ``predict``), with the
estimator's one :class:`numpy.random.Generator`. :class:`ImageAugmenter` is
such a callable for images stored one per row, as ``images.reshape(m, -1)``
flattens them: channel-last ``(H, W, C)`` (or ``(H, W)``), C order.

Every random draw comes from the ``rng`` argument; nothing here touches
NumPy's global RNG. The transform is vectorised: images that share a flip and
shift are moved together by slicing (a loop over distinct transforms, never over
pixels), and the noise is one array draw.
"""

from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator

__all__ = ["ImageAugmenter", "flip_and_shift"]


def _as_hwc(image_shape):
    """``(H, W)`` or ``(H, W, C)`` as a validated ``(H, W, C)`` tuple of ints."""
    try:
        dims = tuple(image_shape)
    except TypeError:
        dims = None
    if (dims is None or len(dims) not in (2, 3)
            or not all(isinstance(d, Integral) and not isinstance(d, (bool, np.bool_))
                       and d > 0 for d in dims)):
        raise ValueError(
            "image_shape must be (H, W) or (H, W, C) of positive integers, e.g. "
            f"(64, 64, 3) for the course's cat images; got {image_shape!r}."
        )
    dims = tuple(int(d) for d in dims)
    return dims if len(dims) == 3 else (*dims, 1)


def _check_rows(X, hwc):
    """``X`` as a dense 2-D array whose rows hold one image of shape ``hwc`` each."""
    if sparse.issparse(X):
        raise ValueError(
            "ImageAugmenter needs dense image rows, got a sparse matrix; pass "
            "X.toarray() (images are dense) or drop the augmentation."
        )
    X = np.asarray(X)
    n_pixels = hwc[0] * hwc[1] * hwc[2]
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D array of flattened images (n_samples, {n_pixels}), got an "
            f"array of shape {X.shape}."
        )
    if X.shape[1] != n_pixels:
        raise ValueError(
            f"Each row must hold one flattened image of shape {hwc} = {n_pixels} values, "
            f"but X has {X.shape[1]} columns. Check image_shape (channel-last, "
            "flattened as images.reshape(m, -1))."
        )
    return X


def flip_and_shift(X, image_shape, flip=None, shifts=None):
    """Flip and/or shift each flattened image row by given (not random) amounts.

    The deterministic core of :class:`ImageAugmenter`; useful on its own for
    test-time augmentation or to see what a given transform does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, H * W * C)
        Flattened images, channel-last ``(H, W, C)`` in C order. Not modified.
    image_shape : tuple of int
        ``(H, W)`` or ``(H, W, C)``.
    flip : array-like of bool, shape (n_samples,), optional
        Rows to mirror left-right (reverse the width axis). None: no flips.
    shifts : array-like of int, shape (n_samples, 2), optional
        ``(dy, dx)`` per row: the content moves ``dy`` pixels down and ``dx``
        pixels right (negative: up / left). Pixels that come from outside the
        image are zero (zero padding). The flip, if any, is applied first.
        None: no shift.

    Returns
    -------
    X_new : ndarray of shape (n_samples, H * W * C)
        A new array of the same dtype as ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1, 2, 3,
    ...                4, 5, 6]])          # one 2x3 grey image
    >>> flip_and_shift(X, (2, 3), flip=[True])
    array([[3, 2, 1, 6, 5, 4]])
    >>> flip_and_shift(X, (2, 3), shifts=[[0, 1]])   # one pixel to the right
    array([[0, 1, 2, 0, 4, 5]])
    """
    H, W, C = _as_hwc(image_shape)
    X = _check_rows(X, (H, W, C))
    m = X.shape[0]
    if flip is None and shifts is None:
        return X.copy()
    images = X.reshape(m, H, W, C)
    flip = np.zeros(m, dtype=bool) if flip is None else np.asarray(flip, dtype=bool)
    if flip.shape != (m,):
        raise ValueError(f"flip must have shape ({m},), got {flip.shape}.")
    if shifts is None:
        shifts = np.zeros((m, 2), dtype=np.intp)
    shifts = np.asarray(shifts)
    if shifts.shape != (m, 2) or not np.issubdtype(shifts.dtype, np.integer):
        raise ValueError(f"shifts must be integers of shape ({m}, 2), got "
                         f"{shifts.dtype} of shape {shifts.shape}.")
    # Rows sharing one (flip, dy, dx) are moved together with two slice copies;
    # the loop runs over distinct transforms (at most 2 * (2 * max_shift + 1)**2),
    # never over pixels. Pixels not written keep the zero padding.
    out = np.zeros_like(images)
    keys = np.column_stack([flip, shifts]).astype(np.intp)
    transforms, group = np.unique(keys, axis=0, return_inverse=True)
    group = group.ravel()
    for g, (flipped, dy, dx) in enumerate(transforms):
        rows = np.flatnonzero(group == g)
        if abs(dy) >= H or abs(dx) >= W:
            continue  # shifted entirely out of the frame: all padding
        src = images[rows]
        if flipped:
            src = src[:, :, ::-1]
        # out[h, w] = src[h - dy, w - dx] where both are inside the frame
        out[rows, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = (
            src[:, max(-dy, 0):H - max(dy, 0), max(-dx, 0):W - max(dx, 0)])
    return out.reshape(m, H * W * C)


class ImageAugmenter(BaseEstimator):
    """Random flips, shifts and Gaussian noise for batches of flattened images.

    A callable ``augmenter(X_batch, rng) -> X_augmented`` for the
    ``augmentation`` parameter of the neural-network classifiers. It is applied
    to training mini-batches only; predictions never see it.

    Each row is one image flattened channel-last, as ``images.reshape(m, -1)``
    gives for images of shape ``(m, H, W, C)`` (the course's cat data:
    ``(64, 64, 3)``, 12288 values in [0, 1]). Per row, in this order:

    1. with probability 0.5, a horizontal (left-right) flip;
    2. a shift by integers ``dy, dx`` drawn uniformly from
       ``[-max_shift, max_shift]``, with **zero padding** of the pixels that
       enter the frame (zero is black for images in [0, 1]);
    3. independent Gaussian noise ``N(0, noise_std**2)`` added to every value.
       The result is **not clipped** to the input's range: clipping would bias
       the noise (its mean would no longer be zero near 0 and 1).

    Parameters
    ----------
    image_shape : tuple of int
        ``(H, W)`` or ``(H, W, C)``; rows must have ``H * W * C`` values.
    horizontal_flip : bool, default=True
        Mirror each image left-right with probability 0.5.
    max_shift : int, default=0
        Largest shift in pixels, in each axis; ``0 <= max_shift < min(H, W)``.
    noise_std : float, default=0.0
        Standard deviation of the additive noise; 0 disables it.

    Notes
    -----
    All randomness comes from the ``rng`` passed to each call, so a classifier
    with a fixed ``random_state`` trains reproducibly. A component that is
    switched off draws nothing, so an augmenter with ``horizontal_flip=False,
    max_shift=0, noise_std=0`` trains exactly like ``augmentation=None``.
    Parameters are stored unchanged and checked at call time (scikit-learn
    convention), so the augmenter clones with its classifier and pickles.

    Examples
    --------
    >>> import numpy as np
    >>> aug = ImageAugmenter((64, 64, 3), max_shift=4, noise_std=0.01)
    >>> aug
    ImageAugmenter(image_shape=(64, 64, 3), max_shift=4, noise_std=0.01)
    >>> X = np.random.default_rng(0).random((5, 64 * 64 * 3), dtype=np.float32)
    >>> X_aug = aug(X, np.random.default_rng(1))
    >>> X_aug.shape, X_aug.dtype
    ((5, 12288), dtype('float32'))

    Used in a classifier (training mini-batches only)::

        DeepNNClassifier(augmentation=ImageAugmenter((64, 64, 3), max_shift=4))
    """

    def __init__(self, image_shape, horizontal_flip=True, max_shift=0, noise_std=0.0):
        self.image_shape = image_shape
        self.horizontal_flip = horizontal_flip
        self.max_shift = max_shift
        self.noise_std = noise_std

    def _validated(self):
        """The parameters, checked: ``((H, W, C), flip, max_shift, noise_std)``."""
        hwc = _as_hwc(self.image_shape)
        if not isinstance(self.horizontal_flip, (bool, np.bool_)):
            raise ValueError(
                f"horizontal_flip must be True or False, got {self.horizontal_flip!r}.")
        shift = self.max_shift
        if (not isinstance(shift, Integral) or isinstance(shift, (bool, np.bool_))
                or not 0 <= shift < min(hwc[:2])):
            raise ValueError(
                "max_shift must be an integer with 0 <= max_shift < min(H, W) = "
                f"{min(hwc[:2])} for image_shape={self.image_shape!r}; got {shift!r}."
            )
        std = self.noise_std
        if (not isinstance(std, Real) or isinstance(std, (bool, np.bool_))
                or not np.isfinite(std) or std < 0):
            raise ValueError(f"noise_std must be a finite number >= 0, got {std!r}.")
        return hwc, bool(self.horizontal_flip), int(shift), float(std)

    def __call__(self, X_batch, rng):
        """Return an augmented copy of ``X_batch``.

        Parameters
        ----------
        X_batch : ndarray of shape (n_samples, H * W * C)
            Flattened images; not modified.
        rng : numpy.random.Generator
            Source of every random draw (the estimator's one RNG).

        Returns
        -------
        X_augmented : ndarray of shape (n_samples, H * W * C)
            A new array with the dtype of ``X_batch``.
        """
        hwc, do_flip, max_shift, noise_std = self._validated()
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                "rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
                f"got {type(rng).__name__}."
            )
        X = _check_rows(X_batch, hwc)
        m = X.shape[0]
        if noise_std > 0 and not np.issubdtype(X.dtype, np.floating):
            raise ValueError(
                f"noise_std > 0 needs floating-point images, got dtype {X.dtype}; "
                "convert first, e.g. X.astype(np.float32) / 255."
            )
        flip = rng.random(m) < 0.5 if do_flip else None
        shifts = (rng.integers(-max_shift, max_shift + 1, size=(m, 2))
                  if max_shift > 0 else None)
        out = flip_and_shift(X, hwc, flip=flip, shifts=shifts)  # always a new array
        if noise_std > 0:
            draw_dtype = np.float32 if X.dtype.itemsize <= 4 else np.float64
            noise = rng.standard_normal(out.shape, dtype=draw_dtype)
            noise *= noise_std
            out += noise.astype(out.dtype, copy=False)
        return out
