"""Affine warps (issue 16): pixnorm.warp_affine and pixnorm.rotate. The default convention
against the float64 definition (reference.warp_affine) on every ISA and thread count, and its
rotation geometry against torchvision's on float images; 'pillow' bit for bit against
Image.transform / Image.rotate; 'opencv' against cv2.warpAffine; normalization, output formats
and errors."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pixnorm
import reference as ref
from isas import on_every_isa_and_thread_count

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def raw(img: np.ndarray[Any, Any], m: Any, size: Any, **kw: Any) -> np.ndarray[Any, Any]:
    """warp_affine's values before normalization, (h, w, C) float32."""
    return np.asarray(
        pixnorm.warp_affine(img, m, size, mean=0.0, std=1.0, scale=1.0, layout="HWC", **kw)
    )


def random_matrix(rng: np.random.Generator, h: int, w: int) -> np.ndarray[Any, Any]:
    """An inverse map that lands mostly on the image: a rotation, scale and shear about a point
    near the centre, plus a translation; now and then an axis-aligned or a degenerate one."""
    kind = rng.integers(0, 6)
    if kind == 0:  # a scale and translation (Pillow's scale engine for nearest)
        return np.array([[rng.uniform(0.3, 3), 0, rng.uniform(-5, 5)],
                         [0, rng.uniform(0.3, 3), rng.uniform(-5, 5)]])  # fmt: skip
    if kind == 1:  # singular: every pixel on one line
        return np.array([[0.5, 1.0, 1.0], [1.0, 2.0, 0.5]])
    a = rng.uniform(-np.pi, np.pi)
    s = rng.uniform(0.5, 2.0)
    sh = rng.uniform(-0.3, 0.3)
    lin = s * np.array([[np.cos(a), -np.sin(a) + sh], [np.sin(a), np.cos(a)]])
    cx, cy = w / 2 + rng.uniform(-3, 3), h / 2 + rng.uniform(-3, 3)
    t = np.array([cx, cy]) - lin @ np.array([cx, cy]) + rng.uniform(-4, 4, 2)
    return np.hstack([lin, t[:, None]])


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 30),
    w=st.integers(1, 30),
    oh=st.integers(1, 30),
    ow=st.integers(1, 30),
    c=st.sampled_from([1, 2, 3, 4]),
    kind=st.sampled_from(["u8", "f32", "u16"]),
    interpolation=st.sampled_from(["bilinear", "nearest"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_default_warp_within_the_float64_bound(
    h: int, w: int, oh: int, ow: int, c: int, kind: str, interpolation: str, seed: int
) -> None:
    """Convention None against reference.warp_affine within reference.warp_error_bound (nearest
    exactly: the same index), on every ISA and thread count."""
    rng = np.random.default_rng(seed)
    if kind == "f32":
        img = (rng.random((h, w, c), dtype=np.float32) * 2 - 0.5).astype(np.float32)
        fill = [float(v) for v in rng.uniform(-1, 2, c)]
    else:
        top = 255 if kind == "u8" else 65535
        img = rng.integers(0, top + 1, (h, w, c)).astype(np.uint8 if kind == "u8" else np.uint16)
        fill = [float(v) for v in rng.integers(0, top + 1, c)]
    m = random_matrix(rng, h, w)
    want = ref.warp_affine(img, m, oh, ow, interpolation, fill)
    bound = ref.warp_error_bound(img, fill)
    results = on_every_isa_and_thread_count(
        lambda: raw(img, m, (oh, ow), interpolation=interpolation, fill=fill)
    )
    for key, got in results.items():
        err = np.abs(got.astype(np.float64) - want)
        if interpolation == "nearest":
            np.testing.assert_array_equal(got, want.astype(np.float32), err_msg=str(key))
        else:
            assert float(err.max()) <= bound, (key, float(err.max()), bound)


def test_default_rotate_follows_torchvisions_geometry() -> None:
    """rotate(convention=None) samples where torchvision v2's rotate samples (its inverse matrix,
    centre and expanded size): on float images (torchvision interpolates them in float32
    without rounding) the two agree to float32 rounding of the coordinates. (With fill=None:
    torchvision blends an explicit fill as (v - fill) * mask + fill, which is not the weighted
    fill of the samples outside that pixnorm's convention None computes; 'torch'
    reproduces it.)"""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    from torchvision.transforms.v2 import functional as F

    rng = np.random.default_rng(3)
    for i in range(40):
        h, w = (int(v) for v in rng.integers(4, 40, 2))
        img = rng.random((h, w, 3), dtype=np.float32)
        angle = float(rng.choice([0.0, 30.0, -45.0, 90.0, 137.5, 390.0, rng.uniform(-360, 360)]))
        expand = bool(i % 2)
        center = None if i % 3 else [float(rng.uniform(0, w)), float(rng.uniform(0, h))]
        t = torch.from_numpy(img).permute(2, 0, 1)
        want = F.rotate(
            t, angle, F.InterpolationMode.BILINEAR, expand=expand, center=center
        ).permute(1, 2, 0)
        got = pixnorm.rotate(
            img, angle, interpolation="bilinear", expand=expand, center=center,
            mean=0.0, std=1.0, layout="HWC",
        )  # fmt: skip
        assert got.shape == tuple(want.shape), (angle, expand, got.shape, want.shape)
        # torchvision computes the grid in float32: positions within about 1e-5 pixel
        np.testing.assert_allclose(got, want.numpy(), atol=2e-4, err_msg=f"{angle} {expand}")


def test_default_rotate_by_quarter_turns_moves_pixels_exactly() -> None:
    """A quarter turn about the centre of a square image maps pixel centres onto pixel centres:
    nearest gives np.rot90 exactly (counter-clockwise)."""
    img = np.arange(49, dtype=np.uint8).reshape(7, 7, 1)
    for k in (1, 2, 3):
        got = pixnorm.rotate(img, 90 * k, dtype=np.uint8, layout="HWC")
        np.testing.assert_array_equal(got, np.rot90(img, k))


def pil_mode(c: int) -> str:
    return {1: "L", 3: "RGB", 4: "RGBA"}[c]


def test_pillow_transform_and_rotate_are_bit_exact() -> None:
    """'pillow': Image.transform(AFFINE) and Image.rotate bit for bit on L, RGB and RGBA
    (premultiplied for bilinear), nearest through each of Pillow's three engines, random maps,
    angles (0, 90, 180, 270, negative, beyond 360), centres, expand and fills; packed images and
    strided views; on every ISA and thread count (nearest runs the gather2d_u8 kernels)."""
    pytest.importorskip("PIL.Image")
    on_every_isa_and_thread_count(_pillow_check)


def _pillow_check() -> None:
    from PIL import Image as image

    rng = np.random.default_rng(4)
    for i in range(240):
        h, w = (int(v) for v in rng.integers(1, 60, 2))
        c = int(rng.choice([1, 3, 4]))
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        if i % 5 == 4:  # a strided view (mirrored columns; packed before the kernel)
            img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)[:, ::-1]
        pil = image.fromarray(img[..., 0] if c == 1 else img, pil_mode(c))
        fill = [int(v) for v in rng.integers(0, 256, c)]
        pfill: Any = fill[0] if c == 1 else tuple(fill)
        interp = ("nearest", "bilinear")[i % 2]
        res = image.NEAREST if interp == "nearest" else image.BILINEAR
        kw: dict[str, Any] = {"interpolation": interp, "fill": fill, "convention": "pillow"}
        kw.update(dtype=np.uint8, layout="HWC")
        if i % 3 == 0:
            m = random_matrix(rng, h, w)
            if i % 9 == 0:
                m = m * 1000.0  # far outside: Pillow's float engine for nearest
            oh, ow = (int(v) for v in rng.integers(1, 60, 2))
            got = pixnorm.warp_affine(img, m, (oh, ow), **kw)
            data = (
                m[0, 0], m[0, 1], ((m[0, 2] - 0.5 * m[0, 0]) - 0.5 * m[0, 1]) + 0.5,
                m[1, 0], m[1, 1], ((m[1, 2] - 0.5 * m[1, 0]) - 0.5 * m[1, 1]) + 0.5,
            )  # fmt: skip
            want = pil.transform((ow, oh), image.Transform.AFFINE, data, res, fillcolor=pfill)
        else:
            angle = float(rng.choice([0, 90, 180, 270, -90, 45, 390, rng.uniform(-400, 400)]))
            expand = bool(rng.integers(0, 2))
            center = None if i % 4 else (float(rng.uniform(0, w)), float(rng.uniform(0, h)))
            got = pixnorm.rotate(img, angle, expand=expand, center=center, **kw)
            want = pil.rotate(angle, res, expand=expand, center=center, fillcolor=pfill)
        want_a = np.asarray(want).reshape(want.size[1], want.size[0], c)
        np.testing.assert_array_equal(got, want_a, err_msg=f"case {i}")


def test_pillow_levels_are_normalized_as_torchvision_does() -> None:
    """The float output is the uint8 result through ToDtype(scale=True) and Normalize."""
    rng = np.random.default_rng(5)
    img = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    levels = pixnorm.rotate(img, 33.0, convention="pillow", dtype=np.uint8, layout="HWC")
    got = pixnorm.rotate(img, 33.0, convention="pillow", mean=MEAN, std=STD)
    x = levels.astype(np.float32) * np.float32(1 / 255)
    want = (x - np.float32(MEAN)) / np.float32(STD)
    np.testing.assert_array_equal(got, want.transpose(2, 0, 1))
    for dtype in (np.float16, np.float32):
        half = pixnorm.rotate(img, 33.0, convention="pillow", mean=MEAN, std=STD, dtype=dtype)
        np.testing.assert_array_equal(half, got.astype(dtype))


def cv2_warp(img: np.ndarray[Any, Any], m: Any, size: Any, interp: str, fill: Any) -> Any:
    cv2 = pytest.importorskip("cv2")
    flag = cv2.INTER_NEAREST if interp == "nearest" else cv2.INTER_LINEAR
    out = cv2.warpAffine(
        img, np.asarray(m, np.float64), size[::-1], flags=flag | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT, borderValue=list(fill) + [0] * (4 - len(fill)),
    )  # fmt: skip
    return np.asarray(out).reshape(size[0], size[1], img.shape[2])


def test_opencv_two_channels_are_bit_exact() -> None:
    """2 channels: OpenCV's own fixed-point warp (1/1024-pixel positions, the 32 x 32 table of
    15-bit bilinear weights), bit for bit, nearest and bilinear."""
    rng = np.random.default_rng(6)
    for i in range(200):
        h, w = (int(v) for v in rng.integers(1, 60, 2))
        img = rng.integers(0, 256, (h, w, 2), dtype=np.uint8)
        m = random_matrix(rng, h, w)
        size = (int(rng.integers(1, 60)), int(rng.integers(1, 60)))
        interp = ("nearest", "bilinear")[i % 2]
        fill = [int(v) for v in rng.integers(0, 256, 2)]
        got = pixnorm.warp_affine(
            img, m, size, interpolation=interp, fill=fill, convention="opencv",
            dtype=np.uint8, layout="HWC",
        )  # fmt: skip
        np.testing.assert_array_equal(got, cv2_warp(img, m, size, interp, fill), f"case {i}")


def _ipp_cases(rng: np.random.Generator) -> list[tuple[Any, Any, tuple[int, int], str]]:
    """(image, inverse map, size, family): the families that separate the models of Intel IPP's
    warpAffine (docs/warp-conventions.md): random maps, rotations about the pixel grid's centre
    (exact quarter and half turns on sides differing by an odd number: sample positions within
    1e-16 of whole and half pixels), quarter turns moved by whole, half and tenth pixels, scales
    with a slight shear, maps landing near the border, outputs larger than the source
    (axis-aligned maps are refused)."""
    cv2 = pytest.importorskip("cv2")
    cases = []
    for i in range(240):
        family = ("random", "turn", "translate", "scale", "border", "large")[i % 6]
        C = (1, 3, 4)[int(rng.integers(0, 3))]
        h, w = (int(v) for v in rng.integers(3, 40, 2))
        img = rng.integers(0, 256, (h, w, C), dtype=np.uint8)
        size = (int(rng.integers(1, 50)), int(rng.integers(1, 50)))
        if family == "random":  # (singular and axis-aligned maps: refused)
            m = random_matrix(rng, h, w)
            while abs(np.linalg.det(m[:, :2])) < 1e-3 or (m[0, 1] == 0 and m[1, 0] == 0):
                m = random_matrix(rng, h, w)
        elif family == "turn":
            if rng.integers(0, 2):
                w = h + 2 * int(rng.integers(0, 5)) + 1
                img = rng.integers(0, 256, (h, w, C), dtype=np.uint8)
            angle = float(rng.choice([90.0, 180.0, 270.0, -90.0, 450.0]))
            fwd = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
            m = cv2.invertAffineTransform(fwd)
            size = (w, h) if angle % 180 else (h, w)
        elif family == "translate":  # a quarter turn moved by whole, half or tenth pixels
            step = float(rng.choice([1.0, 0.5, 0.1]))
            tx, ty = (float(v) * step for v in rng.integers(-6, 7, 2))
            s = float(rng.choice([1.0, -1.0]))
            m = np.array([[0.0, s, tx], [-s, 0.0, ty]])
        elif family == "scale":  # a scale with a slight shear (axis-aligned maps: refused)
            m = np.array([[rng.uniform(0.2, 3), 0.01, rng.uniform(-3, 3)],
                          [-0.01, rng.uniform(0.2, 3), rng.uniform(-3, 3)]])  # fmt: skip
        elif family == "border":  # positions near 0, w - 1, w - 0.5, -0.5, slightly rotated
            sx = float(rng.choice([(w - 1) / max(size[1] - 1, 1), w / size[1], 1.0]))
            sy = float(rng.choice([(h - 1) / max(size[0] - 1, 1), h / size[0], 1.0]))
            ox, oy = float(rng.choice([0.0, -0.5, 0.5, -1.0])), float(rng.choice([0.0, -0.5]))
            e = float(rng.choice([0.01, 1e-6]))
            m = np.array([[sx, e, ox], [-e, sy, oy]])
        else:
            size = (int(rng.integers(100, 300)), int(rng.integers(100, 300)))
            m = random_matrix(rng, h, w)
            while abs(np.linalg.det(m[:, :2])) < 1e-3 or (m[0, 1] == 0 and m[1, 0] == 0):
                m = random_matrix(rng, h, w)
            m = m * [[0.2, 0.2, 1.0], [0.2, 0.2, 1.0]]
        cases.append((img, np.asarray(m, np.float64), size, family))
    return cases


def test_opencv_ipp_bilinear_is_bit_exact() -> None:
    """1, 3 and 4 channels, bilinear: cv2.warpAffine as the wheels run it (Intel IPP) bit for
    bit, on every family of _ipp_cases, with random fills; rotate() on its own matrices too; on
    every ISA and thread count (the warp_ipp_u8 kernels and the generic code)."""
    pytest.importorskip("cv2")
    on_every_isa_and_thread_count(_ipp_check)


def _ipp_check() -> None:
    import cv2

    rng = np.random.default_rng(31)
    for i, (img, m, size, family) in enumerate(_ipp_cases(rng)):
        fill = [int(v) for v in rng.integers(0, 256, img.shape[2])]
        got = pixnorm.warp_affine(
            img, m, size, fill=fill, convention="opencv", dtype=np.uint8, layout="HWC"
        )
        want = cv2_warp(img, m, size, "bilinear", fill)
        np.testing.assert_array_equal(got, want, f"case {i} ({family}, {img.shape})")
    img = rng.integers(0, 256, (37, 52, 3), dtype=np.uint8)
    for angle in (23.5, -90.0, 90.0, 180.0, 333.3):
        got = pixnorm.rotate(
            img, angle, interpolation="bilinear", convention="opencv", dtype=np.uint8,
            layout="HWC",
        )  # fmt: skip
        fwd = cv2.getRotationMatrix2D((26 - 0.5, 18.5 - 0.5), angle, 1.0)
        want = cv2.warpAffine(img, fwd, (52, 37), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
        np.testing.assert_array_equal(got, want, f"rotate {angle}")


def test_expand_refuses_a_bounding_box_beyond_float32() -> None:
    """rotate(expand=True) about a centre so far away that torchvision's float32 bounding box
    overflows: a ValueError naming expand, no numpy overflow warning."""
    img = np.zeros((10, 10, 3), np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for conv in (None, "torch"):
            with pytest.raises(ValueError, match="^expand: the rotated image's bounding box"):
                pixnorm.rotate(img, 30.0, center=(1e300, 0.0), expand=True, convention=conv)
        assert pixnorm.rotate(img, 30.0, center=(1e3, 0.0), expand=True).shape[0] == 3


def test_opencv_rotate_takes_the_centre_as_a_float32_point() -> None:
    """rotate(convention='opencv', center=...) is cv2.getRotationMatrix2D about center - 0.5,
    whose centre is a cv::Point2f: random centres, 2 and 3 channels, bit for bit."""
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(12)
    for i in range(300):
        h, w = (int(v) for v in rng.integers(3, 30, 2))
        c = (2, 3)[i % 2]
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        angle = float(rng.uniform(-360, 360))
        cx, cy = float(rng.uniform(-2, w + 2)), float(rng.uniform(-2, h + 2))
        got = pixnorm.rotate(
            img, angle, center=(cx, cy), interpolation="bilinear", convention="opencv",
            dtype=np.uint8, layout="HWC",
        )  # fmt: skip
        fwd = cv2.getRotationMatrix2D((cx - 0.5, cy - 0.5), angle, 1.0)
        want = cv2.warpAffine(img, fwd, (w, h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
        np.testing.assert_array_equal(got, want.reshape(h, w, c), f"case {i}")


def test_opencv_ipp_refuses_what_it_does_not_match() -> None:
    img = np.zeros((10, 10, 3), np.uint8)
    m = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    with pytest.raises(ValueError, match="^interpolation: 'opencv' reproduces .*2-channel"):
        pixnorm.warp_affine(img, m, interpolation="nearest", convention="opencv")
    with pytest.raises(ValueError, match="^image: 'opencv' reproduces .* at least 3 x 3"):
        pixnorm.warp_affine(img[:2], m, convention="opencv")
    with pytest.raises(ValueError, match="^image: 'opencv' reproduces .* at least 3 x 3"):
        pixnorm.rotate(img[:, :1], 10.0, interpolation="bilinear", convention="opencv")
    for axis in ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[1.0, 0.0, -0.4], [0.0, 1.0, 0.3]],
                 [[2.0, 0.0, 1.0], [0.0, 0.5, 2.0]]):  # fmt: skip
        with pytest.raises(ValueError, match="^matrix: 'opencv' reproduces .*axis-aligned"):
            pixnorm.warp_affine(img, axis, convention="opencv")
    with pytest.raises(ValueError, match="^matrix: 'opencv' reproduces .*axis-aligned"):
        pixnorm.rotate(img, 0.0, interpolation="bilinear", convention="opencv")
    for huge in ([[1e155, 1.0, 5], [1.0, 1e155, 5]], [[1e-7, 1e-8, 0], [-1e-8, 1e-7, 0]],
                 [[1.0, 0.1, 1e10], [-0.1, 1.0, 0]]):  # fmt: skip
        with pytest.raises(ValueError, match="^matrix: 'opencv' reproduces .*coefficients"):
            pixnorm.warp_affine(img, huge, convention="opencv")
    singular = [[0.5, 1.0, 1.0], [1.0, 2.0, 0.5]]
    near = [[0.5, 1.0, 1.0], [1.0, 2.0 + 1e-9, 0.5]]
    for bad in (singular, near, [[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]], [[1e5, 1.0, 0], [1, 1e-5, 0]]):
        with pytest.raises(ValueError, match="^matrix: 'opencv' reproduces .*singular"):
            pixnorm.warp_affine(img, bad, convention="opencv")
    # 2 channels take any size, map and nearest (OpenCV's own code)
    pixnorm.warp_affine(img[:2, :1, :2], m, (3, 3), interpolation="nearest", convention="opencv")
    pixnorm.warp_affine(img[..., :2], singular, convention="opencv")


def test_opencv_ipp_fill_saturates_as_the_wheels_do() -> None:
    """1, 3 and 4 channels: borderValue through int32 (2^31 and above wrap, then saturate to
    0); 2 channels saturate to 255 (OpenCV's own code): both as cv2 gives them."""
    pytest.importorskip("cv2")
    rng = np.random.default_rng(8)
    m = np.array([[0.9, 0.2, -5.0], [-0.2, 0.9, 4.0]])
    for c in (1, 2, 3, 4):
        img = rng.integers(0, 256, (20, 30, c), dtype=np.uint8)
        for f in (2147483647.0, 2147483648.0, 3e9, 1e20, -3e9, 255.5, 256.0, -0.5):
            fill = [f] * c
            got = pixnorm.warp_affine(
                img, m, (25, 25), fill=fill, convention="opencv", dtype=np.uint8, layout="HWC"
            )
            np.testing.assert_array_equal(
                got, cv2_warp(img, m, (25, 25), "bilinear", fill), f"{c} {f}"
            )


def test_warp_output_formats_and_arguments() -> None:
    rng = np.random.default_rng(7)
    img = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    m = [[1.0, 0.1, 2.0], [-0.1, 1.0, 1.0]]
    chw = pixnorm.warp_affine(img, m, (16, 24), mean=MEAN, std=STD)
    assert chw.shape == (3, 16, 24) and chw.dtype == np.float32
    hwc = pixnorm.warp_affine(img, m, (16, 24), mean=MEAN, std=STD, layout="HWC")
    np.testing.assert_array_equal(hwc, chw.transpose(1, 2, 0))
    half = pixnorm.warp_affine(img, m, (16, 24), mean=MEAN, std=STD, dtype=np.float16)
    np.testing.assert_array_equal(half, chw.astype(np.float16))
    out = np.empty((3, 16, 24), np.float32)
    assert pixnorm.warp_affine(img, m, (16, 24), mean=MEAN, std=STD, out=out) is out
    np.testing.assert_array_equal(out, chw)
    # the default size is the image's, and a 3 x 3 affine matrix is accepted
    m3 = np.vstack([np.asarray(m), [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(pixnorm.warp_affine(img, m3), pixnorm.warp_affine(img, m))
    # fill is normalized like the pixels: a map far outside gives the fill's value
    far = [[1.0, 0.0, 1e6], [0.0, 1.0, 0.0]]
    got = pixnorm.warp_affine(img, far, (2, 2), fill=[10, 20, 30], mean=MEAN, std=STD)
    want = (np.array([10, 20, 30]) / 255 - np.array(MEAN)) / np.array(STD)
    np.testing.assert_allclose(got[:, 0, 0], want, rtol=1e-6)
    # a (H, W) gray image, views and torch tensors (C, H, W) read in place
    gray = img[..., 0]
    np.testing.assert_array_equal(
        pixnorm.warp_affine(gray, m, (5, 6)), pixnorm.warp_affine(gray[..., None], m, (5, 6))
    )
    view = img[::-1, ::2]
    np.testing.assert_array_equal(
        pixnorm.warp_affine(view, m, (5, 6)),
        pixnorm.warp_affine(np.ascontiguousarray(view), m, (5, 6)),
    )


def test_review_mends() -> None:
    """Pillow reduces the angle mod 360 before its matrix (one level at some pixels of angles
    outside [0, 360)); uint8 output of a float image is refused; a fill beyond float32 is
    refused; a map whose products overflow gives the fill (no undefined conversion)."""
    image = pytest.importorskip("PIL.Image")
    img = np.random.default_rng(0).integers(0, 256, (9, 9), dtype=np.uint8)
    a = -151.08034104473376
    want = np.asarray(image.fromarray(img).rotate(a, image.Resampling.BILINEAR))
    got = pixnorm.rotate(img, a, interpolation="bilinear", convention="pillow", dtype=np.uint8)
    np.testing.assert_array_equal(got[0], want)
    m = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    with pytest.raises(ValueError, match="uint8 output is for uint8 images"):
        pixnorm.warp_affine(np.zeros((4, 4, 3), np.float32), m, dtype=np.uint8)
    with pytest.raises(ValueError, match="fill: expected values finite in float32"):
        pixnorm.warp_affine(np.zeros((4, 4, 3), np.float32), m, fill=1e300)
    # products that overflow to inf - inf = NaN: those pixels take the fill, every ISA alike
    huge = [[1e308, 1e308, -1e308], [1e308, -1e308, 1e308]]
    for big in (np.full((6, 6, 3), 50, np.uint8), np.full((6, 6, 3), 50, np.float32)):
        results = on_every_isa_and_thread_count(
            lambda big=big: raw(big, huge, (5, 40), fill=[7, 8, 9])
        )
        for key, got in results.items():
            fill_px = (got == np.float32([7, 8, 9])).all(axis=2)
            assert ((got == 50).all(axis=2) | fill_px).all() and fill_px.sum() > 150, key
    # Pillow's fixed-point nearest engine with a coefficient beyond int32 in 16.16 (its
    # conversion gives INT_MIN on x86): Pillow's data straight to the core
    pil = image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    data = [40000.0, 0.001, -20000.0, 0.001, 1.0, 1.0]
    want = np.asarray(pil.transform((1, 3), image.Transform.AFFINE, data, image.NEAREST))
    got = pixnorm._core.warp_affine(
        np.asarray(pil)[..., None], data, 3, 1, "nearest", "pillow", [0.0], 0.0, 1.0, 1.0, 0.0,
        "uint8", "HWC", None,
    )  # fmt: skip
    np.testing.assert_array_equal(got[..., 0], want)


def test_affine_matches_torchvision() -> None:
    """affine: 'pillow' is torchvision's affine on a PIL image bit for bit (its matrix through
    Image.transform); None samples torchvision's matrix in exact float arithmetic (within 2e-4
    of torchvision on float images, bilinear)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    image = pytest.importorskip("PIL.Image")
    from torchvision.transforms.v2 import functional as F

    rng = np.random.default_rng(8)
    for i in range(120):
        h, w = (int(v) for v in rng.integers(2, 50, 2))
        c = int(rng.choice([1, 3, 4]))
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        pil = image.fromarray(img[..., 0] if c == 1 else img, pil_mode(c))
        angle = float(rng.uniform(-180, 180))
        tr = [float(v) for v in rng.uniform(-5, 5, 2)]
        zoom = float(rng.uniform(0.5, 2))
        shear: Any = [float(v) for v in rng.uniform(-20, 20, 2)] if i % 3 else 7.5
        center = None if i % 2 else [float(rng.uniform(0, w)), float(rng.uniform(0, h))]
        interp = ("nearest", "bilinear")[i % 2]
        mode = F.InterpolationMode.NEAREST if interp == "nearest" else F.InterpolationMode.BILINEAR
        want = np.asarray(F.affine(pil, angle, tr, zoom, shear, interpolation=mode, center=center))
        got = pixnorm.affine(
            img, angle, tr, zoom, shear, interpolation=interp, center=center,
            convention="pillow", dtype=np.uint8, layout="HWC",
        )  # fmt: skip
        np.testing.assert_array_equal(got, want.reshape(got.shape), err_msg=f"case {i}")
        if c == 3:
            x = img.astype(np.float32) / 255
            t = torch.from_numpy(x).permute(2, 0, 1)
            want_f = F.affine(
                t, angle, tr, zoom, shear, interpolation=F.InterpolationMode.BILINEAR,
                center=center,
            ).permute(1, 2, 0)  # fmt: skip
            got_f = pixnorm.affine(
                x, angle, tr, zoom, shear, interpolation="bilinear", center=center, mean=0.0,
                std=1.0, layout="HWC",
            )  # fmt: skip
            np.testing.assert_allclose(got_f, want_f.numpy(), atol=2e-4, err_msg=f"case {i}")
    with pytest.raises(ValueError, match="zoom"):
        pixnorm.affine(np.zeros((4, 4, 3), np.uint8), 10.0, zoom=0.0)
    with pytest.raises(TypeError, match="translate"):
        pixnorm.affine(np.zeros((4, 4, 3), np.uint8), 10.0, translate=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="OpenCV has no affine"):
        pixnorm.affine(np.zeros((4, 4, 2), np.uint8), 10.0, convention="opencv")


def test_warp_errors() -> None:
    img = np.zeros((10, 12, 3), np.uint8)
    m = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    cases: list[tuple[Any, type[Exception], str]] = [
        (lambda: pixnorm.warp_affine(img, [[1, 0, math.nan], [0, 1, 0]]), ValueError, "matrix"),
        (lambda: pixnorm.warp_affine(img, [[1, 0], [0, 1]]), ValueError, "matrix"),
        (lambda: pixnorm.warp_affine(img, "abc"), TypeError, "matrix"),
        (lambda: pixnorm.warp_affine(img, np.eye(2, 3) * 1j), TypeError, "real numbers"),
        (lambda: pixnorm.warp_affine(img, m, (0, 5)), ValueError, "size"),
        (lambda: pixnorm.warp_affine(img, m, 2.5), TypeError, "size"),
        (lambda: pixnorm.warp_affine(img, m, interpolation="bicubic"), ValueError, "interp"),
        (lambda: pixnorm.warp_affine(img, m, convention="torch"), ValueError, "not a given matrix"),
        (lambda: pixnorm.warp_affine(img, m, convention="cv2"), ValueError, "convention"),
        (lambda: pixnorm.warp_affine(img, m, fill=[1, 2]), ValueError, "fill"),
        (lambda: pixnorm.warp_affine(img, m, fill="x"), TypeError, "fill"),
        (
            lambda: pixnorm.warp_affine(img.astype(np.float32), m, convention="pillow"),
            TypeError,
            "uint8",
        ),
        (
            lambda: pixnorm.warp_affine(np.zeros((4, 4, 2), np.uint8), m, convention="pillow"),
            ValueError,
            "L, RGB and RGBA",
        ),
        (lambda: pixnorm.warp_affine(img, m, dtype=np.uint8, mean=0.5), ValueError, "uint8"),
        (
            lambda: pixnorm.warp_affine(img, m, interpolation="nearest", convention="opencv"),
            ValueError,
            "2-channel",
        ),
        (lambda: pixnorm.rotate(img, math.inf), ValueError, "angle"),
        (lambda: pixnorm.rotate(img, "30"), TypeError, "angle"),  # type: ignore[arg-type]
        (lambda: pixnorm.rotate(img, 30, center=(1,)), TypeError, "center"),
        (lambda: pixnorm.rotate(img, 30, expand="yes"), TypeError, "expand"),
        (
            lambda: pixnorm.rotate(img[..., :2], 30, expand=True, convention="opencv"),
            ValueError,
            "expand",
        ),
    ]
    for i, (call, exc, match) in enumerate(cases):
        with pytest.raises(exc, match=match):
            call()
            pytest.fail(f"case {i} did not raise")


def test_argument_forms_give_the_same_warp() -> None:
    """The common argument types take a short path (no numpy conversions): each form of the
    matrix, size, centre and angle gives the same bytes as every other, and the forms outside
    the short path (bools, NaN, other lengths) still meet the full checks."""
    img = np.random.default_rng(31).integers(0, 256, (20, 23, 3), dtype=np.uint8)
    rows = [[0.9, -0.2, 3.5], [0.25, 1.1, -2.0]]
    forms = [
        rows, tuple(map(tuple, rows)), np.array(rows), np.array(rows, order="F"),
        [v for r in rows for v in r], np.array(rows + [[0.0, 0.0, 1.0]]), np.array(rows).T.copy().T,
    ]  # fmt: skip
    want = pixnorm.warp_affine(img, np.array(rows), (9, 11)).tobytes()
    for m in forms:
        for size in [(9, 11), [9, 11], np.array([9, 11])]:
            assert pixnorm.warp_affine(img, m, size).tobytes() == want, (type(m), type(size))
    ints = [[1, 0, 2], [0, 1, 3]]
    assert (
        pixnorm.warp_affine(img, ints, (5, 6)).tobytes()
        == pixnorm.warp_affine(img, np.array(ints, np.float64), (5, 6)).tobytes()
    )
    flags = [[True, False, 2.0], [False, True, 3.0]]  # bools: numpy's path, as before
    assert (
        pixnorm.warp_affine(img, flags, (5, 6)).tobytes()
        == pixnorm.warp_affine(img, ints, (5, 6)).tobytes()
    )
    polar = pixnorm.warp_polar(img, (8, 9), (11.0, 9.5), 12.0).tobytes()
    for center in [(11, 9.5), [11.0, 9.5], np.array([11.0, 9.5]), (np.float32(11), 9.5)]:
        assert pixnorm.warp_polar(img, (8, 9), center, 12).tobytes() == polar, center
    turned = pixnorm.rotate(img, 17.0, center=(5.0, 6.0)).tobytes()
    assert pixnorm.rotate(img, 17, center=[5, 6]).tobytes() == turned
    assert pixnorm.rotate(img, np.float64(17.0), center=(5.0, 6.0)).tobytes() == turned
    with pytest.raises(ValueError, match="^matrix: expected finite values"):
        pixnorm.warp_affine(img, [0.9, -0.2, math.inf, 0.25, 1.1, -2.0], (5, 6))
    with pytest.raises(ValueError, match=r"^matrix: expected shape \(2, 3\)"):
        pixnorm.warp_affine(img, [0.9, -0.2, 3.5, 0.25, 1.1], (5, 6))
    with pytest.raises(TypeError, match="^center: expected a real number, got bool"):
        pixnorm.warp_polar(img, (8, 9), (True, 9.5), 12.0)
    with pytest.raises(ValueError, match="^center: expected finite coordinates"):
        pixnorm.warp_polar(img, (8, 9), (math.nan, 9.5), 12.0)
    with pytest.raises(TypeError, match="^size: expected an int or"):
        pixnorm.warp_affine(img, rows, (True, 4))
    with pytest.raises(ValueError, match="^angle: expected a finite number"):
        pixnorm.rotate(img, math.nan)
    with pytest.raises(TypeError, match="^channels_last: expected a bool"):
        pixnorm.rotate(img, 3.0, channels_last=1)  # type: ignore[call-arg]
    # ints beyond int64 and float: the full checks' errors (the review: a raw OverflowError)
    with pytest.raises(ValueError, match="^center: an int of about 1e400 is out of range"):
        pixnorm.warp_polar(img, (8, 9), (10**400, 9.5), 12.0)
    for big in (10**400, 2**70):
        with pytest.raises(TypeError, match="^matrix: expected a 2 x 3 array of real numbers"):
            pixnorm.warp_affine(img, [[big, 0, 0], [0, 1, 0]], (5, 6))
    for size in [(2**63, 3), np.array([2**63, 3], np.uint64)]:
        with pytest.raises(ValueError, match=r"^size: \(9223372036854775808, 3\) is out of range"):
            pixnorm.warp_affine(img, rows, size)


# ---- warp_polar ------------------------------------------------------------------------------


def cv2_polar(img: np.ndarray[Any, Any], size: Any, center: Any, radius: float, **kw: Any) -> Any:
    cv2 = pytest.importorskip("cv2")
    flags = cv2.INTER_NEAREST if kw.get("interpolation") == "nearest" else cv2.INTER_LINEAR
    flags |= cv2.WARP_FILL_OUTLIERS
    flags |= cv2.WARP_POLAR_LOG if kw.get("log") else 0
    flags |= cv2.WARP_INVERSE_MAP if kw.get("inverse") else 0
    out = cv2.warpPolar(img, (size[1], size[0]), center, radius, flags)
    return np.asarray(out).reshape(size[0], size[1], img.shape[2])


def random_polar(rng: np.random.Generator, i: int) -> tuple[Any, ...]:
    c = (1, 2, 3, 4)[i % 4]
    h, w = (int(v) for v in rng.integers(2, 70, 2))
    img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
    size = (int(rng.integers(1, 80)), int(rng.integers(1, 80)))
    center = (float(rng.uniform(-5, w + 5)), float(rng.uniform(-5, h + 5)))
    if i % 7 == 0:  # the pixel grid's own points and radii
        center, radius = (float(w // 2), float(h // 2)), float(min(h, w) // 2 + 1)
    else:
        radius = float(rng.uniform(1.5, 90))
    return img, size, center, radius


def test_polar_opencv_forward_is_bit_exact() -> None:
    """convention='opencv': cv2.warpPolar(WARP_FILL_OUTLIERS) bit for bit, forward, linear and
    semi-log, nearest and bilinear, 1 to 4 channels (OpenCV 5's float remap kernel, the
    fixed-point tables for 2 channels), centres inside and outside the image; on every ISA and
    thread count (the remap_u8 kernels)."""
    pytest.importorskip("cv2")
    on_every_isa_and_thread_count(_polar_opencv_check)


def _polar_opencv_check() -> None:
    rng = np.random.default_rng(16)
    for i in range(240):
        img, size, center, radius = random_polar(rng, i)
        kw = {"interpolation": ("bilinear", "nearest")[i // 4 % 2], "log": i // 8 % 2 == 1}
        got = pixnorm.warp_polar(
            img, size, center, radius, convention="opencv", dtype=np.uint8, layout="HWC", **kw
        )
        np.testing.assert_array_equal(got, cv2_polar(img, size, center, radius, **kw), f"case {i}")
    # the float output: those levels through ToDtype(scale=True) and Normalize
    levels = pixnorm.warp_polar(img[..., :1], (20, 30), (5.0, 6.0), 12.0, convention="opencv",
                                dtype=np.uint8, layout="HWC")  # fmt: skip
    got = pixnorm.warp_polar(img[..., :1], (20, 30), (5.0, 6.0), 12.0, convention="opencv",
                             mean=[0.5], std=[0.25])  # fmt: skip
    want = (levels.astype(np.float32) * np.float32(1 / 255) - np.float32(0.5)) / np.float32(0.25)
    np.testing.assert_array_equal(got, want.transpose(2, 0, 1))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["u8", "f32", "u16"]),
    interpolation=st.sampled_from(["bilinear", "nearest"]),
    log=st.booleans(),
    inverse=st.booleans(),
)
def test_polar_default_within_the_float64_bound(
    seed: int, kind: str, interpolation: str, log: bool, inverse: bool
) -> None:
    """Convention None, forward and inverse, against reference.warp_polar within
    reference.warp_error_bound (nearest exactly), on every ISA and thread count."""
    rng = np.random.default_rng(seed)
    img8, size, center, radius = random_polar(rng, int(rng.integers(0, 1000)))
    c = img8.shape[2]
    if kind == "f32":
        img = (rng.random(img8.shape, dtype=np.float32) * 2 - 0.5).astype(np.float32)
        fill = [float(v) for v in rng.uniform(-1, 2, c)]
    else:
        top = 255 if kind == "u8" else 65535
        img = rng.integers(0, top + 1, img8.shape).astype(np.uint8 if kind == "u8" else np.uint16)
        fill = [float(v) for v in rng.integers(0, top + 1, c)]
    radius = max(radius, 1.5)
    want = ref.warp_polar(img, size[0], size[1], center, radius, interpolation, fill, log, inverse)
    bound = ref.warp_error_bound(img, fill)

    def run() -> np.ndarray[Any, Any]:
        return np.asarray(
            pixnorm.warp_polar(
                img,
                size,
                center,
                radius,
                log=log,
                inverse=inverse,
                interpolation=interpolation,
                fill=fill,
                mean=0.0,
                std=1.0,
                scale=1.0,
                layout="HWC",
            )  # fmt: skip
        )

    for key, got in on_every_isa_and_thread_count(run).items():
        if interpolation == "nearest":
            np.testing.assert_array_equal(got, want.astype(np.float32), err_msg=str(key))
        else:
            err = float(np.abs(got.astype(np.float64) - want).max(initial=0.0))
            assert err <= bound, (key, err, bound)


def test_polar_default_is_near_opencv_and_inverts_the_forward_map() -> None:
    """The default convention's exact map: within one level of OpenCV's forward (its weights
    are rounded differently) and of its inverse (OpenCV's approximate angles); and the inverse
    of the forward polar image gives back the image near the centre."""
    rng = np.random.default_rng(17)
    img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    img = np.ascontiguousarray(np.repeat(np.repeat(img[::8, ::8], 8, 0), 8, 1))  # smooth blocks
    fwd = pixnorm.warp_polar(img, (360, 64), (32.0, 32.0), 45.0, dtype=np.uint8, layout="HWC")
    ocv = cv2_polar(img, (360, 64), (32.0, 32.0), 45.0)
    assert np.abs(fwd.astype(int) - ocv).max() <= 1
    back = pixnorm.warp_polar(
        fwd, (64, 64), (32.0, 32.0), 45.0, inverse=True, dtype=np.uint8, layout="HWC"
    )
    ocv_back = cv2_polar(ocv, (64, 64), (32.0, 32.0), 45.0, inverse=True)
    assert np.abs(back.astype(int) - ocv_back).max() <= 1
    inner = np.abs(back[20:44, 20:44].astype(int) - img[20:44, 20:44])
    assert np.median(inner) == 0  # a round trip through the polar grid: blocks come back


def test_polar_errors() -> None:
    img = np.zeros((8, 9, 3), np.uint8)
    cases = [
        (lambda: pixnorm.warp_polar(img, (4, 4), (1, 1), 0.0), ValueError, "max_radius"),
        (lambda: pixnorm.warp_polar(img, (4, 4), (1, 1), math.inf), ValueError, "max_radius"),
        (lambda: pixnorm.warp_polar(img, (4, 4), (1, 1), 1.0, log=True), ValueError, "> 1"),
        (lambda: pixnorm.warp_polar(img, (4, 4), (1, math.nan), 3.0), ValueError, "center"),
        (lambda: pixnorm.warp_polar(img, (4, 4), (1, 2, 3), 3.0), ValueError, "center"),
        (lambda: pixnorm.warp_polar(img, (4, 4), "ab", 3.0), TypeError, "center"),
        (lambda: pixnorm.warp_polar(img, (0, 4), (1, 1), 3.0), ValueError, "size"),
        (lambda: pixnorm.warp_polar(img, None, (1, 1), 3.0), TypeError, "size"),
        (lambda: pixnorm.warp_polar(img, 4, (1, 1), 3.0, log=1), TypeError, "log"),
        (lambda: pixnorm.warp_polar(img, 4, (1, 1), 3.0, convention="pillow"), ValueError,
         "Pillow has no polar"),
        (lambda: pixnorm.warp_polar(img, 4, (1, 1), 3.0, convention="opencv", inverse=True),
         ValueError, "approximate"),
        (lambda: pixnorm.warp_polar(img, 4, (1, 1), 3.0, convention="opencv", fill=7),
         ValueError, "fills outliers with 0"),
        (lambda: pixnorm.warp_polar(img, 4, (1, 1), 3.0, convention="opencv", fill="a"),
         TypeError, "fill: expected a number"),
        (lambda: pixnorm.warp_polar(img.astype(np.float32), 4, (1, 1), 3.0, convention="opencv"),
         TypeError, "uint8"),
        (lambda: pixnorm.warp_polar(img, 4, (1, 1), 3.0, interpolation="bicubic"), ValueError,
         "bilinear"),
    ]  # fmt: skip
    for call, kind, match in cases:
        with pytest.raises(kind, match=match):
            call()


def test_polar_kernel_and_portable_paths_agree() -> None:
    """uint8 packed rows take the warp kernels (the linear forward map is affine along each
    row); views take the portable code: the same bits, on every ISA."""
    rng = np.random.default_rng(18)
    for i in range(40):
        img, size, center, radius = random_polar(rng, i)
        if img.shape[2] == 2:
            continue
        view = img[..., ::-1]  # channels reversed: not packed, the portable path
        packed = np.ascontiguousarray(view)
        kw = {"interpolation": ("bilinear", "nearest")[i % 2], "log": i % 3 == 0,
              "fill": [float(v) for v in rng.integers(0, 256, img.shape[2])]}  # fmt: skip

        args = (size, center, radius)

        def run(kw: dict[str, Any] = kw, args: Any = args, v: Any = view, p: Any = packed) -> bool:
            np.testing.assert_array_equal(
                pixnorm.warp_polar(v, *args, **kw), pixnorm.warp_polar(p, *args, **kw)
            )
            return True

        on_every_isa_and_thread_count(run)


# ---- convention 'torch' ----------------------------------------------------------------------


def test_torch_rotate_and_affine_are_bit_exact() -> None:
    """convention='torch': torchvision v2's rotate and affine on uint8 tensors bit for bit (its
    v2 matrix, float32 grid in the batched-matmul or MKL order, grid_sample's fma arithmetic on
    AVX2 / AVX-512, the (v - fill) * mask + fill blend, its exact quarter turns), nearest and
    bilinear, 1-4 channels, expand, centres, fills; then its float arithmetic on the levels."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    from torchvision.transforms.v2 import functional as F

    rng = np.random.default_rng(19)
    for i in range(320):
        c = (1, 2, 3, 4)[i % 4]
        h, w = (int(v) for v in rng.integers(1, 70, 2))
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        t = torch.from_numpy(img).permute(2, 0, 1)
        interp = ("nearest", "bilinear")[i // 4 % 2]
        mode = F.InterpolationMode.NEAREST if interp == "nearest" else F.InterpolationMode.BILINEAR
        fill: Any = (None, [float(v) for v in rng.uniform(0, 255, c)], float(rng.integers(256)))[
            i % 3
        ]
        center = None if i % 5 else [float(rng.uniform(-5, w + 5)), float(rng.uniform(-5, h + 5))]
        kw = {"interpolation": interp, "fill": fill, "center": center, "convention": "torch"}
        if i % 2 == 0:
            angle = float(rng.choice([0, 90, 180, 270, -90, 450, rng.uniform(-720, 720)]))
            expand = bool(rng.integers(2))
            want = F.rotate(t, angle, mode, expand=expand, center=center, fill=fill)
            got = pixnorm.rotate(img, angle, expand=expand, dtype=np.uint8, layout="HWC", **kw)
        else:
            angle = float(rng.uniform(-180, 180))
            tr = [float(v) for v in rng.uniform(-10, 10, 2)]
            z = float(rng.uniform(0.5, 2))
            sh = [float(v) for v in rng.uniform(-30, 30, 2)]
            want = F.affine(
                t, angle=angle, translate=tr, scale=z, shear=sh, interpolation=mode, fill=fill,
                center=center,
            )  # fmt: skip
            got = pixnorm.affine(img, angle, tr, z, sh, dtype=np.uint8, layout="HWC", **kw)
        np.testing.assert_array_equal(got, want.permute(1, 2, 0).numpy(), f"case {i}")
    # the float output: the levels through ToDtype(scale=True) and Normalize
    levels = pixnorm.rotate(img, 33.0, convention="torch", dtype=np.uint8, layout="HWC")
    got = pixnorm.rotate(img, 33.0, convention="torch", mean=[0.5] * c, std=[0.25] * c)
    x = levels.astype(np.float32) * np.float32(1 / 255)
    want_f = (x - np.float32(0.5)) / np.float32(0.25)
    np.testing.assert_array_equal(got, want_f.transpose(2, 0, 1))
    with pytest.raises(ValueError, match="fill in 0..255"):
        pixnorm.rotate(img, 10.0, convention="torch", fill=300)
    with pytest.raises(ValueError, match="no polar warp"):
        pixnorm.warp_polar(img, 8, (1.0, 1.0), 3.0, convention="torch")


def test_polar_review_mends() -> None:
    """'opencv' refuses sides of 32767 or more (cv::remap asserts; the 2-channel tables would
    clamp the positions), and the inverse's radius is sqrt(dx^2 + dy^2) step by step (libm's
    hypot and the reference's differed by an ulp, which flipped a nearest column)."""
    wide = np.zeros((1, 40000, 2), np.uint8)
    with pytest.raises(ValueError, match="sides below 32767"):
        pixnorm.warp_polar(wide, (1, 4), (39990.0, 0.0), 4.0, convention="opencv")
    with pytest.raises(ValueError, match="sides below 32767"):
        pixnorm.warp_affine(wide, [[1, 0, 0], [0, 1, 0]], (1, 4), convention="opencv")
    with pytest.raises(ValueError, match="sides below 32767"):
        pixnorm.warp_polar(wide[:, :8, :1], (40000, 2), (1.0, 0.0), 4.0, convention="opencv")
    img = np.arange(8, dtype=np.float32).reshape(1, 8) + 10
    kw: dict[str, Any] = {"inverse": True, "interpolation": "nearest"}
    got = pixnorm.warp_polar(img, (41, 10), (0.3, 0.7), 92.00333623054667, **kw, mean=0.0,
                             std=1.0, scale=1.0, layout="HWC")  # fmt: skip
    want = ref.warp_polar(img, 41, 10, (0.3, 0.7), 92.00333623054667, "nearest", [0.0], False, True)
    np.testing.assert_array_equal(got, want.astype(np.float32))


def test_warps_take_a_per_channel_normalizer_and_warn_on_ranges() -> None:
    """A per-channel Normalizer is its mean and std; a per-pixel mean image is refused with a
    message saying where it belongs; mean/std in 0-255 for a [0, 1] scale warn as preprocess."""
    img = np.random.default_rng(2).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    m = np.array([[0.9, 0.1, 2.0], [-0.1, 0.9, 3.0]])
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    norm = pixnorm.Normalizer(mean, std)
    np.testing.assert_array_equal(
        pixnorm.warp_affine(img, m, (20, 25), mean=norm),
        pixnorm.warp_affine(img, m, (20, 25), mean=mean, std=std),
    )
    np.testing.assert_array_equal(
        pixnorm.warp_polar(img, 16, (20, 15), 20.0, mean=norm),
        pixnorm.warp_polar(img, 16, (20, 15), 20.0, mean=mean, std=std),
    )
    with pytest.raises(ValueError, match="warped image itself"):
        pixnorm.rotate(img, 5.0, mean=norm, dtype=np.uint8)
    with pytest.raises(ValueError, match="per-pixel mean image is for preprocess"):
        pixnorm.rotate(img, 5.0, mean=np.zeros((30, 40, 3)), std=1.0)
    with pytest.warns(UserWarning, match="mean: 124 exceeds 1"):
        pixnorm.rotate(img, 5.0, mean=[124, 116, 104], std=[58, 57, 57])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pixnorm.rotate(img, 5.0, mean=mean, std=std)  # nothing to say


def test_flip_mirrors_the_warped_output() -> None:
    """flip= mirrors the warp's output (torchvision's flip after the warp): in every convention,
    path (the uint8 kernels, strided and 1-channel images, 'opencv''s two channels, polar) and
    output format, on every ISA and thread count, exactly the unflipped result mirrored."""
    on_every_isa_and_thread_count(_flip_cases)
    img = np.zeros((5, 6, 3), np.uint8)
    with pytest.raises(ValueError, match="^flip: expected a bool or one of"):
        pixnorm.rotate(img, 10.0, flip="sideways")
    with pytest.raises(TypeError, match="^flip: expected a bool"):
        pixnorm.warp_affine(img, [1, 0, 0, 0, 1, 0], flip=1)


def _flip_cases() -> None:
    rng = np.random.default_rng(23)
    img = rng.integers(0, 256, (37, 53, 3), np.uint8)
    matrix = [0.9, 0.1, 1.0, -0.1, 0.9, 2.0]
    images = [img, img[..., :1], img[::2, ::-1], img[..., :2], img.astype(np.float32) / 255]
    for im in images:
        for conv in (None, "torch", "pillow", "opencv"):
            if (conv and im.dtype != np.uint8) or (conv != "opencv" and im.shape[2] == 2):
                continue
            for interp in ("nearest", "bilinear"):
                if conv == "opencv" and interp == "nearest" and im.shape[2] != 2:
                    continue  # (IPP's nearest: refused)
                for dt in (np.float32, np.uint8, np.float16):
                    if dt is np.uint8 and im.dtype != np.uint8:
                        continue
                    for layout in ("CHW", "HWC"):
                        kw: dict[str, Any] = {
                            "interpolation": interp, "convention": conv, "dtype": dt,
                            "layout": layout,
                        }  # fmt: skip
                        if dt is not np.uint8:
                            kw.update(mean=[0.4] * im.shape[2], std=[0.2] * im.shape[2])

                        def run(im: Any = im, conv: Any = conv, **k: Any) -> Any:
                            if conv == "opencv":
                                return pixnorm.warp_affine(im, matrix, **k)
                            return pixnorm.rotate(im, 23.5, **k)

                        a = run(**kw)
                        ax = 2 if layout == "CHW" else 1
                        for flip, want in (
                            (True, np.flip(a, ax)),
                            ("horizontal", np.flip(a, ax)),
                            ("vertical", np.flip(a, ax - 1)),
                            ("both", np.flip(a, (ax - 1, ax))),
                            (False, a),
                        ):
                            got = run(flip=flip, **kw)
                            assert got.dtype == a.dtype
                            assert got.tobytes() == np.ascontiguousarray(want).tobytes(), (
                                conv, interp, dt, layout, flip,
                            )  # fmt: skip
    polar = pixnorm.warp_polar(img, (40, 30), (20.0, 15.0), 25.0)
    got = pixnorm.warp_polar(img, (40, 30), (20.0, 15.0), 25.0, flip="both")
    np.testing.assert_array_equal(got, polar[:, ::-1, ::-1])
    a = pixnorm.affine(img, 10.0, (2.0, 3.0), 1.1, 5.0, convention="torch", flip="vertical")
    b = pixnorm.affine(img, 10.0, (2.0, 3.0), 1.1, 5.0, convention="torch")
    np.testing.assert_array_equal(a, b[:, ::-1])


def test_torch_flip_after_rotate_is_torchvisions() -> None:
    """convention='torch' with flip: torchvision v2's horizontal_flip / vertical_flip of its
    rotate on a uint8 tensor, bit for bit, then ToDtype(scale=True) and Normalize."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    from torchvision.transforms.v2 import functional as F

    rng = np.random.default_rng(29)
    img = rng.integers(0, 256, (45, 61, 3), np.uint8)
    t = torch.from_numpy(img).permute(2, 0, 1)
    for angle in (-13.0, 7.5, 90.0):
        rot = F.rotate(t, angle, F.InterpolationMode.BILINEAR)
        for flip, fn in (("horizontal", F.horizontal_flip), ("vertical", F.vertical_flip)):
            x = F.to_dtype(fn(rot), torch.float32, scale=True)
            want = F.normalize(x, MEAN, STD).numpy()
            got = pixnorm.rotate(img, angle, interpolation="bilinear", convention="torch",
                                 flip=flip, mean=MEAN, std=STD)  # fmt: skip
            np.testing.assert_array_equal(got, want)
