"""Named conventions: bit-exact with Pillow's and torch's own uint8 resize, and with the whole
torchvision v2 chain (uint8 resize, crop, flip, ToDtype(float32, scale=True), Normalize)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import pixnorm

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def photos() -> list[np.ndarray]:
    """Real photographs shipped by scikit-image (RGB), plus random noise."""
    skdata = pytest.importorskip("skimage.data")
    imgs = [skdata.astronaut(), skdata.chelsea(), skdata.coffee()]
    imgs.append(np.random.default_rng(0).integers(0, 256, (375, 500, 3), dtype=np.uint8))
    return imgs


def random_cases(seed: int, n: int) -> list[tuple[np.ndarray, tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(1, 200, 2))
        oh, ow = (int(v) for v in rng.integers(1, 220, 2))
        if i % 4 == 0:  # integer downscales and strongly height-reduced shapes
            oh, ow = max(1, h // int(rng.integers(2, 6))), max(1, w - int(rng.integers(0, 3)))
        c = (1, 3, 4)[i % 3]
        cases.append((rng.integers(0, 256, (h, w, c), dtype=np.uint8), (oh, ow)))
    return cases


def pillow_resize(img: np.ndarray, size: tuple[int, int], box: Any = None) -> np.ndarray:
    image = pytest.importorskip("PIL.Image")
    im = image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
    out = np.asarray(im.resize(size[::-1], image.BILINEAR, box=box))
    return out[..., None] if img.shape[-1] == 1 else out


def torch_resize(img: np.ndarray, size: tuple[int, int], antialias: bool) -> np.ndarray:
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]
    out = torch.nn.functional.interpolate(
        t, size=size, mode="bilinear", align_corners=False, antialias=antialias
    )
    return out[0].permute(1, 2, 0).numpy()


def test_pillow_resize_is_bit_exact() -> None:
    for img, size in random_cases(1, 60):
        if img.shape[-1] == 4:
            img = img[..., :3]  # Pillow premultiplies RGBA; compare RGB and L
        np.testing.assert_array_equal(
            pixnorm.resize(img, size, convention="pillow"), pillow_resize(img, size)
        )
    for img in photos():
        for size in [(256, 341), (224, 224), (57, 1000), (700, 90)]:
            np.testing.assert_array_equal(
                pixnorm.resize(img, size, convention="pillow"), pillow_resize(img, size)
            )


@pytest.mark.parametrize("antialias", [True, False])
def test_torch_resize_is_bit_exact(antialias: bool) -> None:
    for img, size in random_cases(2, 60):
        np.testing.assert_array_equal(
            pixnorm.resize(img, size, antialias=antialias, convention="torch"),
            torch_resize(img, size, antialias),
        )
    for img in photos():
        for size in [(256, 341), (224, 224), (57, 1000), (700, 90)]:
            np.testing.assert_array_equal(
                pixnorm.resize(img, size, antialias=antialias, convention="torch"),
                torch_resize(img, size, antialias),
            )


def opencv_resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    cv2 = pytest.importorskip("cv2")
    out = cv2.resize(np.ascontiguousarray(img), size[::-1], interpolation=cv2.INTER_LINEAR)
    return out[..., None] if out.ndim == 2 else out


def test_opencv_resize_is_bit_exact() -> None:
    rng = np.random.default_rng(4)
    cases = random_cases(5, 60)
    for c in (1, 2, 3, 4):  # exact 2x downscales: OpenCV's switch to a 2x2 mean
        h, w = (2 * int(v) for v in rng.integers(1, 90, 2))
        cases.append((rng.integers(0, 256, (h, w, c), dtype=np.uint8), (h // 2, w // 2)))
    for img, size in cases:
        np.testing.assert_array_equal(
            pixnorm.resize(img, size, antialias=False, convention="opencv"),
            opencv_resize(img, size),
        )
    for img in photos():
        for size in [(256, 341), (224, 224), (57, 1000), (700, 90)]:
            np.testing.assert_array_equal(
                pixnorm.resize(img, size, antialias=False, convention="opencv"),
                opencv_resize(img, size),
            )


def test_one_pixel_wide_sources_are_bit_exact(isa: str, threads: int) -> None:
    """A source one column (or row) wide, narrower than the kernels' padded windows (gathered
    into a zero-padded row): OpenCV reads that sample twice; Pillow and torch use one-tap
    windows. Whole images and one-column boxes of a wider image, on every ISA."""
    rng = np.random.default_rng(5)
    convs = ["opencv", "pillow"]  # torch's only where it is installed (the others still run)
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    else:
        convs.append("torch")
    for shape, size in [
        ((7, 1, 3), (5, 4)),
        ((1, 9, 3), (3, 2)),
        ((6, 1, 1), (11, 3)),
        ((1, 1, 4), (2, 5)),
    ]:
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        for conv in convs:
            if conv == "pillow" and shape[-1] == 4:
                continue  # Pillow premultiplies RGBA
            expected = library_resize(conv, img, size)
            got = pixnorm.resize(img, size, antialias=conv != "opencv", convention=conv)
            np.testing.assert_array_equal(got, expected, err_msg=f"{conv} {shape} -> {size}")
    img = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    for conv in convs:
        aa = conv != "opencv"
        box = (5, 29, 20, 1)  # the last column of the image
        crop = np.ascontiguousarray(img[5:25, 29:30])
        expected = torchvision_v2_chain(library_resize(conv, crop, (8, 6)), None, False)
        got = pixnorm.preprocess(
            img, size=(8, 6), box=box, antialias=aa, convention=conv, mean=MEAN, std=STD
        )
        np.testing.assert_array_equal(got, expected, err_msg=conv)


def test_opencv_eval_pipeline_bit_exact() -> None:
    for img in photos():
        h, w = img.shape[:2]
        rh, rw = pixnorm.resized_size(h, w, 256)
        expected = torchvision_v2_chain(opencv_resize(img, (rh, rw)), 224, False)
        got = pixnorm.preprocess(
            img, size=256, crop=224, antialias=False, convention="opencv", mean=MEAN, std=STD
        )
        np.testing.assert_array_equal(got, expected)


def library_resize(conv: str, img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The library's own uint8 resize (torch and Pillow with antialias, OpenCV without)."""
    if conv == "pillow":
        return pillow_resize(img, size)
    if conv == "torch":
        return torch_resize(img, size, True)
    return opencv_resize(img, size)


def test_named_conventions_on_every_isa_and_thread_count(isa: str, threads: int) -> None:
    img = photos()[1]  # 300 x 451
    for conv in ("pillow", "torch", "opencv"):
        aa = conv != "opencv"
        # 2.4x x 5.9x (horizontal windows wider than the byte-permute windows: gathers) and
        # 1.5x (permute windows), three channels
        for size in [(123, 77), (200, 300)]:
            expected = library_resize(conv, img, size)
            got = pixnorm.resize(img, size, antialias=aa, convention=conv)
            np.testing.assert_array_equal(got, expected)
        if conv == "torch":  # four channels (Pillow premultiplies RGBA: compared as RGB above)
            rgba = np.concatenate([img, img[..., :1]], axis=-1)
            for size in [(123, 77), (200, 300)]:
                expected = library_resize(conv, rgba, size)
                got = pixnorm.resize(rgba, size, antialias=aa, convention=conv)
                np.testing.assert_array_equal(got, expected)
        got = pixnorm.preprocess(img, size=100, crop=64, antialias=aa, convention=conv)
        again = pixnorm.preprocess(
            np.ascontiguousarray(img), size=100, crop=64, antialias=aa, convention=conv
        )
        np.testing.assert_array_equal(got, again)


@pytest.mark.parametrize("divisor", [0.0, 255.0])
def test_levels_to_floats_match_the_float32_chain_on_every_isa(isa: str, divisor: float) -> None:
    """After the exact uint8 resize, a named convention maps each level with torchvision's
    float32 arithmetic: (x * float32(scale) - mean) / std (ToDtype), or (x / 255 - mean) / std
    (ToTensor's divisor). The FMA kernels may replace a division by a corrected product that
    level_params checked on all 256 levels: every level, many mean/std, must still give exactly
    the float32 division's bits."""
    from pixnorm import _core

    levels = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    levels[..., 1] = levels[..., 1].T  # channels in different orders
    levels[..., 2] = levels[..., 2][::-1]
    rng = np.random.default_rng(3)
    params = [(MEAN, STD), ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)), ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))]
    params += [(tuple(rng.uniform(-1, 1, 3)), tuple(rng.uniform(0.01, 3, 3))) for _ in range(40)]
    geom = pixnorm._resize.Geometry(0, 0, 16, 16, 16, 16, 0, 0, 0)  # the levels themselves
    for mean, std in params:
        got = _core.preprocess(
            [levels],
            [geom],
            16,
            16,
            False,
            "torch",
            list(mean),
            list(std),
            1 / 255,
            None,
            False,
            divisor,
        )
        x = levels.astype(np.float32)
        v = x / np.float32(divisor) if divisor else x * np.float32(1 / 255)
        want = (v - np.array(mean, np.float32)) / np.array(std, np.float32)
        np.testing.assert_array_equal(got.view(np.uint32), want.transpose(2, 0, 1).view(np.uint32))


def torchvision_v2_chain(resized_u8: np.ndarray, crop: int | None, flip: bool) -> np.ndarray:
    """torchvision v2 after its resize: center_crop (Python rounding), horizontal flip,
    to_dtype(float32, scale=True) = x * float32(1/255), normalize = (x - mean) / std, float32."""
    h, w = resized_u8.shape[:2]
    x = resized_u8
    if crop is not None:
        top, left = int(round((h - crop) / 2.0)), int(round((w - crop) / 2.0))
        x = x[top : top + crop, left : left + crop]
    if flip:
        x = x[:, ::-1]
    v = x.astype(np.float32) * np.float32(1 / 255)
    out = (v - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return out.transpose(2, 0, 1)


@pytest.mark.parametrize("antialias", [True, False])
def test_torch_eval_pipeline_bit_exact(antialias: bool) -> None:
    for img in photos():
        h, w = img.shape[:2]
        rh, rw = pixnorm.resized_size(h, w, 256)
        expected = torchvision_v2_chain(torch_resize(img, (rh, rw), antialias), 224, False)
        got = pixnorm.preprocess(
            img, size=256, crop=224, antialias=antialias, convention="torch", mean=MEAN, std=STD
        )
        np.testing.assert_array_equal(got, expected)


def test_pillow_eval_pipeline_bit_exact() -> None:
    for img in photos():
        h, w = img.shape[:2]
        rh, rw = pixnorm.resized_size(h, w, 256)
        expected = torchvision_v2_chain(pillow_resize(img, (rh, rw)), 224, False)
        got = pixnorm.preprocess(img, size=256, crop=224, convention="pillow", mean=MEAN, std=STD)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("conv", ["pillow", "torch", "opencv"])
def test_training_box_flip_bit_exact(conv: str) -> None:
    """RandomResizedCrop (crop, then resize the crop), then RandomHorizontalFlip."""
    rng = np.random.default_rng(3)
    for img in photos():
        h, w = img.shape[:2]
        for _ in range(4):
            bh, bw = int(rng.integers(20, h)), int(rng.integers(20, w))
            t, lf = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
            crop = np.ascontiguousarray(img[t : t + bh, lf : lf + bw])
            resized = library_resize(conv, crop, (224, 224))
            aa = conv != "opencv"  # OpenCV has no antialiased bilinear
            expected = torchvision_v2_chain(resized, None, True)
            got = pixnorm.preprocess(
                img,
                size=(224, 224),
                box=(t, lf, bh, bw),
                flip=True,
                antialias=aa,
                convention=conv,
                mean=MEAN,
                std=STD,
            )
            np.testing.assert_array_equal(got, expected)
            batch = pixnorm.preprocess_batch(
                [img, img],
                size=(224, 224),
                boxes=[(t, lf, bh, bw)] * 2,
                flips=[True, False],
                antialias=aa,
                convention=conv,
                mean=MEAN,
                std=STD,
            )
            np.testing.assert_array_equal(batch[0], expected)
            np.testing.assert_array_equal(batch[1], expected[:, :, ::-1])


def test_strided_inputs_give_the_same_bits() -> None:
    img = photos()[0]
    view = img[::-1][:, 7:-3]
    for conv in ("pillow", "torch", "opencv"):
        aa = conv != "opencv"
        np.testing.assert_array_equal(
            pixnorm.resize(view, (100, 90), antialias=aa, convention=conv),
            pixnorm.resize(np.ascontiguousarray(view), (100, 90), antialias=aa, convention=conv),
        )


def test_convention_errors() -> None:
    img = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(TypeError, match="needs uint8 input"):
        pixnorm.resize(img.astype(np.float32), 5, convention="torch")
    with pytest.raises(ValueError, match="'pillow' resizes with antialias"):
        pixnorm.resize(img, 5, antialias=False, convention="pillow")
    with pytest.raises(ValueError, match="convention: 'opencv' has no antialiased bilinear"):
        pixnorm.preprocess(img, convention="opencv")
    with pytest.raises(ValueError, match="'opencv' is reproduced for 1 to 4 channels, got 5"):
        pixnorm.resize(
            np.zeros((4, 4, 5), np.uint8),
            2,
            antialias=False,
            convention="opencv",
            channels_last=True,
        )
    with pytest.raises(ValueError, match="convention: 'cv2' is not available"):
        pixnorm.resize(img, 5, convention="cv2")
    with pytest.raises(TypeError, match="convention: expected None or a name"):
        pixnorm.resize(img, 5, convention=1)  # type: ignore[arg-type]


def test_images_larger_than_an_interrupt_piece_are_still_bit_exact() -> None:
    """An image of more than 2**26 values is resized in bands of output rows with a signal
    check between them (so Ctrl-C answers): the bands must not change a bit. Checked against
    the peers themselves on a 4800 x 5600 RGB image (80.6 M values)."""
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(11)
    img = rng.integers(0, 256, (4800, 5600, 3), dtype=np.uint8)
    assert img.size > 2**26
    for size in ((1200, 1400), (2400, 2800), (3001, 2999)):
        np.testing.assert_array_equal(
            pixnorm.resize(img, size, antialias=False, convention="opencv"),
            cv2.resize(img, size[::-1], interpolation=cv2.INTER_LINEAR),
        )
    np.testing.assert_array_equal(
        pixnorm.resize(img, (1200, 1401), convention="pillow"), pillow_resize(img, (1200, 1401))
    )
