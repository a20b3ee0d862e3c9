"""pixnorm.preprocess / preprocess_batch: one pass equals the step-by-step chain."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pixnorm
import reference as ref
from isas import on_every_isa_and_thread_count
from strategies import make_view

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
fixture_settings = settings(
    deadline=None, max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def reference_preprocess(
    img: np.ndarray,
    size: Any,
    crop: Any,
    box: Any,
    flip: bool,
    aa: bool,
    mean: Any,
    std: Any,
    scale: float,
) -> np.ndarray:
    """Crop the box, resize exactly (float64, no rounding), centre-crop, flip, normalize."""
    x = np.asarray(img, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    if box is not None:
        t, lf, h, w = box
        x = x[t : t + h, lf : lf + w]
    rh, rw = (
        (x.shape[0], x.shape[1])
        if size is None
        else pixnorm.resized_size(x.shape[0], x.shape[1], size)
    )
    x = ref.resize(x, rh, rw, aa)
    if crop is not None:
        ch, cw = (crop, crop) if isinstance(crop, int) else crop
        top, left = int(round((rh - ch) / 2.0)), int(round((rw - cw) / 2.0))
        x = x[top : top + ch, left : left + cw]
    if flip:
        x = x[:, ::-1]
    return ref.normalize(x, mean, std, scale)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    dtype = draw(st.sampled_from([np.uint8, np.float32]))
    h, w = draw(st.integers(1, 40)), draw(st.integers(1, 50))
    c = draw(st.sampled_from([1, 3, 4]))
    kind = draw(st.sampled_from(["contiguous", "crop", "flip_c", "flip_x", "transposed"]))
    img = make_view(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), (h, w, c), dtype, kind)
    box = None
    if draw(st.booleans()):
        t, lf = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
        box = (t, lf, draw(st.integers(1, h - t)), draw(st.integers(1, w - lf)))
    bh, bw = (h, w) if box is None else box[2:]
    size = draw(
        st.one_of(st.none(), st.integers(1, 40), st.tuples(st.integers(1, 40), st.integers(1, 40)))
    )
    rh, rw = (bh, bw) if size is None else pixnorm.resized_size(bh, bw, size)
    crop = None
    if draw(st.booleans()):
        crop = (draw(st.integers(1, rh)), draw(st.integers(1, rw)))
    return dict(
        img=img,
        size=size,
        crop=crop,
        box=box,
        flip=draw(st.booleans()),
        aa=draw(st.booleans()),
        mean=MEAN[:c] if c == 3 else 0.3,
        std=STD[:c] if c == 3 else 0.7,
    )


@pytest.mark.filterwarnings(
    "ignore::pixnorm.RangeWarning"
)  # arbitrary mean/std: the arithmetic is tested
@given(case=cases())
@fixture_settings
def test_matches_reference(isa: str, threads: int, case: dict[str, Any]) -> None:
    img = case["img"]
    scale = 1 / 255 if img.dtype == np.uint8 else 1.0
    got = pixnorm.preprocess(
        img,
        size=case["size"],
        crop=case["crop"],
        box=case["box"],
        flip=case["flip"],
        antialias=case["aa"],
        mean=case["mean"],
        std=case["std"],
    )
    exact = reference_preprocess(
        img,
        case["size"],
        case["crop"],
        case["box"],
        case["flip"],
        case["aa"],
        case["mean"],
        case["std"],
        scale,
    )
    assert got.shape == exact.shape and got.dtype == np.float32
    # Tolerance: the float32 resampling error (ref.resize_error_bound: 4u per tap and pass, at
    # most 4u (taps_y + taps_x + 2) max|x| in input units), times |scale / std| once normalized,
    # plus the normalize step's own float32 rounding (ref.normalize_error_bound: 2**-22 (|v a| +
    # |b|) <= 2**-22 (|exact| + 2 |b|)).
    x = np.asarray(img, dtype=np.float64)
    bh, bw = (x.shape[0], x.shape[1]) if case["box"] is None else case["box"][2:]
    rh, rw = (bh, bw) if case["size"] is None else pixnorm.resized_size(bh, bw, case["size"])
    ty = int((ref.resize_matrix(bh, rh, case["aa"]) > 0).sum(axis=1).max())
    tx = int((ref.resize_matrix(bw, rw, case["aa"]) > 0).sum(axis=1).max())
    a = scale / np.min(case["std"])
    b = np.max(np.abs(np.asarray(case["mean"]) / np.asarray(case["std"])))
    resample_err = 4 * 2.0**-24 * (ty + tx + 2) * np.abs(x).max() * a
    # uint8 through the fused bilinear kernel: its 14-bit horizontal weights (see there)
    if case["box"] is None:
        src = np.asarray(img)
    else:
        t, lf, hh, ww = case["box"]
        src = np.asarray(img)[t : t + hh, lf : lf + ww]
    resample_err += ref.bilinear_fixed_error(src, rh, rw, case["aa"]) * a
    tol = resample_err + 2.0**-22 * (np.abs(exact) + 2 * b) + 2.0**-140
    assert np.all(np.abs(got - exact) <= tol)


def test_imagenet_eval_equals_the_chain_within_one_level() -> None:
    """Resize(256), CenterCrop(224), ToTensor, Normalize done step by step with pixnorm's own
    uint8 resize differs from the fused pass only by the uint8 rounding of the middle step."""
    rng = np.random.default_rng(0)
    for shape in [(375, 500, 3), (500, 375, 3), (480, 640, 3), (1080, 1920, 3)]:
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        fused = pixnorm.preprocess(img, size=256, crop=224, mean=MEAN, std=STD)
        resized = pixnorm.resize(img, 256)
        rh, rw = resized.shape[:2]
        top, left = int(round((rh - 224) / 2.0)), int(round((rw - 224) / 2.0))
        chain = pixnorm.normalize(resized[top : top + 224, left : left + 224], MEAN, STD)
        one_level = 1 / 255 / np.array(STD)[:, None, None]
        assert np.all(np.abs(fused - chain) <= 0.5 * one_level + 1e-5)
        exact = (
            reference_preprocess(img[:600, :600], 256, 224, None, False, True, MEAN, STD, 1 / 255)
            if shape[0] <= 600 and shape[1] <= 600
            else None
        )
        if exact is not None:  # and the fused pass is the closer one to the exact result
            assert np.abs(fused - exact).max() <= np.abs(chain - exact).max()


def test_training_box_and_flip() -> None:
    img = np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    box = (37, 81, 150, 190)
    got = pixnorm.preprocess(img, size=(224, 224), box=box, flip=True, mean=MEAN, std=STD)
    t, lf, h, w = box
    unflipped = pixnorm.preprocess(img[t : t + h, lf : lf + w], size=(224, 224), mean=MEAN, std=STD)
    np.testing.assert_array_equal(got, unflipped[:, :, ::-1])


def test_batch_equals_loop_of_singles(threads: int) -> None:
    rng = np.random.default_rng(2)
    imgs = [
        rng.integers(0, 256, s, dtype=np.uint8)
        for s in [(300, 400, 3), (257, 199, 3), (64, 64, 3), (500, 375, 3)]
    ]
    boxes = [(0, 0, 300, 400), (10, 5, 100, 150), (1, 1, 60, 60), (100, 50, 200, 300)]
    flips = [False, True, True, False]
    out = np.full((4, 3, 112, 96), np.nan, np.float32)
    got = pixnorm.preprocess_batch(
        imgs, size=(112, 96), boxes=boxes, flips=flips, mean=MEAN, std=STD, out=out
    )
    assert got is out
    for i in range(4):
        single = pixnorm.preprocess(
            imgs[i], size=(112, 96), box=boxes[i], flip=flips[i], mean=MEAN, std=STD
        )
        np.testing.assert_array_equal(out[i], single)
    evals = pixnorm.preprocess_batch(imgs, size=128, crop=100)
    for i in range(4):
        np.testing.assert_array_equal(evals[i], pixnorm.preprocess(imgs[i], size=128, crop=100))


def test_box_and_crop_checks_have_one_owner() -> None:
    """The core checks boxes and crops (pixnorm/resize.hpp check_box, preprocess_shape) for every
    caller, with the caller's names, and no sum of a box's values can overflow there."""
    img = np.zeros((50, 60, 3), np.uint8)
    big = 2**62  # top + height would overflow int64: still a clean ValueError
    for box in [(big, 0, big, 10), (0, big, 10, big), (0, 0, 2**63 - 1, 10), (-(2**63), 0, 5, 5)]:
        with pytest.raises(ValueError, match=r"box: \(.*\) is empty or outside the image"):
            pixnorm.preprocess(img, box=box, size=10)
    with pytest.raises(ValueError, match=r"box: \(0, 0, 1180591620717411303424, 10\) is empty"):
        pixnorm.preprocess(img, box=(0, 0, 2**70, 10), size=10)
    with pytest.raises(ValueError, match=r"boxes\[1\]: \(0, 0, 51, 10\) is empty or outside"):
        pixnorm.preprocess_batch([img, img], size=10, boxes=[(0, 0, 5, 5), (0, 0, 51, 10)])
    with pytest.raises(ValueError, match=r"samples\[1\] box: \(0, 0, 51, 10\) is empty"):
        pixnorm.Collate(10)([(img, 0, (0, 0, 5, 5, False)), (img, 1, (0, 0, 51, 10, False))])
    # the crop, checked by the core after Python computed the centre offsets (negative here)
    with pytest.raises(ValueError, match=r"crop: \(51, 20\) is larger than the resized image"):
        pixnorm.preprocess_batch([img, img], crop=(51, 20))
    with pytest.raises(ValueError, match=r"crop: \(64, 64\) is larger than the resized image"):
        pixnorm.Collate(crop=64)([(img, 0), (img, 1)])
    # before the batch is allocated: a crop far too large is still this ValueError, not MemoryError
    with pytest.raises(ValueError, match=r"crop: \(16777216, 16777216\) is larger than the"):
        pixnorm.Collate(size=200, crop=2**24)([(img, 0)] * 8)
    # the C++ check on its own, as C++ callers see it
    pixnorm._core.check_box(0, 0, 50, 60, 50, 60, "box")
    with pytest.raises(ValueError, match=r"b: \(1, 0, 50, 60\) is empty or outside"):
        pixnorm._core.check_box(1, 0, 50, 60, 50, 60, "b")


def test_errors() -> None:
    img = np.zeros((50, 60, 3), np.uint8)
    with pytest.raises(
        ValueError, match=r"crop: \(64, 64\) is larger than the resized image \(50, 60\)"
    ):
        pixnorm.preprocess(img, crop=64)
    with pytest.raises(ValueError, match=r"box: \(0, 0, 51, 10\) is empty or outside the image"):
        pixnorm.preprocess(img, box=(0, 0, 51, 10), size=10)
    with pytest.raises(ValueError, match="box: .* is empty or outside"):
        pixnorm.preprocess(img, box=(5, 5, 0, 10), size=10)
    with pytest.raises(ValueError, match="box: .* is empty or outside"):
        pixnorm.preprocess(img, box=(-1, 0, 10, 10), size=10)
    with pytest.raises(ValueError, match=r"box: expected \(top, left, height, width\)"):
        pixnorm.preprocess(img, box=(0, 0, 10), size=10)
    with pytest.raises(ValueError, match="size: must be >= 1"):
        pixnorm.preprocess(img, size=0)
    with pytest.raises(ValueError, match="crop: must be >= 1"):
        pixnorm.preprocess(img, crop=(0, 3))
    with pytest.raises(ValueError, match="convention"):
        pixnorm.preprocess(img, convention="cv2")
    with pytest.raises(TypeError, match="flip: expected a bool"):
        pixnorm.preprocess(img, flip=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"std\[0\]: must be > 0"):
        pixnorm.preprocess(img, std=0.0)
    with pytest.raises(ValueError, match="image: expected one image"):
        pixnorm.preprocess(np.zeros((2, 5, 5, 3), np.uint8))
    imgs = [img, img]
    with pytest.raises(ValueError, match="boxes: 1 boxes for 2 images"):
        pixnorm.preprocess_batch(imgs, size=(8, 8), boxes=[(0, 0, 5, 5)])
    with pytest.raises(ValueError, match="flips: 3 flags for 2 images"):
        pixnorm.preprocess_batch(imgs, size=(8, 8), flips=[True, False, True])
    with pytest.raises(
        ValueError, match=r"images\[1\]: has 1 channel, the first image has 3 \(color=.rgb. makes"
    ):
        pixnorm.preprocess_batch([img, img[..., 0]], size=(8, 8))
    with pytest.raises(
        ValueError, match=r"images\[1\]: ends at .* give size as \(h, w\) or a crop"
    ):
        pixnorm.preprocess_batch([img, np.zeros((60, 50, 3), np.uint8)], size=8)
    with pytest.raises(ValueError, match="images: empty list"):
        pixnorm.preprocess_batch([], size=(8, 8))
    with pytest.raises(ValueError, match=r"out: expected shape \(2, 3, 8, 8\)"):
        pixnorm.preprocess_batch(imgs, size=(8, 8), out=np.empty((2, 3, 8, 9), np.float32))
    with pytest.raises(TypeError, match=r"images\[1\]: all images must share one dtype"):
        pixnorm.preprocess_batch([img, img.astype(np.float32)], size=(8, 8))


@pytest.mark.parametrize("convention", [None, "torch"])
def test_per_pixel_mean_std(convention: Any) -> None:
    """A mean image (Caffe style) of the output size, in either layout: the resampled values v
    get the documented per-element float32 arithmetic, v * a + b with a = f32(scale / std) and
    b = f32(-mean / std) from float64 (computed here with numpy, not with pixnorm)."""
    rng = np.random.default_rng(8)
    img = rng.integers(0, 256, (120, 90, 3), dtype=np.uint8)
    mean_hwc = rng.uniform(0, 1, (32, 24, 3))
    std = rng.uniform(0.1, 0.3, (3, 32, 24))
    scale = 1 / 255
    levels = pixnorm.preprocess(img, size=(32, 24), convention=convention, scale=1.0)
    a = (scale / std).astype(np.float32)
    b = (-mean_hwc.transpose(2, 0, 1) / std).astype(np.float32)
    expected = levels * a + b  # float32 multiply, then float32 add: numpy never fuses them
    got = pixnorm.preprocess(
        img, size=(32, 24), convention=convention, mean=mean_hwc, std=std, scale=scale
    )
    np.testing.assert_array_equal(got, expected)
    batch = pixnorm.preprocess_batch(
        [img, img[::-1]],
        size=(32, 24),
        convention=convention,
        mean=mean_hwc.transpose(2, 0, 1),
        std=std,
        scale=scale,
    )
    np.testing.assert_array_equal(batch[0], expected)
    with pytest.raises(ValueError, match="mean: expected a scalar"):
        pixnorm.preprocess(img, size=(32, 24), mean=np.zeros((31, 24, 3)))


def test_absurd_sizes_are_refused_quickly() -> None:
    img = np.zeros((4, 4, 3), np.uint8)
    for conv in (None, "torch", "pillow"):
        with pytest.raises(ValueError, match="size: .* is too large"):
            pixnorm.preprocess(img, size=(2**31 - 1, 5), crop=(1, 1), convention=conv)
    with pytest.raises(ValueError, match="size: .* is too large"):
        pixnorm.resize(img, (2**25, 2))
    with pytest.raises(ValueError, match="crop: 33554432 is too large"):
        pixnorm.preprocess(img, size=(2**24, 4), crop=(2**25, 1))
    with pytest.raises(ValueError, match="crop: .* is larger than the resized image"):
        pixnorm.preprocess(img, size=(2**24, 4), crop=(2**24, 5))


def test_cached_level_parameters_keep_the_sign_of_zero() -> None:
    """The named conventions keep the last level parameters per thread; -0.0 == 0.0 as doubles,
    so a scale of -0.0 after 0.0 reused 0.0's levels (+0.0 out, where a fresh call and torch
    give -0.0: issue 11.6). x * -0.0 - 0 is -0.0 for every level x >= 0."""
    img = np.arange(256, dtype=np.uint8).reshape(16, 16, 1)
    for convention in ("torch", "pillow", "opencv"):
        aa = convention != "opencv"
        kw = {"size": (8, 8), "convention": convention, "antialias": aa, "mean": 0.0}
        pos = pixnorm.preprocess(img, scale=0.0, **kw)
        neg = pixnorm.preprocess(img, scale=-0.0, **kw)
        assert not np.signbit(pos).any() and np.signbit(neg).all(), convention
        pos2 = pixnorm.preprocess(img, scale=0.0, **kw)
        assert not np.signbit(pos2).any(), convention


def test_preprocess_batch_takes_a_batch_buffer() -> None:
    """A (N, H, W, C) buffer given as a memoryview is a batch, as an array is (iterating a
    multi-dimensional memoryview raised NotImplementedError; found by the fuzz test)."""
    batch = np.random.default_rng(3).integers(0, 256, (2, 9, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(
        pixnorm.preprocess_batch(memoryview(batch), size=(4, 4)),
        pixnorm.preprocess_batch(batch, size=(4, 4)),
    )


@pytest.mark.parametrize(
    "convention, antialias",
    [(None, True), (None, False), ("pillow", True), ("torch", True), ("torch", False),
     ("opencv", False)],
)  # fmt: skip
def test_vertical_flip_is_the_output_upside_down(convention: str | None, antialias: bool) -> None:
    """flip="vertical" / "both" are torchvision's vertical_flip (and horizontal_flip) after the
    crop, bit for bit, on every ISA and thread count: up, down and exact-2x scales, boxes, views,
    batches with a flip per image."""
    rng = np.random.default_rng(7)
    cases = []
    for h, w, size in [(37, 53, (20, 31)), (40, 60, (20, 30)), (9, 13, (41, 29)), (90, 70, 48)]:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        cases.append((img, dict(size=size)))
        cases.append((img[::-1, :, ::-1], dict(size=size, box=(2, 3, h - 4, w - 5))))
    kw = dict(antialias=antialias, convention=convention, mean=MEAN, std=STD)

    def run() -> list[np.ndarray]:
        outs = []
        for img, geo in cases:
            base = pixnorm.preprocess(img, **geo, **kw)
            for flip, expected in (
                ("vertical", base[:, ::-1, :]),
                ("both", base[:, ::-1, ::-1]),
                ("horizontal", base[:, :, ::-1]),
                (True, base[:, :, ::-1]),
                (False, base),
            ):
                got = pixnorm.preprocess(img, flip=flip, **geo, **kw)
                np.testing.assert_array_equal(got.view(np.uint32), expected.view(np.uint32))
                outs.append(got)
        imgs = [c[0] for c in cases[:4]]
        flips = ["vertical", False, "both", True]
        batch = pixnorm.preprocess_batch(imgs, size=(24, 24), flips=flips, **kw)
        for i, (img, f) in enumerate(zip(imgs, flips, strict=True)):
            one = pixnorm.preprocess(img, size=(24, 24), flip=f, **kw)
            np.testing.assert_array_equal(batch[i].view(np.uint32), one.view(np.uint32))
        outs.append(batch)
        return outs

    results = on_every_isa_and_thread_count(run)
    first = next(iter(results.values()))
    for got in results.values():
        for a, b in zip(got, first, strict=True):
            np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


def test_default_convention_gives_the_same_bits_on_every_isa() -> None:
    """The default convention's float32 output, bit for bit the same on every ISA and thread
    count (the reference test above holds each within its bound): every filter, downscales
    whose horizontal windows fit the permute windows (the horizontal pass then writes the
    normalized planes itself) and wider ones, 1, 3 and 4 channels, uint8 and float32, boxes,
    flips, views with reversed channels or rows, per-pixel mean/std, float16 and HWC outputs,
    gray, gray3 and ycbcr."""
    rng = np.random.default_rng(23)
    imgs = {c: rng.integers(0, 256, (75, 101, c), dtype=np.uint8) for c in (1, 3, 4)}
    f32 = rng.normal(0.5, 0.3, (64, 90, 3)).astype(np.float32)
    cases: list[tuple[np.ndarray, dict[str, Any]]] = []
    for interp in ("bilinear", "bicubic", "lanczos", "area"):
        for aa in (True, False):
            if interp == "area" and not aa:
                continue
            for c, img in imgs.items():
                mean, std = (MEAN, STD) if c == 3 else (0.4, 0.3)
                kw = dict(interpolation=interp, antialias=aa, mean=mean, std=std)
                cases.append((img, dict(size=(49, 70), **kw)))  # 1.5x: permute windows
                cases.append((img, dict(size=(20, 23), **kw)))  # 4.4x: wider windows
                cases.append((img, dict(size=52, crop=(40, 44), flip="both", **kw)))
            kw = dict(interpolation=interp, antialias=aa, mean=MEAN, std=STD)
            cases.append((imgs[3][:, :, ::-1], dict(size=(50, 66), box=(3, 4, 70, 90), **kw)))
            caffe = dict(kw, mean=[123.7, 116.3, 103.5], std=[58.4, 57.1, 57.4], scale=1.0)
            cases.append((imgs[3][::-1], dict(size=(50, 66), **caffe)))
            cases.append((f32, dict(size=(41, 60), **kw)))
            cases.append((imgs[3], dict(size=(50, 66), dtype=np.float16, **kw)))
            cases.append((imgs[3], dict(size=(50, 66), layout="HWC", **kw)))
            pixel = dict(kw, mean=rng.uniform(0.3, 0.6, (50, 66, 3)), std=0.25)
            cases.append((imgs[3], dict(size=(50, 66), **pixel)))
            for color, m, sd in (("gray", 0.45, 0.22), ("gray3", MEAN, STD), ("ycbcr", MEAN, STD)):
                ckw = dict(kw, color=color, mean=m, std=sd)
                cases.append((imgs[3], dict(size=(49, 70), **ckw)))
                cases.append((imgs[4], dict(size=(20, 23), flip="both", **ckw)))

    def run() -> list[bytes]:
        return [pixnorm.preprocess(img, **kw).tobytes() for img, kw in cases]

    results = on_every_isa_and_thread_count(run)
    first = next(iter(results.values()))
    for key, got in results.items():
        for i, (a, b) in enumerate(zip(got, first, strict=True)):
            assert a == b, (key, i, cases[i][1])


def test_flip_arguments() -> None:
    img = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(ValueError, match="flip: expected a bool or one of 'horizontal'"):
        pixnorm.preprocess(img, size=10, flip="up")
    with pytest.raises(TypeError, match="flip: expected a bool or 'horizontal'"):
        pixnorm.preprocess(img, size=10, flip=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"flips\[1\]: expected a bool or one of"):
        pixnorm.preprocess_batch([img, img], size=10, flips=[False, "sideways"])
    assert pixnorm.preprocess(img, size=10, flip=np.bool_(True)).shape == (3, 10, 15)


def _per_pixel_cases() -> list[dict[str, Any]]:
    """Options for the fused per-pixel affine: drawn from every convention, colour, flip,
    output dtype and layout, input dtype and both kinds of std (per pixel, per channel)."""
    rng = np.random.default_rng(21)
    cases = []
    for i in range(48):
        conv = [None, "torch", "pillow", "opencv"][i % 4]
        src = "uint8" if conv is not None else ["uint8", "float32", "uint16"][(i // 4) % 3]
        color = [None, "bgr", "gray", "gray3", "ycbcr", "rgb"][int(rng.integers(6))]
        if (src != "uint8" or conv == "torch") and color == "ycbcr":
            color = "gray3"  # (float chroma offsets follow the scale: checked elsewhere)
        cases.append(
            {
                "convention": conv,
                "src": src,
                "color": color,
                "flip": [False, True, "vertical", "both"][int(rng.integers(4))],
                "dtype": ["float32", "float16", "bfloat16"][int(rng.integers(3))],
                "layout": ["CHW", "HWC"][int(rng.integers(2))],
                "std_per_pixel": bool(rng.integers(2)),
                "batch": bool(rng.integers(2)),
                "seed": i,
            }
        )
    return cases


@pytest.mark.parametrize(
    "case", _per_pixel_cases(), ids=lambda c: "-".join(str(v) for v in c.values())
)
def test_per_pixel_fused_equals_levels_then_normalize(case: dict[str, Any]) -> None:
    """preprocess / preprocess_batch / Collate with a mean image apply a and b per element
    inside the pass: bit for bit the values (mean 0, std 1, scale 1) then normalize's per-pixel
    pass, on every ISA and thread count, in every output dtype and layout."""
    pytest.importorskip("ml_dtypes")
    rng = np.random.default_rng(case["seed"])
    hi = {"uint8": 256, "uint16": 65536, "float32": 256}[case["src"]]
    imgs = [rng.integers(0, hi, (41 + 3 * k, 57 - 2 * k, 3)).astype(case["src"]) for k in range(3)]
    if case["src"] == "float32":
        imgs = [im / np.float32(255) for im in imgs]
    size, crop = 24, (17, 19)
    c_out = {"gray": 1}.get(case["color"], 3)
    mean = rng.uniform(0.2, 0.7, (17, 19, c_out))
    std = rng.uniform(0.1, 0.4, (17, 19, c_out)) if case["std_per_pixel"] else [0.25] * c_out
    norm = pixnorm.Normalizer(mean, std)
    kw = dict(
        size=size,
        crop=crop,
        flip=case["flip"],
        convention=case["convention"],
        color=case["color"],
        antialias=case["convention"] != "opencv",  # (OpenCV has no antialiased bilinear)
    )
    fmt = dict(dtype=case["dtype"], layout=case["layout"])
    scale = 1 / {"uint8": 255, "uint16": 65535, "float32": 1}[case["src"]]

    def expected(img: np.ndarray) -> np.ndarray:
        levels = pixnorm.preprocess(img, mean=0.0, std=1.0, scale=1.0, **kw)  # (C, h, w)
        want = pixnorm.Normalizer(mean, std, scale=scale)
        return np.asarray(pixnorm.normalize(np.moveaxis(levels, 0, -1), want, **fmt))

    want_one = expected(imgs[0]).view(np.uint16 if case["dtype"] != "float32" else np.float32)
    want_all = [expected(im) for im in imgs]

    def run() -> bool:
        if case["batch"]:
            bkw = {k: v for k, v in kw.items() if k != "flip"}
            flips = [case["flip"]] * len(imgs)
            got = pixnorm.preprocess_batch(imgs, mean=norm, flips=flips, **bkw, **fmt)
            for g, w in zip(got, want_all, strict=True):
                np.testing.assert_array_equal(np.asarray(g), w)
        else:
            got = np.asarray(pixnorm.preprocess(imgs[0], mean=norm, **kw, **fmt))
            bits = got.view(np.uint16 if case["dtype"] != "float32" else np.float32)
            np.testing.assert_array_equal(bits, want_one)
        return True

    on_every_isa_and_thread_count(run)


def test_per_pixel_fused_in_collate_and_cover() -> None:
    """Collate and fit='cover' take the fused pass too; fit='contain' keeps its second pass (the
    border is normalized per pixel as well); all equal the values then normalize."""
    rng = np.random.default_rng(5)
    imgs = [rng.integers(0, 256, (40, 64, 3), dtype=np.uint8) for _ in range(3)]
    mean = rng.uniform(0.2, 0.7, (16, 16, 3))
    std = rng.uniform(0.1, 0.4, (16, 16, 3))
    norm = pixnorm.Normalizer(mean, std)

    def then_normalize(levels: np.ndarray) -> np.ndarray:  # (float levels: the uint8 scale)
        on_levels = pixnorm.Normalizer(mean, std, scale=1 / 255)
        return np.asarray(pixnorm.normalize(np.moveaxis(levels, -3, -1), on_levels))

    for fit in ("cover", "contain"):
        fill = {"fill": 0} if fit == "contain" else {}
        levels = pixnorm.preprocess_batch(imgs, size=16, fit=fit, scale=1.0, **fill)
        got = pixnorm.preprocess_batch(imgs, size=16, fit=fit, mean=norm, **fill)
        np.testing.assert_array_equal(got, then_normalize(levels))
    collate = pixnorm.Collate(size=16, crop=16, mean=norm)  # (torch's convention, by default)
    levels = pixnorm.preprocess_batch(imgs, size=16, crop=16, scale=1.0, convention="torch")
    np.testing.assert_array_equal(np.asarray(collate(imgs)), then_normalize(levels))


def test_per_pixel_batch_of_mixed_channels_names_the_image() -> None:
    """A per-pixel mean with a batch whose channel counts differ is refused for the images (the
    core's message), not as a mean of the wrong shape."""
    rgb, gray = np.zeros((40, 50, 3), np.uint8), np.zeros((40, 50), np.uint8)
    mean = np.zeros((16, 16, 3))
    norm = pixnorm.Normalizer(mean, 50.0)
    calls = [
        lambda: pixnorm.preprocess_batch([gray, rgb], size=(16, 16), mean=mean, std=50.0),
        lambda: pixnorm.preprocess_batch([gray, rgb], size=(16, 16), fit="cover", mean=norm),
        lambda: pixnorm.Collate(size=16, crop=16, mean=norm, convention=None)([gray, rgb]),
    ]
    for call, name in zip(calls, ("images", "images", "samples"), strict=True):
        with pytest.raises(
            ValueError, match=rf"^{name}\[1\]: has 3 channels, the first image has 1"
        ):
            call()
