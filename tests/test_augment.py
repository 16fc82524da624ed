"""ImageAugmenter: flips, shifts, noise on flattened channel-last image rows."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from sknn_scratch import DeepNNClassifier
from sknn_scratch.augment import ImageAugmenter, flip_and_shift

# One 2x3 grey image (H=2, W=3, C=1), flattened row-major.
TINY = np.array([[1.0, 2.0, 3.0,
                  4.0, 5.0, 6.0]])
TINY_FLIPPED = np.array([[3.0, 2.0, 1.0,
                          6.0, 5.0, 4.0]])


def _rng(seed=0):
    return np.random.default_rng(seed)


def _images(m, shape, seed=0, dtype=np.float64):
    return _rng(seed).random((m, int(np.prod(shape)))).astype(dtype)


# --- the deterministic helper -------------------------------------------------------

def test_flip_reverses_the_width_axis():
    assert np.array_equal(flip_and_shift(TINY, (2, 3, 1), flip=[True]), TINY_FLIPPED)


def test_flip_keeps_channels_together():
    img = np.arange(2 * 3 * 2).reshape(1, 2, 3, 2)  # (m, H, W, C)
    expected = img[:, :, ::-1, :].reshape(1, -1)
    assert np.array_equal(flip_and_shift(img.reshape(1, -1), (2, 3, 2), flip=[True]),
                          expected)


@pytest.mark.parametrize("dy, dx, expected", [
    (0, 1, [[0, 1, 2, 0, 4, 5]]),      # right by one: zero column enters on the left
    (0, -1, [[2, 3, 0, 5, 6, 0]]),     # left by one
    (1, 0, [[0, 0, 0, 1, 2, 3]]),      # down by one: zero row enters at the top
    (-1, 0, [[4, 5, 6, 0, 0, 0]]),     # up by one
    (1, -2, [[0, 0, 0, 3, 0, 0]]),     # down one, left two
    (0, 0, [[1, 2, 3, 4, 5, 6]]),
])
def test_shift_moves_content_with_zero_padding(dy, dx, expected):
    out = flip_and_shift(TINY, (2, 3), shifts=[[dy, dx]])
    assert np.array_equal(out, np.array(expected, dtype=float))


def test_shift_beyond_the_frame_gives_all_padding():
    out = flip_and_shift(TINY, (2, 3), shifts=[[0, -3]])
    assert np.array_equal(out, np.zeros((1, 6)))


def test_gather_matches_a_per_pixel_reference_on_random_transforms():
    H, W, C, m = 5, 7, 2, 40
    X = _images(m, (H, W, C))
    rng = _rng(1)
    flip = rng.random(m) < 0.5
    shifts = rng.integers(-3, 4, size=(m, 2))
    out = flip_and_shift(X, (H, W, C), flip=flip, shifts=shifts).reshape(m, H, W, C)
    imgs = X.reshape(m, H, W, C)
    expected = np.zeros_like(imgs)
    for i in range(m):  # slow reference: one pixel at a time
        src = imgs[i, :, ::-1] if flip[i] else imgs[i]
        for h in range(H):
            for w in range(W):
                sh, sw = h - shifts[i, 0], w - shifts[i, 1]
                if 0 <= sh < H and 0 <= sw < W:
                    expected[i, h, w] = src[sh, sw]
    assert np.array_equal(out, expected)


def test_flip_is_applied_before_shift():
    out = flip_and_shift(TINY, (2, 3), flip=[True], shifts=[[0, 1]])
    assert np.array_equal(out, [[0, 3, 2, 0, 6, 5]])


def test_rows_get_their_own_transform():
    X = np.vstack([TINY, TINY])
    out = flip_and_shift(X, (2, 3), flip=[False, True], shifts=[[0, 1], [0, 0]])
    assert np.array_equal(out, [[0, 1, 2, 0, 4, 5], [3, 2, 1, 6, 5, 4]])


def test_shift_matches_hand_shift_on_a_larger_colour_image():
    H, W, C = 5, 6, 3
    X = _images(1, (H, W, C))
    img = X.reshape(H, W, C)
    expected = np.zeros_like(img)
    expected[2:, :W - 1] = img[:H - 2, 1:]  # dy=2 (down), dx=-1 (left)
    out = flip_and_shift(X, (H, W, C), shifts=[[2, -1]])
    assert np.array_equal(out, expected.reshape(1, -1))


# --- the random transform -----------------------------------------------------------

def test_each_row_is_either_unchanged_or_flipped_and_both_occur():
    X = np.repeat(TINY, 40, axis=0)
    out = ImageAugmenter((2, 3, 1))(X, _rng(0))
    flipped = (out == TINY_FLIPPED).all(axis=1)
    same = (out == TINY).all(axis=1)
    assert (flipped | same).all()
    assert flipped.any() and same.any()


def test_flip_decisions_come_from_rng_random_below_half():
    X = np.repeat(TINY, 16, axis=0)
    out = ImageAugmenter((2, 3))(X, _rng(3))
    flip = _rng(3).random(16) < 0.5
    assert np.array_equal(out, np.where(flip[:, None], TINY_FLIPPED, TINY))


def test_random_shifts_stay_within_max_shift():
    X = np.ones((200, 7 * 7))
    out = ImageAugmenter((7, 7), horizontal_flip=False, max_shift=2)(X, _rng(0))
    imgs = out.reshape(200, 7, 7)
    # A shift of at most 2 leaves the central 3x3 block inside the frame ...
    assert (imgs[:, 2:5, 2:5] == 1).all()
    # ... and some images are shifted by exactly 2 in some direction.
    zero_rows = (imgs == 0).all(axis=2).sum(axis=1)
    zero_cols = (imgs == 0).all(axis=1).sum(axis=1)
    assert zero_rows.max() == 2 and zero_cols.max() == 2
    assert (zero_rows == 0).any()


def test_noise_has_zero_mean_and_requested_std():
    X = np.full((200, 500), 0.5)
    out = ImageAugmenter((20, 25), horizontal_flip=False, noise_std=0.1)(X, _rng(0))
    noise = out - X
    assert abs(noise.mean()) < 2e-3
    assert noise.std() == pytest.approx(0.1, rel=0.02)


def test_noise_is_not_clipped_to_the_input_range():
    X = np.zeros((10, 16))
    out = ImageAugmenter((4, 4), horizontal_flip=False, noise_std=0.5)(X, _rng(0))
    assert out.min() < 0


def test_input_is_not_modified_and_a_new_array_is_returned():
    X = _images(8, (4, 4, 3))
    before = X.copy()
    out = ImageAugmenter((4, 4, 3), max_shift=1, noise_std=0.1)(X, _rng(0))
    assert np.array_equal(X, before)
    assert not np.shares_memory(out, X)


def test_identity_settings_return_an_equal_copy():
    X = _images(8, (4, 4, 3))
    out = ImageAugmenter((4, 4, 3), horizontal_flip=False)(X, _rng(0))
    assert np.array_equal(out, X)
    assert not np.shares_memory(out, X)


def test_identity_settings_draw_nothing_from_rng():
    rng = _rng(0)
    ImageAugmenter((4, 4), horizontal_flip=False)(_images(3, (4, 4)), rng)
    assert rng.random() == _rng(0).random()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    X = _images(6, (4, 4, 3), dtype=dtype)
    out = ImageAugmenter((4, 4, 3), max_shift=1, noise_std=0.1)(X, _rng(0))
    assert out.dtype == dtype


def test_integer_images_can_be_flipped_and_shifted():
    X = np.arange(2 * 16, dtype=np.uint8).reshape(2, 16)
    out = ImageAugmenter((4, 4), max_shift=1)(X, _rng(0))
    assert out.dtype == np.uint8


def test_same_seed_gives_same_output_and_different_seeds_differ():
    X = _images(10, (6, 6, 3))
    aug = ImageAugmenter((6, 6, 3), max_shift=2, noise_std=0.05)
    assert np.array_equal(aug(X, _rng(7)), aug(X, _rng(7)))
    assert not np.array_equal(aug(X, _rng(7)), aug(X, _rng(8)))


def test_global_numpy_rng_is_untouched():
    state = np.random.get_state()[1].copy()
    ImageAugmenter((6, 6), max_shift=2, noise_std=0.1)(_images(4, (6, 6)), _rng(0))
    assert np.array_equal(np.random.get_state()[1], state)


def test_empty_batch_is_fine():
    out = ImageAugmenter((4, 4), max_shift=1, noise_std=0.1)(np.empty((0, 16)), _rng(0))
    assert out.shape == (0, 16)


# --- errors -------------------------------------------------------------------------

@pytest.mark.parametrize("params, match", [
    (dict(image_shape=(64,)), "image_shape"),
    (dict(image_shape=(2, 3, 4, 5)), "image_shape"),
    (dict(image_shape=(0, 3)), "image_shape"),
    (dict(image_shape=(2.0, 3)), "image_shape"),
    (dict(image_shape=64), "image_shape"),
    (dict(image_shape=(True, 3)), "image_shape"),
    (dict(image_shape=(8, 8), max_shift=-1), "max_shift"),
    (dict(image_shape=(8, 8), max_shift=8), "max_shift"),
    (dict(image_shape=(8, 4), max_shift=4), "max_shift"),
    (dict(image_shape=(8, 8), max_shift=1.5), "max_shift"),
    (dict(image_shape=(8, 8), noise_std=-0.1), "noise_std"),
    (dict(image_shape=(8, 8), noise_std=float("nan")), "noise_std"),
    (dict(image_shape=(8, 8), noise_std="0.1"), "noise_std"),
    (dict(image_shape=(8, 8), horizontal_flip="yes"), "horizontal_flip"),
])
def test_invalid_parameters_raise_clear_value_errors(params, match):
    aug = ImageAugmenter(**params)  # stored unchanged; checked when called
    with pytest.raises(ValueError, match=match):
        aug(np.zeros((2, 64)), _rng(0))


def test_row_length_mismatch_names_the_expected_length():
    with pytest.raises(ValueError, match=r"12288 values.*but X has 4096 columns"):
        ImageAugmenter((64, 64, 3))(np.zeros((2, 64 * 64)), _rng(0))


def test_one_dimensional_input_is_rejected():
    with pytest.raises(ValueError, match="2-D"):
        ImageAugmenter((2, 3))(np.zeros(6), _rng(0))


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match="Generator"):
        ImageAugmenter((2, 3))(TINY, 0)


def test_noise_on_integer_images_is_rejected():
    with pytest.raises(ValueError, match="floating-point"):
        ImageAugmenter((2, 3), noise_std=0.1)(TINY.astype(np.uint8), _rng(0))


def test_sparse_input_is_rejected():
    from scipy import sparse
    with pytest.raises(ValueError, match="dense"):
        ImageAugmenter((2, 3))(sparse.csr_matrix(TINY), _rng(0))


# --- sklearn integration ------------------------------------------------------------

def test_repr_shows_non_default_parameters():
    assert repr(ImageAugmenter((64, 64, 3), max_shift=4)) == (
        "ImageAugmenter(image_shape=(64, 64, 3), max_shift=4)")


def test_clone_and_nested_params_through_the_classifier():
    clf = DeepNNClassifier(augmentation=ImageAugmenter((64, 64, 3)))
    cloned = clone(clf)
    assert isinstance(cloned.augmentation, ImageAugmenter)
    assert cloned.augmentation is not clf.augmentation
    assert cloned.augmentation.get_params() == clf.augmentation.get_params()
    cloned.set_params(augmentation__max_shift=3)
    assert cloned.augmentation.max_shift == 3 and clf.augmentation.max_shift == 0


def test_augmenter_pickles_and_behaves_the_same():
    aug = ImageAugmenter((4, 4, 3), max_shift=1, noise_std=0.1)
    again = pickle.loads(pickle.dumps(aug))
    X = _images(5, (4, 4, 3))
    assert np.array_equal(again(X, _rng(1)), aug(X, _rng(1)))


def _small_images(seed=0):
    rng = _rng(seed)
    X = rng.random((60, 64))
    y = (X[:, :32].mean(axis=1) > X[:, 32:].mean(axis=1)).astype(int)
    return X, y


def _fit(augmentation, X, y):
    clf = DeepNNClassifier(hidden_layer_sizes=(8,), augmentation=augmentation,
                           max_iter=3, batch_size=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3 epochs: not converged, on purpose
        return clf.fit(X, y)


def test_augmentation_changes_training():
    X, y = _small_images()
    plain = _fit(None, X, y)
    augmented = _fit(ImageAugmenter((8, 8), max_shift=1, noise_std=0.05), X, y)
    assert not all(np.array_equal(a, b) for a, b in zip(plain.coefs_, augmented.coefs_))


def test_identity_augmenter_trains_exactly_like_none():
    X, y = _small_images()
    plain = _fit(None, X, y)
    identity = _fit(ImageAugmenter((8, 8), horizontal_flip=False), X, y)
    for a, b in zip(plain.coefs_ + plain.intercepts_,
                    identity.coefs_ + identity.intercepts_):
        assert np.array_equal(a, b)


class _Forbidden:
    def __call__(self, X_batch, rng):
        raise AssertionError("augmentation must not run outside training")


def test_predict_does_not_use_the_augmentation():
    X, y = _small_images()
    clf = _fit(ImageAugmenter((8, 8), max_shift=1, noise_std=0.05), X, y)
    first = clf.predict_proba(X)
    assert np.array_equal(clf.predict_proba(X), first)
    clf.augmentation = _Forbidden()  # predictions come from the weights only
    assert np.array_equal(clf.predict_proba(X), first)
    assert np.array_equal(clf.predict(X), first.argmax(axis=1))


def test_fitted_classifier_with_augmenter_pickles():
    X, y = _small_images()
    clf = _fit(ImageAugmenter((8, 8), max_shift=1), X, y)
    again = pickle.loads(pickle.dumps(clf))
    assert isinstance(again.augmentation, ImageAugmenter)
    assert again.augmentation.get_params() == clf.augmentation.get_params()
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_an_in_place_augmentation_leaves_the_users_X_alone_in_full_batch_mode():
    # issue 16: with batch_size=None the batch is X itself; the augmentation gets
    # a copy, so noise added in place neither reaches X nor piles up over epochs
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    y = np.arange(30) % 2
    before = X.copy()

    def noisy_in_place(X_batch, rng):
        X_batch += rng.normal(scale=0.1, size=X_batch.shape)
        return X_batch

    DeepNNClassifier((4,), batch_size=None, max_iter=5, tol=None, random_state=0,
                     augmentation=noisy_in_place).fit(X, y)
    np.testing.assert_array_equal(X, before)
