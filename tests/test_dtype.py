"""dtype= and layout= (issue 14): float16 and bfloat16 outputs are the float32 result rounded once
to nearest-even (numpy's and ml_dtypes' casts, and torch's .to(dtype), are the independent
references), HWC is the transpose of CHW, uint8 output of preprocess is the resized image itself;
on every ISA and thread count, through normalize, preprocess, preprocess_batch, Collate and the
transforms; the presets; the errors."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pixnorm
import reference as ref
from isas import on_every_isa_and_thread_count
from pixnorm import presets
from strategies import make_view

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = ml_dtypes.bfloat16
HALVES = {"float16": np.float16, "bfloat16": BF16}
M = (0.485, 0.456, 0.406)
S = (0.229, 0.224, 0.225)
fixture_settings = settings(
    deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def expected(f32: np.ndarray, dtype: str, layout: str) -> np.ndarray:
    """The float32 (C, H, W) / (N, C, H, W) result in `dtype` and `layout`, by numpy."""
    with np.errstate(over="ignore"):
        out = f32 if dtype == "float32" else f32.astype(HALVES[dtype])
    if layout == "HWC":
        out = np.moveaxis(out, -3, -1)
    return np.ascontiguousarray(out)


def bits(a: np.ndarray) -> np.ndarray:
    return a.view(np.uint8 if a.dtype.itemsize == 1 else f"u{a.dtype.itemsize}")


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(bits(got), bits(want))


# ---- the conversion itself, on special values --------------------------------------------------

SPECIAL = np.array(
    [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.996, 65520.0, -65520.0, 1e9, np.inf, -np.inf,
     2.0**-24, 2.0**-25, 2.0**-25 * 1.0000001, 3 * 2.0**-26, 2.0**-14, 2.0**-14 * 0.99999,
     1e-40, -1e-45, 3.4e38, 1.00390625, 1.01171875, 1.0039062, 0.1, 0.2, 1 / 3],
    dtype=np.float32,
)  # fmt: skip


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_rounding_of_special_values(dtype: str) -> None:
    """float32 input through scale 1, mean 0, std 1 (x * 1 + 0, exact): the cast alone, against
    numpy's float16 and ml_dtypes' bfloat16 (both round to nearest-even, subnormals kept), on
    every ISA; NaN stays NaN."""
    vals = np.concatenate([SPECIAL, -SPECIAL, np.random.default_rng(0).standard_normal(300)])
    vals = np.concatenate([vals, (vals * 1e-38).astype(np.float32)]).astype(np.float32)
    img = vals.reshape(1, -1, 1)

    def run() -> bytes:
        return bytes(bits(pixnorm.normalize(img, 0.0, 1.0, dtype=dtype)))

    results = on_every_isa_and_thread_count(run)
    with np.errstate(over="ignore"):  # values beyond float16 become infinity, as intended
        want = bits(img.reshape(1, 1, -1).astype(HALVES[dtype]))
    for key, got in results.items():
        assert got == bytes(want), key
    nan = pixnorm.normalize(np.full((1, 3, 1), np.nan, np.float32), 0.0, 1.0, dtype=dtype)
    assert np.isnan(nan.astype(np.float32)).all()


def test_rounding_matches_torch() -> None:
    """torch's .to(float16) and .to(bfloat16) of the float32 values, bit for bit, NaN included
    (torch's vectorized bfloat16 cast makes every NaN 0xFFFF)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    raw = rng.integers(0, 2**32, 20000, dtype=np.uint32).view(np.float32)
    vals = np.concatenate([SPECIAL, -SPECIAL, raw, np.array([np.nan], np.float32)])
    assert vals.dtype == np.float32  # NaN payloads kept (no float64 round trip)
    img = vals.reshape(1, -1, 1)
    for dtype, tdt in (("float16", torch.float16), ("bfloat16", torch.bfloat16)):
        got = bits(pixnorm.normalize(img, 0.0, 1.0, dtype=dtype)).reshape(-1)
        want = torch.from_numpy(vals).to(tdt).view(torch.int16).numpy().view(np.uint16)
        np.testing.assert_array_equal(got, want)


# ---- normalize ---------------------------------------------------------------------------------


@st.composite
def normalize_cases(draw: st.DrawFn) -> tuple[np.ndarray, Any, Any, str | None, str, str]:
    src = draw(st.sampled_from([np.uint8, np.float32]))
    color = draw(st.sampled_from([None, None, "gray", "bgr", "ycbcr"]))
    c = draw(st.sampled_from([3, 4] if color else [1, 3, 4, 5]))
    h, w = draw(st.integers(1, 20)), draw(st.integers(1, 40))
    n = draw(st.sampled_from([None, 2]))
    shape = (h, w, c) if n is None else (n, h, w, c)
    kind = draw(st.sampled_from(["contiguous", "crop", "flip_x", "flip_c", "transposed"]))
    seed = draw(st.integers(0, 2**32 - 1))
    img = make_view(np.random.default_rng(seed), shape, src, kind)
    outc = 1 if color == "gray" else 3 if color else c
    per_pixel = draw(st.booleans()) and color is None
    if per_pixel:
        rng = np.random.default_rng(seed + 1)
        mean = rng.uniform(0, 1, (h, w, c))
        std = rng.uniform(0.1, 1, (h, w, c))
    else:
        mean, std = list(np.linspace(0.3, 0.6, outc)), list(np.linspace(0.2, 0.3, outc))
    dtype = draw(st.sampled_from(["float16", "bfloat16", "float32"]))
    layout = draw(st.sampled_from(["CHW", "HWC"]))
    return img, mean, std, color, dtype, layout


@pytest.mark.filterwarnings("ignore::pixnorm.RangeWarning")
@fixture_settings
@given(normalize_cases())
def test_normalize_dtype_layout(case: tuple[np.ndarray, Any, Any, str | None, str, str]) -> None:
    """Every dtype and layout, through views, colours, batches and per-pixel mean/std, is the
    float32 CHW result converted (numpy's casts), on every ISA and thread count; the float32
    result is itself within the float64 reference's bound (test_normalize holds it bitwise)."""
    img, mean, std, color, dtype, layout = case
    f32 = pixnorm.normalize(img, mean, std, color=color, channels_last=True)
    if color is None and np.ndim(mean) < 2:
        want64 = ref.normalize(np.asarray(img), mean, std, 1 / 255 if img.dtype == np.uint8 else 1)
        bound = ref.normalize_error_bound(
            np.asarray(img), mean, std, 1 / 255 if img.dtype == np.uint8 else 1
        )
        assert np.all(np.abs(f32.astype(np.float64) - want64) <= bound)
    want = expected(f32, dtype, layout)

    def run() -> bytes:
        got = pixnorm.normalize(
            img, mean, std, color=color, dtype=dtype, layout=layout, channels_last=True
        )
        assert got.dtype == want.dtype and got.shape == want.shape
        return bytes(bits(got))

    for key, got in on_every_isa_and_thread_count(run).items():
        assert got == bytes(bits(want)), key


@pytest.mark.filterwarnings("ignore::pixnorm.RangeWarning")
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("c", [1, 3, 4])
def test_normalize_half_by_table(dtype: str, c: int) -> None:
    """uint8 into float16 / bfloat16 planes: on the avx512icl table every level goes through a
    table filled by the converting kernel, and packed rows run as one long row per image. Images
    wide enough for several 64-pixel steps and every tail, views that take each route (packed,
    channels reversed, cropped, mirrored, a batch), parameters whose values overflow float16
    (std 1e-3: infinities), fall below its normal range (std 1e5: subnormals) or are ImageNet's,
    all equal to the float32 result cast by numpy, on every ISA and thread count."""
    rng = np.random.default_rng(c)
    base = rng.integers(0, 256, (3, 37, 203, c), dtype=np.uint8)
    views = {
        "packed": base[0],
        "channels reversed": base[0, :, :, ::-1],
        "crop": base[0, 3:30, 5:190],
        "mirrored": base[0, :, ::-1],
        "batch": base,
        "one row": base[0, :1],
    }
    for std in (list(S[:c]) + [0.25] * (c - 3), [1e-3] * c, [1e5] * c):
        mean = (list(M) + [0.5])[:c] if c != 1 else [0.5]
        for name, img in views.items():
            want = expected(pixnorm.normalize(img, mean, std), dtype, "CHW")

            def run(img: np.ndarray = img, mean: Any = mean, std: Any = std) -> bytes:
                return bytes(bits(pixnorm.normalize(img, mean, std, dtype=dtype)))

            for key, got in on_every_isa_and_thread_count(run).items():
                assert got == bytes(bits(want)), (name, std[0], key)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
@pytest.mark.parametrize("layout", ["CHW", "HWC"])
def test_normalize_out(dtype: str, layout: str) -> None:
    """out= of the output's dtype and shape is filled and returned (bfloat16: an ml_dtypes
    array); to_tensor takes the same options."""
    img = np.random.default_rng(2).integers(0, 256, (2, 5, 7, 3), dtype=np.uint8)
    want = expected(pixnorm.normalize(img, M, S), dtype, layout)
    out = np.full(want.shape, 7, want.dtype)
    got = pixnorm.normalize(img, M, S, out=out, dtype=dtype, layout=layout)
    assert got is out
    assert_same(out, want)
    t = pixnorm.to_tensor(img[0], dtype=dtype, layout=layout)
    assert_same(t, expected(pixnorm.to_tensor(img[0]), dtype, layout))


def test_out_in_the_other_byte_order() -> None:
    """out= in non-native byte order is refused as such (it used to be told to pass
    dtype='>f2', which is refused in turn) for float32 and float16; nothing is written
    (bfloat16: test_bfloat16_out_must_be_ml_dtypes_own_native_type)."""
    img = np.random.default_rng(3).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    for dtype, native in ((None, "f4"), (np.float16, "f2")):
        other = np.dtype(native).newbyteorder("S")
        out = np.zeros((3, 6, 8), other)
        with pytest.raises(TypeError, match="native byte order"):
            pixnorm.normalize(img, M, S, out=out, dtype=dtype)
        out2 = np.zeros((3, 4, 5), other)
        with pytest.raises(TypeError, match="native byte order"):
            pixnorm.preprocess(img, size=(4, 5), mean=M, std=S, out=out2, dtype=dtype)
        assert not out.any() and not out2.any()


def test_dtype_spellings() -> None:
    torch = pytest.importorskip("torch")
    img = np.zeros((2, 3, 3), np.uint8)
    for spelling in (np.float16, "float16", np.dtype("float16"), torch.float16):
        assert pixnorm.normalize(img, 0.0, 1.0, dtype=spelling).dtype == np.float16
    for spelling in ("bfloat16", BF16, np.dtype(BF16), torch.bfloat16):
        assert pixnorm.normalize(img, 0.0, 1.0, dtype=spelling).dtype == BF16
    for spelling in (None, np.float32, "float32", torch.float32):
        assert pixnorm.normalize(img, 0.0, 1.0, dtype=spelling).dtype == np.float32
    assert pixnorm.normalize(img, 0.0, 1.0, layout="NHWC").shape == (2, 3, 3)
    assert pixnorm.normalize(img, 0.0, 1.0, layout=np.str_("hwc")).shape == (2, 3, 3)
    assert type(pixnorm.Collate(size=2, layout=np.str_("HWC")).layout) is str


class _EqualsAnything:
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = None  # type: ignore[assignment]


def test_layout_must_be_a_string() -> None:
    """A layout that is not a str (a numpy array holding 'CHW', an object equal to everything)
    is a TypeError naming the argument, not taken as a layout (helper-75)."""
    img = np.zeros((2, 3, 3), np.uint8)
    for bad in (np.array("CHW"), np.array(["HWC"]), np.array(["CHW", "HWC"]), _EqualsAnything()):
        with pytest.raises(TypeError, match="layout"):
            pixnorm.normalize(img, 0.0, 1.0, layout=bad)
        with pytest.raises(TypeError, match="layout"):
            pixnorm.preprocess(img, size=2, layout=bad)
        with pytest.raises(TypeError, match="layout"):
            pixnorm.warp_affine(img, np.eye(2, 3), (2, 2), layout=bad)
        with pytest.raises(TypeError, match="layout"):
            pixnorm.Collate(size=2, layout=bad)


# ---- preprocess --------------------------------------------------------------------------------

CONVENTIONS = [(None, True), ("pillow", True), ("torch", True), ("torch", False), ("opencv", False)]


@st.composite
def preprocess_cases(draw: st.DrawFn) -> dict[str, Any]:
    conv, aa = draw(st.sampled_from(CONVENTIONS))
    color = draw(st.sampled_from([None, "gray", "gray3", "bgr", "rgb"]))
    c = draw(st.sampled_from([3, 4] if color in ("rgb", "bgr") else [1, 3]))
    h, w = draw(st.integers(2, 40)), draw(st.integers(2, 50))
    kind = draw(st.sampled_from(["contiguous", "crop", "flip_x", "transposed"]))
    img = make_view(
        np.random.default_rng(draw(st.integers(0, 2**32 - 1))), (h, w, c), np.uint8, kind
    )
    kw: dict[str, Any] = dict(convention=conv, antialias=aa, color=color, image=img)
    fit = draw(st.sampled_from([None, None, "contain", "cover"]))
    size = (draw(st.integers(1, 30)), draw(st.integers(1, 30)))
    if fit:  # sizes a letterbox can scale every drawn image into (at least one pixel)
        img = img[: max(2, min(h, 4 * w)), : max(2, min(w, 4 * h))]
        kw["image"] = img
        size = (draw(st.integers(8, 30)), draw(st.integers(8, 30)))
    if fit:
        kw.update(size=size, fit=fit)
        if fit == "contain":
            outc = 1 if color == "gray" else 3 if color else c
            kw["fill"] = draw(st.sampled_from([0, 114, [255] * outc]))
    else:
        kw.update(size=size, flip=draw(st.sampled_from([False, True, "vertical", "both"])))
    return kw


@fixture_settings
@given(
    preprocess_cases(), st.sampled_from(["float16", "bfloat16"]), st.sampled_from(["CHW", "HWC"])
)
def test_preprocess_dtype_layout(kw: dict[str, Any], dtype: str, layout: str) -> None:
    """Every convention, colour, flip and fit: float16 / bfloat16 and HWC are the float32 CHW
    result converted, on every ISA and thread count; dtype=uint8 is the image as the convention
    resizes it (pixnorm's own rounded to nearest-even), in either layout."""
    img = kw.pop("image")
    outc = 1 if kw["color"] == "gray" else 3 if kw["color"] else img.shape[2]
    mean, std = list(np.linspace(0.4, 0.5, outc)), list(np.linspace(0.2, 0.25, outc))
    f32 = pixnorm.preprocess(img, mean=mean, std=std, **kw)
    want = expected(f32, dtype, layout)

    def run() -> bytes:
        got = pixnorm.preprocess(img, mean=mean, std=std, dtype=dtype, layout=layout, **kw)
        assert got.dtype == want.dtype and got.shape == want.shape
        return bytes(bits(got))

    for key, got in on_every_isa_and_thread_count(run).items():
        assert got == bytes(bits(want)), key
    # uint8: the levels themselves. Their float32 output (scale 1, mean 0, std 1) holds them
    # exactly for the named conventions; pixnorm's own are its float values rounded.
    levels = pixnorm.preprocess(img, scale=1.0, **kw)
    u8 = np.clip(np.rint(levels), 0, 255).astype(np.uint8)
    if kw["convention"] is not None:
        assert np.array_equal(levels, u8.astype(np.float32))
    got = pixnorm.preprocess(img, dtype=np.uint8, layout=layout, **kw)
    assert_same(got, expected(u8, "float32", layout))


@pytest.mark.parametrize("conv,aa", CONVENTIONS)
@pytest.mark.parametrize("flip", [False, True])
def test_preprocess_uint8_is_the_resize(conv: str | None, aa: bool, flip: bool) -> None:
    """dtype=np.uint8 on a photograph: a named convention's resize (its own bit-exact
    arithmetic), then the centre crop and the flip, bit for bit; pixnorm's own: the pass's
    float values rounded, within a level of resize then crop."""
    skimage = pytest.importorskip("skimage")
    img = skimage.data.astronaut()[::2, ::3]
    r = pixnorm.resize(img, 160, convention=conv, antialias=aa)
    h, w = r.shape[:2]
    top, left = int(round((h - 128) / 2)), int(round((w - 128) / 2))
    want = r[top : top + 128, left : left + 128]
    if flip:
        want = want[:, ::-1]
    if conv is None:  # pixnorm's own: its float values rounded (the pass order may differ
        # from the uncropped resize: a value at a half level can round the other way)
        levels = pixnorm.preprocess(img, size=160, crop=128, flip=flip, scale=1.0)
        want = np.clip(np.rint(levels), 0, 255).astype(np.uint8).transpose(1, 2, 0)
        assert (
            np.abs(
                want.astype(int)
                - (
                    r[top : top + 128, left : left + 128][:, ::-1]
                    if flip
                    else r[top : top + 128, left : left + 128]
                ).astype(int)
            ).max()
            <= 1
        )
    for layout, w_ in (("HWC", want), ("CHW", want.transpose(2, 0, 1))):
        got = pixnorm.preprocess(
            img, size=160, crop=128, convention=conv, antialias=aa, flip=flip, dtype=np.uint8,
            layout=layout,
        )  # fmt: skip
        assert_same(got, np.ascontiguousarray(w_))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "uint8"])
def test_preprocess_batch_out_and_per_pixel(dtype: str) -> None:
    """preprocess_batch into out= (N, h, w, C); per-pixel mean images through the second pass
    in the output's format."""
    rng = np.random.default_rng(3)
    imgs = [rng.integers(0, 256, (30 + 3 * i, 40, 3), dtype=np.uint8) for i in range(3)]
    if dtype == "uint8":
        want = pixnorm.preprocess_batch(imgs, size=(16, 20), scale=1.0)
        want = expected(np.clip(np.rint(want), 0, 255).astype(np.uint8), "float32", "HWC")
    else:
        want = expected(pixnorm.preprocess_batch(imgs, size=(16, 20), mean=M, std=S), dtype, "HWC")
        mean_img, std_img = rng.uniform(0, 1, (16, 20, 3)), rng.uniform(0.1, 1, (16, 20, 3))
        pp = pixnorm.preprocess_batch(imgs, size=(16, 20), mean=mean_img, std=std_img)
        got = pixnorm.preprocess_batch(
            imgs, size=(16, 20), mean=mean_img, std=std_img, dtype=dtype, layout="HWC"
        )
        assert_same(got, expected(pp, dtype, "HWC"))
    out = np.empty(want.shape, want.dtype)
    kw: dict[str, Any] = {} if dtype == "uint8" else {"mean": M, "std": S}
    got = pixnorm.preprocess_batch(imgs, size=(16, 20), out=out, dtype=dtype, layout="HWC", **kw)
    assert got is out
    assert_same(out, want)


# ---- Collate and the transforms ------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "uint8"])
@pytest.mark.parametrize("layout", ["CHW", "HWC"])
def test_collate_dtype_layout(dtype: str, layout: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    samples = [(rng.integers(0, 256, (40 + i, 50, 3), dtype=np.uint8), i) for i in range(3)]
    kw: dict[str, Any] = {} if dtype == "uint8" else {"mean": M, "std": S}
    base, _ = pixnorm.Collate(size=(24, 24), **kw)(samples)
    batch, labels = pixnorm.Collate(
        size=(24, 24), dtype=getattr(torch, dtype), layout=layout, **kw
    )(samples)
    want = base.to(getattr(torch, dtype)) if dtype != "uint8" else None
    if dtype == "uint8":  # torchvision v2's uint8 Resize itself: the float32 levels rounded
        levels, _ = pixnorm.Collate(size=(24, 24))(samples)  # float32(x) * float32(1/255)
        want = (levels * 255).round().to(torch.uint8)
        assert torch.equal(want.float() * torch.tensor(1 / 255, dtype=torch.float32), levels)
    if layout == "HWC":
        want = want.permute(0, 2, 3, 1).contiguous()
    assert batch.dtype == want.dtype and batch.shape == want.shape
    assert torch.equal(batch.view(torch.uint8), want.view(torch.uint8))
    assert labels.tolist() == [0, 1, 2]


@pytest.mark.parametrize("dtype_name", ["float16", "bfloat16"])
def test_transforms_todtype_half_fused(dtype_name: str) -> None:
    """torchvision v2 pipelines that end in (or start with) a half-precision ToDtype, bit for
    bit; the cast after Normalize fuses into the pass, a Normalize after it runs on the half
    tensor as torchvision's does."""
    torch = pytest.importorskip("torch")
    v2 = pytest.importorskip("torchvision.transforms.v2")
    from pixnorm.transforms import from_torchvision

    dt = getattr(torch, dtype_name)
    pipes = [
        [v2.Resize(64), v2.CenterCrop(56), v2.ToDtype(torch.float32, scale=True),
         v2.Normalize(M, S), v2.ToDtype(dt)],
        [v2.Resize(64), v2.CenterCrop(56), v2.ToDtype(dt, scale=True)],
        [v2.RandomResizedCrop(48), v2.RandomHorizontalFlip(), v2.ToDtype(dt, scale=True),
         v2.Normalize(M, S)],
        [v2.Resize(64), v2.Grayscale(3), v2.ToDtype(dt, scale=True)],
    ]  # fmt: skip
    rng = np.random.default_rng(5)
    for i, steps in enumerate(pipes):
        tv, pn = v2.Compose(steps), from_torchvision(v2.Compose(steps))
        assert len(pn.fused_runs) == (2 if i == 2 else 1)
        for k in range(3):
            img = torch.from_numpy(rng.integers(0, 256, (3, 80 + k, 100), dtype=np.uint8))
            torch.manual_seed(k)
            want = tv(img)
            torch.manual_seed(k)
            got = pn(img)
            assert got.dtype == dt
            assert torch.equal(got.view(torch.int16), want.view(torch.int16)), (i, k)


# ---- presets -----------------------------------------------------------------------------------


def test_presets() -> None:
    """Each preset against its definition in float64 (within float32 rounding), through
    normalize, preprocess and Collate."""
    img = np.random.default_rng(6).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    x = img.astype(np.float64)
    defs = {
        "IMAGENET": (x / 255 - M) / S,
        "CAFFE": x[..., ::-1] - (103.939, 116.779, 123.68),
        "INCEPTION": x / 127.5 - 1,
        "CLIP": (x / 255 - (0.48145466, 0.4578275, 0.40821073))
        / (0.26862954, 0.26130258, 0.27577711),
    }
    for name, want in defs.items():
        p = getattr(presets, name)
        got = pixnorm.normalize(img, **p).astype(np.float64)
        np.testing.assert_allclose(got, want.transpose(2, 0, 1), rtol=0, atol=2e-5 * 256)
        full = pixnorm.preprocess(img, size=(20, 30), **p)  # same size: the identity resize
        np.testing.assert_allclose(full, got, rtol=0, atol=1e-4 * 256)
        if name != "CAFFE":
            np.testing.assert_allclose(got, want.transpose(2, 0, 1), rtol=0, atol=2e-6)
    with pytest.raises(TypeError):
        presets.IMAGENET["mean"] = (0, 0, 0)  # type: ignore[index]
    pytest.importorskip("torch")
    batch = pixnorm.Collate(size=(20, 30), convention=None, **presets.CAFFE)([img])
    np.testing.assert_allclose(batch[0].numpy(), pixnorm.normalize(img, **presets.CAFFE), atol=1e-3)


# ---- errors ------------------------------------------------------------------------------------


def test_errors() -> None:
    img = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(ValueError, match="dtype: float64 is not an output type"):
        pixnorm.normalize(img, 0.0, 1.0, dtype=np.float64)
    with pytest.raises(ValueError, match="dtype: 'half_float' is not an output type"):
        pixnorm.preprocess(img, size=2, dtype="half_float")
    with pytest.raises(TypeError, match="dtype: expected a dtype"):
        pixnorm.preprocess(img, size=2, dtype=object())
    with pytest.raises(ValueError, match="uint8 holds no normalized values"):
        pixnorm.normalize(img, 0.0, 1.0, dtype=np.uint8)
    with pytest.raises(ValueError, match="uint8 output is the resized image"):
        pixnorm.preprocess(img, size=2, mean=M, std=S, dtype=np.uint8)
    with pytest.raises(ValueError, match="uint8 output is the resized image"):
        pixnorm.preprocess(img, size=2, scale=1 / 255, dtype=np.uint8)
    with pytest.raises(ValueError, match="uint8 output is the resized image"):
        pixnorm.preprocess_batch([img], size=2, mean=np.zeros((2, 2, 3)), dtype=np.uint8)
    with pytest.raises(ValueError, match="uint8 output is for uint8 images"):
        pixnorm.preprocess(img.astype(np.float32), size=2, dtype=np.uint8)
    with pytest.raises(ValueError, match="layout: expected 'CHW'"):
        pixnorm.normalize(img, 0.0, 1.0, layout="CWH")
    with pytest.raises(TypeError, match="layout: expected"):
        pixnorm.normalize(img, 0.0, 1.0, layout=1)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError,
        match="out: dtype float32 does not match the call's output float16; out= does not "
        "choose the dtype: pass dtype=float32",
    ):
        pixnorm.normalize(img, 0.0, 1.0, dtype=np.float16, out=np.empty((3, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"out: expected shape \(4, 5, 3\)"):
        pixnorm.normalize(img, 0.0, 1.0, layout="HWC", out=np.empty((3, 4, 5), np.float32))
    with pytest.raises(TypeError, match="expected an ml_dtypes.bfloat16 array"):
        pixnorm.normalize(img, 0.0, 1.0, dtype="bfloat16", out=np.empty((3, 4, 5), np.uint16))
    with pytest.raises(ValueError, match="out: overlaps"):
        buf = np.zeros(200, np.float16)
        pixnorm.normalize(buf[:60].view(np.uint8).reshape(4, 5, 6)[..., :3], 0.0, 1.0,
                          dtype=np.float16, out=buf[10:70].reshape(3, 4, 5))  # fmt: skip
    with pytest.raises(ValueError, match="float32, float16 or bfloat16"):
        pixnorm.transforms.ToDtype(np.uint8)
    with pytest.raises(ValueError, match="dtype: uint8 output"):
        pixnorm.Collate(size=4, mean=M, std=S, dtype="uint8")


def test_bfloat16_without_ml_dtypes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ml_dtypes, a bfloat16 numpy output is a clear ImportError naming the package,
    raised before the work; the torch paths do not need it."""
    monkeypatch.setitem(sys.modules, "ml_dtypes", None)
    img = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(ImportError, match="install ml_dtypes"):
        pixnorm.normalize(img, 0.0, 1.0, dtype="bfloat16")
    with pytest.raises(ImportError, match="install ml_dtypes"):
        pixnorm.preprocess(img, size=2, dtype="bfloat16")
    torch = pytest.importorskip("torch")
    batch = pixnorm.Collate(size=(2, 2), dtype=torch.bfloat16)([img])
    assert batch.dtype == torch.bfloat16


RACE = r"""
import importlib.abc, importlib.util, sys, threading, time
import numpy as np
import pixnorm

class Slow(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    # ml_dtypes, executed only after a pause: the module sits in sys.modules, without its
    # attributes, while the first importer waits
    def find_spec(self, name, path=None, target=None):
        if name != "ml_dtypes":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        self.real = spec.loader
        spec.loader = self
        return spec
    def create_module(self, spec):
        return self.real.create_module(spec)
    def exec_module(self, module):
        time.sleep(0.5)
        self.real.exec_module(module)

sys.meta_path.insert(0, Slow())
errors = []
def call():
    try:
        pixnorm.normalize(np.zeros((4, 4, 3), np.uint8), 0.5, 0.25, dtype="bfloat16")
    except Exception as e:
        errors.append(repr(e))
first = threading.Thread(target=call)
first.start()
time.sleep(0.2)  # the first call is inside the import now
others = [threading.Thread(target=call) for _ in range(3)]
for t in others:
    t.start()
for t in [first] + others:
    t.join()
print(errors)
assert not errors, errors
"""


def test_bfloat16_from_threads_while_ml_dtypes_is_imported() -> None:
    """bfloat16 calls from several threads while the first of them still imports ml_dtypes
    (a slowed import keeps the module half-made in sys.modules) all succeed: the type is taken
    from a finished import, never from a half-made module (helper-75 found AttributeError)."""
    done = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_bfloat16_out_must_be_ml_dtypes_own_native_type() -> None:
    """A structured dtype whose scalar type is merely named bfloat16, and a byte-swapped
    ml_dtypes array, are refused (the bits would be written in the wrong form)."""
    ml_dtypes = pytest.importorskip("ml_dtypes")

    class bfloat16(np.void):  # noqa: N801 (the name is the point)
        pass

    img = np.zeros((2, 2, 3), np.uint8)
    fake = np.zeros((3, 2, 2), np.dtype((bfloat16, [("x", "<u2")])))
    with pytest.raises(TypeError, match="out"):
        pixnorm.normalize(img, mean=0.5, std=0.25, dtype="bfloat16", out=fake)
    swapped = np.zeros((3, 2, 2), np.dtype(ml_dtypes.bfloat16).newbyteorder(">"))
    with pytest.raises(TypeError, match="out"):
        pixnorm.normalize(img, mean=0.5, std=0.25, dtype="bfloat16", out=swapped)
    ok = np.zeros((3, 2, 2), ml_dtypes.bfloat16)
    assert pixnorm.normalize(img, mean=0.5, std=0.25, dtype="bfloat16", out=ok) is ok
