"""pixnorm.Normalizer: per-pixel coefficients computed once, the same bits as mean/std given
directly (issue 13)."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import pixnorm
from pixnorm import _normalizer

RNG = np.random.default_rng(11)
IMG = RNG.integers(0, 256, (24, 32, 3), dtype=np.uint8)
MEAN_IMG = RNG.random((24, 32, 3)) * 200 + 20  # per pixel, 0-255 units
STD_IMG = RNG.random((24, 32, 3)) * 50 + 10
OUT_MEAN = RNG.random((12, 16, 3)) * 0.8 + 0.1  # per pixel at the preprocess output size
OUT_STD = RNG.random((12, 16, 3)) * 0.2 + 0.1


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("scale", [None, 1.0, 0.5])
def test_normalize_same_bits_as_mean_and_std(dtype: Any, scale: float | None) -> None:
    img = IMG.astype(dtype)
    norm = pixnorm.Normalizer(MEAN_IMG, STD_IMG, scale=scale)
    want = pixnorm.normalize(img, MEAN_IMG, STD_IMG, scale=scale)
    for _ in range(2):  # computed, then cached
        np.testing.assert_array_equal(pixnorm.normalize(img, norm), want)
        np.testing.assert_array_equal(norm(img), want)
    batch = np.stack([img, img[::-1]])
    np.testing.assert_array_equal(
        pixnorm.normalize(batch, norm), pixnorm.normalize(batch, MEAN_IMG, STD_IMG, scale=scale)
    )
    chw = pixnorm.Normalizer(MEAN_IMG.transpose(2, 0, 1), STD_IMG.transpose(2, 0, 1), scale=scale)
    np.testing.assert_array_equal(pixnorm.normalize(img, chw), want)


def test_per_channel_normalizer() -> None:
    norm = pixnorm.Normalizer([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    assert not norm.per_pixel
    want = pixnorm.normalize(IMG, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    np.testing.assert_array_equal(pixnorm.normalize(IMG, norm), want)
    np.testing.assert_array_equal(
        pixnorm.preprocess(IMG, size=16, mean=norm),
        pixnorm.preprocess(IMG, size=16, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    )


@pytest.mark.parametrize("convention", [None, "torch", "pillow"])
def test_preprocess_batch_and_collate_same_bits(convention: str | None) -> None:
    norm = pixnorm.Normalizer(OUT_MEAN, OUT_STD)
    kw: dict[str, Any] = {"size": (12, 16), "convention": convention}
    imgs = [IMG, IMG[::-1, ::-1]]
    want = pixnorm.preprocess(IMG, **kw, mean=OUT_MEAN, std=OUT_STD)
    np.testing.assert_array_equal(pixnorm.preprocess(IMG, **kw, mean=norm), want)
    batch = pixnorm.preprocess_batch(imgs, **kw, mean=norm)
    np.testing.assert_array_equal(
        batch, pixnorm.preprocess_batch(imgs, **kw, mean=OUT_MEAN, std=OUT_STD)
    )
    collate = pixnorm.Collate(size=(12, 16), convention=convention, mean=norm)
    got = np.asarray(collate(imgs))
    np.testing.assert_array_equal(got, batch)
    # a per-pixel mean/std given to Collate directly takes the same route
    np.testing.assert_array_equal(
        np.asarray(pixnorm.Collate(size=(12, 16), convention=convention, mean=OUT_MEAN,
                                   std=OUT_STD)(imgs)),
        batch,
    )  # fmt: skip


def test_coefficients_are_computed_once_per_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = _normalizer._pixel_affine

    def counting(*args: Any) -> Any:
        calls.append(args[0].shape)
        return real(*args)

    monkeypatch.setattr(_normalizer, "_pixel_affine", counting)
    norm = pixnorm.Normalizer(MEAN_IMG[:, :, :1], STD_IMG[:, :, :1])  # broadcasts over channels
    for _ in range(5):
        norm(IMG)
        norm(np.stack([IMG, IMG]))  # the same (H, W, C): the same coefficients
    assert len(calls) == 1
    norm(IMG[..., :2])  # another channel count: computed for it
    norm(IMG.astype(np.float32))  # another scale (1 for float32): computed for it
    assert len(calls) == 3


def test_errors() -> None:
    norm = pixnorm.Normalizer(MEAN_IMG, STD_IMG)
    with pytest.raises(TypeError, match="std: leave it out"):
        pixnorm.normalize(IMG, norm, STD_IMG)
    with pytest.raises(TypeError, match="scale: give it to the pixnorm.Normalizer"):
        pixnorm.normalize(IMG, norm, scale=1.0)
    with pytest.raises(TypeError, match="std: leave it out"):
        pixnorm.preprocess(IMG, size=8, mean=norm, std=1.0)
    with pytest.raises(TypeError, match="std: missing"):
        pixnorm.normalize(IMG, 0.5)
    with pytest.raises(ValueError, match="std: expected values > 0"):
        pixnorm.Normalizer(0.5, [0.2, 0.0, 0.1])
    with pytest.raises(ValueError, match="mean: expected values finite"):
        pixnorm.Normalizer([0.5, np.nan, 0.5], 0.2)
    with pytest.raises(TypeError, match="scale: expected a real number"):
        pixnorm.Normalizer(0.5, 0.2, scale="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # a per-pixel array of another size than the image's
        norm(IMG[:10])


def test_pickle_and_threads() -> None:
    norm = pixnorm.Normalizer(MEAN_IMG, STD_IMG)
    want = norm(IMG)
    again = pickle.loads(pickle.dumps(norm))
    assert again._cache == {}
    np.testing.assert_array_equal(again(IMG), want)
    fresh = pixnorm.Normalizer(MEAN_IMG, STD_IMG)
    with ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(lambda _: fresh(IMG), range(64)))
    for o in outs:
        np.testing.assert_array_equal(o, want)
    assert "Normalizer(mean=array(24, 32, 3)" in repr(norm)


def test_immutable_and_float32_checked() -> None:
    """The coefficients it keeps stay those of its mean/std: they are read-only copies (editing
    the caller's array, or the attribute, changed the values but not the cached coefficients)."""
    mean = MEAN_IMG.copy()
    norm = pixnorm.Normalizer(mean, STD_IMG)
    want = norm(IMG)
    mean += 10  # the caller's array: not the Normalizer's
    np.testing.assert_array_equal(norm(IMG), want)
    with pytest.raises(ValueError, match="read-only"):
        norm.mean[0, 0, 0] = 1.0
    with pytest.raises(AttributeError):
        norm.mean = MEAN_IMG  # type: ignore[misc]
    with pytest.raises(ValueError, match="finite as float32"):
        pixnorm.Normalizer(1e39, 1.0)
    with pytest.raises(ValueError, match="mean: expected a number"):
        pixnorm.Normalizer([[1.0, 2.0], [3.0]], 1.0)


def test_collate_with_a_normalizer_scale_and_to_tensor() -> None:
    """A Normalizer's own scale wins over to_tensor's float step (the pillow convention's
    default): Caffe-style 0-255 mean with scale=1 gave x/255 - mean before."""
    norm = pixnorm.Normalizer([104.0, 117.0, 123.0], 1.0, scale=1.0)
    for convention in ("torch", "pillow"):
        got = np.asarray(pixnorm.Collate(size=(12, 16), convention=convention, mean=norm)([IMG]))
        want = pixnorm.preprocess_batch(
            [IMG], size=(12, 16), convention=convention, mean=[104.0, 117.0, 123.0], scale=1.0
        )
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("std", [[57.0, 61.5, 43.25], 0.3, [0.229, 0.224, 0.225]])
def test_std_per_channel_reads_one_factor_per_channel_same_bits(
    isa: str, dtype: Any, std: Any
) -> None:
    """A mean image with std per channel (or a scalar) passes a = scale / std as one value per
    channel (half the coefficient bytes): the bits must equal those of the same std given as a
    full per-pixel plane (the (C, H, W) path), on every ISA, for uint8 and for float32 with
    NaN, infinities, signed zeros and subnormals, and for views read in place."""
    img = IMG.astype(dtype)
    if dtype == np.float32:
        img = img / np.float32(255)
        img[0, :6] = [[np.nan, np.inf, -np.inf], [-0.0, 0.0, 1e-40], [-1e-40, 3e38, -3e38]] * 2
    plane = np.broadcast_to(np.asarray(std, np.float64), MEAN_IMG.shape).copy()
    for view in (img, img[:, ::-1], img[..., ::-1], img[::2, 1::3]):
        mean = MEAN_IMG[: view.shape[0], : view.shape[1]] / 255.0
        full = plane[: view.shape[0], : view.shape[1]]
        want = pixnorm.normalize(view, mean, full, scale=0.5)  # a as (C, H, W)
        got = pixnorm.normalize(view, mean, std, scale=0.5)  # a as (C,)
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
        norm = pixnorm.Normalizer(mean, std, scale=0.5)
        np.testing.assert_array_equal(norm(view).view(np.uint32), want.view(np.uint32))
    kw: dict[str, Any] = {"size": (12, 16), "mean": OUT_MEAN}
    np.testing.assert_array_equal(
        pixnorm.preprocess(img, **kw, std=std).view(np.uint32),
        pixnorm.preprocess(img, **kw, std=np.broadcast_to(np.asarray(std), OUT_MEAN.shape)).view(
            np.uint32
        ),
    )
