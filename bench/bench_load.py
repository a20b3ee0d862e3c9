"""Benchmark JPEG bytes -> normalized tensor (issue 17): ``pixnorm.load`` (decoding only the
window the output reads) against decoding whole and then preprocessing, with Pillow, with
``pixnorm.decode``, with torchvision v2 (``decode_jpeg`` + transforms) and with NVIDIA DALI's
CPU pipeline, where they are installed.

Images: photographs (scikit-image's, tiled into a mosaic at their own resolution, so the JPEG
has a photograph's detail), encoded by Pillow at quality 90 with 4:2:0 chroma: 500x375 (an
ImageNet-sized photo) and 1920x1080.

Cases (one thread everywhere: pixnorm, torch, OpenCV, DALI):
- eval: Resize(256) + CenterCrop(224) + ToTensor + Normalize(ImageNet), on 500x375 and
  1920x1080;
- train: RandomResizedCrop(224) + horizontal flip: the boxes (torchvision's algorithm, fixed
  seed) and flips are drawn once, and every candidate cycles through the same 64 (DALI draws
  its own, with the same scale and ratio ranges).

Each pixnorm candidate is checked bit for bit against ``preprocess(decode(...))`` (and
torchvision's result against ``load(convention="torch")``) before timing. DALI runs batches of
32 (its natural use; per image in the table); the others one image per call. Method: rounds
of every candidate in a rotated order; a row is the median over rounds of the median call.
Read the ratios; the load average is printed. Timings are printed, never asserted.

Usage::

    python bench/bench_load.py            # full run (about two minutes)
    python bench/bench_load.py --quick    # smoke run
"""

from __future__ import annotations

import _quiet_blas  # noqa: F401  (first, before numpy: one OpenBLAS thread)

# isort: split
import argparse
import io
import os
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
from _timing import cpu_model, rotated_rounds

import pixnorm

try:
    from PIL import Image
except ImportError:  # depends on the environment
    Image = None
try:
    import torch
    import torchvision
    from torchvision.transforms import v2
except ImportError:  # depends on the environment
    torch = torchvision = v2 = None
try:
    from nvidia.dali import fn, pipeline_def, types
except ImportError:  # depends on the environment
    fn = pipeline_def = types = None

M = [0.485, 0.456, 0.406]
S = [0.229, 0.224, 0.225]
DALI_BATCH = 32


def mosaic(h: int, w: int) -> np.ndarray[Any, Any]:
    """Photographs tiled at their own resolution (mirrored in turn) into an h x w image."""
    from skimage import data

    photos = [
        data.astronaut(),
        data.coffee(),
        data.chelsea(),
        data.rocket(),
        data.immunohistochemistry(),
    ]
    out = np.zeros((h, w, 3), np.uint8)
    y = k = 0
    while y < h:
        x, row_h = 0, 0
        while x < w:
            p = photos[k % len(photos)]
            p = p[:, ::-1] if (k // len(photos)) % 2 else p
            k += 1
            ph, pw = min(p.shape[0], h - y), min(p.shape[1], w - x)
            out[y : y + ph, x : x + pw] = p[:ph, :pw]
            x += pw
            row_h = max(row_h, ph)
        y += row_h
    return out


def jpeg(arr: np.ndarray[Any, Any]) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=90, subsampling=2)
    return buf.getvalue()


def rrc_boxes(h: int, w: int, n: int) -> list[tuple[int, int, int, int]]:
    """n RandomResizedCrop boxes (torchvision's algorithm: ten tries, then the centre)."""
    rng = np.random.default_rng(0)
    boxes = []
    for _ in range(n):
        area = h * w
        for _ in range(10):
            target = area * rng.uniform(0.08, 1.0)
            ratio = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
            bw = int(round(np.sqrt(target * ratio)))
            bh = int(round(np.sqrt(target / ratio)))
            if 0 < bw <= w and 0 < bh <= h:
                boxes.append(
                    (int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1)), bh, bw)
                )
                break
        else:
            s = min(h, w)
            boxes.append(((h - s) // 2, (w - s) // 2, s, s))
    return boxes


def cycle(items: list[Any]) -> Callable[[], Any]:
    state = {"i": 0}

    def nxt() -> Any:
        item = items[state["i"] % len(items)]
        state["i"] += 1
        return item

    return nxt


def dali_eval(data: bytes) -> Callable[[], object] | None:
    if pipeline_def is None:
        return None

    @pipeline_def(batch_size=DALI_BATCH, num_threads=1, device_id=None, prefetch_queue_depth=1)
    def pipe() -> Any:
        jpegs = fn.external_source(source=lambda: [np.frombuffer(data, np.uint8)] * DALI_BATCH)
        img = fn.decoders.image(jpegs, device="cpu", output_type=types.RGB)
        img = fn.resize(img, resize_shorter=256, antialias=True, interp_type=types.INTERP_LINEAR)
        return fn.crop_mirror_normalize(
            img, crop=(224, 224), mean=[m * 255 for m in M], std=[s * 255 for s in S],
            dtype=types.FLOAT, output_layout="CHW",
        )  # fmt: skip

    p = pipe()
    p.build()
    return lambda: p.run()


def dali_train(data: bytes) -> Callable[[], object] | None:
    if pipeline_def is None:
        return None

    @pipeline_def(
        batch_size=DALI_BATCH, num_threads=1, device_id=None, prefetch_queue_depth=1, seed=0
    )
    def pipe() -> Any:
        jpegs = fn.external_source(source=lambda: [np.frombuffer(data, np.uint8)] * DALI_BATCH)
        img = fn.decoders.image_random_crop(
            jpegs, device="cpu", output_type=types.RGB, random_area=[0.08, 1.0],
            random_aspect_ratio=[3 / 4, 4 / 3], num_attempts=10,
        )  # fmt: skip
        img = fn.resize(img, resize_x=224, resize_y=224, antialias=True)
        return fn.crop_mirror_normalize(
            img, mirror=fn.random.coin_flip(), mean=[m * 255 for m in M],
            std=[s * 255 for s in S], dtype=types.FLOAT, output_layout="CHW",
        )  # fmt: skip

    p = pipe()
    p.build()
    return lambda: p.run()


def candidates(
    name: str, data: bytes, train: bool
) -> list[tuple[str, str, Callable[[], object], int]]:
    """(case, label, fn, images per call)."""
    full = pixnorm.decode(data)
    h, w = full.shape[:2]
    norm = {"mean": M, "std": S}
    out: list[tuple[str, str, Callable[[], object], int]] = []
    if not train:
        opts: dict[str, Any] = {"size": 256, "crop": 224, **norm}
        want = pixnorm.preprocess(full, **opts)
        assert np.array_equal(pixnorm.load(data, **opts), want)
        out.append((name, "pixnorm.load", lambda: pixnorm.load(data, **opts), 1))
        if min(h, w) >= 512:  # draft=True shrinks by 1/2 at least: a large image
            exact = pixnorm.load(data, size=256, crop=224, dtype=np.uint8).astype(np.float64)
            rough = pixnorm.load(data, size=256, crop=224, dtype=np.uint8, draft=True)
            mse = float(np.mean((rough - exact) ** 2))
            worst = np.abs(rough - exact).max()
            err = f"{10 * np.log10(255**2 / mse):.1f} dB, max {worst:.0f} levels"
            draft = lambda: pixnorm.load(data, draft=True, **opts)  # noqa: E731
            out.append((name, f"pixnorm.load(draft=True) ({err} from exact)", draft, 1))
        out.append(
            (
                name,
                "pixnorm.decode + preprocess",
                lambda: pixnorm.preprocess(pixnorm.decode(data), **opts),
                1,
            )
        )
        if Image is not None:

            def pil() -> object:
                img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
                return pixnorm.preprocess(img, **opts)

            assert np.array_equal(pil(), want)
            out.append((name, "PIL decode + pixnorm.preprocess", pil, 1))
        if torch is not None:
            tv = v2.Compose([
                v2.Resize(256, antialias=True), v2.CenterCrop(224),
                v2.ToDtype(torch.float32, scale=True), v2.Normalize(M, S),
            ])  # fmt: skip
            raw = torch.frombuffer(bytearray(data), dtype=torch.uint8)
            tvf = lambda: tv(torchvision.io.decode_jpeg(raw))  # noqa: E731
            mine = pixnorm.load(data, convention="torch", **opts)
            same = np.array_equal(tvf().numpy(), mine)
            out.append(
                (
                    name,
                    f"torchvision v2 (decode_jpeg + transforms){'' if same else ' [differs]'}",
                    tvf,
                    1,
                )
            )
        d = dali_eval(data)
        if d is not None:
            out.append((name, f"DALI CPU pipeline (batches of {DALI_BATCH})", d, DALI_BATCH))
        return out
    boxes = rrc_boxes(h, w, 64)
    flips = [bool(i % 2) for i in range(64)]
    params = list(zip(boxes, flips, strict=True))
    opts = {"size": (224, 224), **norm}
    for box, flip in params[:8]:
        want = pixnorm.preprocess(full, box=box, flip=flip, **opts)
        assert np.array_equal(pixnorm.load(data, box=box, flip=flip, **opts), want)
    nxt1, nxt2, nxt3 = cycle(params), cycle(params), cycle(params)

    def load() -> object:
        box, flip = nxt1()
        return pixnorm.load(data, box=box, flip=flip, **opts)

    def whole() -> object:
        box, flip = nxt2()
        return pixnorm.preprocess(pixnorm.decode(data), box=box, flip=flip, **opts)

    out.append((name, "pixnorm.load (box)", load, 1))
    out.append((name, "pixnorm.decode + preprocess", whole, 1))
    if Image is not None:

        def pil() -> object:
            box, flip = nxt3()
            img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
            return pixnorm.preprocess(img, box=box, flip=flip, **opts)

        out.append((name, "PIL decode + pixnorm.preprocess", pil, 1))
    if torch is not None:
        raw = torch.frombuffer(bytearray(data), dtype=torch.uint8)
        nxt4 = cycle(params)
        post = v2.Compose([v2.ToDtype(torch.float32, scale=True), v2.Normalize(M, S)])

        def tv() -> object:
            (t, left, bh, bw), flip = nxt4()
            img = v2.functional.resized_crop(
                torchvision.io.decode_jpeg(raw), t, left, bh, bw, [224, 224], antialias=True
            )
            return post(v2.functional.horizontal_flip(img) if flip else img)

        out.append((name, "torchvision v2 (decode_jpeg + transforms)", tv, 1))
    d = dali_train(data)
    if d is not None:
        out.append((name, f"DALI CPU image_random_crop (batches of {DALI_BATCH})", d, DALI_BATCH))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args()
    pixnorm.set_num_threads(1)
    if torch is not None:
        torch.set_num_threads(1)
    if Image is None:
        raise SystemExit("bench_load needs Pillow (to encode the test JPEGs)")
    rounds, calls = (2, 3) if args.quick else (15, 15)
    small = jpeg(mosaic(375, 500))
    big = jpeg(mosaic(1080, 1920))
    flat = []
    per: dict[tuple[str, str], int] = {}
    for case, data, train in [
        ("eval 500x375 -> 224", small, False),
        ("eval 1920x1080 -> 224", big, False),
        ("train RRC 500x375 -> 224 + flip", small, True),
    ]:
        for c, label, f, n in candidates(case, data, train):
            flat.append((c, label, f))
            per[(c, label)] = n
    samples = rotated_rounds(flat, rounds, calls)
    print(f"- CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    libs = [f"pixnorm {pixnorm.__version__} ({pixnorm.build_info()['codecs']['jpeg']})"]
    if torch is not None:
        libs.append(f"torch {torch.__version__}, torchvision {torchvision.__version__}")
    if Image is not None:
        from PIL import __version__ as pil_version

        libs.append(f"Pillow {pil_version}")
    if pipeline_def is not None:
        import nvidia.dali

        libs.append(f"DALI {nvidia.dali.__version__}")
    print(
        f"- {'; '.join(libs)}; JPEG quality 90, 4:2:0; 1 thread; {rounds} rounds of {calls} calls\n"
    )
    print("| case | candidate | us per image | vs pixnorm.load |")
    print("|---|---|---:|---:|")
    for case in dict.fromkeys(c for c, _, _ in flat):
        rows = [
            (lbl, statistics.median(v) / per[(c, lbl)])
            for (c, lbl), v in samples.items()
            if c == case
        ]
        base = rows[0][1]
        for lbl, t in rows:
            print(f"| {case} | {lbl} | {t:,.0f} | {t / base:.2f}x |")


if __name__ == "__main__":
    main()
