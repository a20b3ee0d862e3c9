"""interpolation= (issue 15): Pillow's filters (bicubic, lanczos, box, hamming) bit for bit in
'pillow', torch's antialiased uint8 bicubic bit for bit in 'torch', and pixnorm's float
convention against the float64 reference (tests/reference.py), on every ISA and thread count;
nearest and nearest-exact in every convention (the library's own source indices); the
torchvision transforms fused; the errors."""

from __future__ import annotations

import io
import math
import os
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pixnorm
import reference as ref
from isas import on_every_isa_and_thread_count

FILTERS = ["bilinear", "bicubic", "lanczos", "box", "hamming"]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def photos() -> list[np.ndarray[Any, Any]]:
    """Real photographs shipped by scikit-image (RGB), plus random noise."""
    skdata = pytest.importorskip("skimage.data")
    imgs = [skdata.astronaut(), skdata.chelsea(), skdata.coffee()]
    imgs.append(np.random.default_rng(0).integers(0, 256, (375, 500, 3), dtype=np.uint8))
    return imgs


def random_cases(seed: int, n: int) -> list[tuple[np.ndarray[Any, Any], tuple[int, int]]]:
    """Up, down and mixed scales, 1-pixel sides, exact integer ratios; gray and RGB; smooth and
    noisy content (bicubic and lanczos overshoot on edges: both clamps are exercised)."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(1, 160, 2))
        oh, ow = (int(v) for v in rng.integers(1, 200, 2))
        if i % 5 == 0:  # exact integer downscales
            k = int(rng.integers(2, 5))
            h, w = h * k, w * k
            oh, ow = h // k, w // k
        if i % 7 == 0:
            oh = 1
        c = (1, 3)[i % 2]
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        if i % 3 == 0:  # smooth ramps with a hard step
            img = (np.cumsum(img.astype(np.int64), axis=1) // (w or 1) % 256).astype(np.uint8)
            img[:, w // 2 :] = 255 - img[:, w // 2 :]
        cases.append((img, (oh, ow)))
    return cases


def pillow_resize(
    img: np.ndarray[Any, Any], size: tuple[int, int], name: str
) -> np.ndarray[Any, Any]:
    image = pytest.importorskip("PIL.Image")
    codes = {
        "bilinear": image.BILINEAR,
        "bicubic": image.BICUBIC,
        "lanczos": image.LANCZOS,
        "box": image.BOX,
        "hamming": image.HAMMING,
    }
    im = image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)
    out = np.asarray(im.resize(size[::-1], codes[name]))
    return out[..., None] if img.shape[-1] == 1 else out


def torch_bicubic(img: np.ndarray[Any, Any], size: tuple[int, int]) -> np.ndarray[Any, Any]:
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]
    out = torch.nn.functional.interpolate(
        t, size=size, mode="bicubic", align_corners=False, antialias=True
    )
    return np.asarray(out[0].permute(1, 2, 0).numpy())


@pytest.mark.parametrize("name", FILTERS)
def test_pillow_filters_are_bit_exact(name: str) -> None:
    for img, size in random_cases(1, 40):
        np.testing.assert_array_equal(
            pixnorm.resize(img, size, convention="pillow", interpolation=name),
            pillow_resize(img, size, name),
            err_msg=f"{name} {img.shape} -> {size}",
        )


@pytest.mark.parametrize("name", FILTERS)
def test_pillow_filters_on_photographs_with_a_box(name: str) -> None:
    """Pillow's crop then resize(size, filter) against preprocess's uint8 output with the box
    (pixnorm's box is cut out first: the filter never reads past it)."""
    for img in photos():
        h, w = img.shape[:2]
        for size, box in [((224, 224), None), ((160, 200), (0.1, 0.07, 0.93, 0.95))]:
            if box is None:
                want = pillow_resize(img, size, name)
                got = pixnorm.resize(img, size, convention="pillow", interpolation=name)
            else:
                top, left = round(box[1] * h), round(box[0] * w)
                bh, bw = round(box[3] * h) - top, round(box[2] * w) - left
                want = pillow_resize(img[top : top + bh, left : left + bw], size, name)
                got = pixnorm.preprocess(
                    img,
                    size=size,
                    box=(top, left, bh, bw),
                    convention="pillow",
                    interpolation=name,
                    dtype=np.uint8,
                    layout="HWC",
                )
            np.testing.assert_array_equal(got, want, err_msg=f"{name} {img.shape} {box}")


def test_torch_antialiased_bicubic_is_bit_exact() -> None:
    rng = np.random.default_rng(2)
    for img, size in random_cases(3, 50):
        if rng.random() < 0.3:
            img = np.concatenate([img, img[..., :1]], axis=2)  # 2 or 4 channels
        np.testing.assert_array_equal(
            pixnorm.resize(img, size, convention="torch", interpolation="bicubic"),
            torch_bicubic(img, size),
            err_msg=f"{img.shape} -> {size}",
        )


@pytest.mark.parametrize("conv", ["pillow", "torch"])
def test_named_filters_on_every_isa_and_thread_count(conv: str) -> None:
    """The fixed-point kernels with negative weights (bicubic, lanczos) on every SIMD path: the
    library's own result on each ISA and thread count, 3 and 4 channels (the gather kernels),
    down and up."""
    rng = np.random.default_rng(4)
    imgs = [rng.integers(0, 256, (97, 131, c), dtype=np.uint8) for c in (1, 3, 4)]
    names = ["bicubic"] if conv == "torch" else ["bicubic", "lanczos", "hamming"]
    for name in names:
        for img in imgs:
            if conv == "pillow" and img.shape[2] == 4:
                continue  # Pillow premultiplies RGBA
            for size in [(40, 57), (211, 173), (97, 60)]:
                want = (
                    pillow_resize(img, size, name) if conv == "pillow" else torch_bicubic(img, size)
                )
                results = on_every_isa_and_thread_count(
                    lambda img=img, size=size, name=name: pixnorm.resize(
                        img, size, convention=conv, interpolation=name
                    )
                )
                for key, got in results.items():
                    np.testing.assert_array_equal(got, want, err_msg=f"{key} {name} {size}")


def _check_default(img: np.ndarray[Any, Any], size: tuple[int, int], aa: bool, name: str) -> None:
    want = ref.resize(img, *size, aa, interpolation=name)
    bound = ref.resize_error_bound(img, *size, aa, name)
    x = img.astype(np.float32) if img.dtype == np.uint8 else img
    results = on_every_isa_and_thread_count(
        lambda: pixnorm.preprocess(
            img,
            size=size,
            antialias=aa,
            interpolation=name,
            mean=0.0,
            std=1.0,
            scale=1.0,
            layout="HWC",
        )
    )
    for key, got in results.items():
        got = got.reshape(want.shape)
        err = np.abs(got.astype(np.float64) - want)
        assert np.all(err <= bound), (key, name, aa, float((err / bound).max()), x.shape, size)


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 40),
    w=st.integers(1, 40),
    oh=st.integers(1, 50),
    ow=st.integers(1, 50),
    c=st.sampled_from([1, 3, 4]),
    u8=st.booleans(),
    aa=st.booleans(),
    name=st.sampled_from([*FILTERS[1:], "area"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_default_convention_within_the_float64_bound(
    h: int, w: int, oh: int, ow: int, c: int, u8: bool, aa: bool, name: str, seed: int
) -> None:
    """pixnorm's float convention against the float64 definition (reference.resize with the
    filter; area's windows in rational arithmetic), within reference.resize_error_bound
    (float32 rounding of weights, products and sums in both passes, over |weights|; plus the
    fixed-point vertical weights for uint8), on every ISA and thread count."""
    rng = np.random.default_rng(seed)
    img = (
        rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        if u8
        else (rng.random((h, w, c), dtype=np.float32) * 2 - 0.5)
    )
    _check_default(img, (oh, ow), aa, name)


def test_default_convention_on_photographs() -> None:
    for img in photos()[:2]:
        for name in FILTERS[1:]:
            _check_default(img, (224, 200), True, name)
            _check_default(img[:120, :90], (300, 250), False, name)


def test_default_bicubic_overshoot_is_kept_in_floats_and_clamped_in_uint8() -> None:
    """A hard edge upscaled bicubic overshoots: float results keep the overshoot (no clamp in
    the float convention), uint8 results clamp to 0..255."""
    img = np.zeros((4, 8, 1), np.uint8)
    img[:, 4:] = 255
    f = pixnorm.preprocess(img, size=(4, 32), interpolation="bicubic", mean=0, std=1, scale=1.0)
    assert f.min() < 0 and f.max() > 255
    u = pixnorm.resize(img, (4, 32), interpolation="bicubic")
    assert u.dtype == np.uint8
    want = np.clip(np.rint(ref.resize(img, 4, 32, True, interpolation="bicubic")), 0, 255)
    np.testing.assert_array_equal(u.astype(np.float64), want.reshape(u.shape))


def test_preprocess_batch_and_collate_match_preprocess() -> None:
    rng = np.random.default_rng(5)
    imgs = [rng.integers(0, 256, (100 + 9 * i, 120 - 5 * i, 3), dtype=np.uint8) for i in range(4)]
    for conv in (None, "pillow", "torch"):
        one = [
            pixnorm.preprocess(
                x, size=64, crop=56, convention=conv, interpolation="bicubic", mean=MEAN, std=STD
            )
            for x in imgs
        ]
        batch = pixnorm.preprocess_batch(
            imgs, size=64, crop=56, convention=conv, interpolation="bicubic", mean=MEAN, std=STD
        )
        np.testing.assert_array_equal(batch, np.stack(one))
    collate = pixnorm.Collate(
        size=64, crop=56, convention="torch", interpolation="bicubic", mean=MEAN, std=STD
    )
    assert "interpolation='bicubic'" in repr(collate)
    got = collate([(x, 0) for x in imgs])[0]
    want = pixnorm.preprocess_batch(
        imgs, size=64, crop=56, convention="torch", interpolation="bicubic", mean=MEAN, std=STD
    )
    np.testing.assert_array_equal(np.asarray(got), want)


@pytest.mark.parametrize("name", ["bicubic", "lanczos"])
def test_load_decodes_a_window_wide_enough_for_the_filter(name: str) -> None:
    """load decodes only the rows and columns the output reads: with a wider filter the window
    must widen too, or the result would differ from preprocess(decode(...))."""
    image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(6)
    y, x = np.mgrid[0:600, 0:800]
    img = np.stack([(x * 3) % 256, (y * 5) % 256, (x * y) % 256], -1).astype(np.uint8)
    img = np.clip(img.astype(int) + rng.integers(-30, 30, img.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    image.fromarray(img).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    decoded = pixnorm.decode(data)
    for conv in (None, "pillow"):
        for kw in (  # downscales by 12 and more: a lanczos window is 36 pixels wider a side
            {"size": 50, "crop": 30},
            {"size": (20, 20), "box": (200, 300, 260, 270)},
            {"size": (120, 90), "box": (37, 61, 40, 30)},
        ):
            got = pixnorm.load(data, convention=conv, interpolation=name, **kw)
            want = pixnorm.preprocess(decoded, convention=conv, interpolation=name, **kw)
            np.testing.assert_array_equal(got, want, err_msg=f"{conv} {kw}")


def test_torchvision_v2_transforms_fused_bit_exact() -> None:
    torch = pytest.importorskip("torch")
    v2 = pytest.importorskip("torchvision.transforms.v2")
    image = pytest.importorskip("PIL.Image")
    from torchvision.transforms import InterpolationMode as IM

    rng = np.random.default_rng(7)
    img = rng.integers(0, 256, (187, 241, 3), dtype=np.uint8)
    tensor = torch.from_numpy(img).permute(2, 0, 1).contiguous()
    pil = image.fromarray(img)
    tail = [v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)]
    cases = [
        (IM.BICUBIC, tensor, []),
        (IM.BICUBIC, pil, [v2.PILToTensor()]),
        (IM.BOX, pil, [v2.PILToTensor()]),
        (IM.HAMMING, pil, [v2.PILToTensor()]),
    ]
    for mode, inp, head in cases:
        tv = v2.Compose([v2.Resize(96, interpolation=mode), v2.CenterCrop(80), *head, *tail])
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # fused: no step kept as it is
            fused = pixnorm.transforms.from_torchvision(tv)
        torch.testing.assert_close(fused(inp), tv(inp), rtol=0, atol=0, msg=str(mode))


def test_resizes_reproduced_on_pil_images_only_fall_back_on_tensors() -> None:
    """v1 resizes uint8 tensors in float32 and v2 has torch's own lanczos for uint8 tensors:
    from_torchvision fuses those resizes for PIL images (Pillow's filters, bit for bit) and, for
    a tensor or a run that makes one first (PILToTensor before the resize), runs torchvision's
    own steps; v2's bicubic without antialias and nearest-exact are fused everywhere (torch's
    uint8 kernels, reproduced): torchvision's bits either way, with the same random draws, also
    after pickling. The repr says which runs fall back."""
    import pickle

    torch = pytest.importorskip("torch")
    v1 = pytest.importorskip("torchvision.transforms")
    v2 = pytest.importorskip("torchvision.transforms.v2")
    image = pytest.importorskip("PIL.Image")
    from torchvision.transforms import InterpolationMode as IM

    rng = np.random.default_rng(8)
    img = rng.integers(0, 256, (90, 70, 3), dtype=np.uint8)
    tensor = torch.from_numpy(img).permute(2, 0, 1).contiguous()
    pil = image.fromarray(img)
    cases = [
        (v1, IM.BILINEAR, True),  # v1 resizes tensors in float32: one level off torch's uint8
        (v1, IM.BILINEAR, False),
        (v1, IM.BICUBIC, True),
        (v1, IM.LANCZOS, True),
        (v1, IM.NEAREST_EXACT, True),
        (v2, IM.BICUBIC, False),
        (v2, IM.LANCZOS, True),
        (v2, IM.NEAREST_EXACT, True),
    ]
    # v2's bicubic without antialias and nearest-exact are torch's uint8 kernels: fused for
    # tensors as well (no fallback)
    fused_everywhere = [(v2, IM.BICUBIC, False), (v2, IM.NEAREST_EXACT, True)]
    for m, mode, aa in cases:
        for inp, lead in ((pil, False), (pil, True), (tensor, False)):
            if m is v1 and mode == IM.LANCZOS and (lead or inp is tensor):
                continue  # torchvision v1 itself fails there (torch wants antialias for lanczos)
            conv = [m.ConvertImageDtype(torch.float32)] if (lead or inp is tensor) else []
            if not conv:
                conv = [m.ToTensor()] if m is v1 else [m.ToImage(), m.ToDtype(torch.float32, True)]
            head = [m.PILToTensor()] if lead else []
            tv = m.Compose([
                *head, m.RandomResizedCrop(40, interpolation=mode, antialias=aa),
                m.RandomHorizontalFlip(), *conv, m.Normalize(MEAN, STD),
            ])  # fmt: skip
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # nothing kept as is
                fused = pixnorm.transforms.from_torchvision(tv)
            fallback = "other input: torchvision's own steps" in repr(fused)
            assert fallback == ((m, mode, aa) not in fused_everywhere), (m.__name__, mode, aa)
            fused = pickle.loads(pickle.dumps(fused))
            for seed in range(3):
                with warnings.catch_warnings():  # torchvision: antialias ignored for PIL images
                    warnings.filterwarnings("ignore", "Anti-alias option", UserWarning)
                    torch.manual_seed(seed)
                    want = tv(inp)
                    torch.manual_seed(seed)
                    got = fused(inp)
                assert torch.equal(got, want), (m.__name__, mode, aa, lead, inp is tensor, seed)


def test_transforms_accept_torchvision_and_pil_constants() -> None:
    image = pytest.importorskip("PIL.Image")
    t = pixnorm.transforms
    assert t.Resize(10, interpolation=image.Resampling.BICUBIC).interpolation == "bicubic"
    assert t.Resize(10, interpolation=3).interpolation == "bicubic"  # PIL's int code
    assert t.RandomResizedCrop(10, interpolation="lanczos").interpolation == "lanczos"
    assert "interpolation='box'" in repr(t.Resize(10, interpolation="box"))
    with pytest.raises(ValueError, match="interpolation"):
        t.Resize(10, interpolation=9)
    with pytest.raises(ValueError, match="torchvision, which has no 'area'"):
        t.Resize(10, interpolation="area")
    assert t.Resize(10, interpolation=0).interpolation == "nearest"
    torch = pytest.importorskip("torch")
    x = torch.zeros((3, 20, 20), dtype=torch.uint8)
    with pytest.raises(ValueError, match="nearest and nearest-exact, not 'lanczos'"):
        t.Resize(10, interpolation="lanczos")(x)
    # torch's uint8 bicubic without antialias and nearest-exact: torchvision v2's bits
    F = pytest.importorskip("torchvision.transforms.v2.functional")

    for mode, name, aa in ((F.InterpolationMode.BICUBIC, "bicubic", False),
                           (F.InterpolationMode.NEAREST_EXACT, "nearest-exact", True)):  # fmt: skip
        x = torch.randint(0, 256, (3, 37, 23), dtype=torch.uint8)
        want = F.resize(x, [71, 12], interpolation=mode, antialias=aa)
        assert torch.equal(t.Resize((71, 12), interpolation=name, antialias=aa)(x), want)


def _nearest_cases(seed: int, n: int) -> list[tuple[np.ndarray[Any, Any], tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(1, 150, 2))
        oh, ow = (int(v) for v in rng.integers(1, 220, 2))
        if i % 5 == 0:  # torch's doubled-size shortcut
            oh, ow = 2 * h, 2 * w
        c = (1, 3, 4)[i % 3]
        cases.append((rng.integers(0, 256, (h, w, c), dtype=np.uint8), (oh, ow)))
    return cases


def test_nearest_matches_every_library() -> None:
    """Nearest copies one source sample per output; which one is each library's own rule:
    Pillow's running sum (RGBA too: Pillow does not premultiply for NEAREST), torch's float32
    scale and doubled-size shortcut, OpenCV's double floor (INTER_NEAREST) and Pillow's running
    sum (INTER_NEAREST_EXACT, OpenCV 5). Checked on every ISA and thread
    count; the default convention against floor(i * in / out) / floor((i + 0.5) * in / out)
    computed exactly in integers."""
    torch = pytest.importorskip("torch")
    cv2 = pytest.importorskip("cv2")
    image = pytest.importorskip("PIL.Image")
    for img, (oh, ow) in _nearest_cases(9, 40):
        h, w, c = img.shape
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[c]
        pil = image.fromarray(img[..., 0] if c == 1 else img, mode)
        t = torch.from_numpy(img).permute(2, 0, 1)[None]
        wants = {
            ("pillow", "nearest"): np.asarray(pil.resize((ow, oh), image.NEAREST)),
            ("opencv", "nearest"): cv2.resize(img, (ow, oh), interpolation=cv2.INTER_NEAREST),
            ("opencv", "nearest-exact"): cv2.resize(
                img, (ow, oh), interpolation=cv2.INTER_NEAREST_EXACT
            ),
        }
        out = torch.nn.functional.interpolate(t, size=(oh, ow), mode="nearest")
        wants["torch", "nearest"] = out[0].permute(1, 2, 0).numpy()
        for m in ("nearest", "nearest-exact"):  # exact integer indices
            iy, ix = (
                np.arange(o) * n // o if m == "nearest" else (2 * np.arange(o) + 1) * n // (2 * o)
                for n, o in ((h, oh), (w, ow))
            )
            wants[None, m] = img[iy][:, ix]
        for (conv, m), want in wants.items():  # (antialias does not apply to nearest)
            results = on_every_isa_and_thread_count(
                lambda conv=conv, m=m, img=img, size=(oh, ow): pixnorm.resize(
                    img, size, convention=conv, interpolation=m, antialias=conv in (None, "opencv")
                )
            )
            for key, got in results.items():
                np.testing.assert_array_equal(
                    got.reshape(oh, ow, c), want.reshape(oh, ow, c), err_msg=f"{conv} {m} {key}"
                )


def test_default_nearest_repeats_pixels_evenly_on_integer_upscales() -> None:
    """floor(i * in / out) in exact arithmetic: an upscale by 49 repeats each pixel 49 times (a
    rounded in / out would put output 49 on pixel 0), and nearest-exact hits exact centres."""
    for k in (49, 98, 103, 107):
        out = pixnorm.resize(
            np.arange(2, dtype=np.uint8).reshape(2, 1, 1), (2 * k, 1), interpolation="nearest"
        )
        np.testing.assert_array_equal(np.bincount(np.asarray(out).ravel()), [k, k])
    x = np.arange(1000, dtype=np.float32).reshape(1000, 1, 1)
    assert pixnorm.resize(x, (333, 1), interpolation="nearest-exact")[166, 0, 0] == 500.0


def test_nearest_copies_float_values_exactly_and_ignores_antialias() -> None:
    rng = np.random.default_rng(10)
    x = (rng.random((37, 53, 3), dtype=np.float32) - 0.5) * 1e6
    x[3, 4, 1] = np.nan
    for m in ("nearest", "nearest-exact"):
        a = pixnorm.resize(x, (20, 90), interpolation=m)
        b = pixnorm.resize(x, (20, 90), interpolation=m, antialias=False)
        np.testing.assert_array_equal(a, b)
        assert set(np.unique(a[~np.isnan(a)])) <= set(np.unique(x[~np.isnan(x)]))
        assert np.isnan(a).sum() <= 1 * 3  # only where the NaN sample was copied (no spreading)
    mask = rng.integers(0, 5, (64, 48), dtype=np.uint8)  # a segmentation mask: labels only
    out = pixnorm.resize(mask, (100, 31), interpolation="nearest", convention="torch")
    assert set(np.unique(out)) <= set(np.unique(mask))


def test_nearest_transforms_fused_bit_exact() -> None:
    torch = pytest.importorskip("torch")
    v1 = pytest.importorskip("torchvision.transforms")
    v2 = pytest.importorskip("torchvision.transforms.v2")
    image = pytest.importorskip("PIL.Image")
    from torchvision.transforms import InterpolationMode as IM

    img = np.random.default_rng(11).integers(0, 256, (133, 97, 3), dtype=np.uint8)
    tensor = torch.from_numpy(img).permute(2, 0, 1).contiguous()
    pil = image.fromarray(img)
    for mode in (IM.NEAREST,):  # (NEAREST_EXACT on tensors: torch's kernels disagree, kept)
        for m, inp, conv in (
            (v2, tensor, [v2.ToDtype(torch.float32, scale=True)]),
            (v2, pil, [v2.PILToTensor(), v2.ToDtype(torch.float32, scale=True)]),
            (v1, tensor, [v1.ConvertImageDtype(torch.float32)]),
            (v1, pil, [v1.ToTensor()]),
        ):
            tv = m.Compose([m.Resize(171, interpolation=mode), m.CenterCrop(150), *conv])
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # fused: no step kept as it is
                fused = pixnorm.transforms.from_torchvision(tv)
            torch.testing.assert_close(fused(inp), tv(inp), rtol=0, atol=0, msg=f"{mode} {m}")


def area_by_repetition(img: np.ndarray[Any, Any], oh: int, ow: int) -> np.ndarray[Any, Any]:
    """Area resampling computed without fractions of pixels: repeat every source pixel oh times
    down and ow times across (an (h * oh, w * ow) image of the same content), then average
    blocks of h x w: output (i, j) averages source [i * h / oh, (i + 1) * h / oh) x [...].
    Done one axis at a time on the identity (the same arithmetic as a matrix per axis)."""
    h, w, _ = img.shape

    def axis(n: int, m: int) -> np.ndarray[Any, Any]:  # (m, n): repeat m times, mean of n
        return np.eye(n).repeat(m, axis=0).reshape(m, n, n).mean(axis=1)

    return np.einsum("yh,hwc,xw->yxc", axis(h, oh), img.astype(np.float64), axis(w, ow))


def _area(img: np.ndarray[Any, Any], size: tuple[int, int], **kw: Any) -> np.ndarray[Any, Any]:
    return np.asarray(
        pixnorm.preprocess(
            img, size=size, interpolation="area", mean=0.0, std=1.0, scale=1.0, layout="HWC", **kw
        )
    )


def test_area_is_the_mean_of_the_covered_pixels() -> None:
    """An independent definition: the repeated-pixel block mean (area_by_repetition), on
    photographs and noise, integer and fractional ratios, up and down; the result does not
    depend on antialias. uint8 results are that mean rounded, within the same bound."""
    rng = np.random.default_rng(11)
    imgs = [photos()[1][:150, :170], rng.integers(0, 256, (61, 47, 3), dtype=np.uint8)]
    for img in imgs:
        h, w = img.shape[:2]
        for size in [(h // 3, w // 2), (37, 29), (h + 13, 2 * w), (h // 2, w + 7), (1, 1)]:
            want = area_by_repetition(img, *size)
            bound = ref.resize_error_bound(img, *size, True, "area")
            for aa in (True, False):
                got = _area(img, size, antialias=aa)
                assert np.all(np.abs(got - want) <= bound), (img.shape, size, aa)
            u = pixnorm.resize(img, size, interpolation="area")
            # rounding (0.5) on top of the float32 and fixed-point error of the value
            assert np.all(np.abs(u.astype(np.float64) - want) <= 0.5 + bound), (img.shape, size)
    img = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    np.testing.assert_array_equal(  # integer upscales repeat pixels
        pixnorm.resize(img, (90, 80), interpolation="area"), img.repeat(3, 0).repeat(2, 1)
    )
    np.testing.assert_array_equal(  # halving: weights 1/4 are exact, ties go to even
        pixnorm.resize(img, (15, 20), interpolation="area"),
        np.rint(img.reshape(15, 2, 20, 2, 3).mean(axis=(1, 3))).astype(np.uint8),
    )


def test_area_by_a_factor_and_in_every_entry_point() -> None:
    """factor= maps output i to [i / f, (i + 1) / f) (the factor's grid, as for the other
    filters); preprocess_batch and Collate give preprocess's bits."""
    rng = np.random.default_rng(12)
    img = rng.integers(0, 256, (100, 140, 3), dtype=np.uint8)
    for f in (0.39, 0.5, 1.7):
        got = pixnorm.preprocess(
            img, factor=f, interpolation="area", mean=0.0, std=1.0, scale=1.0, layout="HWC"
        )
        oh, ow = got.shape[:2]
        want = ref.resize(img, oh, ow, True, (f, f), "area")
        # reference.bilinear_fixed_error's cap for uint8 (255 / 2040) plus float32 rounding
        assert np.abs(got - want).max() <= 255 / 2040 + 1e-3, f
    one = pixnorm.preprocess(img, size=64, crop=56, interpolation="area")
    batch = pixnorm.preprocess_batch([img, img], size=64, crop=56, interpolation="area")
    np.testing.assert_array_equal(batch[1], one)
    collate = pixnorm.Collate(size=64, crop=56, interpolation="area", convention=None)
    collated = collate([(img, 0)])[0]
    np.testing.assert_array_equal(np.asarray(collated)[0], one)


def opencv_area_cases(seed: int, n: int) -> list[tuple[np.ndarray[Any, Any], Any]]:
    """(image, size or factor) pairs that take each of cv2.resize INTER_AREA's paths: whole
    ratios (its blocks, 2 x 2 included), other downscales (its float table), up and mixed (its
    linear path), 1-pixel sides, factors whose rounded size cuts the last cell; 1-4 channels."""
    rng = np.random.default_rng(seed)
    cases: list[tuple[np.ndarray[Any, Any], Any]] = []
    for i in range(n):
        h, w = (int(v) for v in rng.integers(1, 120, 2))
        c = int(rng.integers(1, 5))
        size: Any = tuple(int(v) for v in rng.integers(1, 150, 2))
        if i % 4 == 0:  # whole ratios, each axis its own
            ky, kx = (int(v) for v in rng.integers(1, 5, 2))
            h, w = max(h // ky, 1) * ky, max(w // kx, 1) * kx
            size = (h // ky, w // kx)
        elif i % 4 == 1:  # downscales
            size = (int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1)))
        if i % 5 == 0:
            size = float(rng.choice([0.5, 1 / 3, 0.25, 0.39, 0.7, 1.3, 2.5]))
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        cases.append((img, size))
    return cases


def cv2_area(img: np.ndarray[Any, Any], size: Any) -> np.ndarray[Any, Any] | None:
    cv2 = pytest.importorskip("cv2")
    try:
        if isinstance(size, float):
            out = cv2.resize(img, (0, 0), fx=size, fy=size, interpolation=cv2.INTER_AREA)
        else:
            out = cv2.resize(img, size[::-1], interpolation=cv2.INTER_AREA)
    except cv2.error:  # a factor that rounds a side to 0
        return None
    return np.asarray(out).reshape(*out.shape[:2], img.shape[2])


def pixnorm_area(img: np.ndarray[Any, Any], size: Any) -> np.ndarray[Any, Any]:
    if isinstance(size, float):
        return np.asarray(
            pixnorm.resize(
                img, factor=size, rounding="round", convention="opencv", interpolation="area"
            )
        )
    return np.asarray(pixnorm.resize(img, size, convention="opencv", interpolation="area"))


def test_opencv_area_is_bit_exact() -> None:
    """convention='opencv' with 'area': cv2.resize(INTER_AREA) bit for bit on every path."""
    checked = 0
    for img, size in opencv_area_cases(21, 400):
        want = cv2_area(img, size)
        if want is None:
            continue
        np.testing.assert_array_equal(pixnorm_area(img, size), want, err_msg=f"{img.shape} {size}")
        checked += 1
    assert checked > 350


def test_opencv_area_on_every_isa_and_thread_count() -> None:
    """Its table path runs the float kernels of each ISA and its linear path the fixed-point 2 x 2
    kernel: cv2's bits on each (photographs: a smooth image and its edges)."""
    img = photos()[1][:200, :260]
    rng = np.random.default_rng(22)
    for c in (1, 3, 4):
        src = img if c == 3 else rng.integers(0, 256, (200, 260, c), dtype=np.uint8)
        for size in [(100, 130), (50, 65), (67, 90), (256, 300), (90, 520), (13, 7)]:
            want = cv2_area(src, size)
            results = on_every_isa_and_thread_count(lambda s=src, z=size: pixnorm_area(s, z))
            for key, got in results.items():
                np.testing.assert_array_equal(got, want, err_msg=f"{key} {c} {size}")


@pytest.mark.parametrize("name", ["area", "lanczos"])
def test_opencv_filters_in_preprocess_with_crops_flips_and_levels(name: str) -> None:
    """preprocess: the crop window and flips of cv2's result (INTER_AREA, INTER_LANCZOS4), its
    levels through torchvision's float32 arithmetic (x * float32(1 / 255) - mean) / std; a box
    is cut out first."""
    cv2 = pytest.importorskip("cv2")
    code = {"area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4}[name]
    rng = np.random.default_rng(23)
    img = rng.integers(0, 256, (150, 211, 3), dtype=np.uint8)
    mean, std = np.float32([0.485, 0.456, 0.406]), np.float32([0.229, 0.224, 0.225])
    for size, crop, box in [
        ((64, 90), (56, 80), None),
        ((300, 400), (224, 224), (10, 7, 120, 190)),
    ]:
        src = img if box is None else img[box[0] : box[0] + box[2], box[1] : box[1] + box[3]]
        full = cv2.resize(np.ascontiguousarray(src), size[::-1], interpolation=code)
        top, left = round((size[0] - crop[0]) / 2), round((size[1] - crop[1]) / 2)
        want_u8 = full[top : top + crop[0], left : left + crop[1]][::-1, ::-1]
        kw: dict[str, Any] = {"size": size, "crop": crop, "box": box, "flip": "both"}
        kw.update(convention="opencv", interpolation=name, antialias=False)
        got_u8 = pixnorm.preprocess(img, dtype=np.uint8, layout="HWC", scale=1.0, **kw)
        np.testing.assert_array_equal(got_u8, want_u8)
        got = pixnorm.preprocess(img, mean=mean, std=std, **kw)
        x = want_u8.astype(np.float32) * np.float32(1 / 255)
        np.testing.assert_array_equal(got, ((x - mean) / std).transpose(2, 0, 1))


@pytest.mark.parametrize("name", ["area", "lanczos"])
def test_opencv_filters_after_a_colour_conversion(name: str) -> None:
    """A colour that changes the channel count (gray from RGB / RGBA, rgb and gray3 from gray)
    converts the source as cv2.cvtColor does, then resizes those rows: every path (blocks,
    table, linear; lanczos), as cv2.cvtColor then cv2.resize. (The table path once took the
    source's channel count for the converted rows: wrong values and a read past the row.)"""
    cv2 = pytest.importorskip("cv2")
    code = {"area": cv2.INTER_AREA, "lanczos": cv2.INTER_LANCZOS4}[name]
    rng = np.random.default_rng(25)
    rgb = rng.integers(0, 256, (86, 55, 3), dtype=np.uint8)
    rgba = rng.integers(0, 256, (86, 55, 4), dtype=np.uint8)
    gray = rng.integers(0, 256, (86, 55, 1), dtype=np.uint8)
    cases = [
        (rgb, "gray", cv2.COLOR_RGB2GRAY),
        (rgba, "gray", cv2.COLOR_RGBA2GRAY),
        (gray, "rgb", cv2.COLOR_GRAY2RGB),
        (gray, "gray3", None),
    ]
    for img, color, cvt in cases:
        src = np.ascontiguousarray(img[..., 0]) if img.shape[2] == 1 else img
        conv = cv2.cvtColor(src, cvt) if cvt is not None else src
        if color == "gray3":  # the gray repeated
            conv = np.repeat(src[..., None], 3, axis=2)
        for size in [(43, 11), (13, 42), (200, 170), (40, 120)]:
            want = cv2.resize(conv, size[::-1], interpolation=code)
            want = want.reshape(*size, -1)
            got = pixnorm.resize(
                img, size, convention="opencv", interpolation=name, antialias=False, color=color
            )
            np.testing.assert_array_equal(got, want, err_msg=f"{color} {img.shape} {size}")


def test_opencv_filters_letterbox_with_the_default_antialias() -> None:
    """fit='contain' takes area (which ignores antialias) with the default antialias=True, as
    resize and fit='cover' do; the border is the fill."""
    img = np.random.default_rng(26).integers(0, 256, (60, 90, 3), dtype=np.uint8)
    kw: dict[str, Any] = {"size": (64, 64), "convention": "opencv", "dtype": np.uint8}
    a = pixnorm.preprocess(img, fit="contain", interpolation="area", fill=7, **kw)
    b = pixnorm.preprocess(img, fit="contain", interpolation="area", fill=7, antialias=False, **kw)
    np.testing.assert_array_equal(a, b)
    assert (a[:, :10] == 7).all()
    with pytest.raises(ValueError, match="antialias=False"):
        pixnorm.preprocess(img, fit="contain", **kw)  # bilinear: OpenCV has no antialias


def test_opencv_lanczos4_is_bit_exact() -> None:
    """convention='opencv' with 'lanczos': cv2.resize(INTER_LANCZOS4) bit for bit (8 taps, its
    float32 weights in 11-bit fixed point, int32 passes), sizes and factors, 1-4 channels, smooth
    and noisy content, on every ISA and thread count for some; antialias=False (OpenCV has
    none)."""
    cv2 = pytest.importorskip("cv2")
    kw: dict[str, Any] = {"convention": "opencv", "interpolation": "lanczos", "antialias": False}

    def lanczos4(img: np.ndarray[Any, Any], size: Any) -> Any:
        if isinstance(size, float):
            return pixnorm.resize(img, factor=size, rounding="round", **kw)
        return pixnorm.resize(img, size, **kw)

    checked = 0
    for i, (img, size) in enumerate(opencv_area_cases(24, 300)):
        if i % 3 == 0:  # smooth ramps: the negative lobes matter
            w = img.shape[1]
            img = (np.cumsum(img.astype(np.int64), axis=1) // w % 256).astype(np.uint8)
        try:
            if isinstance(size, float):
                want = cv2.resize(img, (0, 0), fx=size, fy=size, interpolation=cv2.INTER_LANCZOS4)
            else:
                want = cv2.resize(img, size[::-1], interpolation=cv2.INTER_LANCZOS4)
        except cv2.error:  # a factor that rounds a side to 0
            continue
        run = lambda img=img, size=size: lanczos4(img, size)  # noqa: E731
        want = np.asarray(want).reshape(*want.shape[:2], img.shape[2])
        results = on_every_isa_and_thread_count(run) if i % 50 == 0 else {("active", 0): run()}
        for key, got in results.items():
            np.testing.assert_array_equal(got, want, err_msg=f"{key} {img.shape} {size}")
        checked += 1
    assert checked > 250


def test_interpolation_errors() -> None:
    img = np.zeros((20, 30, 3), np.uint8)
    with pytest.raises(ValueError, match="Pillow has no 'area'"):
        pixnorm.preprocess(img, size=10, interpolation="area", convention="pillow")
    with pytest.raises(ValueError, match="'torch' does not reproduce 'area'"):
        pixnorm.resize(img, 10, interpolation="area", convention="torch")
    with pytest.raises(ValueError, match="'cubic' is not a filter"):
        pixnorm.resize(img, 10, interpolation="cubic")
    with pytest.raises(TypeError, match="interpolation: expected a name"):
        pixnorm.resize(img, 10, interpolation=3)
    with pytest.raises(TypeError, match="interpolation"):
        pixnorm.resize(img, 10, interpolation=None)
    with pytest.raises(ValueError, match="convention 'torch' reproduces .*'lanczos' is not"):
        pixnorm.resize(img, 10, convention="torch", interpolation="lanczos")
    with pytest.raises(ValueError, match="bicubic without antialias for 1 to 4 channels"):
        pixnorm.preprocess(
            np.zeros((20, 30, 5), np.uint8), size=10, convention="torch", channels_last=True,
            interpolation="bicubic", antialias=False,
        )  # fmt: skip
    with pytest.raises(ValueError, match="warpAffine"):
        pixnorm.resize(
            img, factor=0.37, rounding="round", convention="opencv", antialias=False,
            interpolation="bicubic",
        )  # fmt: skip
    odd = [img[:8, :8]] * 3 + [img[:7, :9]]  # the image, its sizes and factors named
    with pytest.raises(ValueError, match=r"^factor: images\[3\] \(7 x 9\) to 4 x 4 by factors"):
        pixnorm.preprocess_batch(
            odd, factor=0.5, crop=(2, 2), convention="opencv", antialias=False,
            interpolation="bicubic",
        )  # fmt: skip
    with pytest.raises(ValueError, match="'opencv' reproduces cv2.resize INTER_LINEAR, INTER_"):
        pixnorm.resize(img, 10, convention="opencv", antialias=False, interpolation="box")
    with pytest.raises(ValueError, match="antialias=False"):
        pixnorm.resize(img, 10, convention="opencv", interpolation="lanczos")
    with pytest.raises(ValueError, match="INTER_LANCZOS4.*uint8 images only"):
        pixnorm.resize(
            img.astype(np.uint16), 10, convention="opencv", interpolation="lanczos", antialias=False
        )
    with pytest.raises(ValueError, match="INTER_NEAREST_EXACT.*uint8 images only"):
        pixnorm.resize(
            img.astype(np.uint16), 10, convention="opencv", interpolation="nearest-exact"
        )
    with pytest.raises(ValueError, match="INTER_NEAREST.*uint8 images only"):
        pixnorm.resize(img.astype(np.uint16), 10, convention="opencv", interpolation="nearest")  # noqa: E501
    with pytest.raises(ValueError, match="INTER_AREA.*uint8 images only"):
        pixnorm.resize(img.astype(np.uint16), 10, convention="opencv", interpolation="area")
    with pytest.raises(ValueError, match="Pillow has no 'nearest-exact'"):
        pixnorm.resize(img, 10, convention="pillow", interpolation="nearest-exact")
    with pytest.raises(ValueError, match="interpolation"):
        pixnorm.Collate(size=10, interpolation="areal")
    with pytest.raises(ValueError, match="interpolation"):
        pixnorm.preprocess_batch([img], size=10, interpolation="hamming", convention="torch")


def test_the_readme_clip_recipe_gives_torchvisions_bits() -> None:
    """The README's recipe for a model trained with bicubic (timm, CLIP) on PIL images."""
    torch = pytest.importorskip("torch")
    v1 = pytest.importorskip("torchvision.transforms")
    v2 = pytest.importorskip("torchvision.transforms.v2")
    image = pytest.importorskip("PIL.Image")
    from torchvision.transforms import InterpolationMode as IM

    clip_mean, clip_std = (0.4815, 0.4578, 0.4082), (0.2686, 0.2613, 0.2758)
    pt = pixnorm.transforms
    for img in photos()[:3]:
        pil = image.fromarray(img)
        x = pixnorm.preprocess(
            img,
            size=224,
            crop=224,
            convention="pillow",
            interpolation="bicubic",
            mean=clip_mean,
            std=clip_std,
        )
        tv2 = v2.Compose(
            [
                v2.Resize(224, interpolation=IM.BICUBIC),
                v2.CenterCrop(224),
                v2.ToImage(),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(clip_mean, clip_std),
            ]
        )
        assert torch.equal(torch.from_numpy(x), tv2(pil))
        tf = pt.Compose(
            [
                pt.Resize(224, interpolation="bicubic"),
                pt.CenterCrop(224),
                pt.ToTensor(),
                pt.Normalize(clip_mean, clip_std),
            ]
        )
        tv1 = v1.Compose(
            [
                v1.Resize(224, interpolation=IM.BICUBIC),
                v1.CenterCrop(224),
                v1.ToTensor(),
                v1.Normalize(clip_mean, clip_std),
            ]
        )
        assert torch.equal(tf(pil), tv1(pil))


@pytest.mark.parametrize("conv", [None, "pillow", "torch"])
def test_running_stats_describe_the_bicubic_values_the_model_sees(conv: str | None) -> None:
    """RunningStats(interpolation=...) counts exactly what preprocess(interpolation=...) gives:
    the data set normalized with its mean01 / std01() has mean 0 and std 1 (within 1e-6: the
    float32 normalization of each value and float64 sums of 5 x 3136 values per channel). Its
    options survive to_dict/from_dict and pickling, and a set with another filter does not
    merge."""
    import pickle

    rng = np.random.default_rng(12)
    imgs = [rng.integers(0, 256, (90 + 7 * i, 120 - 3 * i, 3), dtype=np.uint8) for i in range(5)]
    rs = pixnorm.RunningStats(size=64, crop=56, convention=conv, interpolation="bicubic")
    for x in imgs:
        rs.update(x)
    out = pixnorm.preprocess_batch(
        imgs, size=64, crop=56, convention=conv, interpolation="bicubic",
        mean=rs.mean01, std=rs.std01(),
    )  # fmt: skip
    np.testing.assert_allclose(out.astype(np.float64).mean(axis=(0, 2, 3)), 0.0, atol=1e-6)
    np.testing.assert_allclose(out.astype(np.float64).std(axis=(0, 2, 3)), 1.0, atol=1e-6)
    back = pixnorm.RunningStats.from_dict(rs.to_dict())
    assert back.to_dict() == rs.to_dict() and rs.to_dict()["interpolation"] == "bicubic"
    assert pickle.loads(pickle.dumps(rs)).to_dict() == rs.to_dict()
    with pytest.raises(ValueError, match="interpolation='bilinear'"):
        rs.merge(pixnorm.RunningStats(size=64, crop=56, convention=conv))
    with pytest.raises(ValueError, match="interpolation"):
        pixnorm.RunningStats(size=64, interpolation="areal")


def test_running_stats_without_a_resize_ignore_the_filter() -> None:
    """Without size= the filter changes nothing: it is stored as bilinear, so such sets merge;
    a numpy str is stored as a plain str."""
    x = np.random.default_rng(14).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    a = pixnorm.RunningStats(interpolation="bicubic").update(x)
    b = pixnorm.RunningStats(crop=10).update(x)
    a.merge(pixnorm.RunningStats().update(x))
    assert a.to_dict()["interpolation"] == "bilinear" and b.to_dict()["images"] == 1
    named = pixnorm.RunningStats(size=16, interpolation=np.str_("bicubic"))
    assert type(named.to_dict()["interpolation"]) is str


def test_v2_to_tensor_passes_tensors_through_as_torchvision() -> None:
    """torchvision v2's ToTensor converts PIL images and arrays and leaves tensors as they are:
    fused for PIL images, torchvision's own steps for a tensor."""
    torch = pytest.importorskip("torch")
    v2 = pytest.importorskip("torchvision.transforms.v2")
    image = pytest.importorskip("PIL.Image")
    t = torch.randint(0, 256, (3, 9, 11), dtype=torch.uint8)
    pil = image.fromarray(t.permute(1, 2, 0).numpy())
    for crop in (5, 14):  # cropped, padded
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # v2's ToTensor is deprecated
            tv = v2.Compose([v2.CenterCrop(crop), v2.ToTensor()])
            warnings.simplefilter("ignore")  # v2's ToTensor is deprecated
            fused = pixnorm.transforms.from_torchvision(tv)
            for inp in (t, pil):
                want, got = tv(inp), fused(inp)
                assert got.dtype == want.dtype and torch.equal(got, want), (crop, type(inp))


def test_opencv_nearest_exact_by_sizes_and_factors() -> None:
    """INTER_NEAREST_EXACT in OpenCV 5 is Pillow's running sum of in / out (by the rounded sizes
    also with fx / fy): its ties land one sample low where the sum rounds down (2 -> 7 columns);
    random sizes and factors against cv2."""
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(27)
    img = rng.integers(0, 256, (2, 2, 1), dtype=np.uint8)
    np.testing.assert_array_equal(
        pixnorm.resize(img, (7, 7), convention="opencv", interpolation="nearest-exact")[..., 0],
        cv2.resize(img, (7, 7), interpolation=cv2.INTER_NEAREST_EXACT),
    )
    for i in range(300):
        h, w = (int(v) for v in rng.integers(1, 200, 2))
        img = rng.integers(0, 256, (h, w, int(rng.integers(1, 5))), dtype=np.uint8)
        kw: dict[str, Any] = {"convention": "opencv", "interpolation": "nearest-exact"}
        if i % 3 == 0:
            f = float(rng.uniform(0.1, 4))
            if round(h * f) < 1 or round(w * f) < 1:
                continue
            want = cv2.resize(img, (0, 0), fx=f, fy=f, interpolation=cv2.INTER_NEAREST_EXACT)
            got = pixnorm.resize(img, factor=f, rounding="round", **kw)
        else:
            oh, ow = (int(v) for v in rng.integers(1, 300, 2))
            want = cv2.resize(img, (ow, oh), interpolation=cv2.INTER_NEAREST_EXACT)
            got = pixnorm.resize(img, (oh, ow), **kw)
        np.testing.assert_array_equal(got, want.reshape(got.shape), err_msg=f"{img.shape}")


@pytest.mark.parametrize("name", ["nearest", "nearest-exact"])
def test_torch_nearest_kernels_by_size_and_factor(name: str) -> None:
    """torch's two nearest kernels (channels-last when the output's h + w <= 128, its generic
    FMA kernel above) on contiguous (N, C, H, W) tensors, by size and by scale_factor (a factor
    whose rounded size equals the input's is not an identity in the generic kernel)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(28)
    for i in range(400):
        h, w = (int(v) for v in rng.integers(1, 120, 2))
        img = rng.integers(0, 256, (h, w, int(rng.integers(1, 4))), dtype=np.uint8)
        x = torch.from_numpy(img).permute(2, 0, 1).contiguous()[None]
        if i % 3 == 0:
            f = float(rng.choice([0.5, 1.05, 2.0, 0.97, rng.uniform(0.2, 3)]))
            if min(math.floor(h * f), math.floor(w * f)) < 1:
                continue
            want = torch.nn.functional.interpolate(x, scale_factor=f, mode=name)
            got = pixnorm.resize(img, factor=f, convention="torch", interpolation=name)
        else:
            size = (int(rng.integers(1, 150)), int(rng.integers(1, 150)))
            want = torch.nn.functional.interpolate(x, size=size, mode=name)
            got = pixnorm.resize(img, size, convention="torch", interpolation=name)
        np.testing.assert_array_equal(got, want[0].permute(1, 2, 0).numpy(), f"{i} {img.shape}")


def test_torch_bicubic_without_antialias_is_bit_exact() -> None:
    """interpolate(uint8, mode="bicubic", antialias=False): torch's uint8 kernel (a = -0.75,
    taps past the edges folded onto the edge sample, int16 weights with its precision rule),
    sizes and factors, 1-4 channels, smooth and noisy images, on every ISA and thread count."""
    torch = pytest.importorskip("torch")
    kw: dict[str, Any] = {"convention": "torch", "interpolation": "bicubic", "antialias": False}
    rng = np.random.default_rng(29)
    for i in range(300):
        h, w = (int(v) for v in rng.integers(1, 120, 2))
        img = rng.integers(0, 256, (h, w, int(rng.integers(1, 5))), dtype=np.uint8)
        if i % 3 == 0:
            img = (np.cumsum(img.astype(np.int64), axis=1) // w % 256).astype(np.uint8)
        x = torch.from_numpy(img).permute(2, 0, 1).contiguous()[None]
        if i % 4 == 0:
            f = float(rng.uniform(0.2, 3))
            if min(math.floor(h * f), math.floor(w * f)) < 1:
                continue
            want = torch.nn.functional.interpolate(
                x, scale_factor=f, mode="bicubic", align_corners=False, antialias=False
            )
            run = lambda img=img, f=f: pixnorm.resize(img, factor=f, **kw)  # noqa: E731
        else:
            size = (int(rng.integers(1, 150)), int(rng.integers(1, 150)))
            want = torch.nn.functional.interpolate(
                x, size=size, mode="bicubic", align_corners=False, antialias=False
            )
            run = lambda img=img, size=size: pixnorm.resize(img, size, **kw)  # noqa: E731
        want_a = want[0].permute(1, 2, 0).numpy()
        results = on_every_isa_and_thread_count(run) if i % 60 == 0 else {("active", 0): run()}
        for key, got in results.items():
            np.testing.assert_array_equal(got, want_a, err_msg=f"{key} {i} {img.shape}")


def test_wide_windows_read_as_columns_give_the_same_bits() -> None:
    """The AVX-512 path reads wide antialiased bicubic and lanczos windows as columns of 16
    output rows (transposed; resize_h_columns), the other ISAs gather: the same bits, on full
    blocks and a band's remaining rows, with flips, 1-4 channels, uint8 and float32, 1 and 2
    threads (bands of at least 16 rows), boxes and crops; against the float64 definition too."""
    rng = np.random.default_rng(40)
    for i in range(10):
        c = 1 + i % 4
        h, w = int(rng.integers(300, 700)), int(rng.integers(500, 1400))
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        if i % 3 == 2:
            img = img.astype(np.float32) / 255
        interp = ("bicubic", "lanczos")[i % 2]
        oh, ow = int(rng.integers(33, 75)), int(rng.integers(20, w // 3))
        flip = (False, True, "vertical", "both")[i % 4]
        box = (int(rng.integers(0, 20)), int(rng.integers(0, 20)), h - 40, w - 40)
        kw: dict[str, Any] = {"size": (oh + 6, ow), "crop": (oh, ow), "box": box, "flip": flip}
        run = lambda img=img, kw=kw, interp=interp: pixnorm.preprocess(  # noqa: E731
            img, interpolation=interp, **kw
        )
        results = on_every_isa_and_thread_count(run)
        first = next(iter(results.values()))
        for key, got in results.items():
            np.testing.assert_array_equal(got, first, err_msg=f"{key} case {i}")


def skip_unless_ipp_as_modelled() -> None:
    """pixnorm's INTER_CUBIC model for 1, 3 and 4 channels is Intel IPP's resize as IPP runs it
    on AVX-512 CPUs of the Ice Lake generation and later (its code is chosen by CPU: restricted
    with OPENCV_IPP=avx2, sse42 or avx512, cv2 differed by 1 level on some pixels in 18-82 of
    1,071 cases); elsewhere the bits are not promised (docs/resize-conventions.md 5h)."""
    if os.environ.get("OPENCV_IPP"):
        pytest.skip("OPENCV_IPP restricts IPP's code: not the modelled AVX-512 code")
    if "avx512icl" not in pixnorm._core._supported_isas():
        pytest.skip("this CPU runs other IPP code than the modelled AVX-512 (Ice Lake+) code")


def test_opencv_bicubic_is_bit_exact() -> None:
    """convention='opencv' with 'bicubic' (antialias=False): cv2.resize(INTER_CUBIC) as the
    wheels run it (Intel IPP's resize: t snapped to float32, double Keys weights rounded once,
    its summation orders per channel count and column), on noise, smooth ramps and binary
    images, up, down and mixed, by size and by exact factors, on every ISA and thread count for
    some, and in preprocess with a crop and a flip."""
    cv2 = pytest.importorskip("cv2")
    skip_unless_ipp_as_modelled()
    rng = np.random.default_rng(30)
    kw: dict[str, Any] = {"convention": "opencv", "interpolation": "bicubic", "antialias": False}
    for i in range(400):
        h, w = (int(v) for v in rng.integers(4, 150, 2))
        c = int(rng.choice([1, 3, 4]))
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        if i % 3 == 0:
            img = (np.cumsum(img.astype(np.int64), axis=1) // w % 256).astype(np.uint8)
        elif i % 3 == 1:
            img = (img > 127).astype(np.uint8) * 255  # hard edges: the overshoot saturates
        size = (int(rng.integers(1, 200)), int(rng.integers(1, 200)))
        want = cv2.resize(img, size[::-1], interpolation=cv2.INTER_CUBIC).reshape(*size, c)
        run = lambda img=img, size=size: pixnorm.resize(img, size, **kw)  # noqa: E731
        results = on_every_isa_and_thread_count(run) if i % 80 == 0 else {("active", 0): run()}
        for key, got in results.items():
            np.testing.assert_array_equal(got, want, err_msg=f"{key} {i} {img.shape} {size}")
    img = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    want = cv2.resize(img, (0, 0), fx=0.5, fy=0.5, interpolation=cv2.INTER_CUBIC)
    np.testing.assert_array_equal(pixnorm.resize(img, factor=0.5, rounding="round", **kw), want)
    full = cv2.resize(img, (100, 80), interpolation=cv2.INTER_CUBIC)
    got = pixnorm.preprocess(
        img, size=(80, 100), crop=(60, 70), flip=True, dtype=np.uint8, layout="HWC", scale=1.0,
        **kw,
    )  # fmt: skip
    np.testing.assert_array_equal(got, full[10:70, 15:85][:, ::-1])


def test_opencv_bicubic_own_code_is_bit_exact() -> None:
    """Where cv2.resize(INTER_CUBIC) does not run IPP (2 channels; a source side below 4; with
    factors off the rounded sizes' ratio, a side of 1) it runs OpenCV's own code: float32
    coordinates and weights rounded to 11 bits, exact int32 horizontal sums, and a vertical
    pass whose SSE part (the first whole vectors of 8 of the full output row) is float32 and
    whose tail is integer. Bit for bit on noise, ramps and binary images, by sizes and by
    factors (fx != fy, factors whose rounded size is not their ratio), on every ISA and thread
    count for some, and in preprocess with a box, a crop and flips (the split follows the full
    row, not the crop)."""
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(32)
    kw: dict[str, Any] = {"convention": "opencv", "interpolation": "bicubic", "antialias": False}
    for i in range(600):
        if i % 2 == 0:
            c, h, w = 2, int(rng.integers(1, 90)), int(rng.integers(1, 90))
        else:
            c, h, w = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 70))
            if rng.integers(0, 2):
                h, w = w, h
        img = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
        if i % 3 == 0:
            img = (np.cumsum(img.astype(np.int64), axis=1) // w % 256).astype(np.uint8)
        elif i % 3 == 1:
            img = (img > 127).astype(np.uint8) * 255  # hard edges: the overshoot saturates
        if i % 4 == 3:
            fy, fx = float(rng.uniform(0.2, 4.0)), float(rng.uniform(0.2, 4.0))
            if c != 2 and min(h, w) > 1:  # factors off the ratio are IPP's warpAffine there
                fy, fx = float(rng.integers(1, 5)), float(rng.integers(1, 5))  # whole: ratios
            try:
                want = cv2.resize(img, (0, 0), fx=fx, fy=fy, interpolation=cv2.INTER_CUBIC)
            except cv2.error:  # a size rounded to 0
                continue
            want = want.reshape(*want.shape[:2], c)
            run = lambda img=img, f=(fy, fx): pixnorm.resize(img, factor=f, **kw)  # noqa: E731
        else:
            size = (int(rng.integers(1, 150)), int(rng.integers(1, 150)))
            want = cv2.resize(img, size[::-1], interpolation=cv2.INTER_CUBIC).reshape(*size, c)
            run = lambda img=img, size=size: pixnorm.resize(img, size, **kw)  # noqa: E731
        results = on_every_isa_and_thread_count(run) if i % 100 == 0 else {("active", 0): run()}
        for key, got in results.items():
            np.testing.assert_array_equal(got, want, err_msg=f"{key} {i} {img.shape}")
    img = rng.integers(0, 256, (50, 61, 2), dtype=np.uint8)
    full = cv2.resize(img[3:45, 5:60], (77, 53), interpolation=cv2.INTER_CUBIC)
    for flip, view in ((False, full), (True, full[:, ::-1]), ("both", full[::-1, ::-1])):
        got = pixnorm.preprocess(
            img, box=(3, 5, 42, 55), size=(53, 77), crop=(40, 61), flip=flip, dtype=np.uint8,
            layout="HWC", scale=1.0, **kw,
        )  # fmt: skip
        top, left = (53 - 40) // 2, (77 - 61) // 2
        want = full[top : top + 40, left : left + 61]
        if flip is True:
            want = want[:, ::-1]
        elif flip == "both":
            want = want[::-1, ::-1]
        np.testing.assert_array_equal(got, want, err_msg=str(flip))
        del view
    # normalized: the levels through torchvision's float32 arithmetic, as every 'opencv' path
    got = pixnorm.preprocess(img, size=(20, 30), mean=[0.5, 0.4], std=[0.2, 0.3], **kw)
    levels = cv2.resize(img, (30, 20), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    want = (levels * np.float32(1 / 255) - np.float32([0.5, 0.4])) / np.float32([0.2, 0.3])
    np.testing.assert_array_equal(got, want.transpose(2, 0, 1))
    same = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)  # an unchanged size: a copy
    np.testing.assert_array_equal(pixnorm.resize(same, factor=1.04, **kw), same)


def test_review_mends_of_the_named_filters() -> None:
    """helper-43: torch takes its channels-last nearest kernel for a channels-last tensor of 4+
    channels (a packed (H, W, C) image, or its permuted view): so does pixnorm, in resize and
    in the transforms; fit='contain' with OpenCV's bicubic works (its fill is a 1 x 1 image,
    which IPP's resize would not take); OpenCV's area wraps a cell sum past 2^31 as its int
    sums do; the antialias error names the filter; a 3-D tensor of 2 (or 5+) channels is
    (C, H, W)."""
    torch = pytest.importorskip("torch")
    cv2 = pytest.importorskip("cv2")
    v2 = pytest.importorskip("torchvision.transforms.v2")
    from torchvision.transforms import InterpolationMode as IM

    hwc = (np.arange(9 * 6 * 4) % 251).astype(np.uint8).reshape(9, 6, 4)
    x = torch.from_numpy(hwc).permute(2, 0, 1)  # channels-last memory
    tv = v2.Resize((136, 123), interpolation=IM.NEAREST_EXACT)
    for inp in (x, x.contiguous()):
        assert torch.equal(pixnorm.transforms.from_torchvision(tv)(inp), tv(inp))
    np.testing.assert_array_equal(
        pixnorm.resize(hwc, (136, 123), convention="torch", interpolation="nearest-exact"),
        tv(x).permute(1, 2, 0).numpy(),
    )
    img = np.random.default_rng(31).integers(0, 256, (48, 64, 2), dtype=np.uint8)
    got = pixnorm.preprocess(  # (2 channels: OpenCV's own code, the same on every CPU)
        img, size=32, fit="contain", convention="opencv", interpolation="bicubic",
        antialias=False, fill=5, dtype=np.uint8, layout="HWC",
    )  # fmt: skip
    np.testing.assert_array_equal(got[:4], 5)  # the letterbox's top rows
    np.testing.assert_array_equal(
        got[4:28], cv2.resize(img, (32, 24), interpolation=cv2.INTER_CUBIC)
    )
    big = np.full((3000, 3000, 1), 255, np.uint8)
    np.testing.assert_array_equal(
        pixnorm.resize(big, (1, 1), convention="opencv", interpolation="area")[..., 0],
        cv2.resize(big, (1, 1), interpolation=cv2.INTER_AREA).reshape(1, 1),
    )
    with pytest.raises(ValueError, match="no antialiased bicubic .*INTER_CUBIC"):
        pixnorm.resize(img, 10, convention="opencv", interpolation="bicubic")
    two = torch.zeros(2, 10, 12, dtype=torch.uint8)
    assert tuple(pixnorm.transforms.Resize((7, 9))(two).shape) == (2, 7, 9)
    five = torch.zeros(5, 10, 12, dtype=torch.uint8)
    assert tuple(pixnorm.transforms.Resize((7, 9))(five).shape) == (5, 7, 9)
