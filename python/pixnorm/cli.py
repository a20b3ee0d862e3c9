"""``python -m pixnorm stats``: per-channel (and per-pixel) statistics of image files.

Reads the images under the given paths recursively, decoded with Pillow, in one process or in
``--workers`` spawned processes that each keep a :class:`pixnorm.RunningStats` and merge them
(the result equals a single pass: uint8 sums are exact integers). Prints the per-channel mean
and std ready to paste as ``Normalize(mean=[...], std=[...])``; ``--json`` writes everything,
``--plot`` draws the mean image, the std image and histograms of one sample before and after
normalization. Without a path it runs on the 100 faces of Labeled Faces in the Wild that
scikit-image ships (``skimage.data.lfw_subset()``).

Exit status: 0 on success (unreadable files are skipped, counted and listed), 1 when no image
could be read or the statistics cannot be combined, 2 for usage errors (a path that does not
exist, no images under the paths, a missing optional dependency).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

import pixnorm

from .stats import RunningStats

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
MODES = ("RGB", "L", "keep")
PLOT_SIZE = (12.0, 8.0)  # inches; at PLOT_DPI the PNG is 1200 x 800 pixels
PLOT_DPI = 100

Array = np.ndarray[Any, Any]
Skipped = list[tuple[str, str]]


class UsageError(Exception):
    """Bad command-line input: reported on stderr with exit status 2."""


def add_stats_parser(sub: Any) -> None:
    p = sub.add_parser(
        "stats",
        help="per-channel (and per-pixel) mean/std of a folder of images",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="image files or folders (searched recursively for "
        + ", ".join(IMAGE_EXTENSIONS)
        + "); none: the LFW faces of scikit-image",
    )
    p.add_argument(
        "--size",
        nargs=2,
        type=int,
        metavar=("H", "W"),
        help="resize every image to H x W first (pixnorm.resize)",
    )
    p.add_argument("--per-pixel", action="store_true", help="also the mean and std images")
    p.add_argument(
        "--mode",
        choices=MODES,
        default="RGB",
        help="convert to RGB (default) or L (gray), or keep L/LA/RGB/RGBA/F as decoded",
    )
    p.add_argument("--workers", type=int, default=1, metavar="N", help="processes (default 1)")
    p.add_argument("--json", metavar="FILE", help="write the statistics as JSON")
    p.add_argument("--plot", metavar="FILE.png", help="write a PNG of the statistics")
    p.add_argument(
        "--progress",
        choices=("auto", "on", "off"),
        default="auto",
        help="progress bar on stderr (auto: when stderr is a terminal and tqdm is installed)",
    )


# ----------------------------------------------------------------------------------------------
# Finding and reading images


def find_images(paths: Sequence[str]) -> list[Path]:
    """Image files under `paths`, sorted; files named explicitly are taken whatever their
    extension."""
    found: list[Path] = []
    for text in paths:
        p = Path(text)
        if p.is_dir():
            found.extend(
                sorted(
                    f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS
                )
            )
        elif p.is_file():
            found.append(p)
        else:
            raise UsageError(f"{text}: no such file or directory")
    if not found:
        raise UsageError(
            f"no images ({', '.join(IMAGE_EXTENSIONS)}) found under: {', '.join(paths)}"
        )
    return found


def load_image(path: str | Path, mode: str) -> Array:
    """Decode one file with Pillow: uint8 (H, W) or (H, W, C), or float32 for mode F."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        if mode == "keep":
            if im.mode not in ("L", "LA", "RGB", "RGBA", "F"):
                im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        elif im.mode != mode:
            im = im.convert(mode)
        arr: Array = np.asarray(im)
        return arr


def demo_images(mode: str) -> Array:
    """The 100 faces of skimage.data.lfw_subset() as uint8 (N, 25, 25[, 3])."""
    try:
        from skimage import data
    except ImportError:
        raise UsageError(
            "no PATH given, and the demo data set needs scikit-image: "
            "pip install 'pixnorm[demo]', or pass image files or folders"
        ) from None
    faces: Array = np.round(data.lfw_subset()[:100] * 255).astype(np.uint8)  # float64, [0, 1]
    if mode == "RGB":
        faces = np.repeat(faces[..., None], 3, axis=-1)
    return faces


Like = tuple[str, int, tuple[int, int]]  # dtype, channels, (H, W) of the first image


def accumulate(
    paths: Sequence[str],
    mode: str,
    per_pixel: bool,
    size: tuple[int, int] | None,
    like: Like | None = None,
    progress: Any = None,
) -> tuple[RunningStats, Skipped, Array | None]:
    """Statistics of the usable files among `paths`, the skipped ones with the reason, and the
    first image used (a sample for the plot). `like` fixes the dtype, channel count and shape
    that the first image of the whole run had, so a worker skips exactly the files a single
    pass would. Runs in worker processes: keep it a module-level function."""
    stats = RunningStats(per_pixel=per_pixel, size=size)
    if like is not None:
        stats._expect(*like)
    skipped: Skipped = []
    sample = None
    for path in paths:
        try:
            img = load_image(path, mode)
        except Exception as e:  # Pillow raises many kinds for corrupt files: never fatal
            skipped.append((str(path), f"unreadable ({type(e).__name__}: {e})"))
        else:
            try:
                stats.update(img)
                sample = img if sample is None else sample
            except (TypeError, ValueError) as e:
                skipped.append((str(path), str(e)))
        if progress is not None:
            progress.update(1)
    return stats, skipped, sample


def first_like(paths: Sequence[str], mode: str, size: tuple[int, int] | None) -> Like | None:
    """dtype, channels and (H, W) (after `size`) of the first readable image."""
    for path in paths:
        try:
            img = load_image(path, mode)
        except Exception:
            continue
        if img.dtype not in (np.uint8, np.float32):
            return None  # every file will be skipped with the reason
        channels = img.shape[2] if img.ndim == 3 else 1
        shape = size if size is not None else (img.shape[0], img.shape[1])
        return ("uint8" if img.dtype == np.uint8 else "float32", channels, shape)
    return None


# ----------------------------------------------------------------------------------------------
# Progress


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, setting: str) -> Any:
    if setting == "off" or (setting == "auto" and not sys.stderr.isatty()):
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        if setting == "on":
            raise UsageError("--progress on needs tqdm: pip install 'pixnorm[cli]'") from None
        return _NoBar()
    return tqdm(total=total, unit="img", file=sys.stderr, dynamic_ncols=True)


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def run_files(
    paths: Sequence[str], args: argparse.Namespace, size: tuple[int, int] | None
) -> tuple[RunningStats, Skipped, Array | None]:
    """One pass in this process, or `args.workers` spawned processes on chunks of paths,
    merged in path order (for uint8 the result is the same either way)."""
    bar = _progress(len(paths), args.progress)
    try:
        if args.workers == 1:
            return accumulate(paths, args.mode, args.per_pixel, size, progress=bar)
        like = first_like(paths, args.mode, size)
        chunk = max(1, min(64, math.ceil(len(paths) / (4 * args.workers))))
        parts = list(_chunks(paths, chunk))
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.workers, mp_context=ctx) as pool:
            futures = [
                pool.submit(accumulate, part, args.mode, args.per_pixel, size, like)
                for part in parts
            ]
            sizes = {f: len(part) for f, part in zip(futures, parts, strict=True)}
            for f in as_completed(futures):
                bar.update(sizes[f])
            results = [f.result() for f in futures]
    finally:
        bar.close()
    total = RunningStats(per_pixel=args.per_pixel, size=size)
    skipped: Skipped = []
    sample = None
    for s, k, first in results:
        total.merge(s)
        skipped += k
        sample = first if sample is None else sample
    return total, skipped, sample


# ----------------------------------------------------------------------------------------------
# Output


def _fmt(values: Iterable[float]) -> str:
    return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"


def summary(stats: RunningStats, skipped: Skipped, source: str) -> dict[str, Any]:
    mean01, std01 = stats.mean01, stats.std01()
    out: dict[str, Any] = {
        "source": source,
        "images": stats.n_images,
        "pixels_per_channel": stats.count,
        "dtype": stats.dtype,
        "channels": stats.channels,
        "mean": stats.mean.tolist(),
        "std": stats.std().tolist(),
        "min": stats.min.tolist(),
        "max": stats.max.tolist(),
        "normalize": {"mean": mean01.tolist(), "std": std01.tolist()},
        "skipped": [{"path": p, "reason": r} for p, r in skipped],
        "stats": stats.to_dict(),
    }
    return out


def print_summary(stats: RunningStats, skipped: Skipped, source: str) -> None:
    unit = " (0..255)" if stats.dtype == "uint8" else ""
    print(
        f"{stats.n_images} images from {source}: {stats.dtype}, {stats.channels} channel(s), "
        f"{stats.count} pixels per channel"
    )
    print(f"  mean{unit}: {_fmt(stats.mean)}")
    print(f"  std{unit}:  {_fmt(stats.std())}")
    print(f"  min, max: {stats.min.tolist()}, {stats.max.tolist()}")
    print(f"Normalize(mean={_fmt(stats.mean01)}, std={_fmt(stats.std01())})")
    if skipped:
        print(f"skipped {len(skipped)} file(s):", file=sys.stderr)
        for path, reason in skipped:
            print(f"  {path}: {reason}", file=sys.stderr)


def _display(img: Array, unit: float) -> Array:
    x = np.clip(np.asarray(img, np.float64) / unit, 0, 1)
    if x.ndim == 3 and x.shape[-1] not in (3, 4):
        x = x[..., 0]
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    return x


def plot(stats: RunningStats, sample: Array | None, path: str, title: str) -> None:
    """Mean image, std image, the sample, and per-channel histograms of the sample before and
    after normalization with the computed mean/std. PLOT_SIZE * PLOT_DPI pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=PLOT_SIZE, dpi=PLOT_DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3)
    unit = 255.0 if stats.dtype == "uint8" else 1.0
    fig.suptitle(title)
    if stats.per_pixel:
        axes[0, 0].imshow(_display(stats.mean_image, unit), cmap="gray", vmin=0, vmax=1)
        axes[0, 0].set_title("mean image")
        std = stats.std_image().mean(axis=-1)
        im = axes[0, 1].imshow(std, cmap="magma")
        fig.colorbar(im, ax=axes[0, 1], fraction=0.046)
        axes[0, 1].set_title("std image (mean over channels)")
    else:
        for ax, name in ((axes[0, 0], "mean image"), (axes[0, 1], "std image")):
            ax.text(0.5, 0.5, f"{name}:\nrun with --per-pixel", ha="center", va="center")
    colors = ("tab:red", "tab:green", "tab:blue", "tab:gray")
    if sample is not None:
        axes[0, 2].imshow(_display(sample, unit), cmap="gray", vmin=0, vmax=1)
        axes[0, 2].set_title("sample")
        x = sample if sample.ndim == 3 else sample[..., None]
        norm = pixnorm.normalize(x, stats.mean01, stats.std01())
        for c in range(x.shape[-1]):
            color = colors[c] if x.shape[-1] > 1 else "black"
            axes[1, 0].hist(x[..., c].ravel(), bins=64, histtype="step", color=color)
            axes[1, 1].hist(norm[c].ravel(), bins=64, histtype="step", color=color)
        axes[1, 0].set_title("sample, per channel, before")
        axes[1, 1].set_title("after normalize(mean01, std01)")
    axes[1, 2].axis("off")
    axes[1, 2].text(
        0.0,
        0.5,
        f"images: {stats.n_images}\nmean: {_fmt(stats.mean01)}\nstd:  {_fmt(stats.std01())}",
        family="monospace",
        va="center",
    )
    for ax in (axes[0, 0], axes[0, 1], axes[0, 2]):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.savefig(path, dpi=PLOT_DPI)


# ----------------------------------------------------------------------------------------------
# Entry point


def run_stats(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except UsageError as e:
        print(f"pixnorm stats: error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise UsageError(f"--workers: expected N >= 1, got {args.workers}")
    size = tuple(args.size) if args.size else None
    if size is not None and min(size) < 1:
        raise UsageError(f"--size: expected positive H W, got {args.size[0]} {args.size[1]}")
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'pixnorm[plot]'") from None
    if args.paths:
        try:
            import PIL  # noqa: F401
        except ImportError:
            raise UsageError(
                "reading image files needs Pillow: pip install 'pixnorm[cli]'"
            ) from None
        files = [str(p) for p in find_images(args.paths)]
        stats, skipped, sample = run_files(files, args, size)
        source = ", ".join(args.paths)
    else:
        faces = demo_images(args.mode)
        stats = RunningStats(per_pixel=args.per_pixel, size=size)
        bar = _progress(len(faces), args.progress)
        for face in faces:
            stats.update(face)
            bar.update(1)
        bar.close()
        skipped, sample = [], faces[0]
        source = "skimage.data.lfw_subset() (100 faces)"
    if stats.n_images == 0:
        print_skipped = "; ".join(f"{p}: {r}" for p, r in skipped[:3])
        print(
            f"pixnorm stats: error: none of the {len(skipped)} file(s) could be used "
            f"({print_skipped}{'; ...' if len(skipped) > 3 else ''})",
            file=sys.stderr,
        )
        return 1
    print_summary(stats, skipped, source)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary(stats, skipped, source), f)
    if args.plot:
        plot(stats, sample, args.plot, f"pixnorm stats: {stats.n_images} images from {source}")
    return 0
