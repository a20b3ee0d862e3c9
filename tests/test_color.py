"""color= (issue 14): pixnorm's float32 colours against the float64 reference on every ISA and
thread count; each named convention bit for bit against its library, on all 2^24 RGB triples and
through the whole pipeline; the errors."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pixnorm
import reference as ref
from isas import on_every_isa_and_thread_count
from strategies import make_view

COLORS = ("rgb", "bgr", "gray", "gray3", "ycbcr", "yuv")
fixture_settings = settings(
    deadline=None, max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def hwc(x: Any) -> np.ndarray:
    a = np.asarray(x)
    return a[:, :, None] if a.ndim == 2 else a


@st.composite
def color_cases(draw: st.DrawFn) -> tuple[np.ndarray, str, int, int, bool]:
    dtype = draw(st.sampled_from([np.uint8, np.float32]))
    color = draw(st.sampled_from(COLORS))
    channels = [3, 4] + ([1] if color not in ("ycbcr", "yuv") else [])
    c = draw(st.sampled_from(channels))
    h, w = draw(st.integers(1, 30)), draw(st.integers(1, 40))
    gray2d = c == 1 and draw(st.booleans())
    shape = (h, w) if gray2d else (h, w, c)
    kind = draw(st.sampled_from(["contiguous", "crop", "flip_x", "flip_c", "transposed", "step2"]))
    if c == 1 and kind == "flip_c":
        kind = "flip_x"
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    img = make_view(rng, shape, dtype, kind)
    if dtype == np.float32:
        img[...] = np.clip(np.abs(img) / 300, 0, 1)  # in place: the view stays a view
    oh = draw(st.one_of(st.integers(1, 40), st.just(h), st.just(max(1, h // 2))))
    ow = draw(st.one_of(st.integers(1, 50), st.just(w), st.just(2 * w)))
    return img, color, oh, ow, draw(st.booleans())


def exact_and_bound(img: np.ndarray, color: str, oh: int, ow: int, aa: bool) -> tuple[Any, Any]:
    """The float64 result of converting first, then resizing (the conversions are linear, so
    the order does not change the exact values), and the float32 error allowed."""
    x = hwc(img)
    exact = ref.resize(ref.convert_color(x, color), oh, ow, aa)
    bound = ref.resize_error_bound(x, oh, ow, aa)
    bound = bound[:, :, None] if bound.ndim == 2 else bound
    mag = ref.resize(np.abs(x.astype(np.float64)), oh, ow, aa)
    return exact, ref.color_error_bound(x, color, bound, mag)


@given(case=color_cases())
@fixture_settings
def test_resize_matches_reference(isa: str, threads: int, case: Any) -> None:
    img, color, oh, ow, aa = case
    got = pixnorm.resize(img, (oh, ow), antialias=aa, color=color)
    exact, bound = exact_and_bound(img, color, oh, ow, aa)
    assert got.dtype == img.dtype
    expect_shape = (oh, ow) if img.ndim == 2 and color == "gray" else (oh, ow, exact.shape[2])
    assert got.shape == expect_shape
    g = hwc(got).astype(np.float64)
    if img.dtype == np.uint8:  # rounded to nearest, saturated (yuv's V exceeds 255)
        assert np.all(np.abs(g - np.clip(exact, 0, 255)) <= 0.5 + bound)
    else:
        assert np.all(np.abs(g - exact) <= bound)


@given(case=color_cases())
@fixture_settings
def test_preprocess_matches_reference(isa: str, threads: int, case: Any) -> None:
    """Scale and normalization after the colour: (v * scale - mean) / std per output channel."""
    img, color, oh, ow, aa = case
    out_c = 1 if color == "gray" else 3
    mean = np.linspace(0.1, 0.6, out_c)
    std = np.linspace(0.2, 0.3, out_c)
    s = 1 / 255 if img.dtype == np.uint8 else 1.0
    got = pixnorm.preprocess(
        img, size=(oh, ow), antialias=aa, color=color, mean=mean, std=std, scale=s
    )
    exact, bound = exact_and_bound(img, color, oh, ow, aa)
    want = ((exact * s - mean) / std).transpose(2, 0, 1)
    # the colour's error scaled, plus the affine's float32 rounding (a, b each rounded once,
    # the product and the sum once: 4 u of |v * a| + |b|)
    a, b = s / std, np.abs(mean / std)
    allowed = (bound * a).transpose(2, 0, 1) + 4 * 2.0**-24 * (
        np.abs(want) + (np.abs(exact) * a).transpose(2, 0, 1) + b[:, None, None]
    )
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= allowed + 1e-30)


@given(case=color_cases(), batch=st.booleans())
@fixture_settings
def test_normalize_matches_reference(isa: str, threads: int, case: Any, batch: bool) -> None:
    """normalize / to_tensor: the colour on the pixels themselves, then the affine."""
    img, color, _, _, _ = case
    out_c = 1 if color == "gray" else 3
    mean, std = np.linspace(0.2, 0.5, out_c), np.linspace(0.25, 0.3, out_c)
    s = 1 / 255 if img.dtype == np.uint8 else 1.0
    x = hwc(img)
    exact = ref.convert_color(x, color)
    zero = np.zeros(x.shape, np.float64)
    bound = ref.color_error_bound(x, color, zero, np.abs(x.astype(np.float64)))
    want = ((exact * s - mean) / std).transpose(2, 0, 1)
    a = s / std
    allowed = (bound * a).transpose(2, 0, 1) + 4 * 2.0**-24 * (
        np.abs(want) + (np.abs(exact) * a).transpose(2, 0, 1) + np.abs(mean / std)[:, None, None]
    )
    if batch and img.ndim == 3:  # (N, H, W, C)
        got = pixnorm.normalize(np.stack([img, img]), mean, std, scale=s, color=color)
        assert got.shape == (2, *want.shape)
        np.testing.assert_array_equal(got[0], got[1])
        got = got[0]
    else:
        got = pixnorm.normalize(img, mean, std, scale=s, color=color)
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= allowed + 1e-30)
    if img.dtype == np.uint8:
        t = pixnorm.to_tensor(img, color=color)
        assert np.all(
            np.abs(t - exact.transpose(2, 0, 1) / 255)
            <= bound.transpose(2, 0, 1) / 255
            + 2 * 2.0**-24 * np.abs(exact.transpose(2, 0, 1) / 255)
        )


def test_same_bits_on_every_isa_and_thread_count() -> None:
    rng = np.random.default_rng(5)
    img = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
    for color in COLORS:
        for kw in ({"size": (20, 31)}, {"size": (60, 90), "antialias": False}, {"size": (9, 5)}):
            runs = on_every_isa_and_thread_count(
                lambda kw=kw, color=color: pixnorm.preprocess(
                    img, color=color, mean=0.5, std=0.2, scale=1 / 255, **kw
                ).tobytes()
            )
            assert len(set(runs.values())) == 1, (color, kw)


@pytest.mark.parametrize("color", ["ycbcr", "yuv"])
def test_mix_with_a_std_that_does_not_fold(color: str) -> None:
    """The affine x * a + b is folded into the mix's coefficients (each m * a rounded once to
    float32), except where a folded coefficient would be subnormal: with std near 2.6e35, a =
    scale / std is about 1.5e-38 (normal), m * a about 1.2e-39 for the smallest coefficient
    (0.0813, subnormal: a few bits of precision, fewer again times the vertical pass's 2^-16
    unit); those calls mix first and map after. Within the float64 bound (the same formula as
    the other tests, plus 4 subnormal steps for results near zero), on every ISA and thread
    count the same bits; a fold taken anyway missed the bound 9-14x on the resized calls."""
    rng = np.random.default_rng(5)
    img = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    s = 1 / 255
    mean = np.array([0.2, 0.5, 0.5])
    std = s / np.array([1.5e-38, 2.0e-38, 6.0e-38])  # a = s / std
    a = s / std
    tiny = 4 * 2.0**-149
    x = hwc(img)
    for size in ((90, 120), (30, 40), None):
        if size is None:  # normalize: the mix on the pixels themselves
            got = pixnorm.normalize(img, mean, std, scale=s, color=color)
            exact = ref.convert_color(x, color)
            zero = np.zeros(x.shape, np.float64)
            bound = ref.color_error_bound(x, color, zero, np.abs(x.astype(np.float64)))
            runs = on_every_isa_and_thread_count(
                lambda: pixnorm.normalize(img, mean, std, scale=s, color=color).tobytes()
            )
        else:
            got = pixnorm.preprocess(img, size=size, color=color, mean=mean, std=std, scale=s)
            exact, bound = exact_and_bound(img, color, size[0], size[1], True)
            runs = on_every_isa_and_thread_count(
                lambda size=size: pixnorm.preprocess(
                    img, size=size, color=color, mean=mean, std=std, scale=s
                ).tobytes()
            )
        assert len(set(runs.values())) == 1, size
        want = ((exact * s - mean) / std).transpose(2, 0, 1)
        allowed = (bound * a).transpose(2, 0, 1) + 4 * 2.0**-24 * (
            np.abs(want)
            + (np.abs(exact) * a).transpose(2, 0, 1)
            + np.abs(mean / std)[:, None, None]
        )
        assert got.shape == want.shape
        assert np.all(np.abs(got - want) <= allowed + tiny), size


def test_mix_does_not_overflow_where_the_result_is_finite() -> None:
    """A folded coefficient times a value (m * a * x) is formed before the channels cancel, so
    the fold is kept to uint8 / uint16 images whose partial sums stay far inside float32's range;
    float32 images (any values) and uint16 ones with a std near 1e-34 mix first. Cases where the
    fold overflowed to inf or NaN while the exact result is finite (found by a review). Allowed:
    16 float32 roundings (about 1e-6) of the magnitudes |M| |x| + |o| (times a) and |mean / std|
    (the channels cancel: the error is relative to them, not to the result)."""
    cases = [  # (image, mean, std, scale)
        (np.array([[[6.4e37, 4.2e37, 1.77e38]]], np.float32), 0.0, 0.25, 1.0),
        (np.full((1, 1, 3), 3e37, np.float32), 0.0, 0.01, 1.0),
        (np.array([[[65535, 65535, 0]]], np.uint16), 0.0, 9e-35, 1.0),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pixnorm.RangeWarning)  # (values far out of range: meant)
        for img, mean, std, s in cases:
            x = img.astype(np.float64)
            big = np.broadcast_to(img, (4, 4, 3)).copy()
            for color in ("ycbcr", "yuv"):
                exact = (ref.convert_color(img, color)[0, 0] * s - mean) / std
                m, off = ref.color_matrix(color, 3, img.dtype)
                size = (np.abs(m) @ np.abs(x[0, 0]) + np.abs(off)) * s / std + abs(mean / std)
                finite = np.abs(exact) + 16 * 2.0**-24 * size < 3e38  # the cases' point
                assert finite.any(), (img, color)
                for got in (
                    pixnorm.normalize(img, mean, std, scale=s, color=color)[:, 0, 0],
                    pixnorm.preprocess(img, size=(1, 1), mean=mean, std=std, scale=s, color=color)[
                        :, 0, 0
                    ],
                    pixnorm.preprocess(big, size=(2, 2), mean=mean, std=std, scale=s, color=color)[
                        :, 0, 0
                    ],
                ):
                    err = np.abs(got.astype(np.float64) - exact)
                    assert np.all(err[finite] <= 16 * 2.0**-24 * size[finite]), (img, color, got)


def test_luma_paths_of_downscales() -> None:
    """gray and gray3 on uint8 take one of three luma paths by geometry: the luma of each source
    row then one plane filtered (windows of 16 outputs within 32 samples), the integer vertical
    pass then the luma of the combined row (wider windows), or float32 vertical sums (more than
    16 taps). Each within the float64 bound, the same bits on every ISA and thread count."""
    rng = np.random.default_rng(11)
    img = rng.integers(0, 256, (600, 420, 3), dtype=np.uint8)
    for src, size in (
        ((slice(0, 150), slice(0, 200)), (100, 133)),  # 1.5x down
        ((slice(0, 300), slice(0, 400)), (60, 80)),  # 5x down: wide windows
        ((slice(0, 600), slice(0, 400)), (24, 16)),  # 25x down: float32 vertical sums
        ((slice(0, 600), slice(0, 420)), (100, 70)),
    ):
        x = img[src]
        for color in ("gray", "gray3"):
            runs = on_every_isa_and_thread_count(
                lambda x=x, color=color, size=size: pixnorm.resize(x, size, color=color).tobytes()
            )
            assert len(set(runs.values())) == 1, (x.shape, size, color)
            got = hwc(pixnorm.resize(x, size, color=color)).astype(np.float64)
            exact, bound = exact_and_bound(x, color, size[0], size[1], True)
            assert np.all(np.abs(got - np.clip(exact, 0, 255)) <= 0.5 + bound), (size, color)
            f = pixnorm.preprocess(x, size=size, color=color, mean=0.0, std=1.0, scale=1.0)
            assert np.all(np.abs(f - exact.transpose(2, 0, 1)) <= bound.transpose(2, 0, 1))


def test_views_are_free_and_exact() -> None:
    """rgb and bgr are views: bitwise the result of the sliced input, in every convention."""
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, (41, 67, 4), dtype=np.uint8)
    for conv, aa in ((None, True), ("pillow", True), ("torch", False), ("opencv", False)):
        kw = {"convention": conv, "antialias": aa}
        np.testing.assert_array_equal(
            pixnorm.resize(rgba, (20, 30), color="rgb", **kw),
            pixnorm.resize(np.ascontiguousarray(rgba[..., :3]), (20, 30), **kw),
        )
        np.testing.assert_array_equal(
            pixnorm.resize(rgba, (20, 30), color="bgr", **kw),
            pixnorm.resize(np.ascontiguousarray(rgba[..., 2::-1]), (20, 30), **kw),
        )


def test_gray_input_repeats() -> None:
    """rgb, bgr and gray3 of a gray image repeat it (Pillow's convert("RGB"), cv2 GRAY2RGB);
    gray keeps it; in every convention, so mixed gray and colour folders share one call."""
    rng = np.random.default_rng(2)
    gray = rng.integers(0, 256, (30, 40), dtype=np.uint8)
    for conv, aa in ((None, True), ("pillow", True), ("torch", True), ("opencv", False)):
        kw = {"convention": conv, "antialias": aa}
        one = pixnorm.resize(gray, (15, 17), **kw)
        for color in ("rgb", "bgr", "gray3"):
            got = pixnorm.resize(gray, (15, 17), color=color, **kw)
            np.testing.assert_array_equal(got, np.repeat(one[..., None], 3, axis=2))
        np.testing.assert_array_equal(pixnorm.resize(gray, (15, 17), color="gray", **kw), one)


# ---- named conventions: the library's own conversion, bit for bit -------------------------------


@pytest.fixture(scope="module")
def all_rgb() -> np.ndarray:
    """Every RGB triple once: a (4096, 4096, 3) uint8 image."""
    v = np.arange(1 << 24, dtype=np.uint32)
    return np.stack([v >> 16, (v >> 8) & 255, v & 255], -1).astype(np.uint8).reshape(4096, 4096, 3)


def library_conversion(conv: str, color: str, img: np.ndarray) -> np.ndarray:
    """The library's own conversion of a uint8 RGB(A) image, as (H, W, C) in pixnorm's order."""
    if conv == "pillow":
        Image = pytest.importorskip("PIL.Image")
        pil = Image.fromarray(np.ascontiguousarray(img[..., :3]))
        out = np.asarray(pil.convert({"gray": "L", "gray3": "L", "ycbcr": "YCbCr"}[color]))
    elif conv == "opencv":
        cv2 = pytest.importorskip("cv2")
        code = {
            "gray": cv2.COLOR_RGB2GRAY,
            "gray3": cv2.COLOR_RGB2GRAY,
            "ycbcr": cv2.COLOR_RGB2YCrCb,
            "yuv": cv2.COLOR_RGB2YUV,
        }[color]
        out = cv2.cvtColor(np.ascontiguousarray(img[..., :3]), code)
        if color == "ycbcr":
            out = out[..., [0, 2, 1]]  # OpenCV's Y, Cr, Cb -> Y, Cb, Cr
    else:
        torch = pytest.importorskip("torch")
        F2 = pytest.importorskip("torchvision.transforms.v2.functional")
        t = torch.from_numpy(np.ascontiguousarray(img[..., :3])).permute(2, 0, 1)
        out = F2.rgb_to_grayscale(t).permute(1, 2, 0).numpy()
    out = out[..., None] if out.ndim == 2 else out
    return np.repeat(out, 3, axis=2) if color == "gray3" else out


NAMED = [
    ("pillow", "gray"),
    ("pillow", "ycbcr"),
    ("opencv", "gray"),
    ("opencv", "ycbcr"),
    ("opencv", "yuv"),
    ("torch", "gray"),
]


@pytest.mark.parametrize("conv,color", NAMED)
def test_named_all_triples(all_rgb: np.ndarray, conv: str, color: str) -> None:
    """Every RGB triple, through a resize to the same size (an exact copy in every convention)."""
    want = library_conversion(conv, color, all_rgb)
    got = pixnorm.resize(
        all_rgb, (4096, 4096), convention=conv, color=color, antialias=conv != "opencv"
    )
    np.testing.assert_array_equal(got, want)


def library_resize(conv: str, img: np.ndarray, size: tuple[int, int], aa: bool) -> np.ndarray:
    """The library's uint8 resize of an (H, W, C) image."""
    if conv == "pillow":
        from PIL import Image

        res = [
            np.asarray(
                Image.fromarray(np.ascontiguousarray(img[..., c])).resize(
                    size[::-1], Image.BILINEAR
                )
            )
            for c in range(img.shape[2])
        ]
        return np.stack(res, -1)
    if conv == "opencv":
        import cv2

        out = cv2.resize(np.ascontiguousarray(img), size[::-1], interpolation=cv2.INTER_LINEAR)
        return out[..., None] if out.ndim == 2 else out
    import torch
    import torchvision.transforms.v2.functional as F2

    t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)
    return F2.resize(t, list(size), antialias=aa).permute(1, 2, 0).numpy()


@pytest.mark.parametrize("conv,color", NAMED + [("torch", "gray3"), ("pillow", "gray3")])
@pytest.mark.parametrize("after", [False, True])
def test_named_pipeline(conv: str, color: str, after: bool) -> None:
    """The library's steps in its order: convert then resize (color=), or resize then convert
    (torchvision's Resize then Grayscale: the private color_after_resize the transforms use),
    then torchvision's float32 levels; on random data, a view and a photograph."""
    pytest.importorskip({"pillow": "PIL", "opencv": "cv2", "torch": "torchvision"}[conv])
    from pixnorm import _core
    from pixnorm._resize import Geometry

    skimage = pytest.importorskip("skimage.data")
    rng = np.random.default_rng(4)
    cases = [
        (rng.integers(0, 256, (75, 101, 3), dtype=np.uint8), (40, 53)),
        (rng.integers(0, 256, (33, 64, 4), dtype=np.uint8)[:, ::-1], (66, 32)),
        (skimage.astronaut(), (224, 199)),
    ]
    for img, size in cases:
        for aa in (True, False):
            if (conv == "pillow" and not aa) or (conv == "opencv" and aa):
                continue
            if after:
                resized = library_resize(conv, img[..., :3], size, aa)
                want = library_conversion(conv, color, resized)
            else:
                want = library_resize(conv, library_conversion(conv, color, img), size, aa)
            h, w = img.shape[:2]
            geom = Geometry(0, 0, h, w, size[0], size[1], 0, 0, 0, 0)
            got = _core.preprocess(
                [img], [geom], size[0], size[1], aa, conv, 0.0, 1.0, 1 / 255, None, False,
                color=color, color_after_resize=after,
            )  # fmt: skip
            w32 = want.astype(np.float32).transpose(2, 0, 1) * np.float32(1 / 255)
            np.testing.assert_array_equal(got, w32)
            if not after:
                u8 = pixnorm.resize(img, size, convention=conv, antialias=aa, color=color)
                np.testing.assert_array_equal(u8, want)


# ---- errors -------------------------------------------------------------------------------------


def test_errors() -> None:
    img = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r"color: 'grey' is not available"):
        pixnorm.resize(img, 4, color="grey")
    with pytest.raises(TypeError, match="color: expected None or a name"):
        pixnorm.preprocess(img, size=4, color=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"color: 'ycbcr' converts RGB or RGBA .* got 1 channel"):
        pixnorm.resize(np.zeros((8, 8), np.uint8), 4, color="ycbcr")
    with pytest.raises(ValueError, match=r"color: 'gray' converts gray .* got 2 channels"):
        pixnorm.resize(np.zeros((8, 8, 2), np.uint8), 4, color="gray")
    with pytest.raises(ValueError, match=r"color: 'rgb' converts .* got 5 channels"):
        pixnorm.preprocess(np.zeros((8, 8, 5), np.uint8), size=4, color="rgb", channels_last=True)
    with pytest.raises(ValueError, match=r"color: torchvision defines no 'ycbcr'"):
        pixnorm.resize(img, 4, color="ycbcr", convention="torch")
    with pytest.raises(ValueError, match=r"color: Pillow defines no 'yuv'"):
        pixnorm.preprocess(img, size=4, color="yuv", convention="pillow")
    with pytest.raises(ValueError, match="mean"):  # three means for one gray channel
        pixnorm.preprocess(img, size=4, color="gray", mean=[0.4, 0.5, 0.6], std=0.2)


def test_mixed_channels_one_batch() -> None:
    """A colour that brings gray, RGB and RGBA to one channel count takes them in one batch,
    each image bitwise as alone; without one, mixed channel counts are refused."""
    rng = np.random.default_rng(6)
    imgs = [
        rng.integers(0, 256, (50, 60), dtype=np.uint8),
        rng.integers(0, 256, (40, 70, 3), dtype=np.uint8),
        rng.integers(0, 256, (45, 45, 4), dtype=np.uint8)[::-1],
    ]
    for conv, color in ((None, "rgb"), ("torch", "rgb"), ("pillow", "gray"), (None, "gray3")):
        batch = pixnorm.preprocess_batch(imgs, size=(32, 30), color=color, convention=conv)
        for i, img in enumerate(imgs):
            alone = pixnorm.preprocess(img, size=(32, 30), color=color, convention=conv)
            np.testing.assert_array_equal(batch[i], alone)
        fitted = pixnorm.preprocess_batch(imgs, size=(32, 30), color=color, fit="contain")
        assert fitted.shape == (3, 1 if color == "gray" else 3, 32, 30)
    with pytest.raises(
        ValueError, match=r"images\[1\]: has 3 channels, the first image has 1 \(color=.rgb. makes"
    ):
        pixnorm.preprocess_batch(imgs, size=(32, 30))


def test_collate_color() -> None:
    rng = np.random.default_rng(7)
    imgs = [rng.integers(0, 256, (50, 60), dtype=np.uint8),
            rng.integers(0, 256, (40, 70, 3), dtype=np.uint8)]  # fmt: skip
    col = pixnorm.Collate(size=(32, 30), color="rgb", mean=MEAN_IMAGENET, std=STD_IMAGENET)
    batch, labels = col([(imgs[0], 0), (imgs[1], 1)])
    want = pixnorm.preprocess_batch(
        imgs, size=(32, 30), color="rgb", convention="torch", mean=MEAN_IMAGENET,
        std=STD_IMAGENET,
    )  # fmt: skip
    np.testing.assert_array_equal(np.asarray(batch), want)
    assert "color='rgb'" in repr(col)
    with pytest.raises(ValueError, match="color: 'grey' is not available"):
        pixnorm.Collate(size=32, color="grey")


MEAN_IMAGENET = [0.485, 0.456, 0.406]
STD_IMAGENET = [0.229, 0.224, 0.225]


@pytest.mark.parametrize(
    "conv,aa,color",
    [(None, True, "gray"), (None, False, "ycbcr"), ("pillow", True, "gray"),
     ("pillow", True, "ycbcr"), ("torch", False, "gray3"), ("opencv", False, "yuv"),
     ("torch", True, "rgb")],
)  # fmt: skip
def test_running_stats_describe_what_preprocess_normalizes(conv: Any, aa: bool, color: str) -> None:
    """RunningStats(color=...) with preprocess's options: the normalized set has mean 0 and
    std 1 per channel within 1e-6 (issue 13), gray and RGB images in one set for rgb."""
    rng = np.random.default_rng(8)
    imgs = [rng.integers(0, 256, (int(rng.integers(40, 90)), int(rng.integers(40, 90)), 3),
                         dtype=np.uint8) for _ in range(6)]  # fmt: skip
    if color in ("rgb", "gray", "gray3"):
        imgs.append(rng.integers(0, 256, (50, 50), dtype=np.uint8))
    kw = {"size": 32, "crop": 32, "convention": conv, "antialias": aa, "color": color}
    st = pixnorm.RunningStats(**kw)
    for im in imgs:
        st.update(im)
    out = pixnorm.preprocess_batch(imgs, mean=st.mean01, std=st.std01(), **kw)
    assert np.abs(out.mean(axis=(0, 2, 3), dtype=np.float64)).max() < 1e-6
    assert np.abs(out.std(axis=(0, 2, 3), dtype=np.float64) - 1).max() < 1e-6
    again = pixnorm.RunningStats.from_dict(st.to_dict())
    np.testing.assert_array_equal(again.mean, st.mean)
    with pytest.raises(ValueError, match="convention"):  # merging other arithmetic is refused
        st.merge(pixnorm.RunningStats(size=32, crop=32, convention=conv, antialias=aa))


def test_running_stats_color_without_resize() -> None:
    rng = np.random.default_rng(9)
    img = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    st = pixnorm.RunningStats(color="gray").update(img)
    gray = pixnorm.to_tensor(img, color="gray") * np.float32(255)  # the float mix, in levels
    assert st.channels == 1
    assert abs(float(st.mean[0]) - float(ref.convert_color(img, "gray").mean())) < 1e-3
    assert abs(float(st.mean[0]) - float(gray.mean(dtype=np.float64))) < 1e-3
    exact = pixnorm.RunningStats(color="gray", convention="pillow").update(img)
    assert exact.dtype == "uint8"
    Image = pytest.importorskip("PIL.Image")
    assert float(exact.mean[0]) == float(np.asarray(Image.fromarray(img).convert("L")).mean())


@pytest.mark.parametrize("color", ["ycbcr", "yuv"])
def test_float_chroma_offset_follows_scale(color: str) -> None:
    """float32 input's chroma offset is 0.5 once scaled: 0-255 floats with scale=1/255 give the
    [0, 1] floats' values (within float32 rounding), in every path that scales."""
    rng = np.random.default_rng(10)
    img = rng.integers(0, 256, (30, 41, 3)).astype(np.float32)
    unit = img / np.float32(255)
    mean, std = [0.5, 0.4, 0.3], [0.25, 0.2, 0.3]
    calls = [
        lambda x, s: pixnorm.normalize(x, mean, std, scale=s, color=color),
        lambda x, s: pixnorm.preprocess(x, size=(20, 33), mean=mean, std=std, scale=s, color=color),
        lambda x, s: pixnorm.preprocess(
            x, size=(20, 33), mean=np.full((20, 33, 3), 0.45), std=std, scale=s, color=color
        ),
        lambda x, s: pixnorm.preprocess_batch(
            [x], size=(24, 24), fit="contain", mean=mean, std=std, scale=s, color=color
        )[0],
    ]
    for call in calls:
        a, b = call(img, 1 / 255), call(unit, 1.0)
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-5)
    u8 = pixnorm.normalize(img.astype(np.uint8), 0.0, 1.0, color=color)  # offset 128 levels
    assert (
        abs(float(u8[1].mean()) - float(pixnorm.normalize(unit, 0.0, 1.0, color=color)[1].mean()))
        < 1e-2
    )


def test_messages_suggest_the_colour() -> None:
    rgb = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(
        ValueError, match=r"mean: expected a scalar \(one channel\), got 3 values .* color='gray3'"
    ):
        pixnorm.preprocess(rgb, size=4, color="gray", mean=[0.4, 0.5, 0.6])
    with pytest.raises(ValueError, match=r"mean: .* \(color='rgb' drops the alpha"):
        pixnorm.preprocess(np.zeros((8, 8, 4), np.uint8), size=4, mean=[0.4, 0.5, 0.6])


def test_review_fill_and_messages() -> None:
    """With a colour, fill is in the output's colour and channels (any image order); colour
    errors in a batch name the image; Collate checks mean/std counts against the colour."""
    rng = np.random.default_rng(11)
    gray = rng.integers(0, 256, (30, 40), dtype=np.uint8)
    rgb = rng.integers(0, 256, (36, 30, 3), dtype=np.uint8)
    rgba = rng.integers(0, 256, (36, 30, 4), dtype=np.uint8)
    kw: dict[str, Any] = {"size": 32, "fit": "contain", "color": "rgb"}
    a = pixnorm.preprocess_batch([gray, rgb, rgba], fill=[114, 100, 90], **kw)
    b = pixnorm.preprocess_batch([rgba, gray, rgb], fill=[114, 100, 90], **kw)
    np.testing.assert_array_equal(a[[2, 0, 1]], b)
    border = a[0][:, 0, 0] if a[0][0, 0, 0] != a[0][0, 16, 16] else a[0][:, 31, 31]
    np.testing.assert_allclose(border, np.array([114, 100, 90], np.float32) / 255, rtol=1e-6)
    g = pixnorm.preprocess(rgb, size=(40, 32), fit="contain", fill=200, color="gray")
    assert g.shape == (1, 40, 32) and g[0, 0, 0] == np.float32(200) * np.float32(1 / 255)
    with pytest.raises(ValueError, match=r"fill: expected a finite number or 1 \(one per"):
        pixnorm.preprocess(rgb, size=(40, 32), fit="contain", fill=[1, 2, 3], color="gray")
    with pytest.raises(ValueError, match=r"images\[1\]: color: 'ycbcr' converts RGB"):
        pixnorm.preprocess_batch([rgb, gray], size=(16, 16), color="ycbcr")
    with pytest.raises(ValueError, match=r"mean: 3 values, but color='gray' gives 1 channel"):
        pixnorm.Collate(size=16, color="gray", mean=[0.4, 0.5, 0.6], std=[0.2, 0.2, 0.2])
    with pytest.raises(ValueError, match="color: Pillow defines no 'yuv'"):
        pixnorm.Collate(size=16, color="yuv", convention="pillow")


def test_per_pixel_with_colour_refuses_an_overlapping_out() -> None:
    """The per-pixel path converts into planes first; out is still checked against the
    caller's image (the fuzz test found it was checked against the planes)."""
    buf = np.zeros(4 * 5 * 3 * 4, np.uint8)
    img = buf[: 4 * 5 * 3].reshape(4, 5, 3)
    out = buf.view(np.float32).reshape(3, 4, 5)
    with pytest.raises(ValueError, match="out"):
        pixnorm.normalize(img, np.full((4, 5, 3), 0.5), 0.2, color="rgb", out=out)


def test_colour_errors_name_the_image_only_in_batches() -> None:
    gray = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match=r"^color: 'ycbcr' converts RGB or RGBA"):
        pixnorm.preprocess(gray, size=4, color="ycbcr")
    with pytest.raises(ValueError, match=r"^images\[1\]: color: 'ycbcr' converts RGB or RGBA"):
        pixnorm.preprocess_batch([np.zeros((8, 8, 3), np.uint8), gray], size=4, color="ycbcr")
