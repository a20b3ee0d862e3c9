"""uint16 input (issue 14): read as float32 rows (every uint16 value is exact in float32), so
normalize, preprocess and resize give the bits of the same call on a float32 copy with scale
1/65535 (resize rounds back to uint16); against the float64 reference within its bound; on every
ISA and thread count, through views. convention='opencv' is cv2.resize on uint16 bit for bit
(IPP's arithmetic on CPUs with AVX2); the other named conventions refuse it clearly.
RunningStats sums uint16 exactly (128-bit sums of squares per channel), checked against Python's
integers."""

from __future__ import annotations

import pickle
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pixnorm
import reference as ref
from isas import on_every_isa_and_thread_count
from strategies import make_view

fixture_settings = settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
S16 = 1.0 / 65535.0


@st.composite
def u16_images(draw: st.DrawFn) -> np.ndarray:
    c = draw(st.sampled_from([1, 3, 4]))
    h, w = draw(st.integers(1, 20)), draw(st.integers(1, 40))
    batch = draw(st.booleans())
    shape = (2, h, w, c) if batch else (h, w, c)
    kind = draw(st.sampled_from(["contiguous", "crop", "flip_x", "flip_c", "transposed", "step2"]))
    if c == 1 and kind == "flip_c":
        kind = "flip_x"
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return make_view(rng, shape, np.uint16, kind)


@fixture_settings
@given(
    u16_images(), st.sampled_from([None, "gray", "ycbcr"]), st.sampled_from(["float32", "float16"])
)
def test_normalize_uint16(img: np.ndarray, color: str | None, dtype: str) -> None:
    """The bits of normalize on the float32 copy with scale 1/65535 (every ISA and thread
    count); without a colour also within the float64 reference's bound. Colours mix with
    OpenCV's 16-bit chroma offset, 32768."""
    if color is not None and img.shape[-1] == 1:
        color = "gray3" if color == "ycbcr" else color
    c = {"gray": 1, "gray3": 3, "ycbcr": 3}.get(color or "", img.shape[-1])
    mean, std = list(np.linspace(0.3, 0.5, c)), list(np.linspace(0.2, 0.3, c))
    want = pixnorm.normalize(img.astype(np.float32), mean, std, scale=S16, color=color, dtype=dtype)
    if color is None:
        r = ref.normalize(np.asarray(img), mean, std, S16)
        bound = ref.normalize_error_bound(np.asarray(img), mean, std, S16)
        f32 = pixnorm.normalize(img, mean, std)
        assert np.all(np.abs(f32.astype(np.float64) - r) <= bound)
    if color == "ycbcr":  # the float copy takes its offset from the scale: 0.5 / scale
        want = None  # checked against the reference below instead

    def run() -> bytes:
        return pixnorm.normalize(img, mean, std, color=color, dtype=dtype).tobytes()

    results = on_every_isa_and_thread_count(run)
    first = next(iter(results.values()))
    assert all(v == first for v in results.values())
    if want is not None:
        assert first == want.tobytes()
    else:
        got = pixnorm.normalize(img, 0.0, 1.0, scale=1.0, color="ycbcr")
        x = np.asarray(img, np.float64)
        y = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
        cb = (x[..., 2] - y) / 1.772 + 32768
        np.testing.assert_allclose(got[..., 1, :, :], cb, rtol=0, atol=0.05)


@pytest.mark.parametrize("aa", [True, False])
@pytest.mark.parametrize("c", [1, 3, 4])
def test_preprocess_and_resize_uint16(aa: bool, c: int) -> None:
    """preprocess: the bits of the float32 copy's call with scale 1/65535, flips, boxes, fits and
    dtypes included; resize: the float32 copy's resize rounded to nearest-even and saturated to
    uint16, on every ISA and thread count."""
    rng = np.random.default_rng(c)
    img = rng.integers(0, 65536, (37, 53, c), dtype=np.uint16)
    img[0, :5] = 65535
    f = img.astype(np.float32)
    mean, std = [0.45] * c, [0.25] * c
    cases: list[dict[str, Any]] = [
        {"size": 24, "crop": 20},
        {"size": (60, 90), "flip": "both"},
        {"size": (16, 16), "box": (3, 4, 20, 30)},
        {"size": 32, "fit": "contain", "fill": 1000},
    ]
    for kw in cases:
        want = pixnorm.preprocess(f, mean=mean, std=std, scale=S16, antialias=aa, **kw)
        got = pixnorm.preprocess(img, mean=mean, std=std, antialias=aa, **kw)
        assert got.tobytes() == want.tobytes(), kw
        half = pixnorm.preprocess(img, mean=mean, std=std, antialias=aa, dtype="float16", **kw)
        assert half.tobytes() == want.astype(np.float16).tobytes(), kw
    rf = pixnorm.resize(f, (20, 70), antialias=aa)
    want16 = np.clip(np.rint(rf), 0, 65535).astype(np.uint16)

    def run() -> bytes:
        r = pixnorm.resize(img, (20, 70), antialias=aa)
        assert r.dtype == np.uint16
        return r.tobytes()

    for key, got16 in on_every_isa_and_thread_count(run).items():
        assert got16 == want16.tobytes(), key
    batch = pixnorm.preprocess_batch([img, img[::2]], size=(12, 12), mean=mean, std=std)
    assert batch.shape == (2, c, 12, 12)


@pytest.mark.parametrize("per_pixel", [False, True])
def test_running_stats_uint16(per_pixel: bool) -> None:
    """uint16 statistics against numpy's float64 within 1e-12 relative; mean01 in [0, 1] units
    (/ 65535); the units are kept apart from float32 images; to_dict / from_dict, merge and
    pickling keep the source dtype."""
    rng = np.random.default_rng(11)
    imgs = [rng.integers(0, 65536, (9, 13, 3), dtype=np.uint16) for _ in range(5)]
    s = pixnorm.RunningStats(per_pixel=per_pixel)
    for im in imgs[:3]:
        s.update(im)
    other = pixnorm.RunningStats(per_pixel=per_pixel).update(np.stack(imgs[3:]))
    s.merge(other)
    every = np.stack(imgs).astype(np.float64)
    if per_pixel:
        np.testing.assert_allclose(s.mean_image, every.mean(0), rtol=1e-12)
    else:
        values = every.reshape(-1, 3)
        np.testing.assert_allclose(s.mean, values.mean(0), rtol=1e-12)
        np.testing.assert_allclose(s.std(), values.std(0), rtol=1e-12)
        np.testing.assert_allclose(s.mean01, values.mean(0) / 65535, rtol=1e-12)
    assert s.dtype == "uint16"
    again = pixnorm.RunningStats.from_dict(s.to_dict())
    assert again.dtype == "uint16"
    assert np.array_equal(pickle.loads(pickle.dumps(s)).mean, s.mean)
    with pytest.raises(ValueError, match="differs from the uint16 images"):
        s.update(imgs[0].astype(np.float32))
    f = pixnorm.RunningStats(per_pixel=per_pixel).update(imgs[0].astype(np.float32))
    with pytest.raises(ValueError, match="differs from the float32 images"):
        f.update(imgs[0])


def test_uint16_errors_and_neighbours() -> None:
    img = np.zeros((8, 9, 3), np.uint16)
    for conv, aa in (("pillow", True), ("torch", True)):
        with pytest.raises(TypeError, match="use convention=None for uint16"):
            pixnorm.preprocess(img, size=4, convention=conv, antialias=aa)
    with pytest.raises(ValueError, match="uint8 output is for uint8 images"):
        pixnorm.preprocess(img, size=4, dtype=np.uint8)
    with pytest.warns(pixnorm.RangeWarning, match="largest uint16 value"):
        pixnorm.normalize(img, [30000.0] * 3, [10000.0] * 3)
    torch = pytest.importorskip("torch")
    samples = [(np.full((10, 12, 3), 65535, np.uint16), 0)]
    batch, _ = pixnorm.Collate(size=(4, 4), convention=None)(samples)
    assert torch.equal(batch, torch.ones((1, 3, 4, 4)))
    with pytest.raises(TypeError, match=r"Collate\(convention=None\)"):
        pixnorm.Collate(size=(4, 4))(samples)


def _ipp_fma() -> bool:
    """cv2.resize on uint16 runs IPP's AVX2/AVX-512 code (a fused multiply-add) on CPUs with
    AVX2; older CPUs run its SSE4.2 code (a multiply, then an add): pixnorm reproduces the
    former."""
    return "avx2" in pixnorm._core._supported_isas()


def test_opencv_uint16_bit_exact() -> None:
    """convention='opencv' on uint16: cv2.resize(INTER_LINEAR) bit for bit (up- and downscales,
    exact 2x, 1, 3 and 4 channels, boxes, flips), every ISA and thread count; preprocess maps the
    uint16 levels through torchvision's float32 steps."""
    cv2 = pytest.importorskip("cv2")
    if not _ipp_fma():
        pytest.skip("this CPU runs IPP's non-FMA 16-bit code in cv2.resize")
    cv2.setNumThreads(1)
    rng = np.random.default_rng(7)
    for t in range(30):
        c = (1, 3, 4)[t % 3]
        hh, ww = (int(v) for v in rng.integers(2, 70, 2))
        oh, ow = (int(v) for v in rng.integers(1, 110, 2))
        if t % 5 == 0:
            oh, ow = max(1, hh // 2), max(1, ww // 2)
        img = rng.integers(0, 65536, (hh, ww, c), dtype=np.uint16)
        img[0, 0] = 65535
        want = cv2.resize(img, (ow, oh), interpolation=cv2.INTER_LINEAR).reshape(oh, ow, c)

        def run(img: np.ndarray = img, oh: int = oh, ow: int = ow) -> bytes:
            return pixnorm.resize(img, (oh, ow), convention="opencv", antialias=False).tobytes()

        for key, got in on_every_isa_and_thread_count(run).items():
            assert got == want.tobytes(), (t, key)
    img = rng.integers(0, 65536, (50, 70, 3), dtype=np.uint16)
    box = (5, 7, 30, 41)
    crop = img[5:35, 7:48]
    r = cv2.resize(crop, (40, 30), interpolation=cv2.INTER_LINEAR)[:, ::-1]
    s, m, sd = np.float32(1 / 65535), np.float32(0.45), np.float32(0.25)
    want32 = ((r.astype(np.float32) * s - m) / sd).transpose(2, 0, 1)
    got = pixnorm.preprocess(
        img, size=(30, 40), box=box, flip=True, convention="opencv", antialias=False,
        mean=0.45, std=0.25,
    )  # fmt: skip
    assert got.tobytes() == np.ascontiguousarray(want32).tobytes()


def test_opencv_uint16_refusals() -> None:
    for shape, kw, match in (
        ((8, 9, 2), {}, "1, 3 or 4 channels"),
        ((1, 9, 3), {}, "both sides > 1"),
        ((8, 9, 3), {"factor": 0.5}, "factor: 'opencv' on uint16"),
        ((8, 9, 3), {"color": "gray"}, "color: 'opencv' on uint16"),
        ((8, 9, 1), {"color": "rgb"}, "color: 'opencv' on uint16"),
    ):
        img = np.zeros(shape, np.uint16)
        size = None if "factor" in kw else (4, 4)
        with pytest.raises(ValueError, match=match):
            pixnorm.resize(img, size, convention="opencv", antialias=False, **kw)


def test_uint16_review_fixes() -> None:
    """Found by the hostile review: RunningStats through 'opencv' keeps the uint16 levels (not
    mod 256); a letterbox of uint16 works in every convention, its fill saturated and rounded
    to uint16 as OpenCV's borderValue; messages name uint16."""
    img = np.full((4, 4), 300, np.uint16)
    s = pixnorm.RunningStats(size=(2, 2), convention="opencv", antialias=False).update(img)
    assert s.mean.tolist() == [300.0] and s.dtype == "uint16"
    assert pixnorm.RunningStats.from_dict(s.to_dict()).mean.tolist() == [300.0]
    u = np.full((13, 21, 3), 1000, np.uint16)
    for conv, aa in ((None, True), ("opencv", False)):
        x = pixnorm.preprocess(u, size=(16, 16), fit="contain", convention=conv, antialias=aa,
                               fill=70000, scale=1.0)  # fmt: skip
        assert x[:, 0, 0].tolist() == [65535.0] * 3  # the border: saturated
        assert x[:, 8, 8].tolist() == [1000.0] * 3
    y = pixnorm.preprocess(u, size=(16, 16), fit="contain", fill=0.6, scale=1.0)
    assert y[0, 0, 0] == 1.0  # rounded half to even, as for uint8
    with pytest.raises(ValueError, match="this image is uint16"):
        pixnorm.preprocess(u, size=4, dtype=np.uint8)
    with pytest.raises(TypeError, match=r"uint8, uint16 or float32"):
        pixnorm.preprocess_batch([u, u.astype(np.float32)], size=(4, 4))
    with pytest.raises(TypeError, match="non-native byte order"):
        pixnorm.RunningStats().update(np.zeros((2, 2, 3), ">u2"))


def _exact(imgs: list[np.ndarray]) -> tuple[list[int], list[int], int]:
    """Per channel: the sums and sums of squares as Python ints, and the count."""
    vals = np.concatenate([im.reshape(-1, im.shape[-1]) for im in imgs]).astype(np.uint64)
    sums = [int(v) for v in vals.sum(axis=0, dtype=np.uint64)]
    squares = [sum(int(x) * int(x) for x in col) for col in vals.T.tolist()]
    return sums, squares, int(vals.shape[0])


@pytest.mark.parametrize("channels", [1, 2, 3, 4, 5])
def test_running_stats_uint16_exact(channels: int) -> None:
    """Per channel, uint16: the sums and sums of squares are exact integers (to_dict gives
    them), the mean and variance each one rounding of their exact fractions, min and max
    uint16; the same on every ISA and thread count, one image at a time or as a batch, through
    a reversed view, and after merging in any order."""
    rng = np.random.default_rng(40 + channels)
    imgs = [rng.integers(0, 65536, (17 + k, 23, channels), dtype=np.uint16) for k in range(4)]
    imgs[1][0, 0] = 65535
    sums, squares, n = _exact(imgs)

    def run() -> dict[str, Any]:
        one = pixnorm.RunningStats()
        for im in imgs:
            one.update(im)
        views = pixnorm.RunningStats()
        for im in imgs:
            views.update(np.ascontiguousarray(im[::-1, ::-1])[::-1, ::-1])
        parts = [pixnorm.RunningStats().update(im) for im in imgs]
        merged = parts[3].merge(parts[1]).merge(parts[0].merge(parts[2]))
        d = one.to_dict()
        assert views.to_dict() == d == merged.to_dict()
        return d

    results = on_every_isa_and_thread_count(run)
    d = next(iter(results.values()))
    assert all(r == d for r in results.values())
    assert d["dtype"] == "uint16" and d["state"]["sum"] == sums
    assert d["state"]["sumsq"] == squares
    s = pixnorm.RunningStats.from_dict(d)
    assert s.mean.tolist() == [float(Fraction(x, n)) for x in sums]
    assert s.var().tolist() == [
        float(Fraction(n * q - x * x, n * n)) for x, q in zip(sums, squares, strict=True)
    ]
    assert s.var(ddof=1).tolist() == [
        float(Fraction(n * q - x * x, n * (n - 1))) for x, q in zip(sums, squares, strict=True)
    ]
    every = np.concatenate([im.reshape(-1, channels) for im in imgs])
    assert s.min.dtype == np.uint16 and s.min.tolist() == every.min(0).tolist()
    assert s.max.tolist() == every.max(0).tolist()
    np.testing.assert_allclose(s.mean01, every.mean(0) / 65535, rtol=1e-15)


def test_running_stats_uint16_sums_past_64_bits() -> None:
    """The sums of squares pass 2^64 (4.3e9 values of 65535): carried into the high word by
    updates and by merges, and exact in to_dict (a state made to sit just below 2^64)."""
    base = pixnorm.RunningStats().update(np.full((2, 2, 3), 65535, np.uint16)).to_dict()
    n = 4_400_000_000  # 65535^2 * n > 2^64
    base.update(count=n, images=n // 4)
    base["state"]["sum"] = [65535 * n] * 3
    base["state"]["sumsq"] = [65535**2 * n] * 3
    assert 65535**2 * n > 2**64
    s = pixnorm.RunningStats.from_dict(base)
    img = np.full((20, 30, 3), 65535, np.uint16)
    img[0, 0] = (0, 1, 2)
    s.update(img)
    _, squares, k = _exact([img])
    assert s.to_dict()["state"]["sumsq"] == [65535**2 * n + q for q in squares]
    twice = pixnorm.RunningStats.from_dict(base).merge(pixnorm.RunningStats.from_dict(base))
    assert twice.to_dict()["state"]["sumsq"] == [2 * 65535**2 * n] * 3
    assert twice.count == 2 * n and twice.mean.tolist() == [65535.0] * 3
    assert twice.var().tolist() == [0.0] * 3
    assert s.count == n + k


def test_running_stats_uint16_per_pixel_exact() -> None:
    """Per pixel, uint16: the element sums are exact (mean image one rounding of the exact
    fraction); the per-channel results of it too; batches, views and merges agree."""
    rng = np.random.default_rng(44)
    imgs = rng.integers(0, 65536, (7, 9, 11, 3), dtype=np.uint16)
    s = pixnorm.RunningStats(per_pixel=True).update(imgs[:3])
    for im in imgs[3:]:
        s.update(im[::-1][::-1])
    other = (
        pixnorm.RunningStats(per_pixel=True)
        .update(imgs[:4])
        .merge(pixnorm.RunningStats(per_pixel=True).update(imgs[4:]))
    )
    assert s.to_dict() == other.to_dict()
    big = imgs.astype(np.int64)
    s1 = big.sum(0)
    want = np.array([float(Fraction(int(v), 7)) for v in s1.ravel()]).reshape(s1.shape)
    assert np.array_equal(s.mean_image, want)
    q = (big * big).sum(0)
    var = (7 * q - s1 * s1) / 49.0  # exact numerators (< 2^63), one rounding of each side
    np.testing.assert_allclose(s.var_image(), var, rtol=4.5e-16)
    sums, squares, n = _exact(list(imgs))
    assert s.mean.tolist() == [float(Fraction(x, n)) for x in sums]
    assert s.var().tolist() == [
        float(Fraction(n * q2 - x * x, n * n)) for x, q2 in zip(sums, squares, strict=True)
    ]
    assert pickle.loads(pickle.dumps(s)).to_dict() == s.to_dict()


def test_running_stats_uint16_states_of_earlier_versions() -> None:
    """A state saved before the exact sums (uint16 images in float32 accumulators) still loads
    and accumulates uint16 images as it did; it does not merge with an exact one."""
    rng = np.random.default_rng(45)
    imgs = [rng.integers(0, 65536, (8, 9, 3), dtype=np.uint16) for _ in range(3)]
    old = pixnorm.RunningStats().update(imgs[0].astype(np.float32)).to_dict()
    old["source_dtype"] = "uint16"  # what an earlier version wrote for uint16 images
    s = pixnorm.RunningStats.from_dict(old)
    assert s.dtype == "uint16"
    s.update(imgs[1]).update(imgs[2])
    every = np.concatenate([im.reshape(-1, 3) for im in imgs]).astype(np.float64)
    np.testing.assert_allclose(s.mean, every.mean(0), rtol=1e-12)
    np.testing.assert_allclose(s.var(), every.var(0), rtol=1e-12)
    exact = pixnorm.RunningStats().update(imgs[0])
    with pytest.raises(ValueError, match="float32 accumulators of an earlier version"):
        exact.merge(s)
    with pytest.raises(ValueError, match="float32 accumulators of an earlier version"):
        s.merge(exact)


def test_running_stats_uint16_limits() -> None:
    """The exact sums' limits are refused, not wrapped: per channel 2.8e14 values (the uint64
    sum of 65535s), per pixel 2^32 - 1 images; by update, merge and from_dict."""
    d = pixnorm.RunningStats().update(np.zeros((1, 1, 1), np.uint16)).to_dict()
    n = (2**64 - 1) // 65535
    d.update(count=n, images=1)
    d["state"].update(sum=[65535 * n], sumsq=[65535**2 * n], min=[65535], max=[65535])
    full = pixnorm.RunningStats.from_dict(d)  # at the limit: loads
    with pytest.raises(ValueError, match=f"hold {n:,} values per channel"):
        full.update(np.full((1, 1, 1), 65535, np.uint16))
    with pytest.raises(ValueError, match="values per channel exactly"):
        pixnorm.RunningStats.from_dict(d).merge(pixnorm.RunningStats.from_dict(d))
    d.update(count=n + 1)
    with pytest.raises(ValueError, match="uint16 sums hold"):
        pixnorm.RunningStats.from_dict(d)
    p = pixnorm.RunningStats(per_pixel=True).update(np.zeros((1, 1, 1), np.uint16)).to_dict()
    p.update(count=2**32, images=2**32)
    with pytest.raises(ValueError, match="per-pixel uint16 sums hold 4,294,967,295"):
        pixnorm.RunningStats.from_dict(p)
