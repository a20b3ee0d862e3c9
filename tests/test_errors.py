"""Every bad input raises its documented error, naming the argument; nothing crashes."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import pixnorm

IMG = np.zeros((4, 5, 3), np.uint8)


@pytest.mark.parametrize(
    "dtype",
    [
        np.bool_,
        np.complex64,
        object,
        np.float16,
        np.int64,
        np.float64,
        np.int8,
        np.int16,
        np.uint32,
        np.int32,
    ],
)
def test_bad_dtype_is_type_error(dtype: Any) -> None:
    with pytest.raises(
        TypeError, match=r"image: dtype .* is not supported; expected uint8, uint16 or float32"
    ):
        pixnorm.normalize(np.zeros((4, 5, 3), dtype), 0, 1)


@pytest.mark.parametrize("dtype", [">f4", ">u2"])
def test_big_endian_is_type_error(dtype: str) -> None:
    with pytest.raises(TypeError, match="non-native byte order"):
        pixnorm.normalize(np.zeros((4, 5, 3), dtype), 0, 1)


def test_python_lists_are_not_silently_converted() -> None:
    with pytest.raises(TypeError, match="int64"):
        pixnorm.normalize([[[1, 2, 3]]], 0, 1)


@pytest.mark.parametrize("shape", [(5,), (1, 2, 3, 4, 5), ()])
def test_bad_ndim_is_value_error(shape: tuple[int, ...]) -> None:
    with pytest.raises(
        ValueError, match=r"image: expected shape \(H, W\), \(H, W, C\) or \(N, H, W, C\)"
    ):
        pixnorm.normalize(np.zeros(shape, np.uint8), 0, 1)


@pytest.mark.parametrize("shape", [(0, 5, 3), (5, 0, 3), (5, 5, 0), (0, 5, 5, 3), (0, 4)])
def test_zero_size_is_value_error(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="image: zero-size image"):
        pixnorm.normalize(np.zeros(shape, np.uint8), 0, 1)


@pytest.mark.parametrize(
    ("mean", "std", "match"),
    [
        ([0, 0], 1, r"mean: expected a scalar or 3 values \(one per channel\), got 2"),
        (0, [1, 1, 1, 1], r"std: expected a scalar or 3 values \(one per channel\), got 4"),
        (0, 0.0, r"std\[0\]: must be > 0"),
        (0, [1, -1, 1], r"std\[1\]: must be > 0"),
        (0, float("nan"), r"std\[0\]: must be > 0"),
        (0, float("inf"), r"std\[0\]: must be > 0 and finite"),
        (0, 1e-50, r"std\[0\]: must be > 0 and finite in float32"),  # 0 in float32
        (float("nan"), 1, r"mean\[0\]: must be finite"),
        (1e39, 1, r"mean\[0\]: must be finite in float32"),
        (0, 1e-41, r"std\[0\]: scale / std = .* overflows float32"),
        (1e31, 1e-8, r"std\[0\]: mean / std = .* overflows float32"),
        ([], 1, "mean: empty sequence"),
        ([[0, 0, 0]], 1, "mean: expected a scalar or a flat sequence"),
        (np.zeros((3, 1)), 1, r"mean: expected a scalar or a 1-d sequence .* shape \(3, 1\)"),
    ],
)
def test_bad_mean_std_is_value_error(mean: Any, std: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pixnorm.normalize(IMG, mean, std)


@pytest.mark.parametrize("mean", ["0.5", b"x", 1j, [0, "a", 0], object(), None, [0, 1j, 0]])
def test_non_real_mean_is_type_error(mean: Any) -> None:
    with pytest.raises(TypeError, match="mean: expected (a )?real"):
        pixnorm.normalize(IMG, mean, 1)


@pytest.mark.parametrize("scale", ["1", 1j, None.__class__, True])
def test_non_real_scale_is_type_error(scale: Any) -> None:
    with pytest.raises(TypeError, match="scale: expected a real number"):
        pixnorm.normalize(IMG, 0, 1, scale=scale)


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), 1e300])
def test_non_finite_scale_is_value_error(scale: float) -> None:
    with pytest.raises(ValueError, match="scale: must be finite in float32"):
        pixnorm.normalize(IMG, 0, 1, scale=scale)


def test_out_errors() -> None:
    with pytest.raises(TypeError, match="out: dtype float64 is not supported; expected float32"):
        pixnorm.normalize(IMG, 0, 1, out=np.empty((3, 4, 5), np.float64))
    with pytest.raises(TypeError, match="out: expected a numpy float32 array"):
        pixnorm.normalize(IMG, 0, 1, out=[0.0] * 60)
    with pytest.raises(ValueError, match=r"out: expected shape \(3, 4, 5\), got \(4, 5, 3\)"):
        pixnorm.normalize(IMG, 0, 1, out=np.empty((4, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"out: expected shape \(2, 3, 4, 5\)"):
        pixnorm.normalize(
            np.zeros((2, 4, 5, 3), np.uint8), 0, 1, out=np.empty((3, 4, 5), np.float32)
        )
    with pytest.raises(ValueError, match="out: must be C-contiguous"):
        pixnorm.normalize(IMG, 0, 1, out=np.empty((5, 4, 3), np.float32).T)
    ro = np.empty((3, 4, 5), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out: is read-only"):
        pixnorm.normalize(IMG, 0, 1, out=ro)
    buf = np.zeros(3 * 4 * 5 * 4 + 1, np.uint8)
    unaligned = buf[1:].view(np.float32).reshape(3, 4, 5)
    with pytest.raises(ValueError, match="out: must be aligned"):
        pixnorm.normalize(IMG, 0, 1, out=unaligned)


def test_out_overlapping_input_is_rejected() -> None:
    f = np.zeros((2, 3, 4, 5), np.float32)  # out = f[1] viewed as (C, H, W) = (3, 4, 5)
    image = f[1].reshape(4, 5, 3)  # the same memory, as an HWC float image
    with pytest.raises(ValueError, match="out: overlaps the memory of the input"):
        pixnorm.normalize(image, 0, 1, out=f[1])
    # negative strides: the data pointer is the last element, the extent lies below it
    flipped = f[1].reshape(4, 5, 3)[::-1, ::-1]
    with pytest.raises(ValueError, match="out: overlaps"):
        pixnorm.normalize(flipped, 0, 1, out=f[1])
    backwards = f.reshape(-1)[::-1][:60].reshape(4, 5, 3)  # f[1]'s memory, read backwards
    with pytest.raises(ValueError, match="out: overlaps"):
        pixnorm.normalize(backwards, 0, 1, out=f[1])
    out0 = pixnorm.normalize(backwards, 0, 1, out=f[0])  # f[1] -> f[0]: disjoint
    np.testing.assert_array_equal(out0, backwards.transpose(2, 0, 1))
    # neighbouring, non-overlapping memory of the same buffer is fine
    target = f[1]
    assert pixnorm.normalize(f[0].reshape(4, 5, 3), 0, 1, out=target) is target


def test_sizes_whose_output_overflows() -> None:
    base = np.zeros(1, np.uint8)
    huge = np.lib.stride_tricks.as_strided(base, shape=(2**30, 2**30, 2), strides=(0, 0, 0))
    with pytest.raises(OverflowError, match="image: the output"):
        pixnorm.normalize(huge, 0, 1)
    too_big = np.lib.stride_tricks.as_strided(base, shape=(2**20, 2**20, 3), strides=(0, 0, 0))
    with pytest.raises(MemoryError):  # 12 TiB of float32: refused, not a crash
        pixnorm.normalize(too_big, 0, 1)


def test_stride_zero_broadcast_is_read_without_copy() -> None:
    pixel = np.array([10, 20, 30], np.uint8)
    img = np.broadcast_to(pixel, (50, 60, 3))
    out = pixnorm.normalize(img, 0.0, 1.0, scale=1.0)
    assert np.all(out == pixel[:, None, None].astype(np.float32))


def test_not_an_array() -> None:
    with pytest.raises(TypeError, match="image: dtype object"):
        pixnorm.normalize(object(), 0, 1)


def test_geometry_arguments_are_named() -> None:
    img = np.zeros((20, 30, 3), np.uint8)
    for size in (2**70, (2**70, 5), 10**400, 2**24 + 1):
        with pytest.raises(ValueError, match="size: .* too large"):
            pixnorm.resize(img, size)
    assert pixnorm.resize(img, np.array(5)).shape == (5, 7, 3)  # a 0-d array is an int
    with pytest.raises(TypeError, match="box: expected"):
        pixnorm.preprocess(img, box=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="flips: expected a sequence"):
        pixnorm.preprocess_batch([img], flips=True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="boxes: expected a sequence"):
        pixnorm.preprocess_batch([img], boxes=(b for b in [(0, 0, 5, 5)]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"flips\[1\]: expected a bool"):
        pixnorm.preprocess_batch([img, img], flips=[True, 1])  # type: ignore[list-item]


def test_boxes_and_flips_as_tensors() -> None:
    torch = pytest.importorskip("torch")
    img = np.random.default_rng(4).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    box = [0, 0, 10, 10]
    want = pixnorm.preprocess(img, size=(5, 5), box=box)
    np.testing.assert_array_equal(pixnorm.preprocess(img, size=(5, 5), box=torch.tensor(box)), want)
    boxes, flips = [[0, 0, 10, 10], [1, 1, 9, 9]], [True, False]
    want = pixnorm.preprocess_batch([img, img], size=(5, 5), boxes=boxes, flips=flips)
    got = pixnorm.preprocess_batch(
        [img, img], size=(5, 5), boxes=torch.tensor(boxes), flips=torch.tensor(flips)
    )
    np.testing.assert_array_equal(got, want)


def test_mean_and_std_as_tensors() -> None:
    """Objects that only offer __array__ (a torch tensor) are read like lists."""
    torch = pytest.importorskip("torch")
    img = np.random.default_rng(3).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    m, s = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    tm, ts = torch.tensor(m, dtype=torch.float64), torch.tensor(s, dtype=torch.float64)
    np.testing.assert_array_equal(pixnorm.normalize(img, tm, ts), pixnorm.normalize(img, m, s))
    np.testing.assert_array_equal(
        pixnorm.preprocess(img, size=10, mean=tm, std=ts),
        pixnorm.preprocess(img, size=10, mean=m, std=s),
    )


def test_bool_mean_and_std_are_type_errors() -> None:
    img = np.zeros((4, 5, 3), np.uint8)
    for mean, std in [([True, 0, 0], 1.0), (0.0, True), (np.array([True, False, True]), 1.0)]:
        with pytest.raises(TypeError, match="expected real numbers, got bool"):
            pixnorm.normalize(img, mean, std)
        with pytest.raises(TypeError, match="expected real numbers, got bool"):
            pixnorm.preprocess(img, mean=mean, std=std)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("convention", [None, "pillow", "torch", "opencv"])
def test_sources_too_large_for_the_plans_are_refused(convention: str | None, dtype: Any) -> None:
    """A side past what the filter plans hold (int32 positions) is a ValueError, not a crash
    (issue 11.2: a (1, 2**31 + 2**29) image segfaulted in every convention). Broadcast views
    cost no memory."""
    if convention is not None and dtype != np.uint8:
        pytest.skip("named conventions take uint8 only")
    aa = convention in (None, "pillow")
    kw: dict[str, Any] = {"antialias": aa, "convention": convention}
    px = np.zeros((1, 1, 1), dtype)
    wide = np.broadcast_to(px, (1, 2**31 + 2**29, 1))
    tall = np.broadcast_to(px, (2**31 + 2**29, 1, 1))
    wide3 = np.broadcast_to(np.zeros((1, 1, 3), dtype), (1, 2**28, 3))  # 3 * 2**28 values a row
    for img in (wide, tall, wide3):
        with pytest.raises(ValueError, match=r"image: .* too large to resize"):
            pixnorm.resize(img, (1, 4), **kw)
        with pytest.raises(ValueError, match=r"image: .* too large to resize"):
            pixnorm.preprocess(img, size=(1, 4), **kw)
        with pytest.raises(ValueError, match=r"images\[0\]: .* too large to resize"):
            pixnorm.preprocess_batch([img], size=(1, 4), **kw)
    # A box inside such an image is what is planned: small boxes work, large ones are refused.
    np.testing.assert_array_equal(
        pixnorm.preprocess(wide, size=(1, 2), box=(0, 2**31, 1, 4), **kw),
        pixnorm.preprocess(np.zeros((1, 4, 1), dtype), size=(1, 2), **kw),
    )
    with pytest.raises(ValueError, match=r"box: .* too large to resize"):
        pixnorm.preprocess(wide, size=(1, 4), box=(0, 1, 1, 2**31), **kw)
    # At the limit itself the resize runs: without antialias only (a window over 2**31 rows
    # would need gigabytes of weights), and the wide case, which gathers one 512 MB row, in
    # one convention only.
    if aa:
        return
    at_limit = np.broadcast_to(px + 9, (2**31 - 1, 1, 1))
    assert (pixnorm.resize(at_limit, (4, 1), antialias=False, convention=convention) == 9).all()
    if convention == "torch":
        wide_limit = np.broadcast_to(px + 9, (1, 2**29 - 1, 1))
        assert (
            pixnorm.resize(wide_limit, (1, 4), antialias=False, convention=convention) == 9
        ).all()


ZERO_SIZES = [(0, 5, 3), (5, 0, 3), (5, 5, 0), (0, 0, 1), (0, 5)]


@pytest.mark.parametrize("shape", ZERO_SIZES)
def test_zero_size_images_name_the_image_in_every_entry_point(shape: tuple[int, ...]) -> None:
    """A zero-size image is a ValueError naming the image (or images[i] / samples[i]) and its
    shape, with or without size and crop: not ZeroDivisionError, not a message about crop."""
    import pixnorm.transforms as P

    z, ok = np.zeros(shape, np.uint8), np.zeros((6, 7, 3), np.uint8)
    msg = "zero-size image, shape " + re.escape(str(shape))
    for kwargs in ({}, {"size": 4}, {"size": (4, 4)}, {"crop": 2}, {"size": None, "max_size": 9}):
        with pytest.raises(ValueError, match="^image: " + msg):
            pixnorm.preprocess(z, **kwargs)
        with pytest.raises(ValueError, match=r"^images\[1\]: " + msg):
            pixnorm.preprocess_batch([ok, z], **kwargs)
    for collate in (
        pixnorm.Collate(size=4, crop=3),
        pixnorm.Collate(size=(4, 4)),
        pixnorm.Collate(),
        pixnorm.Collate(size=(4, 4), random_resized_crop=True),
    ):
        with pytest.raises(ValueError, match=r"^samples\[1\]: " + msg):
            collate([ok, z])
    for t in (
        P.Resize(4),
        P.Resize((4, 4)),
        P.RandomResizedCrop(4),
        P.CenterCrop(1),
        P.ToTensor(),
        P.Compose([P.Resize(8), P.CenterCrop(4), P.ToTensor(), P.Normalize([0.5], [0.2])]),
    ):
        with pytest.raises(ValueError, match="^image: " + msg):
            t(z)


@pytest.mark.parametrize("hw", [(0, 5), (5, 0), (0, 0), (-3, 5), (5, -3)])
def test_resized_size_refuses_empty_and_negative_images(hw: tuple[int, int]) -> None:
    for size, max_size in ((8, None), ((4, 4), None), (8, 64), (None, 64)):
        with pytest.raises(
            ValueError, match=r"^height, width: expected an image of at least 1 x 1, got"
        ):
            pixnorm.resized_size(*hw, size, max_size)
    with pytest.raises(ValueError, match="height, width"):
        pixnorm.transforms.RandomResizedCrop(4).get_params(*hw)


def test_resized_size_never_gives_a_zero_side() -> None:
    """torchvision computes (0, 64) for Resize(8, max_size=64) of a 1 x 10**6 image and then
    fails in torch ("output sizes should be greater than 0") or Pillow ("height and width must
    be > 0"); pixnorm raises a ValueError naming max_size, with the smallest max_size that
    works, checked here with torchvision's formula written out."""
    for h, w, size in ((1, 10**6, 8), (10**6, 1, 8), (3, 10**5, 2), (1, 5000, None)):
        with pytest.raises(ValueError, match=r"^max_size: 64 makes the shorter side .* 0") as e:
            pixnorm.resized_size(h, w, size, max_size=64)
        least = int(re.search(r"expected max_size >= (\d+)", str(e.value)).group(1))  # type: ignore[union-attr]
        short, long = min(h, w), max(h, w)
        s = size if size is not None else least
        new_long = long if size is None else int(s * long / short)  # torchvision's rule
        assert int(least * (short if size is None else s) / new_long) >= 1
        assert int((least - 1) * (short if size is None else s) / new_long) == 0
        got = pixnorm.resized_size(h, w, size, max_size=least)
        assert min(got) >= 1 and max(got) == least
    assert pixnorm.resized_size(1, 10**6, 8, max_size=None) == (8, 8 * 10**6)


BIG = 10**400  # beyond float64: float(BIG) raises OverflowError


def test_ints_beyond_the_float_range_are_value_errors_naming_the_argument() -> None:
    import pixnorm.transforms as P

    img = np.zeros((4, 5, 3), np.uint8)
    range_msg = r"is out of range for a float; expected a finite number"
    calls: list[tuple[str, Any]] = [
        ("mean", lambda: pixnorm.normalize(img, BIG, 1)),
        ("mean", lambda: pixnorm.normalize(img, -BIG, 1)),
        (r"mean\[1\]", lambda: pixnorm.normalize(img, [0, BIG, 0], 1)),
        (r"mean\[2\]", lambda: pixnorm.normalize(img, np.array([0, 0, BIG], object), 1)),
        ("std", lambda: pixnorm.normalize(img, 0, BIG)),
        ("scale", lambda: pixnorm.normalize(img, 0, 1, scale=BIG)),
        ("mean", lambda: pixnorm.preprocess(img, mean=BIG)),
        ("std", lambda: pixnorm.preprocess(img, mean=np.zeros((4, 5, 3)), std=BIG)),
        ("scale", lambda: pixnorm.preprocess(img, scale=BIG)),
        (r"std\[0\]", lambda: pixnorm.preprocess_batch([img], std=[BIG])),
        ("mean", lambda: pixnorm.Collate(mean=BIG)),
        (r"mean\[0\]", lambda: P.Normalize([BIG], [1])),
        ("std", lambda: P.Normalize(0, BIG)),
        ("scale", lambda: P.RandomResizedCrop(4, scale=(0.1, BIG))),
        ("ratio", lambda: P.RandomResizedCrop(4, ratio=(BIG, BIG))),
        ("p", lambda: P.RandomHorizontalFlip(BIG)),
        ("flip_p", lambda: pixnorm.random_params(4, 4, flip_p=BIG)),
    ]
    for name, call in calls:
        with pytest.raises(ValueError, match=f"^{name}: an int of about -?1e400 {range_msg}"):
            call()
    # 10**39 fits a float64 but not a float32: refused by the core's float32 range check
    with pytest.raises(ValueError, match=r"mean\[0\]: must be finite in float32"):
        pixnorm.normalize(img, 10**39, 1)


@pytest.mark.parametrize("name", ["\ud800", "torch\x00x", "Torch", "pixnorm", ""])
def test_unknown_convention_names_are_value_errors_quoting_them(name: str) -> None:
    """Names the binding cannot convert (a lone surrogate) or that C strings would cut (a NUL)
    are quoted by repr in a ValueError, like any other unknown name (review of the refactor:
    a surrogate raised pybind11's RuntimeError, a NUL cut the message)."""
    img = np.zeros((4, 4, 3), np.uint8)
    for call in (
        lambda: pixnorm.resize(img, 2, convention=name),
        lambda: pixnorm.preprocess(img, size=2, convention=name),
        lambda: pixnorm._core.resize(img, 2, 2, True, name, None),
    ):
        with pytest.raises(ValueError, match="convention: .* is not available") as e:
            call()
        assert repr(name) in str(e.value)


def test_core_preprocess_refuses_a_batch_as_one_image() -> None:
    """The core's preprocess takes one image per entry: a (1, H, W, C) array is refused as
    before the refactor (the Python layer never sends one; the core trusts no caller)."""
    geom = pixnorm._resize.Geometry(0, 0, 8, 8, 4, 4, 0, 0, 0)
    with pytest.raises(ValueError, match=r"image: expected one image .* use preprocess_batch"):
        pixnorm._core.preprocess(
            [np.zeros((1, 8, 8, 3), np.uint8)], [geom], 4, 4, True, None, 0.0, 1.0, 1.0, None, False
        )


def test_channels_first_arrays_are_refused_unless_the_caller_says_channels_last() -> None:
    """A (3, 256, 256) numpy array read as (H, W, C) has 256 channels: resize gave a
    (256, 32341, 465) array (3.85 GB), to_tensor a (224, 3, 224) one, silently (issue 13).
    More than 4 values in the last axis are refused unless channels_last=True says so."""
    chw = np.zeros((3, 32, 40), np.uint8)
    calls = {
        "resize": lambda **kw: pixnorm.resize(chw, 16, **kw),
        "preprocess": lambda **kw: pixnorm.preprocess(chw, size=16, **kw),
        "preprocess_batch": lambda **kw: pixnorm.preprocess_batch([chw], size=(8, 8), **kw),
        "normalize": lambda **kw: pixnorm.normalize(chw, 0.5, 0.5, **kw),
        "to_tensor": lambda **kw: pixnorm.to_tensor(chw, **kw),
    }
    for name, call in calls.items():
        with pytest.raises(
            ValueError,
            match=r"image(s\[0\])?: shape \(3, 32, 40\) is read as "
            r"\(H, W, C\) with 40 channels; it looks like \(C, H, W\): pass "
            r"image.transpose\(1, 2, 0\)",
        ):
            call()
        assert call(channels_last=True).size > 0, name  # 40 channels, as asked
    with pytest.raises(TypeError, match="channels_last: expected a bool"):
        pixnorm.resize(chw, 16, channels_last=1)
    # Up to 4 channels (gray, RGB, RGBA) need nothing.
    assert pixnorm.resize(np.zeros((32, 40, 4), np.uint8), 16).shape == (16, 20, 4)


def test_torch_tensors_are_read_channels_first() -> None:
    """torch tensors are (C, H, W) / (N, C, H, W) everywhere in torchvision, and pixnorm's
    transforms read them so: the functional API too, through a transposed view (no copy)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    hwc = rng.integers(0, 256, (30, 44, 3), dtype=np.uint8)
    t = torch.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1)))  # (3, 30, 44)
    kw: dict[str, Any] = {"size": 16, "crop": 12, "mean": [0.4, 0.5, 0.6], "std": [0.2] * 3}
    np.testing.assert_array_equal(pixnorm.preprocess(t, **kw), pixnorm.preprocess(hwc, **kw))
    np.testing.assert_array_equal(
        pixnorm.preprocess_batch([t, t], size=(8, 8)),
        pixnorm.preprocess_batch([hwc, hwc], size=(8, 8)),
    )
    np.testing.assert_array_equal(pixnorm.normalize(t, 0.5, 0.2), pixnorm.normalize(hwc, 0.5, 0.2))
    np.testing.assert_array_equal(pixnorm.to_tensor(t[None]), pixnorm.to_tensor(hwc[None]))
    out = pixnorm.resize(t, 16)  # a tensor in, a tensor out, channels first
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (3, 16, 23)
    np.testing.assert_array_equal(out.permute(1, 2, 0).numpy(), pixnorm.resize(hwc, 16))
    batch = pixnorm.resize(torch.stack([t, t]), 16)
    assert tuple(batch.shape) == (2, 3, 16, 23)


def test_a_longer_side_beyond_the_limit_is_a_size_error() -> None:
    """resized_size(1, 2**62, 8) returned (8, 2**65), and preprocess of a (1, 100000) image
    with size=1000 blamed the crop: the longer side is checked where it is computed."""
    with pytest.raises(
        ValueError, match=r"size: 8 makes the longer side .* more than the 16777216"
    ):
        pixnorm.resized_size(1, 2**62, 8)
    with pytest.raises(ValueError, match=r"size: 1000 makes the longer side of a \(1, 100000\)"):
        pixnorm.preprocess(np.zeros((1, 100000, 3), np.uint8), size=1000)
    assert pixnorm.resized_size(1, 2**14, 2**10) == (2**10, 2**24)  # at the limit: fine


def test_new_user_mistakes_get_hints(tmp_path: Any) -> None:
    """A path where an image is expected points to load/decode; a colour name in another case
    (or spelled 'grey') is suggested; one channel's mean/std asks for one value."""
    import pathlib

    for source in ("cat.jpg", b"\xff\xd8\xff", pathlib.Path("cat.jpg")):
        with pytest.raises(TypeError, match=r"image: expected a decoded image .*pixnorm\.load"):
            pixnorm.preprocess(source, size=4)  # type: ignore[arg-type]
    for name, meant in (("GRAY", "gray"), ("grey", "gray"), ("Grey3", "gray3"), ("YUV", "yuv")):
        with pytest.raises(ValueError, match=f"did you mean '{meant}'"):
            pixnorm.preprocess(IMG, size=4, color=name)
    with pytest.raises(ValueError, match="is not available") as err:
        pixnorm.preprocess(IMG, size=4, color="purple")
    assert "did you mean" not in str(err.value)
    with pytest.raises(ValueError, match=r"mean: expected a scalar \(one channel\), got 3 values"):
        pixnorm.preprocess(IMG, size=4, color="gray", mean=[0.5, 0.5, 0.5], std=0.2)
    with pytest.raises(ValueError, match=r"mean: expected a scalar \(one channel\), got 3 values"):
        pixnorm.normalize(IMG[..., :1], [0.5, 0.5, 0.5], 0.2)


def test_one_image_or_odd_modes_where_a_batch_or_rgb_is_expected() -> None:
    """The new-user review's silent wrong results: one (H, W, C) array (or (C, H, W) tensor)
    given to preprocess_batch read as a batch of gray rows; a (C, H, W) numpy array given to
    Collate and the transforms read as C-channel HWC; a PIL palette or CMYK image read as its
    indices or inks. Each is now a ValueError that says what to pass; the legitimate shapes
    next to them still work."""
    img = np.random.default_rng(3).integers(0, 256, (30, 45, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"^images: one array of shape \(30, 45, 3\)"):
        pixnorm.preprocess_batch(img, size=16, crop=16)
    gray_stack = img[..., 0].reshape(3, 10, 45)  # (N, H, W) gray images: still a batch
    assert pixnorm.preprocess_batch(gray_stack, size=(8, 9)).shape == (3, 1, 8, 9)
    assert pixnorm.preprocess_batch([img], size=16, crop=16).shape == (1, 3, 16, 16)
    chw = np.ascontiguousarray(img.transpose(2, 0, 1))
    with pytest.raises(ValueError, match=r"looks like \(C, H, W\): pass image.transpose"):
        pixnorm.Collate((16, 16))([(chw, 0)])
    with pytest.raises(ValueError, match=r"looks like \(C, H, W\): pass image.transpose"):
        pixnorm.transforms.Resize(16)(chw)
    wide = np.zeros((20, 24, 5), np.uint8)  # five real channels, more than 4 rows: accepted
    assert pixnorm.Collate((8, 8))([(wide, 0)])[0].shape == (1, 5, 8, 8)
    Image = pytest.importorskip("PIL.Image")
    pil = Image.fromarray(img)
    for mode in ("P", "CMYK"):
        with pytest.raises(ValueError, match=f"^image: a PIL image of mode '{mode}' holds"):
            pixnorm.preprocess(pil.convert(mode), size=16)
    np.testing.assert_array_equal(
        pixnorm.preprocess(pil, size=16), pixnorm.preprocess(img, size=16)
    )
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=r"^images: one array of shape \(3, 30, 45\)"):
        pixnorm.preprocess_batch(torch.from_numpy(chw), size=16, crop=16)


def test_the_new_user_reviews_hints() -> None:
    """Misspelt names get the likely one; a list image, an (N, C, H, W) array, and numpy
    centres / translations (taken now, as warp_polar's centre is) each say what to pass."""
    img = np.zeros((30, 40, 3), np.uint8)
    with pytest.raises(ValueError, match=r"did you mean 'bicubic'\? the names are lower case"):
        pixnorm.resize(img, 10, interpolation="BICUBIC")
    with pytest.raises(ValueError, match=r"did you mean 'nearest-exact'\?\)"):
        pixnorm.resize(img, 10, interpolation="nearest_exact")
    for given, meant in (("PIL", "pillow"), ("cv2", "opencv"), ("Torch", "torch")):
        with pytest.raises(ValueError, match=f"did you mean '{meant}'"):
            pixnorm.resize(img, 10, convention=given)
    with pytest.raises(ValueError, match="did you mean 'torch'"):
        pixnorm.rotate(img, 10.0, convention="torchvision")
    with pytest.raises(ValueError, match="^convention: 'magic' is not available"):
        pixnorm.resize(img, 10, convention="magic")
    with pytest.raises(TypeError, match=r"^image: a Python list became an array of dtype int64"):
        pixnorm.normalize(img.tolist(), 0.5, 0.2)
    with pytest.raises(ValueError, match=r"read as \(N, H, W, C\) .* looks like \(N, C, H, W\)"):
        pixnorm.normalize(np.zeros((2, 3, 30, 45), np.uint8), 0.5, 0.2)
    np.testing.assert_array_equal(
        pixnorm.rotate(img, 10.0, center=np.array([10, 12])),
        pixnorm.rotate(img, 10.0, center=(10, 12)),
    )
    np.testing.assert_array_equal(
        pixnorm.affine(img, 10.0, translate=np.array([1, 2]), shear=np.array([3.0, 1.0])),
        pixnorm.affine(img, 10.0, translate=(1, 2), shear=(3.0, 1.0)),
    )
    with pytest.raises(TypeError, match=r"^mean: got a dict with 'mean' .*\*\*pixnorm.presets"):
        pixnorm.normalize(img, pixnorm.presets.IMAGENET)
