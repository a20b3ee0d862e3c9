"""pixnorm.resize against the float64 reference, Pillow and OpenCV, on every ISA."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pixnorm
import reference as ref
from isas import all_equal, on_every_isa_and_thread_count
from strategies import make_view

fixture_settings = settings(
    deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check_resize(img: Any, oh: int, ow: int, antialias: bool) -> np.ndarray:
    arr = np.asarray(img)
    got = pixnorm.resize(arr, (oh, ow), antialias=antialias, channels_last=True)
    exact = ref.resize(arr, oh, ow, antialias)
    assert got.dtype == arr.dtype and got.shape == exact.shape
    if arr.dtype == np.uint8:
        # rounded to nearest: within half a level, plus the float32 summation error
        slack = ref.resize_error_bound(arr, oh, ow, antialias)
        assert np.all(np.abs(got - np.clip(exact, 0, 255)) <= 0.5 + slack)
    else:
        finite = np.isfinite(exact)
        err = np.abs(got.astype(np.float64) - exact)[finite]
        assert np.all(err <= ref.resize_error_bound(arr, oh, ow, antialias)[finite])
    return got


@st.composite
def resize_cases(draw: st.DrawFn) -> tuple[np.ndarray, int, int, bool]:
    dtype = draw(st.sampled_from([np.uint8, np.float32]))
    h, w = draw(st.integers(1, 40)), draw(st.integers(1, 60))
    c = draw(st.sampled_from([1, 2, 3, 4, 5]))
    gray = c == 1 and draw(st.booleans())
    shape = (h, w) if gray else (h, w, c)
    kind = draw(
        st.sampled_from(["contiguous", "crop", "flip_x", "flip_c", "transposed", "unaligned"])
    )
    if gray and kind == "flip_c":
        kind = "flip_x"
    img = make_view(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), shape, dtype, kind)
    oh = draw(st.one_of(st.integers(1, 50), st.just(h), st.just(max(1, h // 2))))
    ow = draw(st.one_of(st.integers(1, 70), st.just(w), st.just(2 * w)))
    return img, oh, ow, draw(st.booleans())


@given(case=resize_cases())
@fixture_settings
def test_matches_reference(isa: str, threads: int, case: tuple[np.ndarray, int, int, bool]) -> None:
    img, oh, ow, aa = case
    check_resize(img, oh, ow, aa)


def test_every_isa_and_thread_count_gives_the_same_bits() -> None:
    rng = np.random.default_rng(11)
    imgs = [
        rng.integers(0, 256, (97, 131, 3), dtype=np.uint8),
        rng.normal(0, 50, (61, 47, 4)).astype(np.float32),
    ]
    results = on_every_isa_and_thread_count(
        lambda: [
            pixnorm.resize(x, s, antialias=aa, channels_last=True).tobytes()
            for x in imgs
            for s in ((40, 33), (150, 211))
            for aa in (True, False)
        ]
    )
    all_equal(results)


def test_fused_bilinear_paths_agree_on_every_isa() -> None:
    """uint8 with 2 x 2 taps runs the fused bilinear kernel. Its AVX-512-VBMI version reads a step
    of 16 output pixels from one 128-byte window (downscales up to about 2.6x), from two windows
    of 8 pixels (up to about 5x), or falls back to gathers (wider); AVX-512 and AVX2 gather; the
    rest is portable. Every path, for 1, 3 and 4 channels, flipped, from a box, from a strided
    view, with widths that leave remainders: identical bits on every ISA, within the bound."""
    rng = np.random.default_rng(5)
    cases = []
    for c in (1, 3, 4):
        img = rng.integers(0, 256, (70, 905, c), dtype=np.uint8)
        for ow in (701, 413, 243, 141, 97):  # horizontal downscales 1.3x .. 9.3x
            cases.append((img, dict(size=(37, ow), antialias=False)))
        cases.append((img[:, ::-1], dict(size=(50, 300), antialias=False)))  # strided view
        cases.append((img, dict(size=(40, 77), box=(3, 100, 60, 700), flip=True, antialias=False)))
        cases.append((img[:20, :90], dict(size=(45, 233), antialias=True)))  # upscale: 2 taps

    def run() -> list[bytes]:
        out = []
        for img, kw in cases:
            out.append(pixnorm.preprocess(img, mean=0.2, std=0.3, **kw).tobytes())
            if "box" not in kw:
                out.append(pixnorm.resize(img, kw["size"], antialias=kw["antialias"]).tobytes())
        return out

    results = on_every_isa_and_thread_count(run)
    all_equal(results)
    for img, kw in cases:
        if "box" not in kw:
            check_resize(img, *kw["size"], kw["antialias"])
            # the float values themselves (scale 1, no normalization: exact after the resample)
            got = pixnorm.preprocess(img, size=kw["size"], antialias=kw["antialias"], scale=1.0)
            exact = ref.resize(np.asarray(img), *kw["size"], kw["antialias"])
            bound = ref.resize_error_bound(np.asarray(img), *kw["size"], kw["antialias"])
            assert np.all(np.abs(got - exact.transpose(2, 0, 1)) <= bound.transpose(2, 0, 1))


def smooth_photo_like(h: int, w: int, seed: int) -> np.ndarray:
    """Gradients, edges and texture: closer to a photograph than uniform noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = 127 + 100 * np.sin(x / 17.0)[..., None] * np.cos(y / 23.0)[..., None] * [1, 0.7, 0.4]
    base[h // 3 : h // 2, w // 4 : w // 2] = [250, 10, 10]
    noise = rng.normal(0, 12, (h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(
    "shape_in,shape_out",
    [
        ((375, 500), (256, 341)),
        ((500, 375), (224, 224)),
        ((64, 64), (200, 150)),
        ((33, 71), (1, 1)),
        ((1, 1), (5, 7)),
        ((120, 160), (60, 80)),
    ],
)
def test_antialias_agrees_with_pillow(
    shape_in: tuple[int, int], shape_out: tuple[int, int]
) -> None:
    image = pytest.importorskip("PIL.Image")
    for img in (
        smooth_photo_like(*shape_in, seed=1),
        np.random.default_rng(2).integers(0, 256, (*shape_in, 3), dtype=np.uint8),
    ):
        ours = pixnorm.resize(img, shape_out, antialias=True)
        pil = np.asarray(image.fromarray(img).resize(shape_out[::-1], image.BILINEAR))
        diff = np.abs(ours.astype(int) - pil)
        assert diff.max() <= 1  # Pillow rounds through 22-bit fixed point and a uint8 middle step


@pytest.mark.parametrize(
    "shape_in,shape_out",
    [
        ((375, 500), (256, 341)),
        ((64, 64), (200, 150)),
        ((120, 160), (60, 80)),
        ((99, 101), (37, 205)),
    ],
)
def test_no_antialias_agrees_with_opencv(
    shape_in: tuple[int, int], shape_out: tuple[int, int]
) -> None:
    cv2 = pytest.importorskip("cv2")
    for img in (
        smooth_photo_like(*shape_in, seed=3),
        np.random.default_rng(4).integers(0, 256, (*shape_in, 3), dtype=np.uint8),
    ):
        ours = pixnorm.resize(img, shape_out, antialias=False)
        cv = cv2.resize(img, shape_out[::-1], interpolation=cv2.INTER_LINEAR)
        assert np.abs(ours.astype(int) - cv).max() <= 1  # cv2 uses 11-bit fixed-point weights


def test_size_rule_matches_torchvision() -> None:
    # shorter side -> size, longer -> int(size * long / short), capped by max_size
    assert pixnorm.resized_size(375, 500, 256) == (256, 341)
    assert pixnorm.resized_size(500, 375, 256) == (341, 256)
    assert pixnorm.resized_size(100, 100, 64) == (64, 64)
    assert pixnorm.resized_size(100, 1000, 64, max_size=300) == (30, 300)
    assert pixnorm.resized_size(100, 1000, [64]) == (64, 640)
    assert pixnorm.resized_size(10, 20, (7, 9)) == (7, 9)
    img = np.zeros((375, 500, 3), np.uint8)
    assert pixnorm.resize(img, 256).shape == (256, 341, 3)
    assert pixnorm.resize(img[..., 0], 256).shape == (256, 341)
    # size=None, max_size=m (torchvision v2): the longer side becomes m, also upwards
    assert pixnorm.resized_size(1080, 1920, None, max_size=300) == (168, 300)
    assert pixnorm.resized_size(500, 375, None, max_size=1000) == (1000, 750)
    assert pixnorm.resize(img, None, max_size=100).shape == (75, 100, 3)
    with pytest.raises(ValueError, match="size: None needs max_size"):
        pixnorm.resized_size(10, 20, None)
    with pytest.raises(ValueError, match="shorter side"):
        pixnorm.resized_size(1, 1000, None, max_size=10)


@pytest.mark.parametrize(
    ("shape", "size"),
    [
        ((30000, 2, 3), (1, 2)),
        ((20000, 3, 1), (3, 3)),
        ((2, 30000, 3), (2, 1)),
        ((5000, 5000), (2, 3)),
    ],
)
def test_extreme_downscales_stay_within_a_level(
    isa: str, threads: int, shape: tuple[int, ...], size: tuple[int, int]
) -> None:
    """Windows of thousands of taps: the integer vertical pass's weights (at most 16 fractional
    bits) would lose their accuracy there (a white image came out black at 131072:1, random ones
    were 4 levels off at 30000:1), so those sizes sum in float32. The tolerance is the rounding to
    uint8 (0.5) plus 0.25 for the float32 sums: their worst-case bound grows with the taps
    (n half-ulps, about 0.9 of a level at 30000 taps) but their errors are independent roundings
    of either sign, about sqrt(n) half-ulps (0.005 of a level) in practice."""
    rng = np.random.default_rng(9)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    got = pixnorm.resize(img, size)
    exact = ref.resize(img, size[0], size[1], True)
    assert np.abs(got - exact).max() <= 0.75
    white = np.full(shape, 255, np.uint8)
    assert np.all(pixnorm.resize(white, size) == 255)


def _padded_windows(n_in: int, n_out: int, antialias: bool) -> np.ndarray:
    """(n_out, n_in) bool: the source samples each output's padded window reads (README: windows
    are padded to the widest of the axis, starting at min(first, n_in - taps))."""
    wins = ref.resize_windows(n_in, n_out, antialias)
    taps = max(hi - lo for lo, hi in wins)
    m = np.zeros((n_out, n_in), bool)
    for i, (lo, _) in enumerate(wins):
        start = min(lo, n_in - taps)
        m[i, start : start + taps] = True
    return m


@pytest.mark.parametrize("antialias", [True, False])
def test_nan_reaches_the_windows_that_cover_it(antialias: bool) -> None:
    """README: a NaN reaches every output whose window has it with a nonzero weight, and no
    output whose padded window does not read it."""
    rng = np.random.default_rng(11)
    for _ in range(30):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        oh, ow = (int(v) for v in rng.integers(1, 40, 2))
        img = rng.random((h, w, 1), dtype=np.float32)
        r, c = int(rng.integers(0, h)), int(rng.integers(0, w))
        img[r, c, 0] = np.nan
        got = np.isnan(pixnorm.resize(img, (oh, ow), antialias=antialias)[..., 0])
        my, mx = ref.resize_matrix(h, oh, antialias), ref.resize_matrix(w, ow, antialias)
        must = (my[:, r] != 0)[:, None] & (mx[:, c] != 0)[None, :]
        may = (
            _padded_windows(h, oh, antialias)[:, r][:, None]
            & _padded_windows(w, ow, antialias)[:, c][None, :]
        )
        assert np.all(got[must]), (h, w, oh, ow, r, c)
        assert not np.any(got & ~may), (h, w, oh, ow, r, c)


def test_batch_equals_loop() -> None:
    batch = np.random.default_rng(5).integers(0, 256, (3, 40, 50, 3), dtype=np.uint8)
    out = pixnorm.resize(batch, (17, 23))
    assert out.shape == (3, 17, 23, 3)
    for i in range(3):
        np.testing.assert_array_equal(out[i], pixnorm.resize(batch[i], (17, 23)))


def test_identity_size_is_exact() -> None:
    img = np.random.default_rng(6).integers(0, 256, (31, 45, 3), dtype=np.uint8)
    for aa in (True, False):
        np.testing.assert_array_equal(pixnorm.resize(img, (31, 45), antialias=aa), img)


def test_out_and_errors() -> None:
    img = np.zeros((10, 12, 3), np.uint8)
    out = np.empty((5, 6, 3), np.uint8)
    assert pixnorm.resize(img, (5, 6), out=out) is out
    with pytest.raises(
        TypeError, match="out: dtype float32 does not match the call's output uint8"
    ):
        pixnorm.resize(img, (5, 6), out=np.empty((5, 6, 3), np.float32))
    with pytest.raises(ValueError, match=r"out: expected shape \(5, 6, 3\)"):
        pixnorm.resize(img, (5, 6), out=np.empty((6, 5, 3), np.uint8))
    for bad in (0, -3, (0, 5), (5, -1)):
        with pytest.raises(ValueError, match="size: must be >= 1"):
            pixnorm.resize(img, bad)
    for bad_type in (2.5, "5", (5, 2.0), True):
        with pytest.raises(TypeError, match="size: expected an int"):
            pixnorm.resize(img, bad_type)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"size: expected an int or \(height, width\)"):
        pixnorm.resize(img, (1, 2, 3))
    with pytest.raises(ValueError, match="max_size: must be greater than size"):
        pixnorm.resize(img, 8, max_size=8)
    with pytest.raises(ValueError, match="max_size: only allowed when size is an int"):
        pixnorm.resize(img, (5, 5), max_size=8)
    with pytest.raises(ValueError, match="convention: 'pil' is not available"):
        pixnorm.resize(img, 5, convention="pil")
    with pytest.raises(TypeError, match="antialias: expected a bool"):
        pixnorm.resize(img, 5, antialias="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="image: dtype float64 is not supported"):
        pixnorm.resize(img.astype(np.float64), 5)
    with pytest.raises(ValueError, match="image: zero-size image"):
        pixnorm.resize(np.zeros((0, 4, 3), np.uint8), 5)
