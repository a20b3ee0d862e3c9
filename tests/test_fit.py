"""preprocess(fit="cover" | "contain") (issue 15): OpenCV DNN's geometry (blobFromImage with
crop=True, blobFromImageWithParams with DNN_PMODE_LETTERBOX) bit for bit in the 'opencv'
convention; the letterbox's border normalized as the image; batches, boxes, flips, per-pixel
means, the mapping back (FitParams) and the errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import pixnorm

RNG = np.random.default_rng(151)
CV = {"convention": "opencv", "antialias": False}


def cases(n: int) -> list[tuple[np.ndarray, tuple[int, int]]]:
    out = []
    for i in range(n):
        h, w = (int(v) for v in RNG.integers(3, 260, 2))
        hw = (int(RNG.integers(8, 200)), int(RNG.integers(8, 200)))
        if i % 5 == 0:  # exact ratios and upscales
            hw = (2 * h, 2 * w) if i % 10 == 0 else (h // 2 + 1, w // 2 + 1)
        c = (3, 1, 4)[i % 3]
        out.append((RNG.integers(0, 256, (h, w, c), dtype=np.uint8), hw))
    return out


def as_cv(img: np.ndarray) -> np.ndarray:
    return img[..., 0] if img.shape[2] == 1 else img


def letterbox_params(cv2: Any, hw: tuple[int, int], border: Any) -> Any:
    return cv2.dnn.Image2BlobParams(
        scalefactor=(1.0, 1.0, 1.0, 1.0),
        size=(hw[1], hw[0]),
        mean=(0, 0, 0, 0),
        swapRB=False,
        ddepth=cv2.CV_32F,
        datalayout=cv2.DNN_LAYOUT_NCHW,
        mode=cv2.dnn.DNN_PMODE_LETTERBOX,
        borderValue=border,
    )


def test_cover_is_blob_from_image_crop_bit_exact(isa: str) -> None:
    cv2 = pytest.importorskip("cv2")
    for img, hw in cases(60):
        if img.shape[2] == 4:
            img = img[..., :3]  # blobFromImage takes 1 or 3 channels
        want = cv2.dnn.blobFromImage(as_cv(img), 1.0, (hw[1], hw[0]), 0, False, crop=True)[0]
        got = pixnorm.preprocess(img, size=hw, fit="cover", scale=1.0, **CV)
        np.testing.assert_array_equal(got, want, err_msg=f"{img.shape} -> {hw}")


@pytest.mark.parametrize("border", [(0, 0, 0, 0), (7, 20, 300, 0), (12.5, 13.5, 255.4, 0)])
def test_contain_is_the_opencv_letterbox_bit_exact(isa: str, border: Any) -> None:
    cv2 = pytest.importorskip("cv2")
    n = 0
    for img, hw in cases(60):
        if img.shape[2] == 4:
            img = img[..., :3]
        try:
            want = cv2.dnn.blobFromImageWithParams(as_cv(img), letterbox_params(cv2, hw, border))
        except cv2.error:  # OpenCV refuses a side that scales to 0; pixnorm does too (below)
            continue
        c = img.shape[2]
        got = pixnorm.preprocess(img, size=hw, fit="contain", fill=border[:c], scale=1.0, **CV)
        np.testing.assert_array_equal(got, want[0], err_msg=f"{img.shape} -> {hw}")
        n += 1
    assert n > 50


def test_with_mean_and_std_within_float32_rounding_of_opencv() -> None:
    """OpenCV computes (x - mean) * scalefactor; pixnorm (x * scale - mean') / std with
    mean' = mean * scale and std = 1 / scalefactor: the same value, rounded differently, so
    within a few float32 ulps of it (4 roundings on values of magnitude <= 2)."""
    cv2 = pytest.importorskip("cv2")
    mean = np.array([104.0, 117.0, 123.0])
    for img, hw in cases(20):
        img = img[..., :3] if img.shape[2] >= 3 else np.repeat(img, 3, axis=2)
        want = cv2.dnn.blobFromImage(img, 1 / 255, (hw[1], hw[0]), mean, False, crop=True)[0]
        got = pixnorm.preprocess(img, size=hw, fit="cover", mean=mean / 255, std=1.0, **CV)
        np.testing.assert_allclose(got, want, rtol=0, atol=4 * 2.0**-23)


def test_batches_boxes_flips_and_the_mapping_back() -> None:
    imgs = [RNG.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in [(50, 80), (90, 40)]]
    for fit in ("cover", "contain"):
        fill = (1, 2, 3) if fit == "contain" else None
        batch, params = pixnorm.preprocess_batch(
            imgs, size=(32, 48), fit=fit, fill=fill, return_params=True, **CV
        )
        assert batch.shape == (2, 3, 32, 48) and len(params) == 2
        for img, got, p in zip(imgs, batch, params, strict=True):
            one, q = pixnorm.preprocess(
                img, size=(32, 48), fit=fit, fill=fill, return_params=True, **CV
            )
            np.testing.assert_array_equal(got, one)
            assert p == q and isinstance(p, pixnorm.FitParams)
            # the image's corners land on its window's corners
            h, w = img.shape[:2]
            assert round(p.offset_y) == p.top and round(p.offset_x) == p.left or fit == "cover"
            if fit == "contain":
                assert round(h * p.scale_y + p.offset_y) == p.top + p.height
                assert round(w * p.scale_x + p.offset_x) == p.left + p.width
    # a box is fitted as if it were the image; a flip mirrors the result
    img = imgs[0]
    boxed = pixnorm.preprocess(img, box=(5, 10, 40, 60), size=24, fit="contain", **CV)
    part = np.ascontiguousarray(img[5:45, 10:70])
    np.testing.assert_array_equal(boxed, pixnorm.preprocess(part, size=24, fit="contain", **CV))
    flipped = pixnorm.preprocess(img, size=24, fit="cover", flip="both", **CV)
    np.testing.assert_array_equal(
        flipped, pixnorm.preprocess(img, size=24, fit="cover", **CV)[:, ::-1, ::-1]
    )


@pytest.mark.parametrize("convention", [None, "torch", "pillow"])
def test_other_conventions_share_the_geometry(convention: str | None) -> None:
    """The geometry is OpenCV DNN's in every convention; the resampling is the convention's.
    A letterbox's window holds exactly what preprocess gives for the content size, and the
    border is the fill normalized as a pixel of that value."""
    img = RNG.integers(0, 256, (60, 100, 3), dtype=np.uint8)
    kw: dict[str, Any] = {"convention": convention, "mean": [0.5, 0.4, 0.3], "std": 0.25}
    got, p = pixnorm.preprocess(
        img, size=(64, 64), fit="contain", fill=(10, 200, 30), return_params=True, **kw
    )
    assert (p.top, p.left, p.height, p.width) == (13, 0, 38, 64)  # int(float32(60) * 0.64)
    window = got[:, p.top : p.top + p.height, p.left : p.left + p.width]
    np.testing.assert_array_equal(window, pixnorm.preprocess(img, size=(38, 64), **kw))
    pixel = np.array([[[10, 200, 30]]], np.uint8)
    fill = pixnorm.preprocess(pixel, **kw)[:, 0, 0]
    np.testing.assert_array_equal(got[:, 0, :], np.broadcast_to(fill[:, None], (3, 64)))
    np.testing.assert_array_equal(got[:, -1, :], np.broadcast_to(fill[:, None], (3, 64)))


def test_per_pixel_mean_covers_the_border_too() -> None:
    img = RNG.integers(0, 256, (40, 80, 3), dtype=np.uint8)
    mean_img = RNG.random((32, 32, 3))
    got = pixnorm.preprocess(img, size=32, fit="contain", fill=128, mean=mean_img, std=0.5)
    raw = pixnorm.preprocess(img, size=32, fit="contain", fill=128, scale=1.0)
    want = pixnorm.normalize(raw.transpose(1, 2, 0).copy(), mean_img, 0.5, scale=1 / 255)
    np.testing.assert_array_equal(got, want)


def test_fit_params_follow_flips() -> None:
    """A bright spot's source position mapped with FitParams lands where the spot is in the
    output, flipped or not, for cover and contain."""
    img = np.zeros((60, 90, 3), np.uint8)
    img[40:43, 58:61] = 255  # a 3x3 spot, centre (41.5, 59.5) in pixel-edge coordinates
    for fit in ("cover", "contain"):
        for flip in (False, True, "vertical", "both"):
            out, p = pixnorm.preprocess(
                img, size=(64, 64), fit=fit, flip=flip, return_params=True, scale=1.0
            )
            y, x = np.unravel_index(np.argmax(out[0]), out[0].shape)
            want_y, want_x = 41.5 * p.scale_y + p.offset_y, 59.5 * p.scale_x + p.offset_x
            assert abs(y + 0.5 - want_y) <= 1.5 and abs(x + 0.5 - want_x) <= 1.5, (fit, flip)


def test_contain_batches_refuse_what_cover_refuses() -> None:
    u8 = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    f32 = RNG.random((20, 30, 3)).astype(np.float32)
    for fit in ("cover", "contain"):
        with pytest.raises(TypeError, match=r"images\[1\]: all images must share one dtype"):
            pixnorm.preprocess_batch([u8, f32], size=16, fit=fit)
        with pytest.raises(
            ValueError,
            match=r"images\[1\]: has 1 channel, the first image has 3 \(color=.rgb. makes",
        ):
            pixnorm.preprocess_batch([u8, u8[..., :1]], size=16, fit=fit)


def test_fit_errors() -> None:
    img = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    for kwargs, kind, message in (
        ({"fit": "stretch", "size": 10}, ValueError, "fit: expected None, 'cover' or 'contain'"),
        ({"fit": "cover"}, ValueError, "size: fit='cover' needs the output size"),
        ({"fit": "cover", "size": 10, "crop": 8}, ValueError, "crop: not with fit"),
        ({"fit": "cover", "factor": 0.5}, ValueError, "factor: not with fit"),
        ({"fit": "contain", "size": 10, "fill": (1, 2)}, ValueError, "fill: expected a finite"),
        ({"fit": "contain", "size": 10, "fill": np.nan}, ValueError, "fill: expected a finite"),
        ({"size": 10, "return_params": True}, ValueError, "return_params: only with fit"),
        ({"fit": "contain", "size": 10, "fill": "red"}, TypeError, "fill: expected a number"),
        ({"fit": "contain", "size": 10, "fill": 1j}, TypeError, "fill: expected a number"),
        ({"fit": "cover", "size": 10, "fill": 3}, ValueError, "fill: only with fit='contain'"),
        ({"size": 10, "fill": 3}, ValueError, "fill: only with fit='contain'"),
        ({"fit": "cover", "size": 10, "return_params": 1}, TypeError, "return_params: expected"),
    ):
        with pytest.raises(kind, match=message):
            pixnorm.preprocess(img, **kwargs)
    thin = np.zeros((2, 400, 3), np.uint8)
    with pytest.raises(ValueError, match=r"image: fit='contain' scales its \(2, 400\) pixels"):
        pixnorm.preprocess(thin, size=64, fit="contain")
    with pytest.raises(ValueError, match="return_params: only with fit"):
        pixnorm.preprocess_batch([img], size=10, return_params=True)
