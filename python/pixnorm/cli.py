"""``python -m pixnorm stats``: per-channel (and per-pixel) statistics of image files.

Reads the images under the given paths recursively, decoded with Pillow, in one process or in
``--workers`` spawned processes that each keep a :class:`pixnorm.RunningStats` and merge them
(the result equals a single pass: uint8 and uint16 sums are exact integers). Prints the
per-channel mean and std ready to paste as ``Normalize(mean=[...], std=[...])``; ``--json``
writes everything, ``--plot`` draws the mean image, the std image and histograms of one sample
before and after normalization. Without a path it runs on the 100 faces of Labeled Faces in
the Wild that scikit-image ships (``skimage.data.lfw_subset()``).

Bit depths: 8-bit images are read as uint8, 16-bit images (Pillow modes I;16, I;16B, I) as
uint16 (exact integer sums) and float images (mode F) as float32, never clipped to 8 bits:
16-bit mean, std, min and max are in 0..65535 and the Normalize values are divided by 65535
(for images scaled to [0, 1]); float values are taken as already scaled. --mode RGB repeats
their one channel three times. One run cannot mix 8-bit, 16-bit and float images (exit 2: their
statistics are in different units). Pillow itself reads 16-bit RGB PNGs as 8-bit (high byte).

--per-pixel needs one image size: mixed sizes are an error before any work unless --size H W
resizes every image first (or --crop H W cuts the centre of each). --size weights every image
equally (each gives H x W pixels), so it also changes the per-channel numbers of images of
mixed sizes. --size, --crop, --convention, --interpolation and --no-antialias are
pixnorm.preprocess's size, crop, convention, interpolation and antialias: with the values the
model is given, the statistics describe exactly what it sees (a named convention counts its
uint8 levels; the default one, floats).

--ray [ADDRESS] runs the same passes on a Ray cluster (pip install '.[ray]' in a checkout, or
'ray[data]'): a new one on this machine without ADDRESS ("local"); "auto": RAY_ADDRESS, else
the cluster started here with "ray start"; "host:port": that cluster (not a Ray cluster's
port: exit 2). Ray Client addresses
(ray://) are refused: Ray Data does not run through Ray Client; run pixnorm on a node of the
cluster (ray job submit -- pixnorm stats ... --ray auto).
The file headers are read by Ray tasks, then blocks of files (about 4 per CPU, at most 256
files each) are decoded and accumulated by the function a local run uses, and the partial
statistics merged: the summary, JSON, plot and skipped files are the local run's (bit for bit
for 8-bit images without --size; float accumulators to the last bits, as with --workers).
Every node must see the files under the same paths (a shared file system). Write PATH before
--ray (or --ray ADDRESS PATH); an existing path right after --ray is taken as a PATH.

Unreadable files, broken symbolic links and images that do not match the first one (channels
with --mode keep) are skipped and listed (the first 10 on the terminal, all in --json).
--json and --plot are checked before the work starts and replaced only when complete.

Exit status: 0 on success (skipped files are counted and listed), 1 when no image could be read
or an output cannot be written, 2 for usage errors (a path that does not exist, no images under
the paths, mixed bit depths or per-pixel sizes, an output path that cannot be written, a
missing optional dependency), 130 when interrupted (Ctrl-C; no worker process is left behind).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import multiprocessing
import multiprocessing.util
import os
import signal
import stat
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import numpy as np

import pixnorm

from . import _core
from ._decode import decode
from ._resize import FILTERS
from .stats import RunningStats

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
MODES = ("RGB", "L", "keep")
CONVENTIONS = ("pillow", "torch", "opencv")  # preprocess's named resize conventions
COLORS = ("rgb", "bgr", "gray", "gray3", "ycbcr", "yuv")  # preprocess's color=
PLOT_SIZE = (12.0, 8.0)  # inches; at PLOT_DPI the PNG is 1200 x 800 pixels
PLOT_DPI = 100
SKIPPED_SHOWN = 10  # skipped files listed on the terminal; --json lists them all
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a process stopped by Ctrl-C
STOP_GRACE = 3.0  # seconds a worker may take to finish its current image after Ctrl-C

# The units of a Pillow mode's values: 8-bit modes decode to uint8 (unit 255); these are read
# with their values unchanged (16-bit as uint16: unit 65535; float as float32: already scaled,
# unit 1).
MODES_16BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")
MODES_FLOAT = ("F",)
UNITS = {"8-bit": 255.0, "16-bit": 65535.0, "float": 1.0}

Array = np.ndarray[Any, Any]
Skipped = list[tuple[str, str]]


class UsageError(Exception):
    """Bad command-line input: reported on stderr with exit status 2."""


class UnsupportedImage(ValueError):
    """A file that decodes but whose values cannot be used as they are (the reason is shown)."""


def _output_path(text: str) -> str:
    """argparse type of --json and --plot: a file that can be created or replaced, checked
    before the work starts (argparse names the flag and exits with status 2)."""
    path = Path(os.path.realpath(text))  # a symbolic link is written through, as open() does
    parent = path.parent
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory")
    if not parent.exists():
        raise argparse.ArgumentTypeError(f"{text}: directory {parent} does not exist")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {parent} is not a directory")
    if path.exists() and not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text} is read-only")
    if path.exists() and not path.is_file():
        return text  # a device or FIFO (/dev/null): written in place, see atomic_output
    try:  # the output is written to a temporary file in this directory, then renamed
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise argparse.ArgumentTypeError(
            f"{text}: cannot create files in {parent} ({e.strerror})"
        ) from None
    return text


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
        nargs="+",
        type=int,
        metavar="N",
        help="resize every image first, as pixnorm.preprocess(size=...) does: N (the shorter "
        "side, torchvision's Resize(N)) or H W; this weights every image equally, so it "
        "changes the per-channel numbers of images of mixed sizes",
    )
    p.add_argument(
        "--crop",
        nargs="+",
        type=int,
        metavar="N",
        help="then cut the centre, N x N or H x W (after --size, if given), as "
        "pixnorm.preprocess(crop=...) does: the statistics of what the model sees",
    )
    p.add_argument(
        "--convention",
        choices=CONVENTIONS,
        help="resize with a library's exact arithmetic (with --size), as "
        "pixnorm.preprocess(convention=...) does; default: pixnorm's float resize",
    )
    p.add_argument(
        "--color",
        choices=COLORS,
        help="convert each image's colour first, as pixnorm.preprocess(color=...) does (with "
        "--convention: that library's own conversion); rgb also takes gray and RGBA files",
    )
    p.add_argument(
        "--interpolation",
        choices=FILTERS,
        default="bilinear",
        help="the resize filter (with --size), as pixnorm.preprocess(interpolation=...) does "
        "(default bilinear; a model trained with bicubic wants bicubic)",
    )
    p.add_argument(
        "--no-antialias",
        dest="antialias",
        action="store_false",
        help="downscale without antialiasing (with --size), as preprocess(antialias=False)",
    )
    p.add_argument(
        "--per-pixel",
        action="store_true",
        help="also the mean and std images (one image size, or --size H W / --crop H W)",
    )
    p.add_argument(
        "--mode",
        choices=MODES,
        default="RGB",
        help="convert to RGB (default) or L (gray), or keep L/LA/RGB/RGBA as decoded; "
        "16-bit (uint16) and float (float32) images stay one channel (repeated 3 times for RGB)",
    )
    p.add_argument("--workers", type=int, default=1, metavar="N", help="processes (default 1)")
    p.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="run on a Ray cluster: a new one on this machine without ADDRESS, else auto "
        "(RAY_ADDRESS or the cluster started here) or host:port "
        "(pip install '.[ray]' in a checkout, or 'ray[data]')",
    )
    p.add_argument("--json", type=_output_path, metavar="FILE", help="write the statistics as JSON")
    p.add_argument(
        "--plot", type=_output_path, metavar="FILE.png", help="write a PNG of the statistics"
    )
    p.add_argument(
        "--progress",
        choices=("auto", "on", "off"),
        default="auto",
        help="progress bar on stderr (auto: when stderr is a terminal and tqdm is installed)",
    )


# ----------------------------------------------------------------------------------------------
# Finding and reading images


def _broken_link(path: Path) -> str | None:
    """Why the symbolic link `path` cannot be followed, or None if it is not a broken link."""
    if not path.is_symlink():
        return None
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"dangling symbolic link to {os.readlink(path)} ({e.strerror})"
    return None


def find_images(paths: Sequence[str]) -> tuple[list[Path], Skipped, int]:
    """Image files under `paths`, sorted (files named explicitly are taken whatever their
    extension), the broken symbolic links with an image extension, with the reason, and how
    many paths named a file already found (given twice, inside a folder also given, or through
    a symbolic link; by resolved path: hard links stay separate files): each counts once."""
    found: list[Path] = []
    broken: Skipped = []
    for text in paths:
        p = Path(text)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.suffix.lower() not in IMAGE_EXTENSIONS:
                    continue
                if f.is_file():
                    found.append(f)
                elif (reason := _broken_link(f)) is not None:
                    broken.append((str(f), reason))
        elif p.is_file():
            found.append(p)
        elif (reason := _broken_link(p)) is not None:
            raise UsageError(f"{text}: {reason}")
        else:
            raise UsageError(f"{text}: no such file or directory")
    if not found and not broken:
        raise UsageError(
            f"no images ({', '.join(IMAGE_EXTENSIONS)}) found under: {', '.join(paths)}"
        )
    unique: list[Path] = []
    seen: set[str] = set()
    for f in found:
        key = os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, broken, len(found) - len(unique)


def depth_of(pil_mode: str) -> str:
    """The units of the values of a Pillow mode: "8-bit", "16-bit" or "float"."""
    if pil_mode in MODES_16BIT:
        return "16-bit"
    return "float" if pil_mode in MODES_FLOAT else "8-bit"


def load_image(path: str | Path, mode: str) -> Array:
    """Decode one file with Pillow: uint8 (H, W) or (H, W, C) for 8-bit images; uint16 for
    16-bit ones and float32 for float ones, the values unchanged (one channel, three for mode
    RGB).

    JPEG and 8-bit PNG files go through :func:`pixnorm.decode` (libjpeg-turbo and libpng in
    pixnorm's core, bit for bit Pillow's pixels: the statistics are the same), the rest through
    Pillow.

    Raises UnsupportedImage for 32-bit integer values outside 0..65535."""
    with open(path, "rb") as f:
        data = f.read()
    if _native_codec(data):
        pixels = decode(data, mode=None if mode == "keep" else mode)
        return pixels[..., 0] if pixels.shape[2] == 1 else pixels

    from PIL import Image

    with Image.open(path) as im:  # (its errors name the path)
        im.load()
        if depth_of(im.mode) != "8-bit":
            values = np.asarray(im)
            if im.mode == "I" and values.size and (values.min() < 0 or values.max() > 65535):
                raise UnsupportedImage(
                    f"32-bit integer values {values.min()}..{values.max()} (Pillow mode I) "
                    "outside 0..65535: not supported"
                )
            # 16-bit (and 32-bit integers within 0..65535) as uint16: exact integer statistics
            arr: Array = values.astype(np.float32 if im.mode in MODES_FLOAT else np.uint16)
            if mode == "RGB":
                arr = np.repeat(arr[..., None], 3, axis=-1)  # as Pillow converts L to RGB
            return arr
        if mode == "keep":
            if im.mode not in ("L", "LA", "RGB", "RGBA"):
                im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        elif im.mode != mode:
            im = im.convert(mode)
        arr = np.asarray(im)
        return arr


def _native_codec(data: bytes) -> bool:
    """Whether pixnorm's own decoder reads this file with the CLI's meaning: JPEG, and PNG of
    8 bits or less (16-bit PNGs stay on the Pillow path, whose values the CLI keeps exact as
    uint16)."""
    codecs = _core.CODECS
    if data[:3] == b"\xff\xd8\xff":
        return codecs["jpeg"] is not None
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 24:
        return codecs["png"] is not None and data[24] != 16  # IHDR's bit depth
    return False


Header = tuple[str, tuple[int, int]] | None  # bit depth and (H, W); None: unreadable


def read_header(path: str) -> Header:
    """The bit depth and (H, W) of one file from its header (Pillow reads the mode and size
    without decoding); None when Pillow cannot open it (left for the pass that reads it,
    which skips and lists it)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return depth_of(im.mode), (im.height, im.width)
    except Exception:  # Pillow raises many kinds for corrupt files
        return None


def check_headers(paths: Sequence[str], per_pixel: bool, resampling: Resampling) -> str:
    """The bit depth ("8-bit", "16-bit" or "float") of the images, from their headers only.
    Raises UsageError before any work when the images mix depths, or, with `per_pixel` and
    neither --size nor --crop, sizes (see :func:`check_header_list`)."""
    return check_header_list(paths, [read_header(p) for p in paths], per_pixel, resampling)


def check_header_list(
    paths: Sequence[str], headers: Sequence[Header], per_pixel: bool, resampling: Resampling
) -> str:
    """:func:`check_headers` on headers already read (``pixnorm stats --ray`` reads them on the
    cluster): `headers[i]` is :func:`read_header` of `paths[i]`."""
    depths: dict[str, list[str]] = {}
    sizes: dict[tuple[int, int], list[str]] = {}
    for path, header in zip(paths, headers, strict=True):
        if header is None:
            continue
        depth, hw = header
        depths.setdefault(depth, []).append(path)
        sizes.setdefault(hw, []).append(path)
    if len(depths) > 1:
        kinds = "; ".join(f"{len(v)} {k} image(s), e.g. {v[0]}" for k, v in depths.items())
        raise UsageError(
            f"the images mix bit depths ({kinds}); their statistics are in different units: "
            "run them separately"
        )
    if per_pixel and not resampling.fixes_shape() and len(sizes) > 1:
        common = Counter({hw: len(v) for hw, v in sizes.items()}).most_common(3)
        shown = "; ".join(f"{n} of {h}x{w} (e.g. {sizes[(h, w)][0]})" for (h, w), n in common)
        more = f"; and {len(sizes) - 3} more sizes" if len(sizes) > 3 else ""
        raise UsageError(
            f"--per-pixel needs one image size, but the images have {len(sizes)} sizes "
            f"(HxW: {shown}{more}): pass --size H W to resize every image first (or --crop "
            "H W to cut the centre of each)"
        )
    return next(iter(depths), "8-bit")


def demo_images(mode: str) -> Array:
    """The 100 faces of skimage.data.lfw_subset() as uint8 (N, 25, 25[, 3])."""
    try:
        from skimage import data
    except ImportError:
        raise UsageError(
            "no PATH given, and the demo data set needs scikit-image: "
            "pip install 'pixnorm[demo]', or pass image files or folders"
        ) from None
    lfw_subset = cast("Callable[[], Array]", data.lfw_subset)  # float64, [0, 1]
    faces: Array = np.round(lfw_subset()[:100] * 255).astype(np.uint8)
    if mode == "RGB":
        faces = np.repeat(faces[..., None], 3, axis=-1)
    return faces


@dataclass(frozen=True)
class Resampling:
    """--size, --crop, --convention and --no-antialias: what each image becomes before it is
    counted (RunningStats' options of those names)."""

    size: int | tuple[int, int] | None = None  # an int: the shorter side
    crop: tuple[int, int] | None = None
    convention: str | None = None
    antialias: bool = True
    color: str | None = None
    interpolation: str = "bilinear"

    def options(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "crop": self.crop,
            "convention": self.convention,
            "antialias": self.antialias,
            "color": self.color,
            "interpolation": self.interpolation,
        }

    def fixes_shape(self) -> bool:
        """Every image ends at one (H, W): --crop, or --size H W, given."""
        return self.crop is not None or isinstance(self.size, tuple)

    def shape(self, h: int, w: int) -> tuple[int, int]:
        if self.crop is not None:
            return self.crop
        if self.size is None:
            return (h, w)
        return pixnorm.resized_size(h, w, self.size)

    def describe(self) -> str:
        """The flags, for messages and the summary ("" without any)."""
        parts = []
        if isinstance(self.size, int):
            parts.append(f"--size {self.size}")
        elif self.size:
            parts.append(f"--size {self.size[0]} {self.size[1]}")
        if self.crop:
            parts.append(f"--crop {self.crop[0]} {self.crop[1]}")
        if self.convention:
            parts.append(f"--convention {self.convention}")
        if not self.antialias:
            parts.append("--no-antialias")
        if self.color:
            parts.append(f"--color {self.color}")
        if self.interpolation != "bilinear":
            parts.append(f"--interpolation {self.interpolation}")
        return " ".join(parts)


NO_RESAMPLING = Resampling()

Like = tuple[str, int, tuple[int, int]]  # dtype, channels, (H, W) of the first image


def _like(img: Array, resampling: Resampling) -> Like:
    channels = img.shape[2] if img.ndim == 3 else 1
    if resampling.color is not None:
        try:
            channels = pixnorm._core.color_channels(resampling.color, channels)
        except ValueError:
            channels = -channels  # a count the colour does not take: never like another
    shape = resampling.shape(img.shape[0], img.shape[1])
    return (
        {np.uint8: "uint8", np.uint16: "uint16"}.get(img.dtype.type, "float32"),
        channels,
        shape,
    )


def _mismatch(img: Array, like: Like, per_pixel: bool, resampling: Resampling) -> str | None:
    """Why `img` cannot join the statistics of images like the first one, in the words of
    the command line; None if it can."""
    dtype, channels, (h, w) = _like(img, resampling)
    if dtype != like[0]:
        return f"{dtype} values, but the first image has {like[0]} (mixed bit depths)"
    if channels < 0:
        return f"{-channels} channel(s), which --color {resampling.color} does not convert"
    if channels != like[1]:
        return (
            f"{channels} channel(s), but the first image has {like[1]} "
            "(--mode keep keeps each file's channels; --mode RGB or L converts them)"
        )
    if per_pixel and (h, w) != like[2]:
        return (
            f"size {h}x{w} (HxW) differs from the first image's {like[2][0]}x{like[2][1]} "
            "(--per-pixel needs one size: pass --size H W or --crop H W)"
        )
    return None


def accumulate(
    paths: Sequence[str],
    mode: str,
    per_pixel: bool,
    resampling: Resampling = NO_RESAMPLING,
    like: Like | None = None,
    progress: Any = None,
) -> tuple[RunningStats, Skipped, Array | None]:
    """Statistics of the usable files among `paths`, the skipped ones with the reason, and the
    first image used (a sample for the plot). `like` fixes the dtype, channel count and shape
    that the first image of the whole run had, so a worker skips exactly the files a single
    pass would. Runs in worker processes: keep it a module-level function."""
    stats = RunningStats(per_pixel=per_pixel, **resampling.options())
    if like is not None:
        stats._expect(*like)
    skipped: Skipped = []
    sample = None
    for path in paths:
        if _STOP is not None and _STOP.is_set():
            raise _Cancelled
        try:
            img = load_image(path, mode)
        except UnsupportedImage as e:
            skipped.append((str(path), str(e)))
        except Exception as e:  # Pillow raises many kinds for corrupt files: never fatal
            skipped.append((str(path), f"unreadable ({type(e).__name__}: {e})"))
        else:
            this = _like(img, resampling)
            if like is None and this[1] > 0:  # not an image the colour refuses
                like = this
            reason = _mismatch(img, like if like is not None else this, per_pixel, resampling)
            if reason is not None:
                skipped.append((str(path), reason))
            else:
                try:
                    stats.update(img)
                    sample = img if sample is None else sample
                except (TypeError, ValueError) as e:
                    skipped.append((str(path), str(e)))
        if progress is not None:
            progress.update(1)
    return stats, skipped, sample


def first_like(paths: Sequence[str], mode: str, resampling: Resampling) -> Like | None:
    """dtype, channels and (H, W) (after `resampling`) of the first readable image."""
    for path in paths:
        try:
            img = load_image(path, mode)
        except Exception:
            continue
        like = _like(img, resampling)
        if like[1] > 0:  # else the colour refuses it: skipped, as later ones are
            return like
    return None


# ----------------------------------------------------------------------------------------------
# Progress, worker processes and Ctrl-C


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


def _ray_progress(setting: str) -> bool:
    """Whether Ray Data shows its progress bars (the same rule as the local bar's)."""
    return setting == "on" or (setting == "auto" and sys.stderr.isatty())


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT in this block (main thread only; elsewhere a no-op). Processes spawned
    here inherit the ignored disposition across exec (Python installs its KeyboardInterrupt
    handler only where SIGINT is at its default), so a Ctrl-C, which the terminal sends to the
    whole process group, reaches only this process: it stops the workers itself. A Ctrl-C
    within the block (starting the workers takes milliseconds) is lost."""
    before = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or before is None:
        yield  # None: a handler installed outside Python, which could not be restored
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


class _Cancelled(Exception):
    """Raised in a worker process once the run is interrupted: its chunk is not wanted."""


class _Abandoned(KeyboardInterrupt):
    """Interrupted, and a worker or the pool's thread did not stop in time: the process must
    end with os._exit (a normal exit would wait for that thread forever)."""


_STOP: Any = None  # in a worker process: the run's stop event (a multiprocessing Event)


def _worker_init(stop: Any) -> None:
    global _STOP
    _STOP = stop
    # Also ignored here, for pools started outside the main thread (see _sigint_ignored).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor, stop: Any) -> None:
    """Cancel the queued chunks and stop the workers after the image each is reading.

    Workers are asked (the `stop` event, checked before each file) rather than terminated:
    a worker killed while it sends its result leaves a partial message in the result pipe,
    and the pool's thread then waits for the rest of it forever (seen here with per-pixel
    results of megabytes), which blocks the interpreter's exit. Only a worker still busy
    after STOP_GRACE seconds is terminated; if the pool's thread is then stuck, _Abandoned
    tells the caller to end the process with os._exit."""
    with _sigint_ignored():  # a second Ctrl-C must not interrupt the cleanup
        stop.set()
        processes = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        if manager is not None:
            manager.join(STOP_GRACE)  # it joins the workers once their chunks have stopped
            if not manager.is_alive():
                return
        else:  # a Python without these private attributes: the grace, then end the workers
            for p in processes:
                p.join(STOP_GRACE)
        for p in processes:
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(STOP_GRACE)
            if p.is_alive():
                p.kill()
                p.join()
        if manager is not None:
            manager.join(STOP_GRACE)
            if manager.is_alive():
                raise _Abandoned


def run_files(
    paths: Sequence[str], args: argparse.Namespace, resampling: Resampling
) -> tuple[RunningStats, Skipped, Array | None]:
    """One pass in this process, or `args.workers` spawned processes on chunks of paths,
    merged in path order (for uint8 the result is the same either way)."""
    like = first_like(paths, args.mode, resampling)
    bar = _progress(len(paths), args.progress)
    try:
        if args.workers == 1:
            return accumulate(paths, args.mode, args.per_pixel, resampling, like, progress=bar)
        chunk = max(1, min(64, math.ceil(len(paths) / (4 * args.workers))))
        parts = list(_chunks(paths, chunk))
        ctx = multiprocessing.get_context("spawn")
        stop = ctx.Event()
        pool = ProcessPoolExecutor(
            max_workers=args.workers, mp_context=ctx, initializer=_worker_init, initargs=(stop,)
        )
        try:
            # submit() starts the worker processes: they inherit SIGINT ignored
            with _sigint_ignored():
                futures = [
                    pool.submit(accumulate, part, args.mode, args.per_pixel, resampling, like)
                    for part in parts
                ]
            sizes: dict[Future[Any], int] = {
                f: len(part) for f, part in zip(futures, parts, strict=True)
            }
            for f in as_completed(futures):
                bar.update(sizes[f])
            results = [f.result() for f in futures]
        except BaseException:
            _stop(pool, stop)
            raise
        pool.shutdown()
    finally:
        bar.close()
    total = RunningStats(per_pixel=args.per_pixel, **resampling.options())
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


def summary(stats: RunningStats, skipped: Skipped, source: str, depth: str) -> dict[str, Any]:
    unit = UNITS[depth]
    out: dict[str, Any] = {
        "source": source,
        "images": stats.n_images,
        "pixels_per_channel": stats.count,
        "depth": depth,
        "dtype": stats.dtype,
        "channels": stats.channels,
        "mean": stats.mean.tolist(),
        "std": stats.std().tolist(),
        "min": stats.min.tolist(),
        "max": stats.max.tolist(),
        "normalize": {"mean": (stats.mean / unit).tolist(), "std": (stats.std() / unit).tolist()},
        "unit": unit,
        "skipped": [{"path": p, "reason": r} for p, r in skipped],
        "stats": stats.to_dict(),
    }
    return out


def print_summary(
    stats: RunningStats, skipped: Skipped, source: str, depth: str, json_path: str | None
) -> None:
    unit = UNITS[depth]
    label = {"8-bit": " (0..255)", "16-bit": " (0..65535)", "float": ""}[depth]
    kind = f"16-bit read as {stats.dtype}" if depth == "16-bit" else stats.dtype
    print(
        f"{stats.n_images} images from {source}: {kind}, {stats.channels} channel(s), "
        f"{stats.count} pixels per channel"
    )
    print(f"  mean{label}: {_fmt(stats.mean)}")
    print(f"  std{label}:  {_fmt(stats.std())}")
    print(f"  min, max: {stats.min.tolist()}, {stats.max.tolist()}")
    print(f"Normalize(mean={_fmt(stats.mean / unit)}, std={_fmt(stats.std() / unit)})")
    if skipped:
        print(f"skipped {len(skipped)} file(s):", file=sys.stderr)
        for path, reason in skipped[:SKIPPED_SHOWN]:
            print(f"  {path}: {reason}", file=sys.stderr)
        if len(skipped) > SKIPPED_SHOWN:
            where = f"all listed in {json_path}" if json_path else "--json FILE lists them all"
            print(f"  ... and {len(skipped) - SKIPPED_SHOWN} more ({where})", file=sys.stderr)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[IO[bytes]]:
    """A binary file that replaces `path` only once it is complete: written as a temporary
    file in the same directory, then renamed over `path` (os.replace is atomic), so an error
    or Ctrl-C while writing leaves an earlier `path` as it was and no temporary file behind.
    The new file gets the permissions of the file it replaces, or those of a new file.
    A target that exists and is not a regular file (/dev/null, a FIFO, a terminal) is written
    in place: renaming over it would replace a device node with a file."""
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(target, "wb") as f:
            yield f
        return
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(data: dict[str, Any], path: str) -> None:
    with atomic_output(path) as f:
        f.write(json.dumps(data).encode())


def _display(img: Array, unit: float) -> Array:
    x = np.clip(np.asarray(img, np.float64) / unit, 0, 1)
    if x.ndim == 3 and x.shape[-1] not in (3, 4):
        x = x[..., 0]
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    return x


def _plot_format(path: str) -> str:
    """The file format for `path`'s suffix (png without one); UsageError if matplotlib cannot
    write it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fmt = Path(path).suffix[1:].lower() or "png"
    known = FigureCanvasAgg(Figure()).get_supported_filetypes()
    if fmt not in known:
        raise UsageError(
            f"--plot: cannot write {path}: unknown format {fmt!r} (use .png; "
            f"matplotlib writes {', '.join(sorted(known))})"
        )
    return fmt


def plot(stats: RunningStats, sample: Array | None, path: str, title: str, depth: str) -> None:
    """Mean image, std image, the sample, and per-channel histograms of the sample before and
    after normalization with the computed mean/std. PLOT_SIZE * PLOT_DPI pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=PLOT_SIZE, dpi=PLOT_DPI)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3)
    unit = UNITS[depth]
    mean01, std01 = stats.mean / unit, stats.std() / unit
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
        norm = pixnorm.normalize(x, mean01, std01, scale=1.0 / unit)
        for c in range(x.shape[-1]):
            color = colors[c] if x.shape[-1] > 1 else "black"
            axes[1, 0].hist(x[..., c].ravel(), bins=64, histtype="step", color=color)
            axes[1, 1].hist(norm[c].ravel(), bins=64, histtype="step", color=color)
        axes[1, 0].set_title("sample, per channel, before")
        axes[1, 1].set_title("after normalize(mean, std)")
    axes[1, 2].axis("off")
    axes[1, 2].text(
        0.0,
        0.5,
        f"images: {stats.n_images}\nmean: {_fmt(mean01)}\nstd:  {_fmt(std01)}",
        family="monospace",
        va="center",
    )
    for ax in (axes[0, 0], axes[0, 1], axes[0, 2]):
        ax.set_xticks([])
        ax.set_yticks([])
    fmt = _plot_format(path)
    with atomic_output(path) as f:
        fig.savefig(f, format=fmt, dpi=PLOT_DPI)


# ----------------------------------------------------------------------------------------------
# Entry point


def exit_after_ray(code: int) -> None:
    """End the process that ran ``pixnorm stats --ray`` once its result is out: Ctrl-C is
    ignored from here (a Ctrl-C during the interpreter's exit killed the process by SIGINT
    after the result was printed: 3 of about 30 late Ctrl-C's), and the exit skips the
    interpreter's finalization, where Ray's native threads crashed it now and then; Ray is
    shut down already."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout.flush()
    sys.stderr.flush()
    multiprocessing.util._run_finalizers(0)  # type: ignore[attr-defined]
    os._exit(code)


def run_stats(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except UsageError as e:
        print(f"pixnorm stats: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print("pixnorm stats: interrupted", file=sys.stderr)
        # With Ray: it is shut down by now (connected() did it), but Ray's native threads
        # crashed the interpreter's exit now and then (SIGSEGV in about 1 of 10 Ctrl-C's
        # about 2.7 s into a run, measured with Ray 2.60): end without that exit too.
        if isinstance(e, _Abandoned) or (
            args.ray is not None and getattr(args, "exit_hard", False)
        ):
            sys.stdout.flush()
            sys.stderr.flush()
            # multiprocessing's exit-time cleanups that cannot block (closing queues,
            # unlinking semaphores): without them the resource tracker warns of leaks.
            multiprocessing.util._run_finalizers(0)  # type: ignore[attr-defined]
            os._exit(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED


def _ray_module() -> Any:
    """pixnorm.ray (which imports Ray), or a UsageError saying how to install it."""
    try:
        from . import ray as pixnorm_ray
    except ImportError as e:
        raise UsageError(f"--ray: {e}") from None
    return pixnorm_ray


def _ray_address(args: argparse.Namespace) -> None:
    """``pixnorm stats --ray folder``: argparse gives the folder to --ray as its ADDRESS. An
    existing path that is not an address form ("local", "auto", host:port) is a PATH; a Ray
    Client address (ray://) is refused (Ray Data does not run through Ray Client)."""
    address = args.ray
    if address.startswith("ray://"):
        raise UsageError(
            f"--ray {address}: Ray Data does not run through Ray Client (ray://); run pixnorm "
            "on a node of the cluster with --ray auto (e.g. ray job submit -- pixnorm stats "
            "PATH --ray auto) or give the head node's host:port"
        )
    if address in ("local", "auto") or "://" in address:
        return
    if os.path.exists(address):
        args.paths = [address, *args.paths]
        args.ray = "local"
        return
    host, sep, port = address.rpartition(":")
    if not (sep and host and port.isdigit()):  # a mistyped path, most likely
        raise UsageError(
            f"--ray {address}: neither an address (local, auto or host:port) nor an existing path"
        )


def _resampling(args: argparse.Namespace) -> Resampling:
    """--size, --crop, --convention, --no-antialias checked (before any work)."""
    given: dict[str, Any] = {}
    for flag, value in (("--size", args.size), ("--crop", args.crop)):
        if value is not None:
            shown = " ".join(map(str, value))
            if len(value) > 2:
                raise UsageError(f"{flag}: expected N or H W, got {shown}")
            if min(value) < 1:
                raise UsageError(f"{flag}: expected positive N or H W, got {shown}")
        given[flag] = None if value is None else value[0] if len(value) == 1 else tuple(value)
    size, crop = given["--size"], given["--crop"]
    if isinstance(crop, int):
        crop = (crop, crop)
    if isinstance(size, tuple) and crop is not None and (crop[0] > size[0] or crop[1] > size[1]):
        raise UsageError(
            f"--crop {crop[0]} {crop[1]} is larger than --size {size[0]} {size[1]} (the crop "
            "is cut from the resized image)"
        )
    if isinstance(size, int) and crop is not None and max(crop) > size:
        raise UsageError(
            f"--crop {crop[0]} {crop[1]} is larger than --size {size} makes the shorter side "
            "(the crop is cut from the resized image)"
        )
    for flag, used in (
        ("--convention", args.convention is not None),
        ("--no-antialias", not args.antialias),
        ("--interpolation", args.interpolation != "bilinear"),
    ):
        if used and size is None and (args.color is None or flag == "--interpolation"):
            raise UsageError(f"{flag} changes how images are resized: it needs --size")
    if args.convention == "opencv" and args.antialias:
        raise UsageError(
            "--convention opencv: OpenCV's resize has no antialias; add --no-antialias"
        )
    if args.convention == "pillow" and not args.antialias:
        raise UsageError(
            "--convention pillow: Pillow resizes with antialias only; drop --no-antialias"
        )
    if args.mode == "L" and args.color in ("ycbcr", "yuv"):
        raise UsageError(f"--color {args.color} converts RGB images, but --mode L makes every "
                         "image gray: use --mode RGB (the default)")  # fmt: skip
    resampling = Resampling(
        size, crop, args.convention, args.antialias, args.color, args.interpolation
    )
    try:
        RunningStats(**resampling.options())  # RunningStats' own checks, before any work
    except (TypeError, ValueError) as e:
        raise UsageError(f"{resampling.describe()}: {e}") from None
    return resampling


def _run(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise UsageError(f"--workers: expected N >= 1, got {args.workers}")
    if args.ray is not None:
        _ray_address(args)
        if args.workers != 1:
            raise UsageError("--workers and --ray: choose one (Ray runs a task per CPU)")
    resampling = _resampling(args)
    if args.plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'pixnorm[plot]'") from None
        _plot_format(args.plot)
    if args.paths:
        try:
            import PIL  # noqa: F401
        except ImportError:
            raise UsageError(
                "reading image files needs Pillow: pip install 'pixnorm[cli]'"
            ) from None
        found, skipped, duplicates = find_images(args.paths)
        if duplicates:
            print(
                f"pixnorm stats: {duplicates} path(s) named a file already counted; each file "
                "counts once",
                file=sys.stderr,
            )
        files = [str(p) for p in found]
        if args.ray is not None and files:
            pixnorm_ray = _ray_module()
            with pixnorm_ray.connected(args.ray):
                depth, stats, read_skipped, sample = pixnorm_ray.stats_files(
                    files, args.mode, args.per_pixel, resampling, _ray_progress(args.progress)
                )
        else:
            depth = check_headers(files, args.per_pixel, resampling)
            if files:
                stats, read_skipped, sample = run_files(files, args, resampling)
            else:
                stats, read_skipped, sample = RunningStats(), [], None
        skipped = sorted(skipped + read_skipped)
        source = ", ".join(args.paths)
    else:
        faces = demo_images(args.mode)
        if args.ray is not None:
            pixnorm_ray = _ray_module()
            with pixnorm_ray.connected(args.ray):
                stats = pixnorm_ray.stats_arrays(
                    faces, args.per_pixel, resampling, _ray_progress(args.progress)
                )
        else:
            stats = RunningStats(per_pixel=args.per_pixel, **resampling.options())
            bar = _progress(len(faces), args.progress)
            for face in faces:
                stats.update(face)
                bar.update(1)
            bar.close()
        skipped, sample, depth = [], faces[0], "8-bit"
        source = "skimage.data.lfw_subset() (100 faces)"
    if stats.n_images == 0:
        print_skipped = "; ".join(f"{p}: {r}" for p, r in skipped[:3])
        print(
            f"pixnorm stats: error: none of the {len(skipped)} file(s) could be used "
            f"({print_skipped}{'; ...' if len(skipped) > 3 else ''})",
            file=sys.stderr,
        )
        return 1
    print_summary(stats, skipped, source, depth, args.json)
    for flag, path in (("--json", args.json), ("--plot", args.plot)):
        if not path:
            continue
        try:
            if flag == "--json":
                write_json(summary(stats, skipped, source, depth), path)
            else:
                title = f"pixnorm stats: {stats.n_images} images from {source}"
                plot(stats, sample, path, title, depth)
        except OSError as e:
            print(f"pixnorm stats: error: {flag}: cannot write {path}: {e}", file=sys.stderr)
            return 1
    return 0
