"""pixnorm.normalize / to_tensor against tests/reference.py, on every ISA and thread count."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pixnorm
import reference as ref
from isas import all_equal, on_every_isa_and_thread_count
from strategies import images, make_view

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

fixture_settings = settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check(image: Any, mean: Any, std: Any, scale: float | None = None, out: Any = None) -> None:
    """pixnorm's output is bit-identical to the documented float32 formula and within the
    float32 error bound of the exact float64 value (NaN and inf propagate alike)."""
    arr = np.asarray(image)
    s = (1 / 255 if arr.dtype == np.uint8 else 1.0) if scale is None else scale
    got = pixnorm.normalize(image, mean, std, scale=scale, out=out, channels_last=True)
    exact = ref.normalize(arr, mean, std, s)
    assert got.dtype == np.float32
    assert got.shape == exact.shape
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, ref.normalize_float32_formula(arr, mean, std, s))
    finite = np.isfinite(exact)
    err = np.abs(got[finite].astype(np.float64) - exact[finite])
    assert np.all(err <= ref.normalize_error_bound(arr, mean, std, s)[finite])


@pytest.mark.filterwarnings(
    "ignore::pixnorm.RangeWarning"
)  # arbitrary mean/std: the arithmetic is tested
@given(img=images(), data=st.data())
@fixture_settings
def test_matches_reference(isa: str, threads: int, img: Any, data: st.DataObject) -> None:
    from strategies import channel_params

    channels = 1 if img.ndim == 2 else img.shape[-1]
    mean, std, scale = data.draw(channel_params(channels))
    check(img, mean, std, scale)


@pytest.mark.parametrize(
    "shape",
    [
        (1, 1, 3),
        (1, 1, 1),
        (1, 17, 3),
        (3, 1, 4),
        (224, 224, 3),
        (1080, 1920, 3),
        (480, 640, 4),
        (97, 333, 1),
        (5, 70, 2),
    ],
)
def test_real_sizes_every_isa(isa: str, threads: int, shape: tuple[int, ...]) -> None:
    img = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    check(
        img,
        IMAGENET_MEAN[: shape[-1]] if shape[-1] == 3 else 0.5,
        IMAGENET_STD[: shape[-1]] if shape[-1] == 3 else 0.25,
    )


@pytest.mark.filterwarnings(
    "ignore::pixnorm.RangeWarning"
)  # arbitrary mean/std: the arithmetic is tested
def test_every_isa_and_thread_count_gives_the_same_bits() -> None:
    rng = np.random.default_rng(1)
    cases = [rng.integers(0, 256, (37, 101, c), dtype=np.uint8) for c in (1, 3, 4, 5)]
    cases += [rng.normal(0, 50, (37, 101, c)).astype(np.float32) for c in (1, 3, 4)]
    all_equal(
        on_every_isa_and_thread_count(
            lambda: [pixnorm.normalize(x, 0.3, 0.2, channels_last=True).tobytes() for x in cases]
        )
    )


def test_batch_equals_loop_of_singles(isa: str) -> None:
    batch = np.random.default_rng(2).integers(0, 256, (4, 19, 23, 3), dtype=np.uint8)
    out = pixnorm.normalize(batch, IMAGENET_MEAN, IMAGENET_STD)
    assert out.shape == (4, 3, 19, 23)
    for i in range(4):
        np.testing.assert_array_equal(
            out[i], pixnorm.normalize(batch[i], IMAGENET_MEAN, IMAGENET_STD)
        )


def test_gray_2d_is_one_channel() -> None:
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = pixnorm.normalize(img, 0.5, 0.5)
    assert out.shape == (1, 3, 4)
    np.testing.assert_array_equal(out, pixnorm.normalize(img[:, :, None], 0.5, 0.5))


def test_imagenet_values_by_hand() -> None:
    # Three pixels whose expected values are worked out from the definition, not the code.
    img = np.array([[[0, 128, 255]]], dtype=np.uint8)
    out = pixnorm.normalize(img, IMAGENET_MEAN, IMAGENET_STD)
    expected = [(0 / 255 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224, (255 / 255 - 0.406) / 0.225]
    np.testing.assert_allclose(out[:, 0, 0], expected, rtol=2**-21)  # float32 rounding


def test_caffe_style_scale_one() -> None:
    img = np.full((2, 2, 3), 200, np.uint8)
    out = pixnorm.normalize(img, [104.0, 117.0, 123.0], 1.0, scale=1.0)
    np.testing.assert_array_equal(out[:, 0, 0], np.array([96.0, 83.0, 77.0], np.float32))


@pytest.mark.filterwarnings(
    "ignore::pixnorm.RangeWarning"
)  # arbitrary mean/std: the arithmetic is tested
@pytest.mark.parametrize(
    "kind", ["contiguous", "crop", "flip_y", "flip_x", "flip_c", "transposed", "step2", "unaligned"]
)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_views_read_in_place(isa: str, kind: str, dtype: Any) -> None:
    img = make_view(np.random.default_rng(3), (21, 45, 3), dtype, kind)
    check(img, IMAGENET_MEAN, IMAGENET_STD)


@pytest.mark.filterwarnings(
    "ignore::pixnorm.RangeWarning"
)  # arbitrary mean/std: the arithmetic is tested
def test_guard_bands_input_and_output(isa: str, threads: int) -> None:
    """A view inside a sentinel-filled parent, and `out` inside a larger sentinel buffer:
    nothing outside the view is read into the result, nothing outside `out` is written."""
    rng = np.random.default_rng(4)
    for h, w, c in [(1, 1, 3), (7, 13, 3), (5, 33, 4), (9, 17, 1), (3, 65, 3), (4, 16, 5)]:
        for dtype, sentinel in ((np.uint8, 255), (np.float32, np.nan)):
            parent = np.full((h + 4, w + 40, c + 2), sentinel, dtype)
            view = parent[2 : 2 + h, 20 : 20 + w, 1 : 1 + c]
            view[...] = rng.integers(0, 255, (h, w, c)).astype(dtype)  # never the sentinel
            n = c * h * w
            # in place, channels read backwards (planes written in reverse), pixels gathered
            for v in (view, view[..., ::-1], view[:, ::-1]):
                for offset in (0, 1, 3, 16):  # out at several alignments
                    buf = np.full(n + 64 + offset, -7.0, np.float32)
                    out = buf[32 + offset : 32 + offset + n].reshape(c, h, w)
                    got = pixnorm.normalize(
                        v, [0.25] * c, np.linspace(0.5, 1, c), out=out, channels_last=True
                    )
                    assert got is out
                    expected = ref.normalize_float32_formula(
                        np.ascontiguousarray(v),
                        [0.25] * c,
                        np.linspace(0.5, 1, c),
                        1 / 255 if dtype == np.uint8 else 1.0,
                    )
                    np.testing.assert_array_equal(out, expected)
                    assert np.all(buf[: 32 + offset] == -7.0)
                    assert np.all(buf[32 + offset + n :] == -7.0)


def test_float_nan_and_inf_propagate(isa: str) -> None:
    img = np.array([[[np.nan, np.inf, -np.inf], [1.0, 2.0, 3.0]]], np.float32)
    out = pixnorm.normalize(img, 0.0, 2.0)
    assert np.isnan(out[0, 0, 0]) and out[1, 0, 0] == np.inf and out[2, 0, 0] == -np.inf
    np.testing.assert_array_equal(out[:, 0, 1], [0.5, 1.0, 1.5])


def test_to_tensor() -> None:
    img = np.random.default_rng(5).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(
        pixnorm.to_tensor(img), ref.normalize_float32_formula(img, 0, 1, 1 / 255)
    )
    f = np.random.default_rng(6).random((6, 7, 3), dtype=np.float32)
    np.testing.assert_array_equal(pixnorm.to_tensor(f), f.transpose(2, 0, 1))  # no rescaling
    out = np.empty((3, 6, 7), np.float32)
    assert pixnorm.to_tensor(img, out=out) is out


def test_buffer_protocol_and_array_interface() -> None:
    img = np.random.default_rng(7).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    expected = pixnorm.normalize(img, 0.5, 0.5)
    np.testing.assert_array_equal(pixnorm.normalize(memoryview(img), 0.5, 0.5), expected)

    class HasArray:
        def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
            return img

    np.testing.assert_array_equal(pixnorm.normalize(HasArray(), 0.5, 0.5), expected)
    np.testing.assert_array_equal(pixnorm.normalize(img, np.float32(0.5), np.array(0.5)), expected)
    np.testing.assert_array_equal(
        pixnorm.normalize(img, (0.5, 0.5, 0.5), np.full(3, 0.5)), expected
    )


def test_pil_image_matches_torchvision_to_tensor_definition() -> None:
    pil = pytest.importorskip("PIL.Image")
    arr = np.random.default_rng(8).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    im = pil.fromarray(arr)
    np.testing.assert_array_equal(pixnorm.to_tensor(im), pixnorm.to_tensor(arr))
    np.testing.assert_array_equal(
        pixnorm.to_tensor(im.convert("L")), pixnorm.to_tensor(np.asarray(im.convert("L")))
    )


def test_matches_opencv_blob() -> None:
    cv2 = pytest.importorskip("cv2")
    img = np.random.default_rng(9).integers(0, 256, (31, 47, 3), dtype=np.uint8)
    blob = cv2.dnn.blobFromImage(img, scalefactor=1 / 255, mean=(0, 0, 0), swapRB=False)
    # cv2 computes (x - mean) * scalefactor in float32: same values within float32 rounding
    np.testing.assert_allclose(pixnorm.to_tensor(img), blob[0], rtol=2**-22, atol=0)


def test_out_returned_and_large_batch(threads: int) -> None:
    batch = np.random.default_rng(10).integers(0, 256, (3, 64, 80, 3), dtype=np.uint8)
    out = np.empty((3, 3, 64, 80), np.float32)
    assert pixnorm.normalize(batch, IMAGENET_MEAN, IMAGENET_STD, out=out) is out
    check(batch, IMAGENET_MEAN, IMAGENET_STD)
