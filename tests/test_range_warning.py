"""pixnorm.RangeWarning: mean/std that cannot describe the image's values (issue 13).

Two mistakes give silent garbage: 0-255 mean/std with a uint8 image scaled to [0, 1] (the
default scale 1/255), and a float32 image in 0-255 (taken as already scaled) with mean/std for
[0, 1]. Each warns, once per call site, naming the argument and the fix; legitimate inputs
never warn; a call that raises does not warn first.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import pixnorm
import pixnorm.transforms as T

RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, (40, 50, 3), dtype=np.uint8)
F255 = U8.astype(np.float32)  # float32 in 0-255
F01 = F255 / 255  # float32 in [0, 1]
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
CAFFE = ((123.68, 116.78, 103.94), (58.4, 57.1, 57.4))  # 0-255 values

LEGIT: dict[str, Callable[[], Any]] = {
    "uint8, ImageNet": lambda: pixnorm.normalize(U8, *IMAGENET),
    "uint8, 0-255 mean/std with scale=1": lambda: pixnorm.normalize(U8, *CAFFE, scale=1.0),
    "uint8, mean 0.5 std 0.5": lambda: pixnorm.normalize(U8, 0.5, 0.5),
    "uint8, to_tensor": lambda: pixnorm.to_tensor(U8),
    "uint8 batch": lambda: pixnorm.normalize(np.stack([U8, U8]), *IMAGENET),
    "float [0, 1], ImageNet": lambda: pixnorm.normalize(F01, *IMAGENET),
    "float 0-255, scale=1/255, ImageNet": lambda: pixnorm.normalize(F255, *IMAGENET, scale=1 / 255),
    "float 0-255, 0-255 mean/std": lambda: pixnorm.normalize(F255, *CAFFE),
    "float 0-255, to_tensor (identity)": lambda: pixnorm.to_tensor(F255),
    "float 0-255, dark frame, 0-255 mean/std": lambda: pixnorm.normalize(F255 * 0.002, *CAFFE),
    "float [0, 1], 0-255 mean/std (not judged: a dark 0-255 frame looks the same)": lambda: (
        pixnorm.normalize(F01, *CAFFE)
    ),
    "float with NaN and inf": lambda: pixnorm.normalize(
        np.full((8, 8, 3), np.nan, np.float32), *IMAGENET
    ),
    "per-pixel 0-255 mean image, scale=1": lambda: pixnorm.normalize(
        U8, U8.astype(np.float64), 50.0, scale=1.0
    ),
    "preprocess": lambda: pixnorm.preprocess(
        U8, size=32, crop=24, mean=IMAGENET[0], std=IMAGENET[1]
    ),
    "preprocess torch convention": lambda: pixnorm.preprocess(
        U8, size=32, mean=IMAGENET[0], std=IMAGENET[1], convention="torch"
    ),
    "preprocess_batch": lambda: pixnorm.preprocess_batch(
        [U8, U8], size=(24, 24), mean=IMAGENET[0], std=IMAGENET[1]
    ),
    "Collate": lambda: pixnorm.Collate(size=(24, 24), mean=IMAGENET[0], std=IMAGENET[1])([U8]),
    "transforms": lambda: T.Compose([T.Resize(32), T.ToTensor(), T.Normalize(*IMAGENET)])(U8),
    "Normalize alone on a float [0, 1] CHW array": lambda: T.Normalize(*IMAGENET)(
        np.ascontiguousarray(F01.transpose(2, 0, 1))
    ),
    "Normalize on a float 0-255 array with 0-255 mean/std": lambda: T.Compose(
        [T.ToTensor(), T.Normalize(*CAFFE)]
    )(F255),
}

MISTAKES: dict[str, tuple[Callable[[], Any], str]] = {
    "uint8, 0-255 mean/std": (lambda: pixnorm.normalize(U8, *CAFFE), "mean: 123.68 exceeds 1"),
    "float 0-255, ImageNet": (lambda: pixnorm.normalize(F255, *IMAGENET), "image: float32"),
    "uint8 kept in 0-255 (scale=1), [0, 1] mean/std": (
        lambda: pixnorm.normalize(U8, *IMAGENET, scale=1.0),
        "mean, std: values for [0, 1]",
    ),
    "uint8 batch": (lambda: pixnorm.normalize(np.stack([U8, U8]), *CAFFE), "mean: 123.68"),
    "preprocess": (
        lambda: pixnorm.preprocess(U8, size=32, mean=CAFFE[0], std=CAFFE[1]),
        "mean: 123.68",
    ),
    "preprocess float": (
        lambda: pixnorm.preprocess(F255, size=32, mean=IMAGENET[0], std=IMAGENET[1]),
        "image: float32 values far above 1",
    ),
    "preprocess_batch": (
        lambda: pixnorm.preprocess_batch([U8, U8], size=(24, 24), mean=CAFFE[0], std=CAFFE[1]),
        "mean: 123.68",
    ),
    "Collate": (
        lambda: pixnorm.Collate(size=(24, 24), mean=CAFFE[0], std=CAFFE[1])([U8]),
        "mean: 123.68",
    ),
    "transforms": (
        lambda: T.Compose([T.Resize(32), T.ToTensor(), T.Normalize(*CAFFE)])(U8),
        "mean: 123.68",
    ),
    # on a float image the transforms normalize outside the core (torchvision's arithmetic)
    "Normalize alone on a float 0-255 CHW array": (
        lambda: T.Normalize(*IMAGENET)(np.ascontiguousarray(F255.transpose(2, 0, 1))),
        "image: float values far above 1, but mean and std are for values in [0, 1]: divide",
    ),
    "ToTensor + Normalize on a float 0-255 HWC array (ToTensor keeps float values)": (
        lambda: T.Compose([T.ToTensor(), T.Normalize(*IMAGENET)])(F255),
        "image: float values far above 1",
    ),
}


@pytest.mark.parametrize("case", list(LEGIT))
def test_legitimate_inputs_never_warn(case: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LEGIT[case]()


@pytest.mark.parametrize("case", list(MISTAKES))
def test_mistakes_warn_naming_the_argument_and_the_fix(case: str) -> None:
    fn, start = MISTAKES[case]
    with pytest.warns(pixnorm.RangeWarning) as record:
        fn()
    assert len(record) == 1
    message = str(record[0].message)
    assert message.startswith(start), message
    assert "255" in message  # the fix: divide by 255, or scale=1/255 / scale=1.0
    assert issubclass(pixnorm.RangeWarning, UserWarning)


def test_the_warning_points_at_the_callers_line_once() -> None:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")  # Python's default: once per location
        for _ in range(3):
            pixnorm.normalize(U8, *CAFFE)  # the same line three times
        pixnorm.normalize(U8, *CAFFE)  # another line
    assert [w.category for w in record] == [pixnorm.RangeWarning] * 2
    assert all(w.filename == __file__ for w in record)


def test_a_call_that_raises_does_not_warn_first() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="out"):
            pixnorm.normalize(U8, *CAFFE, out=np.empty((3, 2, 2), np.float32))
        with pytest.raises(ValueError, match="std"):
            pixnorm.normalize(U8, CAFFE[0], 0.0)
        with pytest.raises(TypeError):
            pixnorm.preprocess(U8.astype(np.int16), size=8, mean=CAFFE[0], std=CAFFE[1])


def test_it_can_be_silenced() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=pixnorm.RangeWarning)
        pixnorm.normalize(U8, *CAFFE)


def test_float_warning_text_is_the_same_for_every_image() -> None:
    """Python shows a warning once per call site and text: the float32 message must not depend
    on the pixels (it named the sampled maximum: one warning per image in a loop)."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        for k in range(20):
            pixnorm.normalize(F255 * (0.5 + k / 40), *IMAGENET)
    assert len(record) == 1


def test_unpickled_uint8_is_checked_as_uint8() -> None:
    """An unpickled array has its own uint8 dtype object: still uint8 for the check."""
    import pickle

    u8 = pickle.loads(pickle.dumps(U8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pixnorm.normalize(u8, 0.5, 1.0)
    with pytest.warns(pixnorm.RangeWarning, match="mean: 123.68 exceeds 1"):
        pixnorm.normalize(u8, *CAFFE)


def test_the_warning_points_at_the_users_line_through_helpers() -> None:
    norm = pixnorm.Normalizer(*CAFFE)
    compose = T.Compose([T.Compose([T.Resize(32), T.ToTensor(), T.Normalize(*CAFFE)])])
    for fn in (lambda: norm(U8), lambda: compose(U8)):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            fn()
        assert [w.filename for w in record] == [__file__], [w.filename for w in record]


def test_a_pipeline_that_raises_later_does_not_warn() -> None:
    """A Compose runs fused passes one after another: a RangeWarning of an early pass is held
    until the whole pipeline succeeded (found by the fuzz test: a warning, then an error)."""

    class Boom:
        def __call__(self, img: Any) -> Any:
            raise ValueError("later step")

    pipeline = T.Compose([T.ToTensor(), T.Normalize(*CAFFE), Boom()])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="later step"):
            pipeline(U8)
    with pytest.warns(pixnorm.RangeWarning):  # without the failing step it warns, once
        T.Compose([T.ToTensor(), T.Normalize(*CAFFE)])(U8)


def test_normalize_on_a_float_tensor_is_checked() -> None:
    """torch tensors on the unfused float path: a 0-255 float tensor with [0, 1] mean/std warns,
    a [0, 1] one does not (float16 too: the sample is converted, the tensor is not)."""
    torch = pytest.importorskip("torch")
    t255 = torch.from_numpy(np.ascontiguousarray(F255.transpose(2, 0, 1)))
    with pytest.warns(pixnorm.RangeWarning, match="image: float values far above 1"):
        T.Normalize(*IMAGENET)(t255)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        T.Normalize(*IMAGENET)(t255 / 255)
        T.Normalize(*IMAGENET)((t255 / 255).half())
        T.Normalize(*CAFFE)(t255)


def test_normalize_on_empty_float_images_returns_empty() -> None:
    """Zero-size float images normalize to empty results, as torchvision (the range check
    samples nothing and says nothing)."""
    n = T.Normalize([0.5] * 3, [0.5] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.shape(n(np.zeros((3, 0, 5), np.float32))) == (3, 0, 5)
        assert np.shape(n(np.zeros((0, 3, 4, 4), np.float32))) == (0, 3, 4, 4)
        assert tuple(np.shape(T.Compose([T.ToTensor(), n])(np.zeros((0, 4, 3), np.float32)))) == (
            3,
            0,
            4,
        )
