"""preprocess(angle=) and preprocess_batch(angles=) (issue 16): the source turned about the
box's centre before the box is resized, in one call."""

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

LEVELS: dict[str, Any] = {"mean": 0.0, "std": 1.0, "scale": 1.0}  # values before normalizing
# The antialiased first stage, like every uint8 resize, may run its vertical pass on the uint8
# rows with integer weights: within max|x| / 2040 of the float result
# (reference.bilinear_fixed_error; 0.125 levels for 255), plus the float32 warp's rounding.
U8_STAGE = 255.0 / 2040.0 + 1e-3


def image(rng: np.random.Generator, kind: str, h: int, w: int, c: int) -> np.ndarray[Any, Any]:
    if kind == "f32":
        return (rng.random((h, w, c), dtype=np.float32) * 2 - 0.5).astype(np.float32)
    top = 255 if kind == "u8" else 65535
    return rng.integers(0, top + 1, (h, w, c)).astype(np.uint8 if kind == "u8" else np.uint16)


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(2, 40),
    w=st.integers(2, 40),
    oh=st.integers(1, 48),
    ow=st.integers(1, 48),
    c=st.sampled_from([1, 2, 3, 4]),
    kind=st.sampled_from(["u8", "f32", "u16"]),
    interpolation=st.sampled_from(["bilinear", "nearest"]),
    angle=st.floats(-720, 720, allow_nan=False),
    data=st.data(),
)
def test_single_stage_within_the_float64_definition(
    h: int, w: int, oh: int, ow: int, c: int, kind: str, interpolation: str, angle: float,
    data: st.DataObject,
) -> None:  # fmt: skip
    """antialias=False (or no axis shrinking) samples the source once: against
    reference.rotated_preprocess (positions computed per pixel from the written definition)
    within reference.warp_error_bound, nearest exactly, on every ISA and thread count; boxes,
    eval crops, output sizes and flips at random, and strided views (read in place: the
    sanitizer run covers them)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    img = image(rng, kind, h, w, c)
    view = data.draw(st.sampled_from(["packed", "reversed", "padded"]))
    if view == "reversed":  # negative strides on both axes
        img = img[::-1, ::-1]
    elif view == "padded":  # a window of a larger image, every other column
        img = image(rng, kind, h + 2, 2 * w + 1, c)[1 : h + 1, 1::2]
    fill = [float(v) for v in rng.integers(0, 256, c)] if data.draw(st.booleans()) else None
    if data.draw(st.booleans()):  # a box resized to (oh, ow)
        bh, bw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
        box = (int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1)), bh, bw)
        kw: dict[str, Any] = {"box": box, "size": (oh, ow)}
        resized, offset, out_hw = (oh, ow), (0, 0), (oh, ow)
    else:  # Resize(size) then a centre crop
        rh, rw = oh + int(rng.integers(0, 6)), ow + int(rng.integers(0, 6))
        box = (0, 0, h, w)
        kw = {"size": (rh, rw), "crop": (oh, ow)}
        resized, out_hw = (rh, rw), (oh, ow)
        offset = (int(round((rh - oh) / 2.0)), int(round((rw - ow) / 2.0)))
    if angle % 360.0 == 0.0:  # (no turn: preprocess's own resize, which clamps at the edges)
        angle = 1.0
    flip = data.draw(st.sampled_from([False, "horizontal", "vertical", "both"]))
    kw["flip"] = flip
    args = (img, box, resized, offset, out_hw, angle)
    want = ref.rotated_preprocess(*args, interpolation, 0.0 if fill is None else fill)
    # nearest: a position halfway between two pixels (the turn's centre often is one) may go
    # either way by the last bit of the float64 arithmetic: those pixels are not compared
    pos = ref.rotated_preprocess(*args, "positions", 0.0)
    tie = (np.abs(pos - np.floor(pos) - 0.5) < 1e-9).any(axis=0)
    axes = [0] if flip in ("vertical", "both") else []
    axes += [1] if flip in ("horizontal", "both") else []
    if axes:  # flips mirror the turned output
        want, tie = np.flip(want, axis=axes), np.flip(tie, axis=axes)
    bound = ref.warp_error_bound(img, 0.0 if fill is None else fill)
    results = on_every_isa_and_thread_count(
        lambda: pixnorm.preprocess(
            img,
            angle=angle,
            antialias=False,
            interpolation=interpolation,
            fill=fill,
            layout="HWC",
            **kw,
            **LEVELS,
        )  # fmt: skip
    )
    for key, got in results.items():
        if interpolation == "nearest":  # the same pixel
            np.testing.assert_array_equal(
                got[~tie], want.astype(np.float32)[~tie], err_msg=str(key)
            )
        else:
            err = float(np.abs(got.astype(np.float64) - want).max())
            assert err <= bound, (key, err, bound)


def test_the_whole_image_at_its_size_is_rotate() -> None:
    """A box of the whole image at its own size turns it as rotate(convention=None) does
    (torchvision's geometry, an independent formula), bit for bit, with fill and flips
    (nearest quarter turns of an image whose sides differ by an odd number put every pixel on
    a tie, which rotate breaks by its matrix's rounding residue: not compared)."""
    rng = np.random.default_rng(3)
    for h, w, c in [(37, 52, 3), (20, 20, 1), (9, 31, 4)]:
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        for angle in [17.0, -33.0, 90.0, 180.0, 271.5, 725.0]:
            for interp in ["bilinear", "nearest"]:
                for flip in [False, "vertical", "both"]:
                    if interp == "nearest" and angle % 180 == 90 and (h - w) % 2:
                        continue  # ties: rotate's matrix (torchvision's) has 6e-17 residues
                    a = pixnorm.preprocess(
                        img, size=(h, w), angle=angle, interpolation=interp, fill=7, flip=flip
                    )
                    b = pixnorm.rotate(img, angle, interpolation=interp, fill=7, flip=flip)
                    np.testing.assert_array_equal(a, b, err_msg=f"{angle} {interp} {flip}")


def test_quarter_turns_of_a_square_box_move_the_unrotated_result() -> None:
    """Turning a square box by 90, 180 or 270 degrees turns the resized box: np.rot90 of the
    unrotated call inside a 2-pixel border (the border differs: the unrotated filter never
    reads outside the box, the turned one reads the image around it). Within U8_STAGE: the
    unrotated uint8 resize runs in fixed point (the turned one without antialias samples in
    float), and the first stage's vertical pass may take other integer weights."""
    rng = np.random.default_rng(5)
    img = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    box = (5, 10, 40, 40)
    for k, angle in [(1, 90.0), (2, 180.0), (3, 270.0), (1, -270.0)]:
        for aa, size in [(False, (20, 20)), (False, (56, 56)), (True, (20, 20)), (True, (10, 10))]:
            base = pixnorm.preprocess(img, box=box, size=size, antialias=aa, **LEVELS)
            got = pixnorm.preprocess(img, box=box, size=size, antialias=aa, angle=angle, **LEVELS)
            want = np.rot90(base, k, axes=(1, 2))
            np.testing.assert_allclose(
                got[:, 2:-2, 2:-2],
                want[:, 2:-2, 2:-2],
                rtol=0,
                atol=U8_STAGE,
                err_msg=f"{angle} {aa}",
            )


def photo() -> np.ndarray[Any, Any]:
    skimage = pytest.importorskip("skimage.data")
    return np.asarray(skimage.astronaut())


def psnr(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def test_antialiased_first_stage_is_near_the_unrotated_resize() -> None:
    """With antialias and a downscale the turned box samples a first stage resized by the
    same factor, its grid through the output's: at an angle of 1e-6 degrees (the first stage,
    nearly no turn) the result is the unrotated antialiased resize inside a 2-pixel border
    (within U8_STAGE), and within 50 dB PSNR with the border (measured 59-63 dB: the turned
    box's filter reads the image around the box, the unrotated one stops at the box's edge; a
    resize without antialias is 33-42 dB from it, for scale)."""
    img = photo()
    for box, size in [
        ((37, 51, 300, 411), (224, 224)),
        ((5, 9, 333, 251), (224, 224)),
        ((0, 0, 512, 512), (224, 224)),
        ((10, 10, 400, 400), (200, 200)),
    ]:
        base = pixnorm.preprocess(img, box=box, size=size, **LEVELS)
        got = pixnorm.preprocess(img, box=box, size=size, angle=1e-6, **LEVELS)
        assert psnr(got, base) >= 50.0, (box, size, psnr(got, base))
        np.testing.assert_allclose(
            got[:, 2:-2, 2:-2], base[:, 2:-2, 2:-2], rtol=0, atol=U8_STAGE, err_msg=str(box)
        )


def test_antialias_averages_what_each_output_pixel_covers() -> None:
    """A one-pixel checkerboard (0 / 255) shrunk 5 times and turned 30 degrees: with
    antialias every pixel away from the corners averages to about 127.5 (within 6 levels),
    without it the samples alias (levels far from the mean)."""
    yy, xx = np.mgrid[0:400, 0:400]
    img = (((yy + xx) % 2) * 255).astype(np.uint8)[:, :, None]
    box = (100, 100, 200, 200)
    kw: dict[str, Any] = {"box": box, "size": (40, 40), "angle": 30.0, **LEVELS}
    smooth = pixnorm.preprocess(img, **kw)[0]
    rough = pixnorm.preprocess(img, antialias=False, **kw)[0]
    assert float(np.abs(smooth - 127.5).max()) <= 6.0
    assert float(np.abs(rough - 127.5).max()) >= 100.0


def test_constant_image_stays_constant_and_corners_take_the_fill() -> None:
    """A constant image turned inside itself keeps its value (within U8_STAGE); pixels whose
    samples all fall outside the image are the fill exactly, normalized as the image."""
    img = np.full((50, 70, 3), 200, np.uint8)
    for aa in [False, True]:
        got = pixnorm.preprocess(
            img, box=(15, 20, 20, 30), size=(10, 15), angle=40, antialias=aa, **LEVELS
        )
        np.testing.assert_allclose(got, 200.0, rtol=0, atol=U8_STAGE)
        whole = pixnorm.preprocess(
            img, size=(32, 32), angle=45, antialias=aa, fill=(10, 20, 30), **LEVELS
        )
        for ch, f in enumerate((10, 20, 30)):
            assert whole[ch, 0, 0] == f and whole[ch, -1, -1] == f
        assert float(np.abs(whole[:, 16, 16] - 200).max()) <= U8_STAGE
    # the fill normalized as normalize normalizes a pixel of that level, bit for bit
    level = pixnorm.normalize(np.full((1, 1, 3), 51, np.uint8), mean=0.2, std=0.5)[:, 0, 0]
    for aa in (True, False):
        norm = pixnorm.preprocess(
            img, size=(32, 32), angle=45, fill=51, mean=0.2, std=0.5, antialias=aa
        )
        np.testing.assert_array_equal(norm[:, 0, 0], level)


def test_output_formats_are_the_float32_result_converted() -> None:
    """dtype and layout: float16, bfloat16 (when ml_dtypes is installed) and HWC are the
    float32 CHW result rounded / transposed; uint8 is the levels rounded half to even."""
    rng = np.random.default_rng(11)
    img = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    kw: dict[str, Any] = {"box": (10, 20, 60, 80), "size": (24, 32), "angle": 12.5}
    base = pixnorm.preprocess(img, mean=0.5, std=0.25, **kw)
    f16 = pixnorm.preprocess(img, mean=0.5, std=0.25, dtype=np.float16, **kw)
    np.testing.assert_array_equal(f16, base.astype(np.float16))
    hwc = pixnorm.preprocess(img, mean=0.5, std=0.25, layout="HWC", **kw)
    np.testing.assert_array_equal(hwc, base.transpose(1, 2, 0))
    try:
        import ml_dtypes
    except ImportError:
        ml_dtypes = None
    if ml_dtypes is not None:
        bf = pixnorm.preprocess(img, mean=0.5, std=0.25, dtype="bfloat16", **kw)
        np.testing.assert_array_equal(
            bf.view(np.uint16), base.astype(ml_dtypes.bfloat16).view(np.uint16)
        )
    levels = pixnorm.preprocess(img, **kw, **LEVELS)
    u8 = pixnorm.preprocess(img, dtype=np.uint8, **kw)
    np.testing.assert_array_equal(u8, np.clip(np.rint(levels), 0, 255).astype(np.uint8))


def test_batch_angles_are_the_single_calls() -> None:
    """preprocess_batch(angles=) fills each slot as preprocess(angle=) would (None and 0:
    not turned), with boxes, flips, any dtype and ``out``."""
    rng = np.random.default_rng(2)
    imgs = [rng.integers(0, 256, (60 + i, 80 - i, 3), dtype=np.uint8) for i in range(5)]
    boxes = [(0, 0, 50, 50), None, (3, 4, 40, 60), (10, 0, 30, 30), None]
    flips = [False, True, "vertical", "both", False]
    angles = [None, 0, 30.0, -15.5, 190.0]
    for dtype, layout in [(None, "CHW"), (np.float16, "HWC"), (np.uint8, "CHW")]:
        norm: dict[str, Any] = {} if dtype is np.uint8 else {"mean": 0.4, "std": 0.3}
        batch = pixnorm.preprocess_batch(
            imgs, size=(32, 32), boxes=boxes, flips=flips, angles=angles, dtype=dtype,
            layout=layout, **norm,
        )  # fmt: skip
        out = np.empty_like(batch)
        again = pixnorm.preprocess_batch(
            imgs, size=(32, 32), boxes=boxes, flips=flips, angles=angles, dtype=dtype,
            layout=layout, out=out, **norm,
        )  # fmt: skip
        assert again is out
        for i in range(5):
            one = pixnorm.preprocess(
                imgs[i], size=(32, 32), box=boxes[i], flip=flips[i], angle=angles[i],
                dtype=dtype, layout=layout, **norm,
            )  # fmt: skip
            np.testing.assert_array_equal(batch[i], one, err_msg=f"{i} {dtype}")
            np.testing.assert_array_equal(out[i], one)
    # no angle at all: the batch path itself
    plain = pixnorm.preprocess_batch(imgs, size=(32, 32), boxes=boxes, angles=[None, 0, 0, 0, 0])
    np.testing.assert_array_equal(plain, pixnorm.preprocess_batch(imgs, size=(32, 32), boxes=boxes))


def test_angle_errors() -> None:
    img = np.zeros((20, 20, 3), np.uint8)
    with pytest.raises(ValueError, match="angle: expected a finite"):
        pixnorm.preprocess(img, size=8, angle=float("nan"))
    with pytest.raises(ValueError, match="angle: expected a finite"):
        pixnorm.preprocess(img, size=8, angle=math.inf)
    for bad in [True, "10", [1.0]]:
        with pytest.raises(TypeError, match="angle: expected a real number"):
            pixnorm.preprocess(img, size=8, angle=bad)
    with pytest.raises(ValueError, match="convention: angle is only in the default convention"):
        pixnorm.preprocess(img, size=8, angle=5, convention="torch")
    with pytest.raises(ValueError, match="angle: not with fit"):
        pixnorm.preprocess(img, size=8, angle=5, fit="cover")
    with pytest.raises(ValueError, match="color: not with angle"):
        pixnorm.preprocess(img, size=8, angle=5, color="gray")
    with pytest.raises(ValueError, match="interpolation: angle samples"):
        pixnorm.preprocess(img, size=8, angle=5, interpolation="bicubic")
    with pytest.raises(ValueError, match="mean / std: angle takes per-channel"):
        pixnorm.preprocess(img, size=(8, 8), angle=5, mean=np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="fill: only with fit='contain'"):
        pixnorm.preprocess(img, size=8, fill=3)
    with pytest.raises(ValueError, match="fill: expected a finite number or 3"):
        pixnorm.preprocess(img, size=8, angle=5, fill=(1, 2))
    with pytest.raises(ValueError, match="angles: 1 angles for 2 images"):
        pixnorm.preprocess_batch([img, img], size=(8, 8), angles=[3])
    with pytest.raises(ValueError, match=r"angles\[1\]: expected a finite"):
        pixnorm.preprocess_batch([img, img], size=(8, 8), angles=[3, math.nan])
    with pytest.raises(TypeError, match="angles: expected a sequence"):
        pixnorm.preprocess_batch([img, img], size=(8, 8), angles=3)
    with pytest.raises(ValueError, match="out: expected shape"):
        pixnorm.preprocess_batch(
            [img, img], size=(8, 8), angles=[3, 4], out=np.empty((2, 3, 8, 9), np.float32)
        )
    # 0 and multiples of 360 are no turn: the unrotated call, bit for bit
    base = pixnorm.preprocess(img + 9, size=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(pixnorm.preprocess(img + 9, size=8, angle=-720), base)


def test_first_stage_covers_the_image_to_its_edges() -> None:
    """Review finds: with antialias and a downscale, positions inside the image never read the
    fill (the first stage has a sample past each edge of the image that its filter reaches): a
    constant image with fill 0 stays constant for whole-image boxes at many sizes and angles
    (an edge row of fill appeared when the first stage's size was floored); a first stage as
    tall as a single output pixel works."""
    for h, w in [(9, 9), (225, 300), (64, 67), (45, 48), (150, 153), (2, 7)]:
        img = np.full((h, w), 200.0, np.float32)
        for oh, ow in [(7, 7), (1, 1), (224, 224), (28, 5)]:
            if oh > h or ow > w:
                continue  # (a growing axis samples the source: its outer half pixel blends fill)
            for angle in [1e-6, 0.5, 179.5, 90.0, 270.0]:
                got = pixnorm.preprocess(img, size=(oh, ow), angle=angle, fill=0, **LEVELS)
                # the pixels whose position lies between the image's outer pixel centres
                u, v = ref.rotated_preprocess(
                    img, (0, 0, h, w), (oh, ow), (0, 0), (oh, ow), angle, "positions", 0.0
                )
                inside = (u >= 0) & (u <= w - 1) & (v >= 0) & (v <= h - 1)
                assert inside.any()
                err = float(np.abs(got[0][inside] - 200.0).max())
                assert err <= 1e-3, (h, w, oh, ow, angle, err)
    got = pixnorm.preprocess(np.ones((49, 8), np.float32), size=(1, 8), angle=1, **LEVELS)
    assert got.shape == (1, 1, 8)


def test_first_stage_follows_the_turned_pixel() -> None:
    """Review find: the first stage shrinks each source axis by the turned output pixel's
    extent along it (steps swapped at 90 degrees): one-pixel stripes across a square image
    resized to 4 x 400 and turned 90 degrees equal the turned image resized (the stripes kept,
    not averaged away)."""
    yy = np.mgrid[0:400, 0:400][0]
    img = (yy % 2).astype(np.float32)[..., None]
    got = pixnorm.preprocess(img, size=(4, 400), angle=90, **LEVELS)
    want = pixnorm.preprocess(np.ascontiguousarray(np.rot90(img)), size=(4, 400), **LEVELS)
    np.testing.assert_allclose(got[:, :, 2:-2], want[:, :, 2:-2], rtol=0, atol=1e-5)


def test_review_mends() -> None:
    """uint8 output refuses normalization on every path; ``out`` is checked before the work;
    channels_last reaches the turned path; the range warning is given; fill is checked when
    nothing turns; an angle beyond float64 and a 0-d angles array name their argument."""
    img = np.zeros((20, 30, 3), np.uint8)
    for kw in [{"mean": 100}, {"std": 2}, {"scale": 0.5}]:
        with pytest.raises(ValueError, match="dtype: uint8 output"):
            pixnorm.preprocess(img, size=(8, 8), angle=30, dtype=np.uint8, **kw)
    with pytest.raises(ValueError, match="dtype: uint8 output"):
        pixnorm.preprocess_batch([img], size=(8, 8), angles=[30], dtype=np.uint8, mean=100)
    with pytest.raises(ValueError, match="out: must be C-contiguous"):
        pixnorm.preprocess(
            img, size=(8, 8), angle=30, dtype=np.uint8, out=np.empty((3, 8, 16), np.uint8)[..., ::2]
        )
    with pytest.raises(ValueError, match="out: is read-only"):
        ro = np.broadcast_to(np.zeros((3, 8, 8), np.uint8), (3, 8, 8))
        pixnorm.preprocess(img, size=(8, 8), angle=30, dtype=np.uint8, out=ro)
    with pytest.raises(TypeError, match="out: expected dtype uint8"):
        pixnorm.preprocess(
            img, size=(8, 8), angle=30, dtype=np.uint8, out=np.empty((3, 8, 8), np.float32)
        )
    with pytest.raises(ValueError, match="out: must be C-contiguous"):
        big = np.empty((4, 3, 8, 8), np.float32)
        pixnorm.preprocess_batch([img, img], size=(8, 8), angles=[3, 4], out=big[::2])
    five = np.random.default_rng(0).integers(0, 256, (50, 60, 5), dtype=np.uint8)
    got = pixnorm.preprocess(five, size=(32, 32), angle=15.0, channels_last=True)
    assert got.shape == (5, 32, 32)
    batch = pixnorm.preprocess_batch(
        [five, five], size=(32, 32), angles=[15.0, None], channels_last=True
    )
    np.testing.assert_array_equal(batch[0], got)
    with pytest.warns(pixnorm.RangeWarning, match="mean"):
        pixnorm.preprocess(img, size=(8, 8), angle=15.0, mean=(123.7, 116.3, 103.5), std=58.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pixnorm.preprocess(img, size=(8, 8), angle=15.0, mean=0.5, std=0.2)
    with pytest.raises(TypeError, match="fill: expected a number"):
        pixnorm.preprocess(img, size=(8, 8), angle=0, fill="x")
    with pytest.raises(TypeError, match="fill: expected a number"):
        pixnorm.preprocess_batch([img, img], size=(8, 8), angles=[None, None], fill="x")
    with pytest.raises(ValueError, match="angle: expected a finite"):
        pixnorm.preprocess(img, size=(8, 8), angle=10**400)
    with pytest.raises(TypeError, match="angles: expected one angle per image"):
        pixnorm.preprocess_batch([img], size=(8, 8), angles=np.array(5.0))


def test_slight_downscales_keep_the_filter() -> None:
    """Review find: a first stage as long as its box (a step just above 1 over the whole
    axis) had dropped to no antialias; it is the antialiased resize still. One-pixel stripes
    of a 32 x 32 image to 30 x 30 at a tiny angle: the unrotated antialiased result inside the
    border (within U8_STAGE), not the aliased one. And quarter turns of random square boxes of
    small images, slightly and strongly shrunk, are np.rot90 of the unrotated result inside
    the border."""
    yy = np.mgrid[0:32, 0:32][0]
    img = ((yy % 2) * 255).astype(np.uint8)
    for size in [(30, 30), (31, 31), (29, 29), (16, 31)]:
        base = pixnorm.preprocess(img, size=size, **LEVELS)
        got = pixnorm.preprocess(img, size=size, angle=1e-6, **LEVELS)
        inner = np.abs(got - base)[:, 2:-2, 2:-2]
        assert float(inner.max()) <= U8_STAGE, (size, float(inner.max()))
    rng = np.random.default_rng(1)
    for _ in range(150):
        h, w = int(rng.integers(8, 60)), int(rng.integers(8, 60))
        im = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        s = int(rng.integers(4, min(h, w) + 1))
        box = (int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1)), s, s)
        o = int(rng.integers(3, s + 1))
        base = pixnorm.preprocess(im, box=box, size=(o, o), **LEVELS)
        for k, angle in [(1, 90.0), (2, 180.0), (3, 270.0)]:
            got = pixnorm.preprocess(im, box=box, size=(o, o), angle=angle, **LEVELS)
            err = np.abs(got - np.rot90(base, k, axes=(1, 2)))[:, 2:-2, 2:-2]
            assert err.size == 0 or float(err.max()) <= U8_STAGE, (h, w, box, o, angle)


def test_negative_zero_fill_as_the_general_path() -> None:
    """Review find: the quick fill path gives -0.0 where numpy's rint and clip do (fills in
    -0.5 .. -0.0 of an integer image), so the corners keep the sign of zero."""
    from pixnorm._resize import _fill_values, _quick_fill

    for dtype in (np.uint8, np.uint16, np.float32):
        arr = np.zeros((2, 2, 3), dtype)
        for fill in (-0.0, -0.3, -0.5, -0.51, 0.0, 0.5, 1.5, [-0.0, 2.5, -0.2]):
            quick = _quick_fill(fill, arr, 3)
            v = np.broadcast_to(np.asarray(fill, np.float64).reshape(-1), (3,))
            if dtype != np.float32:
                v = np.clip(np.rint(v), 0, 255 if dtype == np.uint8 else 65535)
            assert quick is not None
            assert [(x, math.copysign(1, x)) for x in quick] == [
                (float(x), math.copysign(1, float(x))) for x in v
            ]
            assert _fill_values(fill, arr) == quick
