"""Streaming dataset statistics: per-channel and per-pixel mean, variance, min and max.

See :class:`RunningStats`.
"""

from __future__ import annotations

import copy
import numbers
import os
import threading
import weakref
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._args import _brief

__all__ = ["RunningStats"]

Array = np.ndarray[Any, Any]

# uint32 staging sums of squares hold 66,051 images of 255**2; flushed into uint64 before that.
_STAGE_IMAGES: int = _core.STATS_PIXEL_STAGE_IMAGES
# Per-pixel uint8 updates with one image are copied into a pending batch of up to this many
# images (and at most _PENDING_BYTES), then accumulated tile by tile: the uint32 staging sums
# are then read and written once per batch instead of once per image (measured in
# bench/bench_stats.py: about 1.6x faster than image by image at 224x224x3; 8, 16 and 32
# images per batch measured the same).
_PENDING_IMAGES = 8
_PENDING_BYTES = 4 << 20
_FORMAT = "pixnorm.RunningStats"
_VERSION = 1

_U8 = "uint8"
_F32 = "float32"
_U16 = "uint16"  # exact integer sums (a float32 accumulator in states of earlier versions)
_NP_U8 = np.dtype(np.uint8)
_NP_U16 = np.dtype(np.uint16)
_NP_F32 = np.dtype(np.float32)
# Per pixel, uint16: an element's sum of squares (uint64) holds this many images of 65535^2.
_U16_PIXEL_IMAGES = 2**32 - 1
# Per channel, uint16: the sum (uint64) holds this many values of 65535 (2.8e14).
_U16_CHANNEL_VALUES = (2**64 - 1) // 65535


def _check_image(image: Any, u16_as_float: bool = False) -> Array:
    """(N, H, W, C) of uint8, uint16 or float32; ``u16_as_float``: uint16 as float32 values (the
    float accumulators of a state saved by an earlier version)."""
    arr = image if isinstance(image, np.ndarray) else np.asarray(image)
    dt = arr.dtype
    native_f32 = dt.kind == "f" and dt.itemsize == 4 and dt.isnative
    native_u16 = dt == np.uint16 and dt.isnative
    if native_u16 and u16_as_float:  # every value exact in float32
        arr = arr.astype(np.float32)
        dt = arr.dtype
        native_f32, native_u16 = True, False
    if not (dt == np.uint8 or native_f32 or native_u16):
        hint = ""
        if (dt.kind == "f" and dt.itemsize == 4) or (dt.kind == "u" and dt.itemsize == 2):
            hint = f" (non-native byte order: use .astype('={dt.kind}{dt.itemsize}'))"
        raise TypeError(
            f"image: dtype {dt} is not supported; expected uint8, uint16 or float32{hint}"
        )
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim == 3:
        arr = arr[None]
    elif arr.ndim != 4:
        raise ValueError(
            f"image: expected shape (H, W), (H, W, C) or (N, H, W, C), got {np.shape(image)}"
        )
    if arr.size == 0:
        raise ValueError(f"image: zero-size image, shape {np.shape(image)}")
    return arr


def _u16_channel_sums(a: dict[str, Array], c: int, per_pixel: bool) -> tuple[list[int], list[int]]:
    """Per channel, the exact sums and sums of squares of uint16 accumulators as Python ints:
    per channel (128-bit squares in two words) or per pixel (each element's uint64 sums, added
    as 32-bit halves so that no partial sum wraps)."""
    if not per_pixel:
        sums = [int(v) for v in a["sum"]]
        squares = [
            int(lo) + (int(hi) << 64) for lo, hi in zip(a["sumsq"], a["sumsq_hi"], strict=True)
        ]
        return sums, squares

    def total(x: Array) -> list[int]:
        x = x.reshape(-1, c)
        low = (x & np.uint64(0xFFFFFFFF)).sum(axis=0, dtype=np.uint64)  # < 2^32 * 2^31 elements
        high = (x >> np.uint64(32)).sum(axis=0, dtype=np.uint64)
        return [int(lo) + (int(hi) << 32) for lo, hi in zip(low, high, strict=True)]

    return total(a["sum"]), total(a["sumsq"])


def _check_size(size: Any, name: str = "size") -> int | tuple[int, int] | None:
    """None, an int (the shorter side, torchvision's rule) or a pair (h, w)."""
    if size is None:
        return None
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        if size < 1:
            raise ValueError(f"{name}: expected a positive size, got {size!r}")
        return int(size)
    try:
        h, w = size
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected None, an int or a pair (h, w), got {size!r}") from None
    for v in (h, w):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name}: expected two ints, got {size!r}")
        if v < 1:
            raise ValueError(f"{name}: expected positive sizes, got {size!r}")
    return int(h), int(w)


# count and images: what the kernels' int64 / uint64 arguments hold.
_MAX_COUNT = 2**63 - 1


def _stored_int(data: Any, key: Any, lo: int, hi: int) -> int:
    """``data[key]`` of a :meth:`RunningStats.to_dict` dictionary: an int from lo to hi."""
    v = data[key]
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not lo <= int(v) <= hi:
        name = f"data[{key!r}]" if isinstance(key, str) else f"data['shape'][{key}]"
        raise ValueError(f"{name}: expected an int from {lo} to {hi}, got {_brief(v)}")
    return int(v)


def _check_ddof(ddof: Any) -> int:
    if isinstance(ddof, bool) or not isinstance(ddof, numbers.Integral):
        raise TypeError(f"ddof: expected an int, got {type(ddof).__name__}")
    if ddof < 0:
        raise ValueError(f"ddof: must be >= 0, got {ddof}")
    return int(ddof)


# Every live instance, for the fork handler below.
_INSTANCES: weakref.WeakSet[RunningStats] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A lock held by another thread at fork() stays held in the child, where that thread does
    not exist: every use of the instance would hang. The child gets a fresh lock, and the
    instance, whose state that thread may have been changing, is marked stopped part-way."""
    for stats in list(_INSTANCES):
        if stats._lock.locked():
            stats._lock = threading.Lock()
            stats._interrupted = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _Held:
    """``with stats._held():`` takes the instance's lock and refuses an interrupted instance (a
    plain class: a generator-based context manager cost a microsecond per call)."""

    __slots__ = ("_stats",)

    def __init__(self, stats: RunningStats) -> None:
        self._stats = stats

    def __enter__(self) -> None:
        self._stats._lock.acquire()
        try:
            self._stats._check_usable()
        except BaseException:
            self._stats._lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        self._stats._lock.release()


class _Changing:
    """``with stats._changing():`` marks the instance unusable if the block raises."""

    __slots__ = ("_stats",)

    def __init__(self, stats: RunningStats) -> None:
        self._stats = stats

    def __enter__(self) -> None:
        pass

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None:
            self._stats._interrupted = True


class RunningStats:
    """Streaming, mergeable mean, variance, min and max of a data set of images.

    Feed images (or batches) with :meth:`update`; combine the statistics of several workers
    with :meth:`merge` or ``+``; read the results per channel (``mean``, ``var()``, ``std()``,
    ``mean01``, ``std01()``, ``min``, ``max``) and, with ``per_pixel=True``, per pixel
    (``mean_image``, ``var_image()``, ``std_image()``). Results that take ``ddof`` are methods
    (``ddof=0``: population, ``ddof=1``: sample); the others are properties.

    Parameters
    ----------
    per_pixel : bool, default False
        Also keep statistics for every (y, x, c) element: the "mean image" and "variance
        image". All images must then share one (H, W), unless ``size`` is given.
    size : int or (int, int), optional
        Resize every image first, as :func:`pixnorm.preprocess` does: an int is the shorter
        side (torchvision's rule), ``(h, w)`` the output size. Per pixel, the output must be
        one size: ``(h, w)``, or an int with a ``crop``.
    crop : int or (int, int), optional
        A centre crop after the resize, as :func:`pixnorm.preprocess` (``Resize(size),
        CenterCrop(crop)``).
    antialias : bool, default True
    interpolation : str, default "bilinear"
        The filter, as :func:`pixnorm.preprocess` (a bicubic model's statistics with
        ``interpolation="bicubic"``).
    convention : None, "pillow", "torch" or "opencv"
        As :func:`pixnorm.preprocess`. With ``size`` or ``crop``, the statistics are those of
        exactly the values :func:`pixnorm.preprocess` with the same ``size``, ``crop``,
        ``antialias``, ``interpolation`` and ``convention`` normalizes, so that ``mean01``
        and ``std01()`` make its output mean 0 and std 1 over the data set. A named
        convention resamples to integer levels (uint8; uint16 with "opencv"), accumulated
        exactly as such images are. The
        default convention resamples to
        floats in the images' units (0..255 for uint8), accumulated as float32 values (the
        float notes below apply); ``dtype``, ``mean01`` and ``std01()`` follow the images'
        dtype.
    color : None, "rgb", "bgr", "gray", "gray3", "ycbcr" or "yuv"
        Convert the colour first, as :func:`pixnorm.preprocess` with the same ``color`` (and
        ``convention``) does, so the statistics count its channels (with or without ``size``):
        a named convention's converted uint8 levels exactly, the default convention's float32
        mix as float values. "rgb" also takes gray, RGB and RGBA images into one set.

    Notes
    -----
    **uint8 input is exact** (also after a named convention's resize or colour, and with
    ``color`` "rgb" or "bgr"; the default convention's resize or mixing colours give floats).
    Sums and sums of squares are integers (uint64 per channel; per
    pixel uint32 staged and flushed into uint64 before they can overflow), so the results do
    not depend on the order of the images, on batching, on chunking or on the thread count.
    The variance numerator ``n * S2 - S1**2`` is computed exactly in unsigned 128-bit
    arithmetic and rounded once. The sums do not overflow before 2.8e14 values per channel
    (per pixel: images); results are exact for up to 10**12.

    **uint16 input is exact** too: uint64 sums and 128-bit sums of squares per channel (up to
    2.8e14 values per channel; more is refused), uint64 sums per pixel (up to 2**32 - 1
    images; more is refused); per channel the mean and variance are each one rounding of the
    exact fraction, per pixel the variance two (its exact numerator rounded, then divided).

    **float32 input** runs Welford's update in float64 (per channel on 24 interleaved lanes,
    per pixel on every element), and partial results (threads, batches, :meth:`merge`) are
    combined with Chan, Golub and LeVeque's pairwise formula. With u = 2**-53, n values in a
    lane and kappa = sqrt(1 + mean**2 / var), the relative error of the variance is at most
    about ``n * kappa * u`` (the classical bound for the updating algorithm; in practice it
    grows like sqrt(n)). For 10**6 values with mean 1e5 and unit variance that is below 1e-4
    in theory and below 1e-9 as measured (tests/test_stats.py), where the naive float64 sum of
    squares loses several percent. float32 results are bit-identical across ISAs, but may
    differ in the last bits between thread counts and batchings (the partial results differ).

    **NaN and inf** in float32 input propagate (as in :func:`pixnorm.normalize`): a NaN makes
    the mean, variance, min and max of its channel (and, per pixel, of its element) NaN;
    an inf makes the mean +-inf or NaN and the variance inf or NaN, as IEEE arithmetic gives. They
    are not skipped: filter them out before :meth:`update` if they should not count.

    ``mean01`` and ``std01()`` are ``mean / 255`` and ``std() / 255`` for uint8 input: the
    values for :func:`pixnorm.normalize` (or torchvision's ``Normalize``) with the default
    scale 1/255. float32 input is taken as already scaled, as :func:`pixnorm.normalize` does:
    there they equal ``mean`` and ``std()``.

    A RunningStats is picklable (for multiprocessing) and converts to and from JSON-safe data
    (:meth:`to_dict`, :meth:`from_dict`).

    **Thread-safe.** One instance may be shared by several threads: :meth:`update`,
    :meth:`merge`, ``+``, :meth:`copy`, pickling and every result hold a lock of the instance
    (results are then those of a serial order of the calls; for uint8, exactly the serial
    result). The kernels release the GIL, but the updates of one instance take turns: to
    accumulate in parallel, give each thread its own RunningStats and :meth:`merge` them.

    Examples
    --------
    >>> stats = pixnorm.RunningStats()
    >>> for img in images:
    ...     stats.update(img)
    >>> pixnorm.normalize(img, stats.mean01, stats.std01())
    """

    def __init__(
        self,
        *,
        per_pixel: bool = False,
        size: int | tuple[int, int] | None = None,
        crop: int | tuple[int, int] | None = None,
        antialias: bool = True,
        convention: str | None = None,
        color: str | None = None,
        interpolation: Any = "bilinear",
    ) -> None:
        if not isinstance(per_pixel, (bool, np.bool_)):
            raise TypeError(f"per_pixel: expected a bool, got {type(per_pixel).__name__}")
        if convention is None and type(antialias) is bool and interpolation == "bilinear":
            aa, conv, filt = antialias, None, "bilinear"  # the common case, cheaply
        else:
            from ._resize import _check_convention

            aa, conv, ikw = _check_convention(convention, antialias, interpolation)
            filt = ikw.get("interpolation", "bilinear")
        self._interpolation: str = filt
        self._per_pixel = bool(per_pixel)
        self._size = _check_size(size)
        if self._size is None:  # no resize: the filter changes nothing (and must not stop merges)
            self._interpolation = "bilinear"
        c = _check_size(crop, "crop")
        self._crop = (c, c) if isinstance(c, int) else c  # a square crop: one spelling
        if self._per_pixel and isinstance(self._size, int) and self._crop is None:
            raise ValueError(
                f"size: {self._size} (the shorter side) gives images of mixed sizes different "
                "output sizes; per-pixel statistics need one: size=(h, w), or a crop"
            )
        self._antialias = aa
        self._convention = conv
        if color is not None:
            _core.color_channels(color, 3, conv)  # the core's checks
        self._color: str | None = color
        self._dtype: str | None = None  # the accumulators': uint8 (exact) or float32
        self._source: str | None = None  # the images': uint8, uint16 or float32 (their units)
        self._channels = 0
        self._shape: tuple[int, int] | None = None  # (H, W), per pixel
        self._count = 0  # values per channel
        self._images = 0
        self._acc: dict[str, Array] = {}
        # update()'s fast path: the channel count once started with uint8 images per channel
        # without size, crop or colour (-1 otherwise: no image has it), and its accumulators
        # (sum, sumsq, min, max)
        self._fast = -1
        self._acc_u8: tuple[Array, ...] = ()
        self._staged = 0  # images in the uint32 staging sums (per pixel, uint8)
        self._pending: Array | None = None  # per pixel, uint8: images not yet accumulated
        self._npending = 0
        # Guards all the state above (the accumulators, counts, staging and pending buffers):
        # held by every public method that reads or writes it; never held while taking
        # another instance's lock except in merge, which takes both in a fixed (id) order.
        self._lock = threading.Lock()
        _INSTANCES.add(self)
        # Set when Ctrl-C (or another BaseException) stopped an update part-way: the native
        # kernels stop between pieces of a long call, so the accumulators may hold part of
        # that batch, and every later use raises instead of giving silently wrong numbers.
        self._interrupted = False

    def _held(self) -> _Held:
        """The instance's lock, for a use of its state (refused after an interrupted change)."""
        return _Held(self)

    def _check_usable(self) -> None:
        if self._interrupted:
            raise RuntimeError(
                "RunningStats: a change of its statistics stopped part-way (KeyboardInterrupt "
                "or another exception in an update, merge or flush), so they may hold part of "
                "it; start a new RunningStats (or resume from a copy or to_dict() taken before)"
            )

    def _changing(self) -> _Changing:
        """Around changes of the state that an exception may stop part-way (the kernels stop
        between pieces when a signal handler raises; Python code can be interrupted anywhere):
        any exception marks the instance unusable. Arguments are checked before this."""
        return _Changing(self)

    # ------------------------------------------------------------------------------------
    # Updating

    def update(self, image: npt.ArrayLike) -> RunningStats:
        """Add an image or a batch of images; returns ``self``.

        Parameters
        ----------
        image : array_like
            uint8, uint16 or float32, shape (H, W) (one channel), (H, W, C) or a batch
            (N, H, W, C),
            any strides, any number of channels; a torch tensor is read channels first,
            (C, H, W) / (N, C, H, W), as :func:`pixnorm.normalize` reads it. Every update must
            have the same dtype and channel count C; with ``per_pixel=True`` and no ``size``,
            also the same (H, W).

        Raises
        ------
        TypeError
            Unsupported dtype.
        ValueError
            Bad shape, zero-size image, or a dtype, channel count or (per pixel) size that
            differs from the earlier images.
        """
        if type(image) is np.ndarray and image.dtype is _NP_U8 and image.ndim == 3:
            # The common case, one uint8 (H, W, C) image per channel once started, without the
            # general path's checks (2.6 -> 0.5 us a call); the same state changes. `is`: a
            # uint8 array's dtype is numpy's one uint8 dtype (any other takes the general path).
            with self._lock:
                h, w, c = image.shape
                if c == self._fast and h * w and not self._interrupted:
                    try:
                        _core.stats_channels_u8(image, *self._acc_u8)
                    except BaseException:
                        self._interrupted = True  # as _changing(): stopped part-way
                        raise
                    self._count += h * w
                    self._images += 1
                    return self
        given: Any = image
        if type(given) is not np.ndarray:  # (kept off the common path: about 1 us)
            from ._args import _image

            given, _ = _image(given, "image", True)  # torch tensors channels first
        # the images' dtype (their units): the accumulators' too, unless resampling changes it
        kind = given.dtype
        source = {_NP_U8: _U8, _NP_U16: _U16, _NP_F32: _F32}.get(kind)  # None: refused below
        if source is not None:
            with self._held():
                if self._source is not None and source != self._source:
                    raise ValueError(
                        f"image: dtype {given.dtype} differs from the {self._source} images seen "
                        "so far (statistics of different dtypes are in different units)"
                    )
        if self._transformed():
            given = self._resampled(given)
        arr = _check_image(given, self._dtype == _F32)
        with self._held():
            n, h, w, c = arr.shape
            dtype = {_NP_U8: _U8, _NP_U16: _U16}.get(arr.dtype, _F32)
            if self._dtype is not None:
                self._check_compatible(dtype, c, (h, w))
            with self._changing():
                if self._dtype is None:
                    self._start(dtype, c, (h, w), source)
                self._accumulate(arr, dtype)
        return self

    def _accumulate(self, arr: Array, dtype: str) -> None:
        n, h, w, _ = arr.shape
        if dtype == _U16:
            a = self._acc
            if self._per_pixel:
                if self._images + n > _U16_PIXEL_IMAGES:
                    raise ValueError(
                        f"image: per-pixel uint16 sums hold {_U16_PIXEL_IMAGES:,} images exactly "
                        f"({self._images:,} seen): merge partial statistics of smaller sets"
                    )
                _core.stats_pixels_u16(arr, a["sum"], a["sumsq"], a["min"], a["max"])
            else:
                if self._count + n * h * w > _U16_CHANNEL_VALUES:
                    raise ValueError(
                        f"image: uint16 sums hold {_U16_CHANNEL_VALUES:,} values per channel "
                        f"exactly ({self._count:,} seen): merge partial statistics of smaller sets"
                    )
                _core.stats_channels_u16(
                    arr, a["sum"], a["sumsq"], a["sumsq_hi"], a["min"], a["max"]
                )
        elif self._per_pixel:
            if dtype == _U8:
                self._update_pixels_u8(arr)
            else:
                a = self._acc
                _core.stats_pixels_f32(arr, self._images, a["mean"], a["m2"], a["min"], a["max"])
        elif dtype == _U8:
            a = self._acc
            _core.stats_channels_u8(arr, a["sum"], a["sumsq"], a["min"], a["max"])
        else:
            a = self._acc
            _core.stats_channels_f32(arr, a["n"], a["mean"], a["m2"], a["min"], a["max"])
        self._count += n * h * w
        self._images += n

    def _resampled(self, arr: Array) -> Array:
        """``arr`` (or each image of a batch) resized and cropped as :func:`pixnorm.preprocess`
        does, (N, h, w, C): uint8 levels for a named convention, floats in the input's units
        (0..255 for uint8) for the default one."""
        from ._resize import preprocess_batch

        if arr.ndim not in (2, 3, 4):
            _check_image(arr)  # its message for the shape
        images = list(arr) if arr.ndim == 4 else [arr]
        if len(images) == 0:
            _check_image(arr)
        named = self._convention is not None
        if not named and self._size is None and self._crop is None:  # a colour alone
            from . import normalize

            planes = normalize(arr, 0.0, 1.0, scale=1.0, channels_last=True, color=self._color)
            mixed: Array = planes[None] if planes.ndim == 3 else planes
            hwc0: Array = mixed.transpose(0, 2, 3, 1)
            if self._exact_color() and arr.dtype in (np.uint8, np.uint16):  # picked, not mixed
                hwc0 = np.ascontiguousarray(hwc0, dtype=arr.dtype)
            return hwc0
        values = preprocess_batch(
            images, size=self._size, crop=self._crop, antialias=self._antialias,
            convention=self._convention, mean=0.0, std=1.0, scale=1.0, channels_last=True,
            color=self._color, interpolation=self._interpolation,
        )  # fmt: skip
        hwc: Array = values.transpose(0, 2, 3, 1)  # a view: the statistics read any strides
        if named:  # exact integer levels, accumulated exactly
            return np.ascontiguousarray(
                hwc, dtype=np.uint16 if arr.dtype == np.uint16 else np.uint8
            )
        return hwc

    def _resampling(self) -> tuple[Any, ...]:
        return (
            self._size,
            self._crop,
            self._antialias,
            self._convention,
            self._color,
            self._interpolation,
        )

    def _resampling_text(self) -> str:
        return (
            f"size={self._size}, crop={self._crop}, antialias={self._antialias}, "
            f"convention={self._convention!r}, color={self._color!r}, "
            f"interpolation={self._interpolation!r}"
        )

    def _transformed(self) -> bool:
        """Whether images are resampled or colour-converted before they are counted."""
        return self._size is not None or self._crop is not None or self._color is not None

    def _exact_color(self) -> bool:
        """A colour that only picks, reverses or repeats channels (no resize): uint8 stays
        exact uint8 in every convention."""
        return self._size is None and self._crop is None and self._color in ("rgb", "bgr")

    def _resampled_dtype(self, dtype: str) -> str:
        """The dtype the statistics see for images of `dtype` (after _resampled)."""
        if not self._transformed() or self._convention is not None or self._exact_color():
            return dtype
        return _F32

    def _expect(self, dtype: str, channels: int, shape: tuple[int, int]) -> None:
        """Fix the dtype, channel count and (per pixel) shape before the first update, so
        that images that do not match are rejected as they would be after a first image
        (used by the command line's worker processes)."""
        with self._held(), self._changing():
            if self._dtype is None:
                self._start(self._resampled_dtype(dtype), channels, shape, dtype)

    def _start(
        self, dtype: str, channels: int, shape: tuple[int, int], source: str | None = None
    ) -> None:
        self._dtype, self._channels = dtype, channels
        self._source = dtype if source is None else source
        c = channels
        self._fast, self._acc_u8 = -1, ()
        if not self._per_pixel:
            if dtype == _U8:
                self._acc = {
                    "sum": np.zeros(c, np.uint64),
                    "sumsq": np.zeros(c, np.uint64),
                    "min": np.full(c, 255, np.uint8),
                    "max": np.zeros(c, np.uint8),
                }
                self._set_fast()
            elif dtype == _U16:
                self._acc = {
                    "sum": np.zeros(c, np.uint64),
                    "sumsq": np.zeros(c, np.uint64),  # the low 64 bits of 128
                    "sumsq_hi": np.zeros(c, np.uint64),
                    "min": np.full(c, 65535, np.uint16),
                    "max": np.zeros(c, np.uint16),
                }
            else:
                self._acc = {
                    "n": np.zeros(c, np.int64),
                    "mean": np.zeros(c, np.float64),
                    "m2": np.zeros(c, np.float64),
                    "min": np.full(c, np.inf, np.float32),
                    "max": np.full(c, -np.inf, np.float32),
                }
            return
        self._shape = shape
        full = (*shape, c)
        if dtype == _U8:
            self._acc = {
                "sum": np.zeros(full, np.uint64),
                "sumsq": np.zeros(full, np.uint64),
                "s1": np.zeros(full, np.uint32),
                "s2": np.zeros(full, np.uint32),
                "min": np.full(full, 255, np.uint8),
                "max": np.zeros(full, np.uint8),
            }
        elif dtype == _U16:
            self._acc = {
                "sum": np.zeros(full, np.uint64),
                "sumsq": np.zeros(full, np.uint64),
                "min": np.full(full, 65535, np.uint16),
                "max": np.zeros(full, np.uint16),
            }
        else:
            self._acc = {
                "mean": np.zeros(full, np.float64),
                "m2": np.zeros(full, np.float64),
                "min": np.full(full, np.inf, np.float32),
                "max": np.full(full, -np.inf, np.float32),
            }

    def _set_fast(self) -> None:
        """update()'s fast path from the state (after _start and whenever the state is
        replaced: merge into an empty instance, unpickling)."""
        a = self._acc
        if (
            self._dtype == _U8
            and not self._per_pixel
            and self._size is None
            and self._crop is None
            and self._color is None
        ):
            self._fast = self._channels
            self._acc_u8 = (a["sum"], a["sumsq"], a["min"], a["max"])
        else:
            self._fast, self._acc_u8 = -1, ()

    def _check_compatible(self, dtype: str, channels: int, shape: tuple[int, int]) -> None:
        if dtype != self._dtype:
            raise ValueError(
                f"image: dtype {dtype} differs from the {self._dtype} images seen so far "
                "(statistics of different dtypes are in different units)"
            )
        if channels != self._channels:
            raise ValueError(
                f"image: {channels} channel(s), but the images seen so far have {self._channels}"
            )
        if self._per_pixel and shape != self._shape:
            assert self._shape is not None
            raise ValueError(
                f"image: size {shape[0]}x{shape[1]} (HxW) differs from the "
                f"{self._shape[0]}x{self._shape[1]} of the images seen so far; per-pixel "
                "statistics need one size (pass size=(h, w) to resize every image)"
            )

    def _update_pixels_u8(self, arr: Array) -> None:
        n, h, w, c = arr.shape
        cap = min(_PENDING_IMAGES, _PENDING_BYTES // (h * w * c))
        if n == 1 and cap > 1:
            if self._pending is None:
                self._pending = np.empty((cap, h, w, c), np.uint8)
            self._pending[self._npending] = arr[0]
            self._npending += 1
            if self._npending == len(self._pending):
                self._flush_pending()
            return
        self._flush_pending()
        self._stage_u8(arr)

    def _stage_u8(self, arr: Array) -> None:
        a = self._acc
        start = 0
        while start < arr.shape[0]:
            if self._staged == _STAGE_IMAGES:
                self._flush_staging()
            take = min(arr.shape[0] - start, _STAGE_IMAGES - self._staged)
            _core.stats_pixels_u8(arr[start : start + take], a["s1"], a["s2"], a["min"], a["max"])
            self._staged += take
            start += take

    def _flush_pending(self) -> None:
        if self._npending:
            assert self._pending is not None
            k, self._npending = self._npending, 0
            self._stage_u8(self._pending[:k])

    def _flush_staging(self) -> None:
        if self._staged:
            a = self._acc
            a["sum"] += a["s1"]
            a["sumsq"] += a["s2"]
            a["s1"].fill(0)
            a["s2"].fill(0)
            self._staged = 0

    def _settle(self) -> None:
        """Accumulates pending images and flushes the staging sums (results unchanged)."""
        if self._per_pixel and self._dtype == _U8:
            with self._changing():
                self._flush_pending()
                self._flush_staging()

    # ------------------------------------------------------------------------------------
    # Merging

    def merge(self, other: RunningStats) -> RunningStats:
        """Add the statistics of ``other`` to ``self`` (Chan, Golub and LeVeque's pairwise
        combination; the result does not depend on the order of merging beyond float64
        rounding, and for uint8 not at all). Returns ``self``.

        Raises
        ------
        TypeError
            ``other`` is not a RunningStats.
        ValueError
            The two differ in mode (``per_pixel``), ``size``/``antialias``, dtype, channel
            count or (per pixel) image size.
        """
        if not isinstance(other, RunningStats):
            raise TypeError(f"other: expected a RunningStats, got {type(other).__name__}")
        if other is self:
            other = self.copy()
        if self._per_pixel != other._per_pixel:
            raise ValueError(
                f"other: per_pixel={other._per_pixel} cannot be merged into "
                f"per_pixel={self._per_pixel} statistics"
            )
        if self._resampling() != other._resampling():
            raise ValueError(
                f"other: {other._resampling_text()} differs from {self._resampling_text()}"
            )
        first, second = (self, other) if id(self) < id(other) else (other, self)
        with first._lock, second._lock:  # one order for every pair: no deadlock
            self._check_usable()
            other._check_usable()
            self._merge(other)
        return self

    def _merge(self, other: RunningStats) -> None:
        if other._images == 0:
            return
        other._settle()
        if self._images == 0:
            state = other._snapshot()
            with self._changing():
                self.__dict__.update(state)
                self._set_fast()
            return
        if (other._dtype, other._source) != (self._dtype, self._source):
            if self._source == other._source == _U16:
                raise ValueError(
                    "other: uint16 statistics in exact sums and in the float32 accumulators of an "
                    "earlier version do not merge: compute the older ones again"
                )
            raise ValueError(f"other: dtype {other._source} differs from {self._source}")
        if other._channels != self._channels:
            raise ValueError(
                f"other: {other._channels} channel(s) differ from {self._channels} channel(s)"
            )
        if self._per_pixel and other._shape != self._shape:
            raise ValueError(
                f"other: per-pixel shape {other._shape} differs from {self._shape} (H, W)"
            )
        self._settle()
        with self._changing():
            self._add(other)

    def _add(self, other: RunningStats) -> None:
        a, b = self._acc, other._acc
        if self._dtype == _U16:
            if self._per_pixel and self._images + other._images > _U16_PIXEL_IMAGES:
                raise ValueError(
                    f"other: per-pixel uint16 sums hold {_U16_PIXEL_IMAGES:,} images exactly"
                )
            if not self._per_pixel and self._count + other._count > _U16_CHANNEL_VALUES:
                raise ValueError(
                    f"other: uint16 sums hold {_U16_CHANNEL_VALUES:,} values per channel exactly"
                )
            a["sum"] += b["sum"]
            if self._per_pixel:
                a["sumsq"] += b["sumsq"]
            else:  # 128 bits: the low words, then the high ones with the carry
                low = a["sumsq"] + b["sumsq"]
                a["sumsq_hi"] += b["sumsq_hi"] + (low < a["sumsq"]).astype(np.uint64)
                a["sumsq"][...] = low
            np.minimum(a["min"], b["min"], out=a["min"])
            np.maximum(a["max"], b["max"], out=a["max"])
        elif self._dtype == _U8:
            a["sum"] += b["sum"]
            a["sumsq"] += b["sumsq"]
            np.minimum(a["min"], b["min"], out=a["min"])
            np.maximum(a["max"], b["max"], out=a["max"])
        else:
            na: Any
            nb: Any
            if self._per_pixel:
                na, nb = float(self._images), float(other._images)
            else:
                na, nb = a["n"].astype(np.float64), b["n"].astype(np.float64)
                a["n"] += b["n"]
            nt = na + nb
            with np.errstate(invalid="ignore", over="ignore"):
                delta = b["mean"] - a["mean"]
                a["mean"] += delta * (nb / nt)
                a["m2"] += b["m2"] + delta * delta * (na * nb / nt)
            np.minimum(a["min"], b["min"], out=a["min"])  # propagates NaN, as the kernels do
            np.maximum(a["max"], b["max"], out=a["max"])
        self._count += other._count
        self._images += other._images

    def __add__(self, other: RunningStats) -> RunningStats:
        if not isinstance(other, RunningStats):
            return NotImplemented
        return self.copy().merge(other)

    def __radd__(self, other: Any) -> RunningStats:
        if isinstance(other, int) and other == 0:  # sum(list_of_stats)
            return self.copy()
        return NotImplemented

    def copy(self) -> RunningStats:
        """An independent copy."""
        with self._held():
            state = self._snapshot()
        new = type(self).__new__(type(self))
        new.__setstate__(state)
        return new

    def __copy__(self) -> RunningStats:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> RunningStats:
        return self.copy()

    def _snapshot(self) -> dict[str, Any]:
        """A deep copy of the state, without the lock (hold it while calling)."""
        self._settle()
        skip = ("_lock", "_pending", "_fast", "_acc_u8")  # _set_fast() rebuilds the last two
        state = {k: v for k, v in self.__dict__.items() if k not in skip}
        state = copy.deepcopy(state)
        state["_pending"] = None  # empty after _settle; reallocated on demand
        return state

    # ------------------------------------------------------------------------------------
    # Results

    @property
    def per_pixel(self) -> bool:
        """Whether per-pixel statistics are kept."""
        return self._per_pixel

    @property
    def dtype(self) -> str | None:
        """``"uint8"``, ``"uint16"`` or ``"float32"``: the dtype of the images seen; None before
        any."""
        with self._held():
            return self._source

    @property
    def channels(self) -> int:
        """The channel count C of the images seen (0 before any)."""
        with self._held():
            return self._channels

    @property
    def count(self) -> int:
        """Values per channel seen so far: the number of pixels (0 before any update)."""
        with self._held():
            return self._count

    @property
    def n_images(self) -> int:
        """Images seen so far (a batch of N counts N)."""
        with self._held():
            return self._images

    def _need_data(self) -> None:
        if self._images == 0:
            raise ValueError("RunningStats: no images yet (empty data set); call update() first")
        self._settle()

    def _channel_moments(self, ddof: int) -> tuple[Array, Array]:
        """Per-channel mean and variance, float64."""
        with self._held():
            return self._channel_moments_locked(ddof)

    def _channel_moments_locked(self, ddof: int) -> tuple[Array, Array]:
        self._need_data()
        a = self._acc
        c = self._channels
        if ddof >= self._count:
            raise ValueError(f"ddof: needs more than {ddof} values per channel, got {self._count}")
        if self._dtype == _U8:
            s1 = a["sum"].reshape(-1, c).sum(axis=0, dtype=np.uint64)
            s2 = a["sumsq"].reshape(-1, c).sum(axis=0, dtype=np.uint64)
            mean, var = _core.stats_u8_moments(self._count, s1, s2, ddof)
            return mean, var
        if self._dtype == _U16:  # exact integers, each result rounded once (Python's division)
            n = self._count
            sums, squares = _u16_channel_sums(a, c, self._per_pixel)
            mean = np.array([s / n for s in sums])
            var = np.array(
                [(n * q - s * s) / (n * (n - ddof)) for s, q in zip(sums, squares, strict=True)]
            )
            return mean, var
        if not self._per_pixel:
            return a["mean"].copy(), a["m2"] / (a["n"] - ddof)
        # Per pixel: every element saw the same number of images; Chan's formula over them.
        k = self._images
        pm = a["mean"].reshape(-1, c)
        with np.errstate(invalid="ignore", over="ignore"):  # NaN and inf propagate
            mean = pm.mean(axis=0)
            m2 = a["m2"].reshape(-1, c).sum(axis=0) + k * ((pm - mean) ** 2).sum(axis=0)
        return mean, m2 / (self._count - ddof)

    @property
    def mean(self) -> Array:
        """Per-channel mean, float64 (C,), in the units of the input (0..255 for uint8)."""
        return self._channel_moments(0)[0]

    def var(self, ddof: int = 0) -> Array:
        """Per-channel variance, float64 (C,): population (``ddof=0``) or sample (``ddof=1``)."""
        return self._channel_moments(_check_ddof(ddof))[1]

    def std(self, ddof: int = 0) -> Array:
        """Per-channel standard deviation, float64 (C,): ``sqrt(var(ddof))``."""
        return np.sqrt(self.var(ddof))

    @property
    def _unit(self) -> float:
        return {_U8: 255.0, _U16: 65535.0}.get(self._source or "", 1.0)

    @property
    def mean01(self) -> Array:
        """Per-channel mean scaled to [0, 1] (``mean / 255`` for uint8): for ``Normalize``."""
        return self.mean / self._unit

    def std01(self, ddof: int = 0) -> Array:
        """Per-channel std scaled to [0, 1] (``std() / 255`` for uint8): for ``Normalize``."""
        return self.std(ddof) / self._unit

    @property
    def min(self) -> Array:
        """Per-channel minimum (C,), in the input dtype (NaN if a channel had NaN)."""
        with self._held():
            self._need_data()
            m: Array = self._acc["min"].reshape(-1, self._channels).min(axis=0)
        return m

    @property
    def max(self) -> Array:
        """Per-channel maximum (C,), in the input dtype (NaN if a channel had NaN)."""
        with self._held():
            self._need_data()
            m: Array = self._acc["max"].reshape(-1, self._channels).max(axis=0)
        return m

    def _pixel_moments(self, ddof: int) -> tuple[Array, Array]:
        if not self._per_pixel:
            raise ValueError("per-pixel results need RunningStats(per_pixel=True)")
        with self._held():
            return self._pixel_moments_locked(ddof)

    def _pixel_moments_locked(self, ddof: int) -> tuple[Array, Array]:
        self._need_data()
        if ddof >= self._images:
            raise ValueError(f"ddof: needs more than {ddof} images, got {self._images}")
        a = self._acc
        if self._dtype in (_U8, _U16):
            mean, var = _core.stats_u8_moments(
                self._images,
                a["sum"].reshape(-1),
                a["sumsq"].reshape(-1),
                ddof,
                255 if self._dtype == _U8 else 65535,
            )
            return mean.reshape(a["sum"].shape), var.reshape(a["sum"].shape)
        return a["mean"].copy(), a["m2"] / (self._images - ddof)

    @property
    def mean_image(self) -> Array:
        """Per-pixel mean, float64 (H, W, C) (needs ``per_pixel=True``)."""
        return self._pixel_moments(0)[0]

    def var_image(self, ddof: int = 0) -> Array:
        """Per-pixel variance over the images, float64 (H, W, C) (needs ``per_pixel=True``)."""
        return self._pixel_moments(_check_ddof(ddof))[1]

    def std_image(self, ddof: int = 0) -> Array:
        """Per-pixel standard deviation, float64 (H, W, C) (needs ``per_pixel=True``)."""
        return np.sqrt(self.var_image(ddof))

    # ------------------------------------------------------------------------------------
    # Serialization

    def to_dict(self) -> dict[str, Any]:
        """The complete state as JSON-safe data (``json.dumps`` works): lists of Python ints
        for the uint8 and uint16 sums (exact), floats for float32 statistics (NaN and inf as Python
        floats, which ``json.dumps`` writes as NaN and Infinity)."""
        with self._held():
            return self._to_dict()

    def _to_dict(self) -> dict[str, Any]:
        self._settle()
        state = {k: v.tolist() for k, v in self._acc.items() if k not in ("s1", "s2")}
        if "sumsq_hi" in state:  # uint16 per channel: the exact sums of squares, one int each
            high = state.pop("sumsq_hi")
            state["sumsq"] = [lo + (hi << 64) for lo, hi in zip(state["sumsq"], high, strict=True)]
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "per_pixel": self._per_pixel,
            "size": list(self._size) if isinstance(self._size, tuple) else self._size,
            "crop": list(self._crop) if isinstance(self._crop, tuple) else self._crop,
            "antialias": self._antialias,
            "convention": self._convention,
            "color": self._color,
            "interpolation": self._interpolation,
            "dtype": self._dtype,
            "source_dtype": self._source,
            "channels": self._channels,
            "shape": list(self._shape) if self._shape else None,
            "count": self._count,
            "images": self._images,
            "state": state,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunningStats:
        """Rebuild a RunningStats from :meth:`to_dict` output.

        Raises
        ------
        ValueError
            ``data`` is not the output of :meth:`to_dict` (wrong format, version, or arrays
            of the wrong shape).
        """
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"data: not a {_FORMAT} dictionary")
        if data.get("version") != _VERSION:
            raise ValueError(f"data: version {data.get('version')!r} is not {_VERSION}")
        try:
            size, crop = data["size"], data.get("crop")  # crop, convention: since 0.1.0
            out = cls(
                per_pixel=bool(data["per_pixel"]),
                size=tuple(size) if isinstance(size, list) else size,
                crop=tuple(crop) if isinstance(crop, list) else crop,
                antialias=bool(data["antialias"]),
                convention=data.get("convention"),
                color=data.get("color"),  # absent from older dictionaries
                interpolation=data.get("interpolation", "bilinear"),  # likewise
            )
            count = _stored_int(data, "count", 0, _MAX_COUNT)
            images = _stored_int(data, "images", 0, _MAX_COUNT)
            dtype = data["dtype"]
            if dtype is None:
                if count or images:
                    raise ValueError(
                        f"data['count'], data['images']: {count} and {images} for statistics "
                        "of no images (dtype None); expected 0 and 0"
                    )
                return out
            if dtype not in (_U8, _U16, _F32):
                raise ValueError(
                    f"data['dtype']: expected {_U8!r}, {_U16!r}, {_F32!r} or None, got "
                    f"{_brief(dtype)}"
                )
            source = data.get("source_dtype", dtype)  # since 0.1.0: the images' dtype
            if source not in (_U8, _F32, _U16):
                raise ValueError(
                    f"data['source_dtype']: expected {_U8!r}, {_U16!r} or {_F32!r}, got "
                    f"{_brief(source)}"
                )
            resampled = out._transformed()
            # uint16 images in float32 accumulators: a state saved before the exact sums
            legacy = source == _U16 and dtype == _F32
            if dtype != (out._resampled_dtype(source) if resampled else source) and not legacy:
                raise ValueError(
                    f"data['dtype']: {dtype} accumulators for {source} images with "
                    f"{out._resampling_text()} (made by an earlier pixnorm, whose size= "
                    "accumulated rounded uint8 values: compute the statistics again)"
                )
            channels = _stored_int(data, "channels", 1, _MAX_COUNT)
            if out._color is not None:  # a colour fixes the channels it gives
                given = 1 if out._color == "gray" else 3
                if channels != given:
                    raise ValueError(
                        f"data['channels']: {channels}, but data['color'] {out._color!r} gives "
                        f"{given}"
                    )
            hw = (0, 0)
            if out._per_pixel:
                shape = data["shape"]
                if not isinstance(shape, list | tuple) or len(shape) != 2:
                    raise ValueError(f"data['shape']: expected [H, W], got {_brief(shape)}")
                hw = (_stored_int(shape, 0, 1, _MAX_COUNT), _stored_int(shape, 1, 1, _MAX_COUNT))
                if count != images * hw[0] * hw[1]:
                    raise ValueError(
                        f"data['count']: {count} values per channel; expected images x H x W = "
                        f"{images} x {hw[0]} x {hw[1]}"
                    )
            elif (count == 0) != (images == 0) or count < images:
                raise ValueError(
                    f"data['count']: {count} values per channel for {images} images; expected "
                    "at least one per image (0 for no images)"
                )
            # Check one array's shape before allocating (channels and shape come from data).
            full = (*hw, channels) if out._per_pixel else (channels,)
            try:
                got = np.shape(data["state"]["min"])
            except ValueError:  # a ragged list
                got = None
            if got != full:
                raise ValueError(f"data: state['min'] has shape {got}; expected {full}")
            out._start(dtype, channels, hw, source)
            stored = dict(data["state"])
            if "sumsq_hi" in out._acc:  # one exact int per channel, in two 64-bit words
                squares = stored["sumsq"]
                if not isinstance(squares, list) or not all(
                    type(v) is int and 0 <= v < 2**128 for v in squares
                ):
                    raise ValueError("data: state['sumsq'] must be ints in [0, 2**128)")
                stored["sumsq"] = [v & (2**64 - 1) for v in squares]
                stored["sumsq_hi"] = [v >> 64 for v in squares]
            for key, arr in out._acc.items():
                if key in ("s1", "s2"):
                    continue
                value = np.array(stored[key], dtype=arr.dtype)
                if value.shape != arr.shape:
                    raise ValueError(
                        f"data: state[{key!r}] has shape {value.shape}; expected {arr.shape}"
                    )
                arr[...] = value
            out._count = count
            out._images = images
            out._check_state()
        except (KeyError, TypeError, OverflowError) as e:
            raise ValueError(f"data: malformed {_FORMAT} dictionary ({e!r})") from None
        return out

    def _check_state(self) -> None:
        """Refuse accumulators no sequence of updates can produce (a corrupted or hand-edited
        dictionary): they would give a negative variance, or statistics of values outside the
        input range, silently."""
        a, n = self._acc, (self._images if self._per_pixel else self._count)
        if (self._count == 0) != (self._images == 0):
            raise ValueError(
                f"data: count {self._count} and images {self._images} disagree (both are 0 "
                "before the first image, neither after)"
            )
        if n == 0:  # nothing seen: the accumulators as they start (else later results lie)
            level = {_U8: 255, _U16: 65535}.get(self._dtype or "")
            start = {"min": np.inf, "max": -np.inf} if level is None else {"min": level, "max": 0}
            for key, arr in a.items():
                want = start.get(key, 0)
                if key not in ("s1", "s2") and not (arr == want).all():
                    raise ValueError(
                        f"data: state[{key!r}] must be {want} everywhere when no image was seen"
                    )
            return
        lo, hi = a["min"], a["max"]
        if self._dtype == _U16 and self._per_pixel and self._images > _U16_PIXEL_IMAGES:
            raise ValueError(
                f"data: {self._images:,} images; per-pixel uint16 sums hold {_U16_PIXEL_IMAGES:,}"
            )
        if self._dtype == _U16 and not self._per_pixel and self._count > _U16_CHANNEL_VALUES:
            raise ValueError(
                f"data: {self._count:,} values per channel; uint16 sums hold "
                f"{_U16_CHANNEL_VALUES:,}"
            )
        if self._dtype in (_U8, _U16):
            top = 255.0 if self._dtype == _U8 else 65535.0
            s, q = a["sum"].astype(np.float64), a["sumsq"].astype(np.float64)
            if "sumsq_hi" in a:  # uint16 per channel: 128 bits
                q = q + a["sumsq_hi"].astype(np.float64) * 2.0**64
            slack = 1 + 1e-9  # float64 of sums up to 2**128: a relative check
            if (s > top * n * slack).any() or (q > top * top * n * slack).any():
                raise ValueError(
                    f"data: state['sum'] or ['sumsq'] beyond {top:.0f} per value ({n} each)"
                )
            if (s * s > q * n * slack).any():
                raise ValueError(
                    "data: state['sum'] and ['sumsq'] give a negative variance (sum**2 > n * sumsq)"
                )
            if (
                (lo > hi).any()
                or (s < lo.astype(np.float64) * n / slack).any()
                or (s > hi.astype(np.float64) * n * slack).any()
            ):
                raise ValueError("data: state['min'], ['max'] and ['sum'] disagree")
            return
        if "n" in a and (a["n"] != self._count).any():
            raise ValueError(f"data: state['n'] {a['n'].tolist()} differs from count {self._count}")
        with np.errstate(invalid="ignore"):
            if (a["m2"] < 0).any():
                raise ValueError("data: state['m2'] is negative (a negative variance)")
            if (lo > hi).any():
                raise ValueError("data: state['min'] exceeds state['max']")

    def __getstate__(self) -> dict[str, Any]:
        # A copy taken under the lock (pickle writes the arrays after this returns, when
        # another thread may be updating them); the lock itself cannot be pickled.
        with self._held():
            return self._snapshot()

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("_crop", None)  # pickles of earlier versions
        state.setdefault("_convention", None)
        state.setdefault("_color", None)
        state.setdefault("_interpolation", "bilinear")
        state.setdefault("_source", state.get("_dtype"))
        self.__dict__.update(state)
        self._set_fast()
        self._lock = threading.Lock()
        self._interrupted = False  # an interrupted instance refuses to be pickled
        _INSTANCES.add(self)

    def __repr__(self) -> str:
        with self._lock:
            shape = f", shape={self._shape}" if self._per_pixel else ""
            broken = ", interrupted" if self._interrupted else ""
            return (
                f"RunningStats(per_pixel={self._per_pixel}, dtype={self._source}, "
                f"channels={self._channels}{shape}, images={self._images}, count={self._count}"
                f"{broken})"
            )
