"""Resizing by a scale factor (issue 15): the sizes rounded as each library rounds them, and the
sampling grid following the factor as torch's interpolate(scale_factor=...) and cv2.resize(fx=...)
map it, bit for bit; Pillow's ImageOps.scale (rounded size, grid by the sizes); the default
convention against a float64 reference; the errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import pixnorm
import reference as ref
from pixnorm import _core

RNG = np.random.default_rng(15)
FACTORS = [0.39, 100 / 256, 0.7, 1 / 3, 0.25, 0.123, 0.9, 1.3, 1.339, 1.7, 2.5, 3.0, 0.5, 2.0]


def cases(n: int, seed: int) -> list[tuple[np.ndarray, tuple[float, float]]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(1, 120, 2))
        fy = float(rng.choice(FACTORS) * rng.choice([1.0, 1.0, 0.97, 1.031]))
        fx = fy if i % 3 else float(rng.choice(FACTORS))
        c = (1, 3, 4)[i % 3]
        out.append((rng.integers(0, 256, (h, w, c), dtype=np.uint8), (fy, fx)))
    return out


def torch_interpolate(img: np.ndarray, factor: tuple[float, float], **kw: Any) -> np.ndarray:
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]
    out = torch.nn.functional.interpolate(
        t, scale_factor=factor, mode="bilinear", align_corners=False, **kw
    )
    return out[0].permute(1, 2, 0).numpy()


def floor_sizes(img: np.ndarray, factor: tuple[float, float]) -> bool:
    return math.floor(img.shape[0] * factor[0]) >= 1 and math.floor(img.shape[1] * factor[1]) >= 1


@pytest.mark.parametrize("antialias", [False, True])
def test_torch_interpolate_scale_factor_bit_exact(isa: str, antialias: bool) -> None:
    n = 0
    for img, factor in cases(80, 1):
        if not floor_sizes(img, factor):
            continue
        want = torch_interpolate(img, factor, antialias=antialias)
        got = pixnorm.resize(img, factor=factor, convention="torch", antialias=antialias)
        np.testing.assert_array_equal(got, want, err_msg=f"{img.shape} {factor}")
        # recompute_scale_factor=True: the grid follows the floored sizes
        want = torch_interpolate(img, factor, antialias=antialias, recompute_scale_factor=True)
        got = pixnorm.resize(
            img, factor=factor, convention="torch", antialias=antialias, exact_factor=False
        )
        np.testing.assert_array_equal(got, want, err_msg=f"recompute {img.shape} {factor}")
        n += 1
    assert n > 60


def test_opencv_resize_fx_fy_bit_exact(isa: str) -> None:
    cv2 = pytest.importorskip("cv2")
    n = 0
    for img, (fy, fx) in cases(120, 2):
        h, w = img.shape[:2]
        if round(h * fy) < 1 or round(w * fx) < 1:
            continue
        want = cv2.resize(img, (0, 0), fx=fx, fy=fy, interpolation=cv2.INTER_LINEAR)
        want = want.reshape(want.shape[0], want.shape[1], -1)
        got = pixnorm.resize(img, factor=(fy, fx), convention="opencv", antialias=False)
        np.testing.assert_array_equal(got, want, err_msg=f"{img.shape} {(fy, fx)}")
        n += 1
    assert n > 80


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_opencv_halving_by_factor_is_its_area_fast_path(isa: str, channels: int) -> None:
    """cv2.resize(fx=0.5, fy=0.5) takes INTER_AREA's fast path whatever the sizes: 2x2 means,
    and on a side of 4k + 3 (whose half rounds up) a last output that averages the pixels
    that exist, rounded half to even; 4k + 1 drops the last source sample. With boxes, crops
    and flips through preprocess too."""
    cv2 = pytest.importorskip("cv2")
    for h, w in [(64, 90), (63, 90), (64, 91), (63, 91), (7, 3), (3, 7), (5, 9), (3, 3), (11, 2)]:
        img = RNG.integers(0, 256, (h, w, channels), dtype=np.uint8)
        want = cv2.resize(img, (0, 0), fx=0.5, fy=0.5, interpolation=cv2.INTER_LINEAR)
        want = want.reshape(want.shape[0], want.shape[1], -1)
        got = pixnorm.resize(img, factor=0.5, convention="opencv", antialias=False)
        np.testing.assert_array_equal(got, want, err_msg=f"{(h, w, channels)}")
    img = RNG.integers(0, 256, (75, 99, channels), dtype=np.uint8)
    box = (4, 6, 63, 87)  # 4k + 3 on both sides
    part = np.ascontiguousarray(img[4:67, 6:93])
    small = cv2.resize(part, (0, 0), fx=0.5, fy=0.5, interpolation=cv2.INTER_LINEAR)
    small = small.reshape(small.shape[0], small.shape[1], -1)
    got = pixnorm.preprocess(
        img, box=box, factor=0.5, flip="both", convention="opencv", antialias=False, scale=1.0
    )
    want = small[::-1, ::-1].transpose(2, 0, 1).astype(np.float32)
    np.testing.assert_array_equal(got, want)


def test_pillow_imageops_scale_bit_exact() -> None:
    image = pytest.importorskip("PIL.Image")
    ops = pytest.importorskip("PIL.ImageOps")
    for img, (f, _) in cases(40, 3):
        img = img[..., :3] if img.shape[-1] == 4 else img  # Pillow premultiplies RGBA
        im = image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
        if round(im.width * f) < 1 or round(im.height * f) < 1:
            continue
        want = np.asarray(ops.scale(im, f, resample=image.BILINEAR))
        want = want.reshape(want.shape[0], want.shape[1], -1)
        got = pixnorm.resize(img, factor=f, convention="pillow")
        np.testing.assert_array_equal(got, want, err_msg=f"{img.shape} {f}")


@pytest.mark.parametrize("antialias", [False, True])
def test_default_convention_follows_the_factor_within_its_bound(antialias: bool) -> None:
    """The default convention maps coordinates by 1 / factor as torch does, and stays within
    its float32 bound (1 uint8 level; 1e-4 for float32 input) of a float64 reference on the
    same grid; torch's own uint8 result (its int16 weights) is within 1 level of it too."""
    for img, factor in cases(40, 4):
        if not floor_sizes(img, factor):
            continue
        oh = math.floor(img.shape[0] * factor[0])
        ow = math.floor(img.shape[1] * factor[1])
        want = ref.resize(img, oh, ow, antialias, factor=factor)
        got = pixnorm.resize(img, factor=factor, antialias=antialias)
        assert got.shape == (oh, ow, img.shape[2])
        assert np.abs(got.astype(np.float64) - want).max() <= 1.0
        got32 = pixnorm.resize(img.astype(np.float32), factor=factor, antialias=antialias)
        np.testing.assert_allclose(got32, want, rtol=0, atol=1e-4 * 255)


def test_preprocess_by_factor_equals_the_torch_chain() -> None:
    """preprocess(factor=...) in 'torch' is interpolate(scale_factor=...) then torchvision's
    crop and float arithmetic, bit for bit; preprocess_batch and resized_size agree."""
    torch = pytest.importorskip("torch")
    img = RNG.integers(0, 256, (75, 100, 3), dtype=np.uint8)
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    got = pixnorm.preprocess(img, factor=0.39, crop=24, convention="torch", mean=mean, std=std)
    small = torch.from_numpy(torch_interpolate(img, (0.39, 0.39), antialias=True))
    chw = small.permute(2, 0, 1)
    h, w = chw.shape[1:]
    top, left = int(round((h - 24) / 2.0)), int(round((w - 24) / 2.0))
    cropped = chw[:, top : top + 24, left : left + 24]
    want = (cropped.float() * np.float32(1 / 255) - torch.tensor(mean)[:, None, None]) / (
        torch.tensor(std)[:, None, None]
    )
    np.testing.assert_array_equal(got, want.numpy())
    batch = pixnorm.preprocess_batch(
        [img, img], factor=0.39, crop=24, convention="torch", mean=mean, std=std
    )
    np.testing.assert_array_equal(batch[1], got)
    assert pixnorm.resized_size(75, 100, factor=0.39) == (29, 39)
    assert pixnorm.resized_size(75, 100, factor=0.39, convention="opencv") == (29, 39)
    assert pixnorm.resized_size(75, 100, factor=0.39, rounding="ceil") == (30, 39)
    assert pixnorm.resized_size(3, 5, factor=0.5, rounding="round") == (2, 2)  # ties to even
    # the box is what gets scaled
    boxed = pixnorm.preprocess(img, box=(5, 10, 50, 60), factor=0.5, convention="torch")
    assert boxed.shape == (3, 25, 30)


def test_factor_errors() -> None:
    img = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    for kwargs, kind, message in (
        ({"size": 10, "factor": 0.5}, ValueError, "factor: give size or factor, not both"),
        ({"factor": 0.5, "max_size": 40}, ValueError, "max_size: only with size"),
        ({"factor": 0}, ValueError, "factor: expected a finite number > 0, got 0"),
        ({"factor": -1.0}, ValueError, "factor: expected a finite number > 0"),
        ({"factor": float("nan")}, ValueError, "factor: expected a finite number > 0"),
        ({"factor": float("inf")}, ValueError, "factor: expected a finite number > 0"),
        ({"factor": (0.5, 0.5, 0.5)}, ValueError, "factor: expected a number or \\(fy, fx\\)"),
        ({"factor": "0.5"}, TypeError, "factor: expected a number or \\(fy, fx\\)"),
        ({"factor": True}, TypeError, "factor: expected a real number"),
        ({"factor": 0.01}, ValueError, "factor: 0.01 makes the side of 20 pixels .* to 0"),
        ({"factor": 1e9}, ValueError, "more than the .* per side"),
        ({"factor": 0.5, "rounding": "up"}, ValueError, "rounding: expected one of"),
        ({"rounding": "floor", "size": 10}, ValueError, "rounding: only with factor"),
        ({"factor": 0.5, "exact_factor": 1}, TypeError, "exact_factor: expected a bool"),
        (
            {"factor": 0.5, "rounding": "floor", "convention": "opencv", "antialias": False},
            ValueError,
            "rounding: 'floor' is not OpenCV's",
        ),
    ):
        with pytest.raises(kind, match=message):
            pixnorm.resize(img, **kwargs)
    with pytest.raises(ValueError, match="factor: give size or factor"):
        pixnorm.preprocess(img, size=10, factor=0.5)
    with pytest.raises(ValueError, match="exact_factor: only with factor"):
        pixnorm.resize(img, 10, exact_factor=False)
    with pytest.raises(ValueError, match=r"factor: expected a number or \(fy, fx\), got an array"):
        pixnorm.resize(img, factor=np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="convention"):
        pixnorm.resized_size(375, 500, factor=0.5, convention="OpenCV")
    with pytest.raises(TypeError, match="convention"):
        pixnorm.resized_size(375, 500, factor=0.5, convention=42)  # type: ignore[arg-type]
    # numpy and torch scalars are numbers
    for f in (np.float64(0.5), np.float32(0.5), np.array(0.5), np.int64(2)):
        assert (
            pixnorm.resize(img, factor=f).shape[:2]
            == pixnorm.resize(img, factor=float(f)).shape[:2]
        )
    torch = pytest.importorskip("torch")
    assert pixnorm.resized_size(20, 30, factor=torch.tensor(0.5)) == (10, 15)
    with pytest.raises(ValueError, match="size: None needs max_size"):
        pixnorm.resize(img)
    with pytest.raises(ValueError, match="factor"):
        _core.resize(img, 10, 15, True, None, None, -1.0, 0.5)  # the core checks too
    with pytest.raises(ValueError, match="Pillow's grid follows the sizes"):
        _core.resize(img, 10, 15, True, "pillow", None, 0.5, 0.5)


def test_collate_by_factor() -> None:
    imgs = [RNG.integers(0, 256, (40 + i, 50, 3), dtype=np.uint8) for i in range(3)]
    collate = pixnorm.Collate(factor=0.5, crop=16, mean=[0.5, 0.5, 0.5])
    batch = collate([(img, i) for i, img in enumerate(imgs)])[0]
    want = pixnorm.preprocess_batch(
        imgs, factor=0.5, crop=16, convention="torch", mean=[0.5, 0.5, 0.5], std=None
    )
    np.testing.assert_array_equal(np.asarray(batch), want)
    assert "factor=(0.5, 0.5), rounding='floor'" in repr(collate)
    with pytest.raises(ValueError, match="factor: give size or factor"):
        pixnorm.Collate(size=10, factor=0.5)
    with pytest.raises(ValueError, match="factor: random_resized_crop resizes"):
        pixnorm.Collate(random_resized_crop=True, factor=0.5)
