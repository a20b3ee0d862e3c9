"""pixnorm.RunningStats against tests/reference.py, on every ISA and thread count; and
per-pixel normalize."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pixnorm
import reference as ref
from gil import assert_releases_gil
from isas import all_equal, on_every_isa_and_thread_count
from pixnorm import _core
from strategies import images, make_view

fixture_settings = settings(
    deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def fed(images_: list[Any], per_pixel: bool = False) -> pixnorm.RunningStats:
    s = pixnorm.RunningStats(per_pixel=per_pixel)
    for im in images_:
        s.update(im)
    return s


def check_against_reference(s: pixnorm.RunningStats, imgs: list[Any]) -> None:
    """Per channel against float64 numpy; uint8 sums exactly; NaN per the documented policy."""
    want = ref.channel_stats(imgs)
    assert s.count == want["count"]
    if imgs[0].dtype == np.uint8:
        sums, squares = ref.exact_sums(imgs)
        if not s.per_pixel:
            d = s.to_dict()["state"]
            assert d["sum"] == sums and d["sumsq"] == squares  # exact integers
        n = int(want["count"])
        # from the exact sums: mean = S1 / n is one rounding, var at most three (< 4e-16)
        exact_mean = [Fraction(s1, n) for s1 in sums]
        exact_var = [
            Fraction(n * s2 - s1 * s1, n * n) for s1, s2 in zip(sums, squares, strict=True)
        ]
        np.testing.assert_array_equal(s.mean, [float(m) for m in exact_mean])
        np.testing.assert_allclose(s.var(), [float(v) for v in exact_var], rtol=4e-16, atol=0)
        # and numpy's float64 two-pass variance (its own rounding errors: ~1e-12 relative)
        np.testing.assert_allclose(s.var(), want["var"], rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(s.min, want["min"])
        np.testing.assert_array_equal(s.max, want["max"])
        return
    c = s.channels
    x = np.concatenate([np.asarray(i, np.float64).reshape(-1, c) for i in imgs])
    mean, var, lo, hi = s.mean, s.var(), s.min, s.max
    for k in range(c):
        col = x[:, k]
        if np.isnan(col).any():  # NaN propagates into everything
            assert np.isnan(mean[k]) and np.isnan(var[k]) and np.isnan(lo[k]) and np.isnan(hi[k])
        elif not np.isfinite(col).all():  # inf: the variance is inf or NaN, min/max exact
            assert not np.isfinite(var[k]) and lo[k] == col.min() and hi[k] == col.max()
        else:
            scale = np.abs(col).max() + 1
            # float64 Welford on <= 10^4 values: errors far below 1e-12 of the magnitude
            np.testing.assert_allclose(mean[k], want["mean"][k], rtol=1e-12, atol=1e-12 * scale)
            np.testing.assert_allclose(var[k], want["var"][k], rtol=1e-10, atol=1e-12 * scale**2)
            assert lo[k] == want["min"][k] and hi[k] == want["max"][k]


@given(img=images(), split=st.integers(1, 3))
@fixture_settings
def test_per_channel_matches_numpy(isa: str, threads: int, img: Any, split: int) -> None:
    parts = [img] if img.ndim != 4 else [img[i : i + split] for i in range(0, len(img), split)]
    check_against_reference(fed(parts), parts)


@given(img=images(), data=st.data())
@fixture_settings
def test_per_pixel_matches_numpy(isa: str, threads: int, img: Any, data: st.DataObject) -> None:
    base = img[:, :, None] if img.ndim == 2 else img
    batch = base if base.ndim == 4 else base[None]
    singles = data.draw(st.booleans())
    s = fed(list(batch) if singles else [batch], per_pixel=True)
    check_against_reference(s, [batch])
    x = batch.astype(np.float64)
    if np.all(np.isfinite(x)):
        atol = 1e-12 * (np.abs(x).max() + 1) ** 2
        np.testing.assert_allclose(s.mean_image, x.mean(axis=0), rtol=1e-13, atol=atol)
        np.testing.assert_allclose(s.var_image(), x.var(axis=0), rtol=1e-10, atol=atol)
        if len(batch) > 1:
            np.testing.assert_allclose(
                s.var_image(ddof=1), x.var(axis=0, ddof=1), rtol=1e-10, atol=atol
            )
        np.testing.assert_allclose(s.std_image(), x.std(axis=0), rtol=1e-10, atol=1e-6)
    assert s.mean_image.shape == x.shape[1:] and s.mean_image.dtype == np.float64


def real_images() -> list[Any]:
    data = pytest.importorskip("skimage.data")
    return [data.astronaut(), data.coffee(), data.chelsea()[:300, :400]]


def test_real_images_every_isa(isa: str) -> None:
    imgs = real_images()
    check_against_reference(fed(imgs), imgs)
    floats = [i.astype(np.float32) / 255 for i in imgs]
    check_against_reference(fed(floats), floats)
    same = [i[:200, :300] for i in imgs]
    s = fed(same, per_pixel=True)
    check_against_reference(s, same)
    np.testing.assert_allclose(s.mean_image, np.mean(same, axis=0), rtol=1e-15)


def test_uint8_identical_across_isas_threads_and_chunking() -> None:
    rng = np.random.default_rng(1)
    batch = rng.integers(0, 256, (5, 61, 97, 3), dtype=np.uint8)

    def run() -> list[dict[str, Any]]:
        out = []
        for per_pixel in (False, True):
            whole = fed([batch], per_pixel).to_dict()
            singles = fed(list(batch), per_pixel).to_dict()
            chunked = fed([batch[:2], batch[2:3], batch[3:]], per_pixel).to_dict()
            views = fed([b[:, ::-1] for b in batch], per_pixel).to_dict()
            assert whole == singles == chunked, per_pixel
            if not per_pixel:
                assert views == whole
            out.append(whole)
        return out

    all_equal(on_every_isa_and_thread_count(run))


def test_float32_bit_identical_across_isas() -> None:
    rng = np.random.default_rng(2)
    cases = [rng.normal(3, 2, (17, 101, c)).astype(np.float32) for c in (1, 2, 3, 4, 5, 6)]
    all_equal(
        on_every_isa_and_thread_count(
            lambda: [fed([x], per_pixel).to_dict() for per_pixel in (False, True) for x in cases],
            threads=(1,),
        )
    )


def test_large_offset_float32_where_the_naive_sum_of_squares_fails(isa: str) -> None:
    """1e5 + unit noise in float32: per-lane Welford + Chan keeps the variance to ~1e-10
    (the docstring's bound n * kappa * u is ~4e-6 here); the naive float64 sum of squares,
    the formula of cv2.meanStdDev, loses far more."""
    rng = np.random.default_rng(3)
    x = (1e5 + rng.standard_normal((1000, 1000, 1))).astype(np.float32)
    exact = np.var(x.astype(np.float64))  # two-pass: accurate to ~1e-13 here
    s = fed([x])
    assert abs(s.var()[0] - exact) / exact < 1e-9
    assert abs(s.mean[0] - np.mean(x.astype(np.float64))) < 1e-9
    xd = x.astype(np.float64).reshape(-1)
    # running float64 sums, as cv2.meanStdDev accumulates (it was off by 2.6% here)
    naive = (np.cumsum(xd * xd)[-1] - np.cumsum(xd)[-1] ** 2 / xd.size) / xd.size
    assert abs(naive - exact) / exact > 1e-2
    # Per pixel: 200 images of 1e5 + noise
    b = (1e5 + rng.standard_normal((200, 4, 5, 2))).astype(np.float32)
    p = fed(list(b), per_pixel=True)
    want = b.astype(np.float64).var(axis=0)
    np.testing.assert_allclose(p.var_image(), want, rtol=1e-9)


@pytest.mark.parametrize("per_pixel", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_constant_images_have_std_exactly_zero(per_pixel: bool, dtype: Any) -> None:
    value = 173 if dtype == np.uint8 else 0.1
    s = fed([np.full((9, 13, 3), value, dtype) for _ in range(5)], per_pixel)
    assert np.all(s.std() == 0) and np.all(s.var(ddof=1) == 0)
    if dtype == np.uint8:
        assert np.all(s.mean == 173)
    else:
        assert np.all(s.mean == np.float64(np.float32(0.1)))
    if per_pixel:
        assert np.all(s.std_image() == 0)


def test_uint8_sum_of_squares_past_32_bits_is_exact(isa: str) -> None:
    # 66,306 pixels of 255: the sum of squares (4.3e9) overflows 32 bits.
    img = np.full((258, 257), 255, np.uint8)
    s = fed([img])
    assert s.to_dict()["state"]["sumsq"] == [258 * 257 * 255**2]
    assert s.mean[0] == 255 and s.var()[0] == 0
    # Per pixel: 66,100 images of one pixel cross the uint32 staging limit (65,536 images).
    p = pixnorm.RunningStats(per_pixel=True)
    p.update(np.full((66_000, 1, 1, 1), 255, np.uint8))
    for _ in range(100):
        p.update(np.full((1, 1), 255, np.uint8))
    assert p.to_dict()["state"]["sumsq"] == [[[66_100 * 255**2]]]
    assert p.var_image()[0, 0, 0] == 0 and p.mean_image[0, 0, 0] == 255


def test_uint8_variance_is_exact_for_a_known_case() -> None:
    # values 0 and 255, half each: mean 127.5, population variance 127.5**2 exactly
    img = np.zeros((100, 200), np.uint8)
    img[:, ::2] = 255
    s = fed([img])
    assert s.mean[0] == 127.5 and s.var()[0] == 127.5**2 and s.std()[0] == 127.5
    assert s.var(ddof=1)[0] == 127.5**2 * 20000 / 19999


@pytest.mark.parametrize("per_pixel", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_merging_partitions_with_different_means_equals_one_pass(
    per_pixel: bool, dtype: Any
) -> None:
    """The between-group term of Chan's formula matters only when the means differ (a merge
    that dropped it passed tests that used equal means)."""
    rng = np.random.default_rng(4)
    if dtype == np.uint8:
        parts = [rng.integers(lo, lo + 40, (3, 7, 11, 3), dtype=np.uint8) for lo in (0, 100, 210)]
    else:
        parts = [rng.normal(m, 1 + m / 10, (3, 7, 11, 3)).astype(np.float32) for m in (0, 50, 500)]
    one = fed(parts, per_pixel)
    stats = [fed([p], per_pixel) for p in parts]
    merged = stats[0].copy().merge(stats[1]).merge(stats[2])
    reverse = stats[2] + stats[1] + stats[0]
    summed = sum(stats)
    assert isinstance(summed, pixnorm.RunningStats)
    for m in (merged, reverse, summed):
        assert m.count == one.count and m.n_images == one.n_images
        if dtype == np.uint8:
            assert m.to_dict() == one.to_dict()
        else:
            np.testing.assert_allclose(m.mean, one.mean, rtol=1e-13)
            np.testing.assert_allclose(m.var(), one.var(), rtol=1e-12)
            np.testing.assert_array_equal(m.min, one.min)
            np.testing.assert_array_equal(m.max, one.max)
            if per_pixel:
                np.testing.assert_allclose(m.var_image(), one.var_image(), rtol=1e-12)
        check_against_reference(m, parts)
    # merging an empty one changes nothing; merging into an empty one copies
    assert (one.copy().merge(pixnorm.RunningStats(per_pixel=per_pixel))).to_dict() == one.to_dict()
    assert pixnorm.RunningStats(per_pixel=per_pixel).merge(one).to_dict() == one.to_dict()


@pytest.mark.parametrize("per_pixel", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_pickle_and_dict_round_trips(per_pixel: bool, dtype: Any) -> None:
    rng = np.random.default_rng(5)
    s = pixnorm.RunningStats(per_pixel=per_pixel)
    for _ in range(3):  # single images: per pixel uint8 they are pending in a buffer
        s.update(make_view(rng, (6, 8, 3), dtype, "contiguous"))
    d = s.to_dict()
    text = json.dumps(d)
    again = pixnorm.RunningStats.from_dict(json.loads(text))
    back = pickle.loads(pickle.dumps(s))
    for other in (again, back):
        assert other.to_dict() == d
        np.testing.assert_array_equal(other.mean, s.mean)
        np.testing.assert_array_equal(other.var(), s.var())
        if per_pixel:
            np.testing.assert_array_equal(other.var_image(), s.var_image())
    if dtype == np.uint8:
        assert all(type(v) is int for v in np.ravel(np.array(d["state"]["sum"], dtype=object)))
    # the copies keep accumulating like the original
    extra = make_view(rng, (6, 8, 3), dtype, "contiguous")
    assert back.update(extra).to_dict() == s.update(extra).to_dict()
    empty = pixnorm.RunningStats.from_dict(pixnorm.RunningStats().to_dict())
    assert empty.count == 0


def test_mean01_std01_are_the_normalize_parameters() -> None:
    rng = np.random.default_rng(6)
    imgs = [rng.integers(0, 256, (20, 30, 3), dtype=np.uint8) for _ in range(4)]
    s = fed(imgs)
    np.testing.assert_allclose(s.mean01, s.mean / 255, rtol=0)
    np.testing.assert_allclose(s.std01(), s.std() / 255, rtol=0)
    x = np.stack([pixnorm.normalize(i, s.mean01, s.std01()) for i in imgs])
    np.testing.assert_allclose(x.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=(0, 2, 3)), 1, atol=1e-5)
    f = fed([i.astype(np.float32) / 255 for i in imgs])
    np.testing.assert_array_equal(f.mean01, f.mean)  # float32 is taken as already scaled


def test_nan_propagates_and_inf_follows_ieee(isa: str) -> None:
    x = np.random.default_rng(7).normal(0, 1, (10, 50, 3)).astype(np.float32)
    x[3, 7, 1] = np.nan
    x[5, 5, 2] = np.inf
    s = fed([x])
    assert np.isfinite(s.mean[0]) and np.isfinite(s.var()[0])
    assert (
        np.isnan(s.mean[1]) and np.isnan(s.var()[1]) and np.isnan(s.min[1]) and np.isnan(s.max[1])
    )
    assert np.isnan(s.var()[2]) and s.max[2] == np.inf and np.isfinite(s.min[2])
    p = fed([x, np.zeros_like(x)], per_pixel=True)
    nan = np.isnan(p.mean_image)
    assert nan[3, 7, 1] and np.isnan(p.min.astype(np.float64)[1])
    assert nan.sum() == 2 and nan[5, 5, 2]  # (inf + 0) / 2 -> Welford gives inf - inf = NaN
    merged = fed([x[:, :, :2]]).merge(fed([np.ones((2, 2, 2), np.float32)]))
    assert np.isnan(merged.mean[1]) and np.isnan(merged.min[1]) and np.isfinite(merged.mean[0])


def test_gray_2d_batches_and_buffer_protocol() -> None:
    rng = np.random.default_rng(8)
    g = rng.integers(0, 256, (12, 14), dtype=np.uint8)
    s = fed([g, memoryview(g[:, :, None].copy()), g[None, :, :, None]])
    assert s.channels == 1 and s.count == 3 * 12 * 14 and s.n_images == 3
    np.testing.assert_allclose(s.mean, [g.mean()], rtol=1e-15)


def test_errors() -> None:
    s = pixnorm.RunningStats()
    for read in (lambda: s.mean, lambda: s.var(), lambda: s.std01(), lambda: s.min):
        with pytest.raises(ValueError, match="empty data set"):
            read()
    with pytest.raises(TypeError, match=r"image: dtype float64 is not supported"):
        s.update(np.zeros((4, 4, 3)))
    with pytest.raises(TypeError, match="image: a Python list became an array of dtype int64"):
        s.update([[[1, 2, 3]]])
    with pytest.raises(ValueError, match=r"image: expected shape"):
        s.update(np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="image: zero-size"):
        s.update(np.zeros((0, 4, 3), np.uint8))
    s.update(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(
        ValueError, match=r"image: 4 channel\(s\), but the images seen so far have 3"
    ):
        s.update(np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="image: dtype float32 differs from the uint8"):
        s.update(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="ddof: needs more than 16 values"):
        s.var(ddof=16)
    with pytest.raises(ValueError, match="ddof: must be >= 0"):
        s.var(ddof=-1)
    with pytest.raises(TypeError, match="ddof: expected an int"):
        s.var(ddof=0.5)
    with pytest.raises(ValueError, match="per_pixel=True"):
        s.mean_image  # noqa: B018
    p = pixnorm.RunningStats(per_pixel=True)
    p.update(np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(ValueError, match=r"image: size 5x4 \(HxW\) differs from the 4x5.*size="):
        p.update(np.zeros((5, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="ddof: needs more than 1 images"):
        p.var_image(ddof=1)
    with pytest.raises(ValueError, match="other: per_pixel=True cannot be merged"):
        s.merge(p)
    q = pixnorm.RunningStats(per_pixel=True).update(np.zeros((5, 4, 3), np.uint8))
    with pytest.raises(ValueError, match=r"other: per-pixel shape \(5, 4\) differs from \(4, 5\)"):
        p.merge(q)
    with pytest.raises(ValueError, match="other: dtype float32 differs from uint8"):
        s.merge(pixnorm.RunningStats().update(np.zeros((2, 2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"other: 1 channel\(s\) differ from 3"):
        s.merge(pixnorm.RunningStats().update(np.zeros((2, 2), np.uint8)))
    with pytest.raises(TypeError, match="other: expected a RunningStats"):
        s.merge({})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="per_pixel: expected a bool"):
        pixnorm.RunningStats(per_pixel=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="size: expected"):
        pixnorm.RunningStats(size="224")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size: 224 .* per-pixel statistics need one"):
        pixnorm.RunningStats(per_pixel=True, size=224)
    pixnorm.RunningStats(per_pixel=True, size=224, crop=200)  # one output size: fine
    with pytest.raises(ValueError, match="size: expected positive"):
        pixnorm.RunningStats(size=(0, 3))
    with pytest.raises(TypeError, match="crop: expected"):
        pixnorm.RunningStats(size=8, crop=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="convention"):
        pixnorm.RunningStats(size=8, convention="cv2")
    with pytest.raises(TypeError, match="antialias: expected a bool"):
        pixnorm.RunningStats(antialias="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="data: not a pixnorm.RunningStats"):
        pixnorm.RunningStats.from_dict({"a": 1})
    bad = s.to_dict()
    bad["state"]["sum"] = [1, 2]
    with pytest.raises(ValueError, match=r"data: state\['sum'\] has shape"):
        pixnorm.RunningStats.from_dict(bad)
    # merging with itself doubles the counts
    assert s.copy().merge(s).count == 2 * s.count


# ------------------------------------------------------------------------------------------
# Per-pixel normalize


def check_pixel(image: Any, mean: Any, std: Any, scale: float | None = None) -> None:
    arr = np.asarray(image)
    s = (1 / 255 if arr.dtype == np.uint8 else 1.0) if scale is None else scale
    got = pixnorm.normalize(image, mean, std, scale=scale, channels_last=True)
    np.testing.assert_array_equal(got, ref.normalize_pixel_float32_formula(arr, mean, std, s))
    exact = ref.normalize_pixel(arr, mean, std, s)
    finite = np.isfinite(exact)
    # same bound as per channel: 4 float32 roundings of |x * a| + |b|
    m = np.broadcast_to(ref._pixel_chw(mean, exact.shape[-2:] + (exact.shape[-3],)), exact.shape)
    sd = np.broadcast_to(ref._pixel_chw(std, exact.shape[-2:] + (exact.shape[-3],)), exact.shape)
    xs = np.abs(exact * sd + m)  # |x * scale|
    bound = 2.0**-22 * (xs / sd + np.abs(m / sd)) + 1e-30
    assert np.all(np.abs(got[finite] - exact[finite]) <= bound[finite])


@given(img=images(max_h=9, max_w=40), data=st.data())
@fixture_settings
def test_normalize_per_pixel_matches_reference(
    isa: str, threads: int, img: Any, data: st.DataObject
) -> None:
    h, w = img.shape[-3:-1] if img.ndim >= 3 else img.shape
    c = img.shape[-1] if img.ndim >= 3 else 1
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    layout = data.draw(st.sampled_from(["hwc", "chw", "hw1", "c11", "channel"]))
    shapes = {"hwc": (h, w, c), "chw": (c, h, w), "hw1": (h, w, 1), "c11": (c, 1, 1)}
    if layout == "channel":
        mean: Any = rng.uniform(-2, 2, c).tolist()
        std: Any = rng.uniform(0.1, 3, (h, w, c))
    else:
        mean = rng.uniform(-300, 300, shapes[layout])
        std = rng.uniform(1e-2, 1e2, shapes[layout])
    scale = data.draw(st.sampled_from([None, 1.0, 1 / 255]))
    check_pixel(img, mean, std, scale)


def test_normalize_mean_image_caffe_style(isa: str) -> None:
    rng = np.random.default_rng(9)
    batch = rng.integers(0, 256, (4, 31, 45, 3), dtype=np.uint8)
    s = fed([batch], per_pixel=True)
    out = pixnorm.normalize(batch, s.mean_image, 1.0, scale=1.0)
    assert out.shape == (4, 3, 31, 45)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-4)  # mean-image subtraction
    chw = s.mean_image.transpose(2, 0, 1)
    np.testing.assert_array_equal(pixnorm.normalize(batch, chw, 1.0, scale=1.0), out)
    o = np.empty((4, 3, 31, 45), np.float32)
    assert pixnorm.normalize(batch, s.mean_image, 1.0, scale=1.0, out=o) is o
    for kind in ("flip_c", "transposed", "unaligned", "step2"):
        v = make_view(rng, (31, 45, 3), np.float32, kind, specials=True)
        check_pixel(v, s.mean_image, s.std_image() + 1)


def test_normalize_per_pixel_errors() -> None:
    img = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(
        ValueError, match=r"mean: expected a scalar, 3 per-channel values, or a per"
    ):
        pixnorm.normalize(img, np.zeros((4, 4, 3)), 1.0)
    with pytest.raises(ValueError, match=r"std: expected a scalar, 3 per-channel values"):
        pixnorm.normalize(img, np.zeros((4, 5, 3)), np.ones((2, 4, 5, 3)))
    std = np.ones((4, 5, 3))
    std[2, 3, 1] = 0
    with pytest.raises(ValueError, match=r"std\[c=1, y=2, x=3\]: must be > 0"):
        pixnorm.normalize(img, np.zeros((4, 5, 3)), std)
    mean = np.zeros((3, 4, 5))
    mean[0, 1, 2] = np.nan
    with pytest.raises(ValueError, match=r"mean\[c=0, y=1, x=2\]: must be finite"):
        pixnorm.normalize(img, mean, 1.0)
    with pytest.raises(ValueError, match=r"mean: expected a scalar or 3 values"):
        pixnorm.normalize(img, [1, 2], np.ones((4, 5, 3)))
    with pytest.raises(TypeError, match="mean: expected real numbers"):
        pixnorm.normalize(img, np.zeros((4, 5, 3), complex), 1.0)
    with pytest.raises(ValueError, match=r"std: expected a scalar, 3 per-channel values"):
        pixnorm.normalize(img, np.zeros((4, 5, 3)), np.ones((1, 4, 5, 3)))
    with pytest.raises(ValueError, match="out: expected shape"):
        pixnorm.normalize(img, np.zeros((4, 5, 3)), 1.0, out=np.empty((3, 5, 4), np.float32))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_expected_but_empty_stats_merge_as_empty(dtype: Any) -> None:
    """The command line's workers fix dtype/channels before their first image; one that read
    nothing merges as empty (no 0/0 in Chan's formula) and still reports an empty data set."""
    name = "uint8" if dtype == np.uint8 else "float32"
    empty = pixnorm.RunningStats()
    empty._expect(name, 3, (0, 0))
    with pytest.raises(ValueError, match="empty data set"):
        empty.mean  # noqa: B018
    full = fed([np.arange(60, dtype=dtype).reshape(4, 5, 3)])
    assert full.copy().merge(empty).to_dict() == full.to_dict()
    assert empty.copy().merge(full).to_dict() == full.to_dict()
    with pytest.raises(ValueError, match=r"image: 1 channel\(s\)"):
        empty.update(np.zeros((2, 2), dtype))


@pytest.mark.parametrize("n", [2, 2**24, 2**24 + 2, 10**12, 2**48])
def test_exact_moments_in_64_and_128_bits(n: int) -> None:
    """Half the values 0, half 255: mean 127.5 and variance 127.5**2 exactly, for counts on both
    sides of the 64-bit fast path (n <= 2**24) and up to 10**12 values and beyond."""
    s1 = np.array([255 * n // 2, 3 * n], np.uint64)  # second element: all values 3
    s2 = np.array([65025 * n // 2, 9 * n], np.uint64)
    mean, var = _core.stats_u8_moments(n, s1, s2, 0)
    assert mean.tolist() == [127.5, 3.0] and var.tolist() == [127.5**2, 0.0]
    _, var1 = _core.stats_u8_moments(n, s1, s2, 1)
    # numerator and denominator each rounded once to double, then one division: < 4e-16
    assert var1[0] == pytest.approx(float(Fraction(127.5**2) * n / (n - 1)), rel=4e-16)
    assert var1[1] == 0


@pytest.mark.parametrize("per_pixel", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_gil_is_released_during_updates(per_pixel: bool, dtype: Any) -> None:
    """Another Python thread keeps running in the middle of a long update."""
    rng = np.random.default_rng(11)
    n = 40 if dtype == np.uint8 else 12  # uint8 per channel is fast: more images
    batch = make_view(rng, (n, 540, 960, 3), dtype, "contiguous")
    assert_releases_gil(lambda: pixnorm.RunningStats(per_pixel=per_pixel).update(batch))


@pytest.mark.parametrize(
    "convention, antialias",
    [(None, True), (None, False), ("pillow", True), ("torch", True), ("torch", False),
     ("opencv", False)],
)  # fmt: skip
def test_size_resamples_every_image_as_preprocess(antialias: bool, convention: str | None) -> None:
    """Mixed sizes in per-pixel mode: each image (or each image of a batch) is resampled as
    pixnorm.preprocess does with the same size, antialias and convention, exactly as doing
    that by hand and updating: uint8 levels (accumulated exactly) for a named convention,
    floats in the input's units (0..255) for the default one (issue 13)."""
    rng = np.random.default_rng(40)
    imgs = [rng.integers(0, 256, s, dtype=np.uint8) for s in [(30, 40, 3), (17, 9, 3), (8, 10, 3)]]
    batch = rng.integers(0, 256, (2, 21, 13, 3), dtype=np.uint8)
    kw: dict[str, Any] = {"size": (8, 10), "antialias": antialias, "convention": convention}
    auto = pixnorm.RunningStats(per_pixel=True, **kw)
    by_hand = pixnorm.RunningStats(per_pixel=True)

    def by_preprocess(img: np.ndarray) -> np.ndarray:
        hwc = pixnorm.preprocess(img, **kw, scale=1.0).transpose(1, 2, 0)
        return hwc.astype(np.uint8) if convention else np.ascontiguousarray(hwc)

    for img in imgs:
        auto.update(img)
        by_hand.update(by_preprocess(img))
    auto.update(batch)
    by_hand.update(np.stack([by_preprocess(x) for x in batch]))
    assert auto.mean_image.shape == (8, 10, 3)
    assert auto.to_dict()["dtype"] == ("uint8" if convention else "float32")  # accumulators
    assert auto.dtype == "uint8"  # the images'
    np.testing.assert_array_equal(auto.mean01, auto.mean / 255)
    np.testing.assert_array_equal(auto.mean_image, by_hand.mean_image)
    np.testing.assert_array_equal(auto.var_image(), by_hand.var_image())
    assert auto.count == by_hand.count
    gray = pixnorm.RunningStats(per_pixel=True, **{**kw, "size": (5, 5)}).update(imgs[0][..., 0])
    assert gray.mean_image.shape == (5, 5, 1)


@pytest.mark.parametrize("convention", [None, "pillow", "torch", "opencv"])
def test_statistics_make_the_preprocessed_set_mean_0_std_1(convention: str | None) -> None:
    """The point of size/crop/convention: preprocess with the statistics' mean01/std01 and the
    same size, crop, antialias and convention gives a data set of mean 0 and std 1 per channel
    (within 1e-6: float32 rounding of a = scale/std and b = -mean/std, about 2.4e-7). Before,
    the statistics were of pixnorm's default resize whatever the convention, 0.009 off."""
    antialias = convention != "opencv"
    rng = np.random.default_rng(5)
    imgs = []
    for i, (h, w) in enumerate([(60, 80), (75, 50), (64, 64), (90, 70), (50, 120)]):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        imgs.append(np.clip(img.astype(np.int32) // (i + 1) + 40 * i, 0, 255).astype(np.uint8))
    kw: dict[str, Any] = {"size": 48, "crop": 40, "antialias": antialias, "convention": convention}
    stats = pixnorm.RunningStats(**kw)
    for img in imgs:
        stats.update(img)
    outs = np.stack(
        [pixnorm.preprocess(x, **kw, mean=stats.mean01, std=stats.std01()) for x in imgs]
    ).astype(np.float64)
    per_channel = outs.transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(per_channel.mean(axis=1), 0.0, atol=1e-6)
    np.testing.assert_allclose(per_channel.std(axis=1), 1.0, atol=1e-6)
    # The same data through another convention's statistics is visibly off: the test can fail.
    other = pixnorm.RunningStats(**{**kw, "convention": "torch" if convention != "torch" else None})
    for img in imgs:
        other.update(img)
    assert np.abs(np.asarray(other.std01()) - np.asarray(stats.std01())).max() > 1e-6


def test_one_instance_shared_by_8_threads_equals_the_serial_result() -> None:
    """8 threads update one per-pixel and one per-channel RunningStats (single images, which
    per pixel go through the pending buffer, and batches), read results, and merge and add
    their own partial statistics into them. uint8 sums are exact, so the result must equal
    the serial one exactly, and the sums those of numpy."""
    rng = np.random.default_rng(77)
    n_threads, per_thread = 8, 24
    imgs = rng.integers(0, 256, (n_threads, per_thread, 6, 7, 3), dtype=np.uint8)
    flat = imgs.reshape(-1, 6, 7, 3)
    serial = {pp: fed(list(flat), per_pixel=pp).to_dict() for pp in (False, True)}
    assert serial[True]["state"]["sum"] == flat.sum(axis=0, dtype=np.uint64).tolist()
    assert serial[False]["state"]["sum"] == flat.sum(axis=(0, 1, 2), dtype=np.uint64).tolist()

    def work(k: int, shared: dict[bool, pixnorm.RunningStats], start: threading.Barrier) -> None:
        mine = imgs[k]
        start.wait()
        for pp, s in shared.items():
            own = pixnorm.RunningStats(per_pixel=pp).update(mine[20:22])
            for i in range(20):  # one at a time, reading in between
                s.update(mine[i])
                if i % 5 == 4:
                    assert s.mean.shape == (3,) and s.var().shape == (3,)
                    assert (s.mean_image.shape == (6, 7, 3)) if pp else s.min.shape == (3,)
                    for snap in (pickle.loads(pickle.dumps(s)), copy.copy(s), s.copy()):
                        assert snap.count == snap.n_images * 6 * 7  # a consistent state
            s.merge(own)  # images 20 and 21
            s.update(mine[22:])  # a batch of 2
            assert (s + own).n_images >= per_thread + 2  # this thread's, own's, others'

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _trial in range(20):
            shared = {pp: pixnorm.RunningStats(per_pixel=pp) for pp in (False, True)}
            errors: list[BaseException] = []
            start = threading.Barrier(n_threads)

            def run(k: int, shared: Any = shared, start: Any = start, errors: Any = errors) -> None:
                try:
                    work(k, shared, start)
                except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
                    errors.append(e)

            threads = [threading.Thread(target=run, args=(k,)) for k in range(n_threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise errors[0]
            for pp, s in shared.items():
                assert s.n_images == len(flat) and s.count == len(flat) * 6 * 7
                assert s.to_dict() == serial[pp], f"per_pixel={pp}"
    finally:
        sys.setswitchinterval(old)


def test_crossed_merges_from_two_threads_do_not_deadlock() -> None:
    """a.merge(b) in one thread while b.merge(a) runs in another: merge takes both locks in
    one order, so neither waits forever, and each ends in a consistent state."""
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    a = pixnorm.RunningStats(per_pixel=True).update(img)
    b = pixnorm.RunningStats(per_pixel=True).update(img)
    start = threading.Barrier(2)

    def loop(x: pixnorm.RunningStats, y: pixnorm.RunningStats) -> None:
        start.wait()
        for _ in range(20):
            x.merge(y)

    threads = [threading.Thread(target=loop, args=pair, daemon=True) for pair in ((a, b), (b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "deadlock"
    for s in (a, b):
        assert s.count == s.n_images * 6
        np.testing.assert_array_equal(s.mean_image, img)  # every image is img
        np.testing.assert_array_equal(s.var_image(), np.zeros(img.shape))


@pytest.mark.parametrize("per_pixel", [False, True])
@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        (
            "count",
            2**70,
            r"data\['count'\]: expected an int from 0 to 9223372036854775807, got "
            r"1180591620717411303424",
        ),
        ("count", -1, r"data\['count'\]: expected an int from 0 to \d+, got -1"),
        ("count", 1.5, r"data\['count'\]: expected an int from 0 to \d+, got 1.5"),
        ("count", True, r"data\['count'\]: expected an int from 0 to \d+, got True"),
        ("count", 10**400, r"data\['count'\]: expected an int .*, got an int of about 1e400"),
        (
            "images",
            2**70,
            r"data\['images'\]: expected an int from 0 to \d+, got 1180591620717411303424",
        ),
        (
            "channels",
            2**70,
            r"data\['channels'\]: expected an int from 1 to \d+, got 1180591620717411303424",
        ),
        ("channels", -2, r"data\['channels'\]: expected an int from 1 to \d+, got -2"),
        ("channels", 4, r"data: state\['min'\] has shape \(.*3,?\); expected \(.*4,?\)"),
        (
            "dtype",
            "float64",
            r"data\['dtype'\]: expected 'uint8', 'uint16', 'float32' or None, got 'float64'",
        ),
    ],
)
def test_from_dict_tampered_fields_are_value_errors_naming_the_field(
    per_pixel: bool, field: str, value: Any, match: str
) -> None:
    """A hand-edited to_dict() is refused with a ValueError naming the field, before anything
    is allocated or reaches the kernels (count=2**70 reached pybind11 as 'incompatible
    function arguments'; channels=2**70 asked numpy for an impossible array)."""
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    d = pixnorm.RunningStats(per_pixel=per_pixel).update(img).update(img).to_dict()
    d[field] = value
    with pytest.raises(ValueError, match="^" + match):
        s = pixnorm.RunningStats.from_dict(d)
        s.var(), s.min  # noqa: B018 - where the old code failed, if not before
        if per_pixel:
            s.var_image()


def test_from_dict_counts_must_agree() -> None:
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    pp = pixnorm.RunningStats(per_pixel=True).update(img).to_dict()
    for shape in ([2**40, 2**40], [2, 3, 1], [0, 3], "2x3"):
        d = dict(pp, shape=shape)
        with pytest.raises(ValueError, match=r"^data\['(shape|count)'\]"):
            pixnorm.RunningStats.from_dict(d)
    with pytest.raises(
        ValueError,
        match=r"^data\['count'\]: 7 values per channel; expected images x H x W = 1 x 2 x 3",
    ):
        pixnorm.RunningStats.from_dict(dict(pp, count=7))
    pc = pixnorm.RunningStats().update(img).to_dict()
    for count, n_images in ((0, 1), (5, 0), (1, 2)):
        with pytest.raises(ValueError, match=r"^data\['count'\]"):
            pixnorm.RunningStats.from_dict(dict(pc, count=count, images=n_images))
    empty = pixnorm.RunningStats().to_dict()
    with pytest.raises(ValueError, match=r"^data\['count'\], data\['images'\]"):
        pixnorm.RunningStats.from_dict(dict(empty, count=3))


def test_float32_per_channel_bits_do_not_depend_on_views_or_threads() -> None:
    """float32 per-channel statistics merge fixed blocks of pixels in order, so a view, its
    contiguous copy and any thread count give the same bits (found by the fuzz test: flipped,
    transposed and broadcast views changed the last bits, and so did the thread count)."""
    rng = np.random.default_rng(7)
    base = (rng.random((3, 150, 170, 3), dtype=np.float32) * 1e3 + 1e5).astype(np.float32)
    views = {
        "flip_c": base[..., ::-1],
        "flip_x": base[:, :, ::-1],
        "flip_n": base[::-1],
        "transposed": base.transpose(0, 2, 1, 3),
        "step": base[:, ::2, 1::3],
        "broadcast": np.broadcast_to(base[:, :1], base.shape),
    }
    for name, view in views.items():
        want = pixnorm.RunningStats().update(np.ascontiguousarray(view)).to_dict()

        def run(view: np.ndarray = view) -> Any:
            return json.dumps(pixnorm.RunningStats().update(view).to_dict(), sort_keys=True)

        results = on_every_isa_and_thread_count(run)
        all_equal(results)
        assert json.loads(next(iter(results.values()))) == json.loads(
            json.dumps(want, sort_keys=True)
        ), name


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_fork_while_another_thread_updates_does_not_hang_the_child() -> None:
    """A RunningStats lock held by another thread at fork() stayed held in the child, which
    hung on its first use (a hostile review: 20 of 20 forks). The child gets a fresh lock and,
    when the lock was held, an instance marked stopped part-way (RuntimeError, not a hang)."""
    code = textwrap.dedent("""
        import os, signal, threading, time
        import numpy as np
        import pixnorm
        pixnorm.set_num_threads(1)
        shared = pixnorm.RunningStats()
        img = np.zeros((64, 64, 3), np.uint8)
        stop = threading.Event()
        def work():
            while not stop.is_set():
                shared.update(img)
        t = threading.Thread(target=work)
        t.start()
        outcomes = []
        for _ in range(20):
            time.sleep(0.01)
            pid = os.fork()
            if pid == 0:
                signal.alarm(10)  # a hang ends the child with SIGALRM
                try:
                    shared.count
                    code = 0
                except RuntimeError as e:
                    code = 3 if "stopped part-way" in str(e) else 4
                os._exit(code)
            _, status = os.waitpid(pid, 0)
            outcomes.append(os.waitstatus_to_exitcode(status))
        stop.set()
        t.join()
        print(" ".join(map(str, outcomes)))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    outcomes = proc.stdout.split()
    assert len(outcomes) == 20 and set(outcomes) <= {"0", "3"}, outcomes


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("per_pixel", [False, True])
def test_from_dict_refuses_impossible_accumulators(dtype: Any, per_pixel: bool) -> None:
    """A corrupted or hand-edited dictionary whose accumulators no sequence of updates can
    produce (a negative variance, sums beyond 255 per value, min above max, a Welford count
    that is not the count) is refused instead of giving NaN or wrong statistics silently."""
    rng = np.random.default_rng(3)
    good = pixnorm.RunningStats(per_pixel=per_pixel).update(
        rng.integers(0, 256, (3, 4, 5, 3)).astype(dtype)
    )
    data = good.to_dict()
    pixnorm.RunningStats.from_dict(data)  # the genuine one loads

    def innermost(value: Any) -> list[Any]:
        """The innermost list holding element 0 of a state array."""
        while isinstance(value[0], list):
            value = value[0]
        return value  # type: ignore[no-any-return]

    edits: list[tuple[str, Any]] = (
        [("sumsq", 0), ("sum", 255 * 10**6), ("min", 255)]
        if dtype == np.uint8
        else [("m2", -1.0), ("min", 1e30)] + ([] if per_pixel else [("n", 7)])
    )
    for key, value in edits:
        bad = copy.deepcopy(data)
        innermost(bad["state"][key])[0] = value
        with pytest.raises(ValueError, match=r"data: state\["):
            pixnorm.RunningStats.from_dict(bad)


def test_resampled_statistics_keep_the_images_dtype_and_units() -> None:
    """size/crop in the default convention accumulate floats, but in the images' units, and
    the images' dtype decides mean01 and what may follow: a float32 image after uint8 ones is
    refused (different units), as without size; a dictionary whose accumulators cannot come
    from its options (an earlier pixnorm's rounded uint8 resize) is refused."""
    rng = np.random.default_rng(9)
    u8 = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    s = pixnorm.RunningStats(size=16).update(u8)
    assert s.dtype == "uint8" and s.to_dict()["dtype"] == "float32"
    assert 100 < s.mean[0] < 160  # 0..255 units
    with pytest.raises(ValueError, match="dtype float32 differs from the uint8 images"):
        s.update(u8.astype(np.float32))
    old = s.to_dict()
    old["dtype"] = "uint8"  # what size= used to accumulate
    del old["source_dtype"]
    with pytest.raises(ValueError, match="made by an earlier pixnorm"):
        pixnorm.RunningStats.from_dict(old)
    again = pixnorm.RunningStats.from_dict(s.to_dict())
    np.testing.assert_array_equal(again.mean01, s.mean01)
    assert again.dtype == "uint8"


def test_from_dict_refuses_a_colour_that_contradicts_the_channels() -> None:
    """A dictionary whose colour gives another channel count than its accumulators is refused,
    naming both (it would otherwise describe the wrong number of output channels)."""
    s = pixnorm.RunningStats(color="gray")
    s.update(np.zeros((4, 4, 3), np.uint8))
    d = s.to_dict()
    assert pixnorm.RunningStats.from_dict(d).channels == 1
    d["color"] = "ycbcr"
    with pytest.raises(
        ValueError, match=r"data\['channels'\]: 1, but data\['color'\] 'ycbcr' gives 3"
    ):
        pixnorm.RunningStats.from_dict(d)


def _saturation_cases() -> list[tuple[str, list[np.ndarray]]]:
    """Images for the avx512icl kernel's min/max shortcut (left out once every channel has seen
    0 and 255), for 1 to 4 channels: saturated in the first rows, never, in one channel only,
    by the last pixel only, or only through an earlier image's min/max."""
    rng = np.random.default_rng(7)
    cases = []
    for c in (1, 2, 3, 4):
        mid = rng.integers(1, 255, (97, 131, c), dtype=np.uint8)
        early = mid.copy()
        early[0, :2] = [[0] * c, [255] * c]
        one = mid.copy()
        one[0, 0, c - 1], one[0, 1, c - 1] = 0, 255  # the last channel only
        last = mid.copy()
        last[-1, -1] = 255  # max everywhere only at the very end
        last[0, 0] = 0
        lates = mid.copy()
        lates[60:, :, 0] = rng.integers(0, 2, (37, 131), dtype=np.uint8) * 255  # half-way
        cases += [
            (f"early C={c}", [early, mid]),
            (f"never C={c}", [mid]),
            (f"one channel C={c}", [one]),
            (f"last pixel C={c}", [last]),
            (f"half-way C={c}", [lates]),
            (f"earlier image C={c}", [early, mid, one]),
            (f"all 255 C={c}", [np.full((70, 90, c), 255, np.uint8)]),
        ]
    return cases


@pytest.mark.parametrize("case", _saturation_cases(), ids=lambda case: case[0])
def test_uint8_min_max_shortcut(case: tuple[str, list[np.ndarray]]) -> None:
    _, imgs = case

    def run() -> dict[str, Any]:
        s = fed(imgs)
        check_against_reference(s, imgs)  # exact sums, min and max
        return s.to_dict()

    all_equal(on_every_isa_and_thread_count(run))


def test_update_fast_path_follows_replaced_state() -> None:
    """update()'s fast path keeps the accumulators of the state it was set up for: after a
    merge into an empty instance, unpickling and copy(), updates land in the right ones."""
    rng = np.random.default_rng(8)
    a, b, c = (rng.integers(0, 256, (33, 47, 3), dtype=np.uint8) for _ in range(3))
    merged = pixnorm.RunningStats()
    merged.merge(fed([a]))
    merged.update(b)
    check_against_reference(merged, [a, b])
    restored = pickle.loads(pickle.dumps(fed([a])))
    restored.update(b)
    check_against_reference(restored, [a, b])
    original = fed([a])
    twin = original.copy()
    twin.update(b)
    original.update(c)
    check_against_reference(twin, [a, b])
    check_against_reference(original, [a, c])
    from_dict = pixnorm.RunningStats.from_dict(fed([a]).to_dict())
    from_dict.update(c)
    check_against_reference(from_dict, [a, c])
    # no channels: refused before any work, fresh or started (the fast path never takes it)
    for s in (pixnorm.RunningStats(), fed([a])):
        with pytest.raises(ValueError, match="image"):
            s.update(np.zeros((1, 7, 0), np.uint8))


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_from_dict_refuses_made_up_state_without_images(dtype: Any) -> None:
    """A dictionary that says no image was seen must hold the accumulators as they start:
    otherwise its min/max (or sums) would pass into every later result."""
    d = pixnorm.RunningStats().update(np.full((2, 2, 3), 9, dtype)).to_dict()
    d.update(count=0, images=0)
    empty_min = 255 if dtype == np.uint8 else float("inf")
    with pytest.raises(ValueError, match=r"state\['(sum|n)'\] must be 0"):
        pixnorm.RunningStats.from_dict(d)  # the sums of the image are still there
    zero = {k: [0] * 3 for k in d["state"]}
    d["state"] = {**zero, "min": [0] * 3, "max": [255] * 3}
    with pytest.raises(ValueError, match=r"state\['min'\] must be"):
        pixnorm.RunningStats.from_dict(d)
    d["state"]["min"] = [empty_min] * 3
    d["state"]["max"] = [0 if dtype == np.uint8 else float("-inf")] * 3
    fresh = pixnorm.RunningStats.from_dict(d)  # the real empty state loads, and counts right
    fresh.update(np.full((4, 4, 3), 100, dtype))
    assert fresh.min.tolist() == [100] * 3 and fresh.max.tolist() == [100] * 3
    d.update(count=0, images=2)
    with pytest.raises(ValueError, match="0 values per channel for 2 images"):
        pixnorm.RunningStats.from_dict(d)
