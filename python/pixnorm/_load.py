"""load: encoded bytes -> the preprocessed tensor, decoding only the part of a JPEG that the
output reads (bit for bit ``preprocess(decode(source), ...)``)."""

from __future__ import annotations

import concurrent.futures
import inspect
import math
import os
import threading
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from . import _core
from ._decode import MAX_IMAGE_PIXELS, MODES, _check_options, _source_bytes, decode
from ._resize import (
    Geometry,
    _check_convention,
    _geometry,
    _Later,
    _resolve_factor,
    interpolation_name,
    preprocess,
    preprocess_batch,
)

__all__ = ["load", "load_batch"]

# Source pixels read beyond a filter's support, for safety (rounding of the sampling
# positions): the window is widened by this much on each side, then by the JPEG's iMCU.
_SLACK = 2


# Decoded windows go into a buffer kept per thread and reused, not a new image per call: a new
# image's pages are faulted in and zeroed by the kernel on every call (about 5% of a 500x375
# JPEG's decode measured). A buffer above this many bytes is not kept: at most 32 MiB stay
# with each thread that ever decoded a window.
_SCRATCH_KEPT = 1 << 25
_scratch_local = threading.local()


class _Scratch:
    """``with _Scratch() as take:`` ``take(nbytes)`` gives uninitialized bytes for decoded
    pixels that live until the block ends: this thread's reused buffer (grown as needed) the
    first time, new memory when the buffer is in use (a call re-entered on this thread, from a
    finalizer or an argument's conversion, gets its own) or above ``_SCRATCH_KEPT``."""

    def __init__(self) -> None:
        self.taken = False

    def __enter__(self) -> _Scratch:
        return self

    def __call__(self, nbytes: int) -> npt.NDArray[np.uint8]:
        if self.taken or nbytes > _SCRATCH_KEPT or getattr(_scratch_local, "busy", False):
            return np.empty(nbytes, np.uint8)
        buf: npt.NDArray[np.uint8] | None = getattr(_scratch_local, "buf", None)
        if buf is None or buf.size < nbytes:
            buf = np.empty(max(nbytes, 1 << 20), np.uint8)
            _scratch_local.buf = buf
        _scratch_local.busy = self.taken = True
        return buf[:nbytes]

    def __exit__(self, *exc: object) -> None:
        if self.taken:
            _scratch_local.busy = self.taken = False


def _scratch(nbytes: int) -> npt.NDArray[np.uint8]:
    """This thread's reused buffer, ``nbytes`` of it, for tests that fill it (not in use)."""
    with _Scratch() as take:
        return take(nbytes)


# The support of each interpolation= filter, in source pixels at scale 1 (pixnorm.resize).
_SUPPORT = {
    "bilinear": 1.0,
    "bicubic": 2.0,
    "lanczos": 3.0,
    "box": 0.5,
    "hamming": 1.0,
    "nearest": 1.0,  # one sample within a pixel of (i + 0.5) * s: bilinear's window holds it
    "nearest-exact": 1.0,
    "area": 1.0,  # [i * s, (i + 1) * s): inside bilinear's antialiased window
}


def _axis_window(
    b0: int, n: int, r: int, c0: int, c: int, factor: float, filter_support: float = 1.0
) -> tuple[int, int]:
    """The source interval [lo, hi) that output pixels [c0, c0 + c) of an axis resized from
    source [b0, b0 + n) to r pixels read, for every convention's filters: sample positions
    (o + 0.5) * s - 0.5 (s = n / r, or 1 / factor where the grid follows a factor), a support
    of filter_support * max(s, 1) pixels either side (antialiased; without antialias the
    unscaled support, no wider), widened by _SLACK and clamped to the box (no convention reads
    outside it)."""
    scales = [n / r]
    if factor > 0:
        scales.append(1.0 / factor)
    lo, hi = b0 + n, b0
    for s in scales:
        support = filter_support * max(s, 1.0)
        lo = min(lo, math.floor(b0 + c0 * s - 0.5 - support) - _SLACK)
        hi = max(hi, math.ceil(b0 + (c0 + c) * s + support) + _SLACK)
    return max(lo, b0), min(hi, b0 + n)


def _window(
    g: Geometry, ch: int, cw: int, interpolation: str = "bilinear"
) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the source pixels preprocess reads for geometry g."""
    sup = _SUPPORT[interpolation]
    y0, y1 = _axis_window(
        g.box_top, g.box_height, g.resized_height, g.crop_top, ch, g.factor_y, sup
    )
    x0, x1 = _axis_window(
        g.box_left, g.box_width, g.resized_width, g.crop_left, cw, g.factor_x, sup
    )
    return y0, x0, y1 - y0, x1 - x0


def _shape_only(h: int, w: int, c: int) -> npt.NDArray[Any]:
    """An (h, w, c) uint8 array of no memory, for the geometry rules (they read its shape)."""
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), (h, w, c), (0, 0, 0))


def _draft_scale(g: Geometry) -> int:
    """The smallest of libjpeg's scales M / 8 (M = 1, 2, 4, 8: the ones its SIMD code
    decodes) at which the box stays at least as large as what it is resized to."""
    need = max(g.resized_height / g.box_height, g.resized_width / g.box_width)
    for m in (1, 2, 4):
        if m / 8 >= need:
            return m
    return 8


def load(
    source: Any,
    *,
    mode: str | None = "RGB",
    orientation: bool = False,
    max_pixels: int | None = MAX_IMAGE_PIXELS,
    draft: bool = False,
    **options: Any,
) -> Any:
    """Decode ``source`` and preprocess it: :func:`pixnorm.preprocess` of
    :func:`pixnorm.decode`, bit for bit, in one call that decodes only what the output reads.

    ``source``, ``mode``, ``orientation`` and ``max_pixels`` are :func:`decode`'s; every
    other keyword is :func:`preprocess`'s (``size``, ``crop``, ``box``, ``flip``,
    ``antialias``, ``convention``, ``mean``, ``std``, ``scale``, ``max_size``, ``factor``,
    ``rounding``, ``exact_factor``, ``fit``, ``fill``, ``return_params``, ``color``,
    ``dtype``, ``layout``, ``out``), with the same meaning and defaults.

    For a JPEG (without an EXIF rotation to apply), only the rows and columns the output
    reads are decoded: the box, or for ``Resize + CenterCrop`` the part of the image under
    the crop, widened by the filter's support and by one more iMCU (8 or 16 pixels, where
    the chroma upsampling at a partial decode's edge differs from a full decode). libjpeg
    skips the IDCT, upsampling and colour conversion of the columns outside it
    (``jpeg_crop_scanline``) and of the rows above it (``jpeg_skip_scanlines``), and stops
    reading the file below it (a baseline JPEG: a progressive one is read whole). Every pixel
    the output reads is the full decode's, so the result equals
    ``preprocess(decode(source), ...)`` bit for bit (tested over random boxes, crops, sizes
    and every convention). One difference: damage to a baseline JPEG below the rows the
    output reads is not seen (``decode`` raises :class:`DecodeError`; ``load`` never reads
    those bytes). Other formats are decoded whole.

    ``draft=True`` (JPEG; with ``size``, not ``factor`` or ``fit``) also lets libjpeg shrink
    the image in the DCT domain by 1/2, 1/4 or 1/8 (the largest that keeps the box at least
    as large as the size it is resized to, so nothing shrunk is enlarged again). That saves
    the IDCT, upsampling and colour conversion of what it drops, not the Huffman decoding (a
    1/4 decode of 1920x1080 at quality 90 still took 79% of the full decode's time). The box
    is scaled with the image (rounded to whole pixels); the output has the same shape. The
    values then differ from the exact path by design (libjpeg's reduced IDCT instead of the
    antialiasing filter): the README's
    "Decoding" section gives the measured accuracy (about 34 dB PSNR median, 26 at worst, in
    uint8 levels; meant for antialiased resizing). Other formats, and sizes that need more
    than half the image, decode as with ``draft=False``.

    Raises what :func:`decode` and :func:`preprocess` raise.
    """
    if "image" in options:
        raise TypeError("load: takes the encoded source, not image= (use preprocess)")
    if not isinstance(draft, bool | np.bool_):
        raise TypeError(f"draft: expected a bool, got {type(draft).__name__}")
    if draft and (options.get("factor") is not None or options.get("fit") is not None):
        raise ValueError(
            "draft: not with factor or fit (the decoded size would change the output); give "
            "size (and crop)"
        )
    limit = _check_options(mode, orientation, max_pixels)
    data = _source_bytes(source)
    with _Scratch() as take:  # the decoded window lives until preprocess has read it
        found = _decode_window(data, mode, orientation, limit, options, bool(draft), take)
        if found is None:
            img = decode(data, mode=mode, orientation=orientation, max_pixels=max_pixels)
            return preprocess(img, **options)
        img, options = found
        return preprocess(img, **options)


def _decode_window(
    data: Any,
    mode: str | None,
    orientation: bool,
    limit: int,
    options: dict[str, Any],
    draft: bool,
    take: Any = None,
) -> tuple[npt.NDArray[Any], dict[str, Any]] | None:
    """The JPEG decoded in an image of its full (or draft) size (memory from ``take(nbytes)``,
    a _Scratch, else its own; the window the options read written, stale bytes outside it),
    and the options for it; None where this does not apply (not a JPEG, no libjpeg, an
    orientation to apply): then the caller decodes the whole image."""
    header = _jpeg_header(data, mode, limit)
    if header is None:
        return None
    h, w, c, orient = header
    if orientation and orient != 1:
        return None
    scale = 8
    if draft:
        scale, options, (h, w) = _draft(data, mode, limit, h, w, c, options)
    img = (take(h * w * c) if take is not None else np.empty(h * w * c, np.uint8)).reshape(h, w, c)
    _decode_into(data, mode, limit, _region(img, options), img, scale)
    return img, options


def _jpeg_header(
    data: Any, mode: str | None, limit: int, scale: int = 8
) -> tuple[int, int, int, int] | None:
    """(H, W, C, orientation) of a JPEG this build decodes (at scale / 8), else None: not a
    JPEG, no libjpeg, or a JPEG libjpeg refuses (12-bit: then decode() says what it is)."""
    if _core.CODECS["jpeg"] is None or len(data) < 3 or bytes(data[:3]) != b"\xff\xd8\xff":
        return None
    try:
        return _core.jpeg_header(data, MODES[mode], limit, scale)
    except _core.UnsupportedCodec:
        return None


def _decode_into(
    data: Any,
    mode: str | None,
    limit: int,
    region: tuple[int, int, int, int] | None,
    img: npt.NDArray[Any],
    scale: int = 8,
) -> None:
    """The JPEG's window around ``region`` written at its place into ``img``, a C-contiguous
    uint8 image of the decoded size; nothing outside the window is written."""
    _core.decode_jpeg_into(data, MODES[mode], limit, region, img, scale)


def _draft(
    data: Any, mode: str | None, limit: int, h: int, w: int, c: int, options: dict[str, Any]
) -> tuple[int, dict[str, Any], tuple[int, int]]:
    """libjpeg's scale for draft=True, the options for the scaled image (the box scaled and
    rounded, the resized size given explicitly: the same output shape) and its (H, W)."""
    size, max_size, box = options.get("size"), options.get("max_size"), options.get("box")
    g, _ = _geometry(
        _shape_only(h, w, c), "image", size, options.get("crop"), box, False, max_size, "box"
    )
    scale = _draft_scale(g)
    if scale == 8:
        return 8, options, (h, w)
    sh, sw, _, _ = _core.jpeg_header(data, MODES[mode], limit, scale)
    scaled = dict(options, size=(g.resized_height, g.resized_width), max_size=None)
    # Scaled pixel i covers source pixels [8i / M, 8(i + 1) / M): the last one can be partly
    # outside the image (libjpeg rounds the size up), so the whole image is a box too.
    f = scale / 8
    top = min(sh - 1, round(g.box_top * f))
    left = min(sw - 1, round(g.box_left * f))
    bottom = max(top + 1, min(sh, round((g.box_top + g.box_height) * f)))
    right = max(left + 1, min(sw, round((g.box_left + g.box_width) * f)))
    scaled["box"] = (top, left, bottom - top, right - left)
    return scale, scaled, (sh, sw)


def _region(img: npt.NDArray[Any], options: dict[str, Any]) -> tuple[int, int, int, int] | None:
    """The source window preprocess(img, **options) reads, or None (the whole image) where it
    cannot be known from the options (fit, or options preprocess will refuse: its error then
    comes from preprocess, with its message)."""
    try:
        conv = _check_convention(options.get("convention"), options.get("antialias", True))[1]
        interpolation = interpolation_name(options.get("interpolation", "bilinear"))
        box = options.get("box")
        if options.get("fit") is not None:
            if box is None:
                return None
            g, _ = _geometry(img, "image", None, None, box, False, None, "box")
            return g.box_top, g.box_left, g.box_height, g.box_width
        size, max_size = options.get("size"), options.get("max_size")
        fac = _resolve_factor(
            options.get("factor"),
            options.get("rounding"),
            options.get("exact_factor", True),
            conv,
            size,
            max_size,
        )
        g, (ch, cw) = _geometry(
            img, "image", size, options.get("crop"), box, False, max_size, "box", fac=fac
        )
    except (TypeError, ValueError):
        return None
    return _window(g, ch, cw, interpolation)


_POOL: dict[str, Any] = {"pid": None, "executor": None, "workers": 0}
_POOL_LOCK = threading.Lock()


def _forget_pool() -> None:  # in a forked child: the parent's threads do not exist here
    _POOL.update(pid=None, executor=None, workers=0)


os.register_at_fork(after_in_child=_forget_pool)


def _executor(workers: int) -> concurrent.futures.ThreadPoolExecutor:
    """A thread pool of at least `workers` threads, kept between calls (made again after a fork,
    and larger when more threads are asked for). A replaced pool is never shut down: a call on
    another thread may still be using it (its threads end once it is no longer referenced)."""
    with _POOL_LOCK:
        ex = _POOL["executor"]
        if ex is None or _POOL["pid"] != os.getpid() or _POOL["workers"] < workers:
            ex = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="pixnorm-load")
            _POOL.update(pid=os.getpid(), executor=ex, workers=workers)
        return ex  # type: ignore[no-any-return]


def _on_threads(fn: Any, n: int) -> list[Any]:
    """[fn(0), ..., fn(n - 1)] on pixnorm's thread count (at most that many at once, on a pool
    kept between calls; the caller's thread alone with one thread). Returns only once every
    call has ended, so nothing still writes into memory the caller reuses; the first error in
    index order is raised, and the items not yet started are skipped after one."""
    workers = min(_core.get_num_threads(), n)
    if workers <= 1:
        return [fn(i) for i in range(n)]
    results: list[Any] = [None] * n
    errors: dict[int, BaseException] = {}
    failed = threading.Event()

    def lane(w: int) -> None:  # the items w, w + workers, ...
        for i in range(w, n, workers):
            if failed.is_set():
                return
            try:
                results[i] = fn(i)
            except BaseException as e:  # noqa: BLE001 (re-raised by the caller, in order)
                errors[i] = e
                failed.set()
                return

    ex = _executor(workers)
    futures = [ex.submit(lane, w) for w in range(workers)]
    try:
        concurrent.futures.wait(futures)
    except BaseException:  # (KeyboardInterrupt): stop the lanes, and still wait for them
        failed.set()
        concurrent.futures.wait(futures)
        raise
    for f in futures:
        f.result()  # (lane itself never raises)
    if errors:
        raise errors[min(errors)]
    return results


# A batch decodes in chunks, each resized while its decoded windows are still in the cache: a
# whole batch of windows is larger than any core's cache (32 windows of 500x375: 18 MB), and
# decoding it all before resizing any of it cost about 190 us per 500x375 image (980 against
# 790 us, one thread). A chunk holds at most this many decoded bytes per thread (about a core's
# L2 cache), and at least one image per thread.
_CHUNK_BYTES = 1 << 20


def _chunks(nbytes: Sequence[int], threads: int) -> list[tuple[int, int]]:
    """Consecutive runs [a, b) of the images: each closes before the image that would take it
    above ``threads * _CHUNK_BYTES`` decoded bytes, once it holds ``threads`` images."""
    runs, a, total = [], 0, 0
    for i, nb in enumerate(nbytes):
        if i - a >= threads and total + nb > threads * _CHUNK_BYTES:
            runs.append((a, i))
            a, total = i, 0
        total += nb
    runs.append((a, len(nbytes)))
    return runs


class _Encoded:
    """An encoded image: its decoded shape from the header (a JPEG this build decodes, without
    an EXIF rotation to apply), or its pixels (anything else is decoded whole at once);
    :meth:`pixels` decodes a JPEG around a window."""

    def __init__(
        self,
        source: Any,
        mode: str | None,
        orientation: bool = False,
        max_pixels: int | None = MAX_IMAGE_PIXELS,
    ) -> None:
        self.data = _source_bytes(source)
        self.mode = mode
        self.limit = _check_options(mode, orientation, max_pixels)
        self.decoded: npt.NDArray[Any] | None = None
        header = _jpeg_header(self.data, mode, self.limit)
        if header is not None and not (orientation and header[3] != 1):
            self.shape_only = _shape_only(*header[:3])
        else:
            self.decoded = decode(
                self.data, mode=mode, orientation=orientation, max_pixels=max_pixels
            )
            self.shape_only = self.decoded

    @property
    def nbytes(self) -> int:
        """The bytes :meth:`pixels` decodes into (0 when decoded already)."""
        return 0 if self.decoded is not None else math.prod(self.shape_only.shape)

    def pixels(
        self, window: tuple[int, int, int, int] | None, memory: npt.NDArray[np.uint8] | None
    ) -> npt.NDArray[Any]:
        """The image: a JPEG decoded around ``window`` (None: whole) into ``memory``
        (``nbytes`` bytes; None: new memory); stale bytes outside the window."""
        if self.decoded is not None:
            return self.decoded
        if memory is None:
            memory = np.empty(self.nbytes, np.uint8)
        img = memory.reshape(self.shape_only.shape)
        _decode_into(self.data, self.mode, self.limit, window, img)
        return img


class _Lazy(_Later):
    """A batch of encoded images that the resize decodes when it needs them (load_batch,
    Collate(decode=True)): :attr:`shapes` stand for the images in the geometry rules and the
    core's checks; :meth:`preprocess` checks the whole call, then runs it in chunks
    (_chunks), each chunk's JPEGs decoded around their windows on pixnorm's threads just
    before the core resizes them. ``name`` names a source in errors (``sources[i]``)."""

    def __init__(self, encoded: list[_Encoded], name: str) -> None:
        self.encoded = encoded
        self.name = name
        self.shapes = [e.shape_only for e in encoded]

    def _decode(
        self, a: int, b: int, windows: list[Any], memory: npt.NDArray[np.uint8] | None
    ) -> list[npt.NDArray[Any]]:
        """Images a..b-1 decoded (around windows[i - a]) into consecutive parts of ``memory``
        (None: each its own), on pixnorm's threads (the codecs release the GIL)."""
        ends = np.cumsum([0] + [e.nbytes for e in self.encoded[a:b]]).tolist()

        def one(k: int) -> npt.NDArray[Any]:
            try:
                part = None if memory is None else memory[ends[k] : ends[k + 1]]
                return self.encoded[a + k].pixels(windows[k], part)
            except (TypeError, ValueError) as e:
                raise type(e)(f"{self.name}[{a + k}]: {e}") from None

        return _on_threads(one, b - a)

    def everything(
        self, geoms: Sequence[Geometry] | None = None, hw: tuple[int, int] | None = None,
        interpolation: str = "bilinear", take: Any = None,
    ) -> list[npt.NDArray[Any]]:  # fmt: skip
        """Every image decoded: around the windows of ``geoms`` (outputs of ``hw``), into one
        piece of memory from ``take`` (a _Scratch), when given; else whole, each its own."""
        n = len(self.encoded)
        if geoms is None or hw is None:
            return self._decode(0, n, [None] * n, None)
        windows = [_window(g, hw[0], hw[1], interpolation) for g in geoms]
        memory = None if take is None else take(sum(e.nbytes for e in self.encoded))
        return self._decode(0, n, windows, memory)

    def preprocess(
        self, geoms: Sequence[Geometry], crop_h: int, crop_w: int, *,
        out: npt.NDArray[Any] | None, empty: Any, **kw: Any,
    ) -> npt.NDArray[Any]:  # fmt: skip
        """``_core.preprocess(images, geoms, crop_h, crop_w, out=out, batch_output=True,
        **kw)`` of the decoded images: checked whole first (the same errors, named as in one
        call), then in chunks into their slots of ``out`` (None: ``empty(shape)``)."""
        shape = _core.preprocess(
            self.shapes, list(geoms), crop_h, crop_w, out=out, batch_output=True,
            check_only=True, **kw,
        )  # fmt: skip
        result = empty(tuple(shape)) if out is None else out
        interpolation = kw.get("interpolation", "bilinear")
        threads = max(1, min(_core.get_num_threads(), len(self.encoded)))
        runs = _chunks([e.nbytes for e in self.encoded], threads)
        with _Scratch() as take:
            memory = take(max(sum(e.nbytes for e in self.encoded[a:b]) for a, b in runs))
            for a, b in runs:
                windows = [_window(g, crop_h, crop_w, interpolation) for g in geoms[a:b]]
                arrs = self._decode(a, b, windows, memory)
                _core.preprocess(
                    arrs, list(geoms[a:b]), crop_h, crop_w, out=result[a:b], batch_output=True,
                    **kw,
                )  # fmt: skip
        return result


# preprocess_batch's keywords, which load_batch passes on
_BATCH_KEYWORDS = frozenset(inspect.signature(preprocess_batch).parameters) - {"images"}


def load_batch(
    sources: Sequence[Any],
    *,
    boxes: Sequence[Any] | None = None,
    mode: str | None = "RGB",
    orientation: bool = False,
    max_pixels: int | None = MAX_IMAGE_PIXELS,
    **options: Any,
) -> Any:
    """:func:`load` for a batch: ``preprocess_batch([decode(s) for s in sources], ...)`` bit
    for bit, each JPEG decoded only around the window its output reads (its box from
    ``boxes``), on :func:`pixnorm.get_num_threads` threads (the codecs run with the GIL
    released). The whole call is checked first (its errors leave ``out`` as it was); then the
    batch runs in chunks of about 1 MiB of decoded pixels per thread, each decoded just before
    it is resized, while it is still in the cache (decoding the whole batch first was about 20%
    slower per image). A source whose data fails to decode raises after the chunks before it
    were written into ``out``.

    ``boxes`` and the other keywords are :func:`pixnorm.preprocess_batch`'s (``size``,
    ``crop``, ``flips``, ``mean``, ``std``, ``out``, ...); ``mode``, ``orientation`` and
    ``max_pixels`` are :func:`decode`'s, for every source. ``draft`` is :func:`load`'s only
    (in a batch every image must end at one size). A source that cannot be decoded raises its
    error, naming it (``sources[i]``).
    """
    if "images" in options:
        raise TypeError("load_batch: takes encoded sources, not images= (use preprocess_batch)")
    if isinstance(sources, str | bytes | bytearray | memoryview) or not isinstance(
        sources, Sequence
    ):
        raise TypeError(
            f"sources: expected a sequence of sources (paths, bytes, ...), got "
            f"{type(sources).__name__}"
        )
    n = len(sources)
    if n == 0:
        raise ValueError("sources: empty")
    if boxes is not None:
        if isinstance(boxes, str | bytes) or not isinstance(boxes, Sequence | np.ndarray):
            raise TypeError(
                f"boxes: expected a sequence (one per image), got {type(boxes).__name__}"
            )
        if len(boxes) != n:
            raise ValueError(f"boxes: {len(boxes)} boxes for {n} sources")
    _check_options(mode, orientation, max_pixels)

    def one(i: int) -> _Encoded:
        try:
            return _Encoded(sources[i], mode, orientation, max_pixels)
        except (TypeError, ValueError) as e:
            raise type(e)(f"sources[{i}]: {e}") from None

    unknown = sorted(set(options) - _BATCH_KEYWORDS)
    if unknown:
        hint = {"flip": "flips", "box": "boxes", "angle": "angles"}.get(unknown[0])
        raise TypeError(
            f"load_batch: unexpected keyword argument {unknown[0]!r}"
            + (f" (one per image: {hint}=)" if hint else "")
            + ("; draft is load's only (in a batch every image ends at one size)"
               if unknown[0] == "draft" else "")
        )  # fmt: skip
    lazy = _Lazy(_on_threads(one, n), "sources")
    try:
        return preprocess_batch(cast(Any, lazy), boxes=boxes, **options)
    except (TypeError, ValueError) as e:  # preprocess_batch's images are the sources here
        text = str(e)
        if type(e) in (TypeError, ValueError) and text.startswith("images["):
            raise type(e)(text.replace("images[", "sources[")) from None
        raise
