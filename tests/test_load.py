"""pixnorm.load against its definition, ``preprocess(decode(source), ...)``, bit for bit: random
boxes, sizes, crops, factors, flips, fits and every convention, on JPEGs with 4:4:4, 4:2:2
and 4:2:0 chroma, progressive and with restart markers (where only a window of the JPEG is
decoded), PNG (decoded whole), EXIF orientation; a JPEG truncated below the rows the output
reads; errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pixnorm

Image = pytest.importorskip("PIL.Image")
skdata = pytest.importorskip("skimage.data")

H, W = 375, 500
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
CONVENTIONS: list[tuple[str | None, bool]] = [
    (None, True),
    (None, False),
    ("pillow", True),
    ("torch", True),
    ("torch", False),
    ("opencv", False),
]


def photo(h: int = H, w: int = W) -> np.ndarray[Any, Any]:
    img = np.concatenate([skdata.astronaut(), skdata.astronaut()[::-1]], axis=1)
    return np.ascontiguousarray(img[:h, :w])


def jpeg(arr: np.ndarray[Any, Any], **options: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", **options)
    return buf.getvalue()


def random_options(rng: np.random.Generator, h: int, w: int) -> dict[str, Any]:
    """One of the geometries a loader uses: Resize (+ CenterCrop), a RandomResizedCrop box
    with a flip, a scale factor, or a fit."""
    k = int(rng.integers(0, 5))
    if k == 0:
        return {"size": int(rng.integers(8, 400))}
    if k == 1:
        s = int(rng.integers(16, 400))
        return {"size": s, "crop": int(rng.integers(1, s + 1))}
    if k == 2:
        t, left = int(rng.integers(0, h - 1)), int(rng.integers(0, w - 1))
        bh, bw = int(rng.integers(1, h - t + 1)), int(rng.integers(1, w - left + 1))
        flips: list[bool | str] = [False, True, "vertical", "both"]
        return {
            "box": (t, left, bh, bw),
            "size": (int(rng.integers(1, 260)), int(rng.integers(1, 260))),
            "flip": flips[int(rng.integers(0, 4))],
        }
    if k == 3:
        return {"factor": float(rng.uniform(0.05, 2.5)), "rounding": "round"}
    fit = "cover" if rng.integers(0, 2) else "contain"
    return {"fit": fit, "size": (int(rng.integers(8, 300)), int(rng.integers(8, 300)))}


@pytest.mark.parametrize("subsampling", [0, 1, 2], ids=["444", "422", "420"])
@pytest.mark.parametrize("variant", ["baseline", "progressive", "restart"])
def test_load_equals_preprocess_of_decode(subsampling: int, variant: str) -> None:
    extra: dict[str, Any] = {
        "baseline": {},
        "progressive": {"progressive": True},
        "restart": {"restart_marker_blocks": 5},
    }[variant]
    rng = np.random.default_rng(subsampling * 10 + len(variant))
    h, w = int(rng.integers(200, H + 1)), int(rng.integers(200, W + 1))  # odd sizes too
    data = jpeg(photo(h, w), quality=int(rng.integers(60, 100)), subsampling=subsampling, **extra)
    full = pixnorm.decode(data)
    checked = 0
    for conv, aa in CONVENTIONS:
        for _ in range(12):
            options = random_options(rng, h, w)
            options.update(convention=conv, antialias=aa, mean=MEAN, std=STD)
            try:
                want = pixnorm.preprocess(full, **options)
            except ValueError:  # a geometry the convention refuses (e.g. a factor's size 0)
                with pytest.raises(ValueError):
                    pixnorm.load(data, **options)
                continue
            got = pixnorm.load(data, **options)
            np.testing.assert_array_equal(got, want, err_msg=str(options))
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("conv, aa", CONVENTIONS)
def test_load_window_edges(conv: str | None, aa: bool) -> None:
    """Strong downscales with a small centre crop: the filter reads far beyond the crop (its
    support is the scale, up to 23 source pixels here), more than the iMCU margin."""
    for subsampling in (0, 2):  # iMCU margins of 8 and 16 pixels
        data = jpeg(photo(), quality=90, subsampling=subsampling)
        full = pixnorm.decode(data)
        sizes: list[tuple[int, Any]] = [(8, 4), (10, 2), (16, 8), (20, 10), (33, 17), (64, 31)]
        for size, crop in [*sizes, (100, 3), (37, (5, 30))]:
            options = {"size": size, "crop": crop, "convention": conv, "antialias": aa}
            want = pixnorm.preprocess(full, **options)
            got = pixnorm.load(data, **options)
            np.testing.assert_array_equal(got, want, err_msg=str(options))
    # a box and a crop: the window inside the box
    data = jpeg(photo(), quality=90, subsampling=2)
    full = pixnorm.decode(data)
    options = {
        "box": (30, 40, 300, 400),
        "size": 20,
        "crop": 9,
        "convention": conv,
        "antialias": aa,
    }
    np.testing.assert_array_equal(
        pixnorm.load(data, **options), pixnorm.preprocess(full, **options)
    )


def test_load_eval_and_training_routes() -> None:
    """The two routes the benchmark times, with every output option."""
    data = jpeg(photo(), quality=90)
    full = pixnorm.decode(data)
    routes: list[dict[str, Any]] = [
        {"size": 256, "crop": 224},
        {"box": (40, 100, 200, 180), "size": (224, 224), "flip": True},
    ]
    extras: list[dict[str, Any]] = [
        {},
        {"dtype": np.float16},
        {"layout": "HWC"},
        {"dtype": np.uint8, "mean": 0.0},
        {"color": "gray", "mean": 0.45, "std": 0.22},
        {"color": "bgr", "convention": "opencv", "antialias": False},
        {"mean": 0.5, "std": 0.25, "scale": 1 / 255},
    ]
    for route in routes:
        for extra in extras:
            options = {"mean": MEAN, "std": STD, **route, **extra}
            if options.get("dtype") is np.uint8:
                options.pop("std")
            want = pixnorm.preprocess(full, **options)
            np.testing.assert_array_equal(pixnorm.load(data, **options), want, err_msg=str(options))
    # out= and return_params
    out = np.empty((3, 224, 224), np.float32)
    got = pixnorm.load(data, size=256, crop=224, mean=MEAN, std=STD, out=out)
    assert got is out
    np.testing.assert_array_equal(
        out, pixnorm.preprocess(full, size=256, crop=224, mean=MEAN, std=STD)
    )
    t, p = pixnorm.load(
        data, size=(200, 200), fit="contain", return_params=True, box=(10, 20, 300, 250)
    )
    t2, p2 = pixnorm.preprocess(
        full, size=(200, 200), fit="contain", return_params=True, box=(10, 20, 300, 250)
    )
    np.testing.assert_array_equal(t, t2)
    assert p == p2


def test_load_modes_and_other_formats() -> None:
    img = photo(120, 90)
    data = jpeg(img, quality=92)
    for mode in ("RGB", "L", "RGBA", None):
        want = pixnorm.preprocess(pixnorm.decode(data, mode=mode), size=64, crop=60)
        np.testing.assert_array_equal(pixnorm.load(data, mode=mode, size=64, crop=60), want)
    gray = jpeg(img[..., 0], quality=92)
    for mode in ("RGB", None):
        want = pixnorm.preprocess(pixnorm.decode(gray, mode=mode), box=(5, 6, 70, 50), size=32)
        np.testing.assert_array_equal(
            pixnorm.load(gray, mode=mode, box=(5, 6, 70, 50), size=32), want
        )
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    png = buf.getvalue()
    want = pixnorm.preprocess(pixnorm.decode(png), size=50, mean=MEAN, std=STD)
    np.testing.assert_array_equal(pixnorm.load(png, size=50, mean=MEAN, std=STD), want)
    # a 16-bit PNG keeps its levels with mode=None, as decode gives them
    values = np.random.default_rng(1).integers(0, 65536, (30, 40), dtype=np.uint16)
    buf = io.BytesIO()
    Image.fromarray(values).save(buf, "PNG")
    want = pixnorm.preprocess(pixnorm.decode(buf.getvalue(), mode=None), size=20)
    np.testing.assert_array_equal(pixnorm.load(buf.getvalue(), mode=None, size=20), want)


def test_load_with_orientation() -> None:
    img = photo(80, 120)
    for orientation in (1, 3, 6, 8):
        exif = Image.Exif()
        exif[0x0112] = orientation
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=95, exif=exif)
        data = buf.getvalue()
        for apply in (False, True):
            full = pixnorm.decode(data, orientation=apply)
            options = {"box": (3, 4, 50, 60), "size": 40, "mean": MEAN, "std": STD}
            want = pixnorm.preprocess(full, **options)
            np.testing.assert_array_equal(pixnorm.load(data, orientation=apply, **options), want)


needs_jpeg = pytest.mark.skipif(
    pixnorm.build_info()["codecs"]["jpeg"] is None,
    reason="built without libjpeg: JPEG is decoded whole through Pillow",
)


@needs_jpeg
def test_load_reads_only_the_window() -> None:
    """A JPEG cut off below the rows a box reads: load gives the intact file's result (every
    pixel it reads was decoded), decode raises. Cut inside the window: load raises too."""
    data = jpeg(photo(), quality=90, subsampling=2)
    cut = data[: int(len(data) * 0.7)]
    options = {"box": (0, 0, 100, 200), "size": (64, 64), "mean": MEAN, "std": STD}
    want = pixnorm.preprocess(pixnorm.decode(data), **options)
    np.testing.assert_array_equal(pixnorm.load(cut, **options), want)
    with pytest.raises(pixnorm.DecodeError):
        pixnorm.decode(cut)
    with pytest.raises(pixnorm.DecodeError):
        pixnorm.load(cut, box=(250, 0, 100, 200), size=(64, 64))


def test_load_errors() -> None:
    data = jpeg(photo(40, 50))
    with pytest.raises(TypeError, match="load: takes the encoded source"):
        pixnorm.load(data, image=np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="^mode: expected"):
        pixnorm.load(data, mode="YCbCr", size=10)
    with pytest.raises(TypeError, match="unexpected keyword argument 'sise'"):
        pixnorm.load(data, sise=10)
    # preprocess's own errors, with its messages
    with pytest.raises(ValueError, match="box"):
        pixnorm.load(data, box=(0, 0, 100, 100), size=10)
    with pytest.raises(ValueError, match="crop"):
        pixnorm.load(data, size=20, crop=30)
    with pytest.raises(pixnorm.DecodeError):
        pixnorm.load(data[: len(data) // 2], size=20)
    with pytest.raises(pixnorm.ImageTooLarge):
        pixnorm.load(data, size=20, max_pixels=100)
    with pytest.raises(TypeError, match="^source:"):
        pixnorm.load(photo(40, 50), size=20)


def psnr(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@needs_jpeg
def test_draft_accuracy_and_shape() -> None:
    """draft=True decodes at 1/2, 1/4 or 1/8 of the size in the DCT domain: the same output
    shape, values within the stated accuracy of the exact path (uint8 output compared). The
    bound, PSNR >= 27 dB, is below the worst measured here (28.3 dB: a 1/8 decode of tiles
    with hard mirrored seams, whose edges libjpeg's block-wise reduced IDCT and the
    antialiasing filter render differently); photographs measure 36-48 dB (README)."""
    big = np.concatenate([photo(375, 500)] * 3, axis=1)  # 375 x 1500
    big = np.concatenate([big, big[::-1], big], axis=0)  # 1125 x 1500
    data = jpeg(big, quality=90)
    cases: list[dict[str, Any]] = [
        {"size": 256, "crop": 224},
        {"size": 100},
        {"box": (100, 200, 800, 900), "size": (224, 224), "flip": True},
        {"size": (140, 190)},
    ]
    for options in cases:
        exact = pixnorm.load(data, dtype=np.uint8, **options)
        draft = pixnorm.load(data, dtype=np.uint8, draft=True, **options)
        assert draft.shape == exact.shape
        assert not np.array_equal(draft, exact)  # it did take the draft route
        assert psnr(draft, exact) >= 27, (options, psnr(draft, exact))
    # a size that needs more than half the image: no draft, the exact result
    options = {"size": 800, "crop": 700}
    np.testing.assert_array_equal(
        pixnorm.load(data, draft=True, **options), pixnorm.load(data, **options)
    )
    with pytest.raises(ValueError, match="^draft: not with factor or fit"):
        pixnorm.load(data, draft=True, factor=0.25)
    with pytest.raises(TypeError, match="^draft: expected a bool"):
        pixnorm.load(data, draft=1, size=10)  # type: ignore[arg-type]


def test_load_batch_equals_preprocess_batch_of_decode() -> None:
    rng = np.random.default_rng(3)
    sources: list[Any] = []
    for i in range(9):
        h, w = int(rng.integers(60, 300)), int(rng.integers(60, 300))
        sources.append(jpeg(photo(h, w), quality=85, subsampling=i % 3))
    buf = io.BytesIO()
    Image.fromarray(photo(90, 120)).save(buf, "PNG")
    sources.append(buf.getvalue())  # a PNG among them: decoded whole
    images = [pixnorm.decode(s) for s in sources]
    boxes = []
    for img in images:
        h, w = img.shape[:2]
        t, left = int(rng.integers(0, h // 2)), int(rng.integers(0, w // 2))
        boxes.append((t, left, int(rng.integers(1, h - t + 1)), int(rng.integers(1, w - left + 1))))
    flips: list[bool | str] = [bool(i % 2) for i in range(len(sources))]
    flips[3] = "both"
    before = pixnorm.get_num_threads()
    try:
        for threads in (1, 2):
            pixnorm.set_num_threads(threads)
            want = pixnorm.preprocess_batch(
                images, size=(48, 40), boxes=boxes, flips=flips, mean=MEAN, std=STD
            )
            got = pixnorm.load_batch(
                sources, size=(48, 40), boxes=boxes, flips=flips, mean=MEAN, std=STD
            )
            np.testing.assert_array_equal(got, want)
            want = pixnorm.preprocess_batch(images, size=64, crop=56, convention="torch")
            out = np.empty_like(want)
            got = pixnorm.load_batch(sources, size=64, crop=56, convention="torch", out=out)
            assert got is out
            np.testing.assert_array_equal(got, want)
    finally:
        pixnorm.set_num_threads(before)


def test_load_batch_errors() -> None:
    good = jpeg(photo(40, 50))
    with pytest.raises(TypeError, match="^sources: expected a sequence"):
        pixnorm.load_batch(good, size=(8, 8))
    with pytest.raises(ValueError, match="^sources: empty"):
        pixnorm.load_batch([], size=(8, 8))
    with pytest.raises(ValueError, match="^boxes: 1 boxes for 2 sources"):
        pixnorm.load_batch([good, good], size=(8, 8), boxes=[(0, 0, 4, 4)])
    with pytest.raises(pixnorm.DecodeError, match=r"^sources\[1\]: "):
        pixnorm.load_batch([good, good[:100]], size=(8, 8))
    with pytest.raises(TypeError, match=r"^sources\[0\]: source: expected a path"):
        pixnorm.load_batch([3], size=(8, 8))
    with pytest.raises(ValueError, match=r"^sources\[1\]: ends at .*, sources\[0\] at"):
        pixnorm.load_batch([good, jpeg(photo(60, 50))], size=20)  # (preprocess_batch's check)
    with pytest.raises(TypeError, match="draft is load's only"):
        pixnorm.load_batch([good], size=(8, 8), draft=True)
    with pytest.raises(TypeError, match=r"^load_batch: unexpected keyword argument 'flip' \(one"):
        pixnorm.load_batch([good], size=(8, 8), flip=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        pixnorm.load_batch([good], size=(8, 8), colour="gray")
    with pytest.raises(TypeError, match=r"^samples\[0\]: image: .*got bytes \(encoded bytes: "):
        pixnorm.Collate(size=(8, 8))([(good, 0)])


def test_load_batch_in_a_forked_child() -> None:
    """The decoding threads are made again in a forked child (a DataLoader worker)."""
    import multiprocessing

    data = [jpeg(photo(80, 90))] * 4
    want = pixnorm.load_batch(data, size=(32, 32))  # the parent's pool exists now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply(pixnorm.load_batch, (data,), {"size": (32, 32)})
    np.testing.assert_array_equal(got, want)


def image_folder(root: Any) -> None:
    """root/<class>/<files>: JPEGs of mixed sizes and a PNG, two classes, and a text file."""
    rng = np.random.default_rng(9)
    for c in ("cat", "dog"):
        (root / c).mkdir()
        for i in range(5):
            h, w = int(rng.integers(70, 200)), int(rng.integers(70, 200))
            Image.fromarray(photo(h, w)).save(root / c / f"{i}.jpg", quality=88)
        Image.fromarray(photo(90, 110)).save(root / c / "p.PNG")
    (root / "dog" / "notes.txt").write_text("not an image")


def test_image_folder(tmp_path: Any) -> None:
    image_folder(tmp_path)
    ds = pixnorm.data.ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert len(ds) == 12 and ds.targets == [0] * 6 + [1] * 6
    assert all(not p.endswith(".txt") for p, _ in ds.samples)
    data, label = ds[7]
    assert label == 1 and data == Path(ds.samples[7][0]).read_bytes()
    assert "12 files in 2 classes" in repr(ds)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        pixnorm.data.ImageFolder(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no class folders"):
        pixnorm.data.ImageFolder(tmp_path / "cat")
    with pytest.raises(TypeError, match="^root: expected a path"):
        pixnorm.data.ImageFolder(3)  # type: ignore[arg-type]


def test_collate_decode_equals_collate_of_decoded(tmp_path: Any) -> None:
    image_folder(tmp_path)
    ds = pixnorm.data.ImageFolder(tmp_path)
    encoded = [ds[i] for i in range(len(ds))]
    decoded = [(pixnorm.decode(b), t) for b, t in encoded]
    rng = np.random.default_rng(4)
    params = []
    for img, _ in decoded:
        h, w = img.shape[:2]
        t, left = int(rng.integers(0, h // 2)), int(rng.integers(0, w // 2))
        params.append(
            (
                t,
                left,
                int(rng.integers(1, h - t + 1)),
                int(rng.integers(1, w - left + 1)),
                bool(rng.integers(0, 2)),
            )
        )
    for conv in ("torch", "pillow", None):
        for options, with_params in (({"size": 64, "crop": 56}, False), ({"size": (40, 48)}, True)):
            plain = pixnorm.Collate(convention=conv, mean=MEAN, std=STD, **options)
            coded = pixnorm.Collate(convention=conv, mean=MEAN, std=STD, decode=True, **options)
            a = (
                [(img, t, p) for (img, t), p in zip(decoded, params, strict=True)]
                if with_params
                else decoded
            )
            b = (
                [(d, t, p) for (d, t), p in zip(encoded, params, strict=True)]
                if with_params
                else encoded
            )
            want, got = plain(a), coded(b)
            np.testing.assert_array_equal(np.asarray(got[0]), np.asarray(want[0]))
            np.testing.assert_array_equal(np.asarray(got[1]), np.asarray(want[1]))
    assert "decode=True, mode='RGB'" in repr(pixnorm.Collate(size=8, decode=True))
    with pytest.raises(TypeError, match="^decode: expected a bool"):
        pixnorm.Collate(size=8, decode=1)  # type: ignore[arg-type]
    with pytest.raises(pixnorm.DecodeError, match=r"^samples\[1\]: "):
        pixnorm.Collate(size=(8, 8), decode=True)([encoded[0], (b"\xff\xd8\xff junk", 0)])


def test_collate_decode_in_a_dataloader(tmp_path: Any) -> None:
    """The complete loader of the README: ImageFolder's bytes, decoded and preprocessed by
    Collate(decode=True) in two worker processes."""
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    image_folder(tmp_path)
    ds = pixnorm.data.ImageFolder(tmp_path)
    collate = pixnorm.Collate(size=64, crop=56, mean=MEAN, std=STD, decode=True)
    loader = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=collate)
    batches = list(loader)
    x = torch.cat([b[0] for b in batches]).numpy()
    labels = torch.cat([b[1] for b in batches]).numpy()
    plain = pixnorm.Collate(size=64, crop=56, mean=MEAN, std=STD)
    want = plain([(pixnorm.decode(ds.samples[i][0]), ds.samples[i][1]) for i in range(len(ds))])
    np.testing.assert_array_equal(x, want[0].numpy())
    np.testing.assert_array_equal(labels, want[1].numpy())


class _SharedInWorker:
    """A collate_fn reporting, from the worker, whether Collate's batch is already in shared
    memory there (then the worker's queue sends it without copying it first)."""

    def __init__(self, collate: Any) -> None:
        self.collate = collate

    def __call__(self, samples: Any) -> Any:
        x, labels = self.collate(samples)
        return x.is_shared(), x.clone(), labels


def test_collate_batch_in_shared_memory_in_workers(tmp_path: Any) -> None:
    """In a worker the batch is written straight into shared memory, as default_collate does;
    in the main process it is a plain tensor (pin_memory= keeps its meaning there)."""
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    image_folder(tmp_path)
    ds = pixnorm.data.ImageFolder(tmp_path)
    for dtype in (None, torch.bfloat16, torch.uint8):
        kw: dict[str, Any] = {"mean": MEAN, "std": STD} if dtype is None else {}
        collate = pixnorm.Collate(size=32, crop=24, decode=True, dtype=dtype, **kw)
        loader = DataLoader(ds, batch_size=3, num_workers=1, collate_fn=_SharedInWorker(collate))
        got = list(loader)
        assert all(shared for shared, _, _ in got)
        x = torch.cat([b for _, b, _ in got])
        want = collate([ds[i] for i in range(len(ds))])[0]
        assert not want.is_shared()
        assert x.dtype == want.dtype
        np.testing.assert_array_equal(x.view(torch.uint8).numpy(), want.view(torch.uint8).numpy())


@needs_jpeg
@pytest.mark.parametrize("conv,aa", CONVENTIONS)
def test_stale_scratch_memory_is_never_read(conv: str | None, aa: bool) -> None:
    """load and Collate(decode=True) decode into reused memory and write only the window the
    pass reads: whatever the memory held before (all 0, all 255) never reaches the output."""
    from pixnorm._load import _scratch

    img = photo()
    data = jpeg(img, quality=85, subsampling=2)
    rng = np.random.default_rng(7)
    for _ in range(12):
        options = {"convention": conv, "antialias": aa, **random_options(rng, H, W)}
        if conv == "opencv" and "factor" in options:
            options["rounding"] = None
        try:
            want = pixnorm.preprocess(pixnorm.decode(data), **options)
        except ValueError:
            continue  # a combination this convention refuses
        drafts = []
        for poison in (0, 255):
            _scratch(H * W * 3)[:] = poison
            np.testing.assert_array_equal(pixnorm.load(data, **options), want)
            if "factor" not in options and "fit" not in options:  # draft=True refuses them
                _scratch(H * W * 3)[:] = poison
                drafts.append(pixnorm.load(data, draft=True, **options))
        if drafts:
            np.testing.assert_array_equal(drafts[0], drafts[1])
    sizes = [(H, W), (W // 2, H // 2)]
    samples = [(jpeg(photo(h, w), quality=90), i) for i, (h, w) in enumerate(sizes)]
    coll = pixnorm.Collate(size=48, crop=40, convention=conv, antialias=aa, decode=True)
    plain = pixnorm.Collate(size=48, crop=40, convention=conv, antialias=aa)
    want_batch = np.asarray(plain([(pixnorm.decode(d), t) for d, t in samples])[0])
    for poison in (0, 255):
        _scratch(2 * H * W * 3)[:] = poison
        np.testing.assert_array_equal(np.asarray(coll(samples)[0]), want_batch)


@needs_jpeg
def test_a_call_reentered_on_the_same_thread_gets_its_own_memory() -> None:
    """load decodes into this thread's reused buffer: a load run while it is in use (from an
    argument's conversion or a finalizer, on the same thread) gets new memory, so neither call
    sees the other's pixels (the hostile review: the outer call returned the inner image)."""
    a = jpeg(np.full((64, 64, 3), 20, np.uint8), quality=95)
    b = jpeg(np.full((64, 64, 3), 230, np.uint8), quality=95)
    inner: list[Any] = []

    class Mean:
        def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
            inner.append(pixnorm.load(b, size=32, layout="HWC", dtype=np.uint8))
            return np.zeros(3)

    got = pixnorm.load(a, size=32, mean=Mean(), std=[1.0] * 3, scale=1.0, layout="HWC")
    want = pixnorm.preprocess(pixnorm.decode(a), size=32, scale=1.0, layout="HWC")
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        inner[0], pixnorm.preprocess(pixnorm.decode(b), size=32, layout="HWC", dtype=np.uint8)
    )


@needs_jpeg
@pytest.mark.parametrize("chunk_bytes", [1, 40_000, 1 << 20])
def test_batches_decode_in_chunks_with_the_same_bits(
    monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    """load_batch and Collate(decode=True) decode and resize a batch in chunks (each decoded
    just before it is resized, while it is in the cache): one image per chunk, a few, or all
    of them. Every output option gives the bits of one call on the decoded batch."""
    import pixnorm._load as load_module

    monkeypatch.setattr(load_module, "_CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(11)
    sources: list[Any] = [
        jpeg(photo(int(rng.integers(50, 160)), int(rng.integers(60, 160))), quality=90)
        for _ in range(7)
    ]
    buf = io.BytesIO()
    Image.fromarray(photo(70, 60)).save(buf, "PNG")
    sources.insert(3, buf.getvalue())  # decoded whole, among the chunks
    images = [pixnorm.decode(s) for s in sources]
    boxes = [(i, 2 * i, 30, 35) for i in range(len(sources))]
    flips: list[bool | str] = ["both", True, False, "vertical", True, False, True, False]
    mean_image = rng.uniform(0.3, 0.6, (3, 24, 20)).astype(np.float32)
    cases: list[dict[str, Any]] = [
        {"size": (24, 20), "boxes": boxes, "flips": flips, "mean": MEAN, "std": STD},
        {"size": 32, "crop": (24, 20), "convention": "torch", "dtype": np.float16},
        {"size": 32, "crop": (24, 20), "convention": "pillow", "color": "gray"},
        {"size": (24, 20), "dtype": np.uint8, "layout": "HWC", "interpolation": "bicubic"},
        {"size": (24, 20), "mean": mean_image, "std": 0.25},  # per-pixel
        {"size": (24, 20), "fit": "contain", "fill": 0.0},  # decoded whole first
        {"size": (24, 20), "angles": [10.0 * i for i in range(len(sources))]},  # likewise
    ]
    before = pixnorm.get_num_threads()
    try:
        for threads in (1, 2):
            pixnorm.set_num_threads(threads)
            for options in cases:
                want = pixnorm.preprocess_batch(images, **options)
                np.testing.assert_array_equal(pixnorm.load_batch(sources, **options), want)
                out = np.full_like(want, 7)
                assert pixnorm.load_batch(sources, out=out, **options) is out
                np.testing.assert_array_equal(out, want)
            for options in cases[:5]:
                kw = {k: v for k, v in options.items() if k not in ("boxes", "flips")}
                samples = [(s, i) for i, s in enumerate(sources)]
                plain = pixnorm.Collate(**kw)([(img, i) for i, img in enumerate(images)])
                coded = pixnorm.Collate(decode=True, **kw)(samples)
                np.testing.assert_array_equal(np.asarray(coded[0]), np.asarray(plain[0]))
    finally:
        pixnorm.set_num_threads(before)


@needs_jpeg
def test_batches_in_chunks_are_checked_whole_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch runs in chunks, but the whole call is checked before anything is decoded:
    a mismatch in a later chunk (channels, out's shape) is the one-call error, named as in
    preprocess_batch, and leaves out as it was; a source whose data fails later names its
    index in the batch."""
    import pixnorm._load as load_module

    monkeypatch.setattr(load_module, "_CHUNK_BYTES", 1)  # one image per chunk
    rgb = jpeg(photo(60, 70))
    gray = jpeg(photo(60, 70)[..., 0])
    out = np.full((3, 3, 16, 16), 7.0, np.float32)
    with pytest.raises(ValueError, match=r"^sources\[2\]: has 1 channel, the first image has 3"):
        pixnorm.load_batch([rgb, rgb, gray], size=(16, 16), mode=None, out=out)
    assert (out == 7.0).all()
    with pytest.raises(ValueError, match=r"^out: "):
        pixnorm.load_batch([rgb, rgb, rgb, rgb], size=(16, 16), out=out)
    assert (out == 7.0).all()
    with pytest.raises(ValueError, match=r"^samples\[2\]: has 1 channel"):
        pixnorm.Collate(size=(16, 16), decode=True, mode=None)([(rgb, 0), (rgb, 1), (gray, 2)])
    truncated = rgb[: len(rgb) // 2]  # its header is whole: it fails when decoded
    with pytest.raises(pixnorm.DecodeError, match=r"^sources\[2\]: "):
        pixnorm.load_batch([rgb, rgb, truncated, rgb], size=(16, 16))
    with pytest.raises(pixnorm.DecodeError, match=r"^samples\[1\]: "):
        pixnorm.Collate(size=(16, 16), decode=True)([(rgb, 0), (truncated, 1)])


def test_chunks_split_by_decoded_bytes_per_thread() -> None:
    from pixnorm._load import _CHUNK_BYTES, _chunks

    big, small = 600_000, 3_000
    assert _chunks([big] * 4, 1) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert _chunks([big] * 5, 2) == [(0, 3), (3, 5)]  # 3 x 600 KB within 2 x 1 MiB
    assert _chunks([small] * 300, 1) == [(0, 300)]
    assert _chunks([0, big, 0, big], 1) == [(0, 3), (3, 4)]  # decoded already: adds no bytes
    assert _chunks([_CHUNK_BYTES * 3], 2) == [(0, 1)]  # one image above the budget
    assert _chunks([big, big], 4) == [(0, 2)]  # at least one image per thread


def test_populate_maps_pages_without_changing_them() -> None:
    """Collate maps a worker's new shared-memory batch in one call (pixnorm._core._populate:
    madvise(MADV_POPULATE_WRITE), Linux 5.14+); it never changes the contents, and refuses
    what it cannot cover as one range."""
    import platform
    import re
    import sys

    from pixnorm import _core

    a = np.arange(300_000, dtype=np.float32).reshape(600, 500)
    before = a.copy()
    done = _core._populate(a)
    found = re.match(r"(\d+)\.(\d+)", platform.release())
    if sys.platform.startswith("linux") and found:
        assert done == ((int(found[1]), int(found[2])) >= (5, 14))
    np.testing.assert_array_equal(a, before)
    assert not _core._populate(a[:, ::2])  # not contiguous
    assert not _core._populate(np.zeros(0, np.uint8))
    with pytest.raises(ValueError, match="read-only"):
        _core._populate(np.frombuffer(b"abc", np.uint8))


def test_decoding_threads_end_before_a_batch_call_returns() -> None:
    """The hostile review: a batch whose chunk failed returned while other threads were still
    decoding into the reused buffer (the next call's pixels were overwritten), and the decoding
    pool was rebuilt whenever a chunk was smaller than the thread count (a call running on the
    old pool then failed). _on_threads waits for every item, raises the first error by index,
    skips the items not yet started, and keeps one pool."""
    import threading
    import time

    from pixnorm import _load

    before = pixnorm.get_num_threads()
    try:
        pixnorm.set_num_threads(3)
        if pixnorm.get_num_threads() < 3:
            pytest.skip("a build without threads decodes the items in turn")
        ended: list[int] = []
        started = threading.Barrier(3, timeout=30)

        def work(i: int) -> int:
            started.wait()  # all three running (a pool thread each)
            if i == 0:  # fails while the others are decoding
                raise ValueError("first")
            time.sleep(0.1)
            ended.append(i)
            return i

        with pytest.raises(ValueError, match="^first$"):
            _load._on_threads(work, 3)
        assert sorted(ended) == [1, 2]  # both had ended when the error came back
        assert _load._on_threads(lambda i: i * i, 7) == [i * i for i in range(7)]
        pool = _load._POOL["executor"]
        _load._on_threads(lambda i: i, 2)  # fewer items than threads: the same pool
        assert _load._POOL["executor"] is pool
        failures: list[BaseException] = []

        def caller(k: int) -> None:
            try:
                for m in range(40):
                    assert _load._on_threads(lambda i: i + k, 2 + m % 5) == [
                        i + k for i in range(2 + m % 5)
                    ]
            except BaseException as e:  # noqa: BLE001
                failures.append(e)

        callers = [threading.Thread(target=caller, args=(k,)) for k in range(3)]
        for t in callers:
            t.start()
        for t in callers:
            t.join()
        assert not failures
        pixnorm.set_num_threads(4)  # more threads: a larger pool
        assert _load._on_threads(lambda i: i, 4) == [0, 1, 2, 3]
        assert _load._POOL["workers"] >= 4
    finally:
        pixnorm.set_num_threads(before)
