"""Scale-out on Ray Data: dataset statistics and preprocessing on a cluster, with the numbers one
machine gives.

``pixnorm.ray.stats(dataset)`` computes a :class:`pixnorm.RunningStats` over an image column of a
``ray.data.Dataset``: each block computes a partial RunningStats in a Ray task (pixnorm on one
thread there: Ray runs one task per CPU), the partials travel pickled (their arrays exactly as
they are) and the driver merges them with :meth:`RunningStats.merge` as they arrive. uint8
statistics are integer sums, so the result is bit-identical to one local RunningStats over the
same images, whatever the order, the blocks and the number of workers.

``pixnorm.ray.Preprocess(...)`` is a callable for ``dataset.map_batches(..., batch_format="numpy")``
that turns an image column into the float32 (N, C, h, w) tensors of
:func:`pixnorm.preprocess_batch`, bit for bit, optionally with RandomResizedCrop boxes and
horizontal and vertical flips drawn from ``seed`` and each image's content (the same draw for
the same image in any block, on any worker, in any retry).

Ray is imported here only: ``import pixnorm`` never imports it (``pip install '.[ray]'`` in a
checkout, or ``'ray[data]'``).
``pixnorm stats PATH --ray`` runs the command line's statistics through this module.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import math
import numbers
import os
import pickle
import signal
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

try:
    import ray
    import ray.data
except ImportError as e:
    raise ImportError(
        f"pixnorm.ray needs Ray Data ({e}): pip install '.[ray]' in a checkout, or 'ray[data]'"
    ) from e

from . import _core
from ._args import (
    _brief,
    _check_color_values,
    _pair,
    _probability,
    _real,
    _rrc_ranges,
    _side,
    _values,
)
from ._decode import decode
from ._normalizer import Normalizer, _unpack
from ._resize import _check_convention, preprocess_batch
from .stats import RunningStats
from .transforms import _rrc_params

if TYPE_CHECKING:
    from .cli import Resampling

__all__ = ["Preprocess", "stats"]

Array = np.ndarray[Any, Any]

# The columns of the partial results (one row per block).
_PARTIAL = "pixnorm_partial"
_FIRST = "pixnorm_first"

_MODES = ("RGB", "L", "RGBA", None)


def _check_mode(mode: Any) -> None:
    if not isinstance(mode, str | None):
        raise TypeError(f"mode: expected 'RGB', 'L', 'RGBA' or None, got {_brief(mode)}")
    if mode not in _MODES:
        raise ValueError(f"mode: expected 'RGB', 'L', 'RGBA' or None, got {mode!r}")


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """pixnorm on one thread inside a Ray task (Ray runs one task per CPU it has: more threads
    per task would only oversubscribe the node), then the setting it had (a Preprocess called
    on the driver must not change the driver's thread count)."""
    before = _core._user_threads()
    _core._set_user_threads(1)
    try:
        yield
    finally:
        _core._set_user_threads(before)


def _decoded(col: Any, column: str, mode: str | None, paths: Any) -> list[Array]:
    """A column of encoded files (``read_binary_files``' bytes), decoded by pixnorm.decode:
    its errors name the column, the row of the batch and, where the batch has a ``path``
    column (``include_paths=True``), the file."""
    images = []
    for i, data in enumerate(col):
        try:
            if data is None:
                raise TypeError("None, not an encoded file")
            images.append(decode(data, mode=mode))
        except (TypeError, ValueError) as e:
            where = f" ({paths[i]})" if paths is not None and i < len(paths) else ""
            raise type(e)(f"column {column!r}, row {i} of the batch{where}: {e}") from None
    return images


def _column(batch: Any, column: str, mode: str | None = "RGB") -> Array | list[Array]:
    """The images of a numpy batch: one (N, H, W[, C]) array when Ray holds them as one tensor
    (one size), else a list of (H, W[, C]) arrays (Ray's variable-shaped tensors, or encoded
    files decoded with ``mode``)."""
    if not isinstance(batch, dict):
        raise TypeError(
            f"batch: expected a dict of numpy arrays (map_batches(..., batch_format='numpy')), "
            f"got {type(batch).__name__}"
        )
    if column not in batch:
        raise ValueError(
            f"column: {column!r} is not in the dataset (columns: {', '.join(map(repr, batch))})"
        )
    col = np.asarray(batch[column]) if not isinstance(batch[column], np.ndarray) else batch[column]
    if col.dtype.kind in "SV" or (
        col.dtype == object
        and len(col)
        and any(isinstance(x, bytes | bytearray | memoryview) for x in col[:8])
    ):
        if col.dtype.kind == "S":
            raise TypeError(
                f"column {column!r} holds fixed-width numpy bytes (dtype {col.dtype}), which "
                "drop an encoded file's trailing zero bytes; give an object column of bytes "
                "(as ray.data.read_binary_files does)"
            )
        return _decoded(col, column, mode, batch.get("path"))
    if col.dtype.kind == "U" or (col.dtype == object and len(col) and isinstance(col[0], str)):
        raise TypeError(
            f"column {column!r} holds strings (paths?), not images: read the files first "
            "(ray.data.read_binary_files, then column='bytes'; or ray.data.read_images), or "
            "use pixnorm stats PATH --ray"
        )
    if col.dtype == object:
        images = [_row(x, i, column) for i, x in enumerate(col)]
        for i, img in enumerate(images):
            _check_row_shape(img.shape, i, column)
        _check_not_converted(images, column)
        return images
    if col.ndim not in (3, 4):
        raise ValueError(
            f"column {column!r}: rows of shape {col.shape[1:]}; expected images (H, W) or (H, W, C)"
        )
    if len(col):
        _check_row_shape(col.shape[1:], 0, column)
        _check_not_converted(col, column)
    return col


def _check_not_converted(images: Any, column: str) -> None:
    """Refuse a float32 block that mixes uint8 levels with values in 0..1: Ray Data converts a
    block that holds uint8 and float32 rows to float32 (the column has one dtype), so uint8
    images arrive as floats of 0..255 next to images in 0..1, which no statistics or
    normalization can serve (locally the mix is refused). The conversion leaves no other
    trace; its signature is a row of whole numbers in 0..65535 spanning more than two levels
    next to a row of fractions within 0..1 (uint16 images mixed with float32 too). Other float
    data (an offset, a constant image, values beyond 0..65535) passes. Costs one pass over
    float32 and uint16 blocks; uint8 is not looked at."""
    if len(images) < 2:
        return
    if all(img.dtype == np.uint16 for img in images):
        _check_not_widened(images, column)
        return
    if any(img.dtype != np.float32 for img in images):
        return
    levels = fractions = None
    for i, img in enumerate(images):
        lo, hi = float(img.min()), float(img.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            continue  # NaN or inf: not a converted uint8 image (the other rows still count)
        whole = bool(np.array_equal(img, np.rint(img)))
        if whole and 0 <= lo and hi <= 65535 and hi - lo >= 2:
            levels = i if levels is None else levels
        elif not whole and 0 <= lo and hi <= 1:
            fractions = i if fractions is None else fractions
        if levels is not None and fractions is not None:
            raise ValueError(
                f"column {column!r}: row {levels} holds whole numbers up to "
                f"{float(images[levels].max()):g} and row {fractions} fractions within 0..1, in "
                "one float32 block: Ray Data converts a block that mixes uint8 (or uint16) and "
                "float32 images to float32, so the integer levels would be read as floats next "
                "to 0..1 values; give every image one dtype (e.g. .astype(np.float32) / 255 "
                "where you make them)"
            )


def _check_not_widened(images: Any, column: str) -> None:
    """Refuse a uint16 block that mixes 8-bit images with 16-bit ones: Ray Data converts a
    block holding uint8 and uint16 rows to uint16, so the uint8 images would be read as
    16-bit levels (about 1/257 of their brightness). Its signature: a row whose values stay
    within 0..255 while spanning at least 32 levels, next to a row above 4095 (so 10- and
    12-bit data stored as uint16, whose dim frames stay below 256, is never refused; uint8
    mixed with such data is not caught). A 16-bit block whose image stays within 0..255
    (0.4% of the range) next to a bright one is refused too: the two cannot be told apart."""
    eight = sixteen = None
    for i, img in enumerate(images):
        lo, hi = int(img.min()), int(img.max())
        if hi <= 255 and hi - lo >= 32:
            eight = i if eight is None else eight
        elif hi > 4095:
            sixteen = i if sixteen is None else sixteen
        if eight is not None and sixteen is not None:
            raise ValueError(
                f"column {column!r}: row {eight} holds values within 0..255 only and row "
                f"{sixteen} values up to {int(images[sixteen].max())}, in one uint16 block: "
                "Ray Data converts a block that mixes uint8 and uint16 images to uint16, so "
                "8-bit images would be read as 16-bit levels; give every image one dtype "
                "(e.g. uint8 * 257 as uint16 where you make them)"
            )


def _row(value: Any, i: int, column: str) -> Array:
    """One row of an object column as an array: Ray gives a row of nested lists (from_items
    with lists) as an object array of lists."""
    arr = np.asarray(value)
    if arr.dtype == object:
        try:
            arr = np.array(arr.tolist())
        except ValueError:  # ragged lists
            arr = arr.astype(object)
        if arr.dtype == object:
            raise TypeError(
                f"column {column!r}: row {i} is not an array of numbers (ragged nested lists, "
                "or objects); expected an image (H, W) or (H, W, C)"
            )
    return arr


def _check_row_shape(shape: tuple[int, ...], row: int, column: str) -> None:
    if len(shape) not in (2, 3):
        raise ValueError(
            f"column {column!r}: row {row} has shape {tuple(shape)}; expected an image "
            "(H, W) or (H, W, C)"
        )
    if 0 in shape:
        raise ValueError(
            f"column {column!r}: row {row} has shape {tuple(shape)}, a zero-size image"
        )
    _check_not_padded(shape, row, column)


def _check_not_padded(shape: tuple[int, ...], row: int, column: str) -> None:
    """Refuse a row of one pixel's height with a channel axis, (1, W, C): where Ray Data
    combines rows of 2 and 3 dimensions in a variable-shaped tensor column it pads the 2-D
    ones with a leading axis of 1, so a gray (H, W) image arrives as (1, H, W), which reads as
    an image one pixel high with W channels (with W = 3: silently as colour). The padding
    leaves no trace, so a row of that shape cannot be told from a real one; images one pixel
    high are refused instead of guessed."""
    if len(shape) == 3 and shape[0] == 1:
        raise ValueError(
            f"column {column!r}: row {row} has shape {tuple(shape)}, an image one pixel high; "
            "Ray Data pads a gray (H, W) row to (1, H, W) when its block also holds images "
            "with a channel axis, and pixnorm cannot tell the two apart: read the images with "
            "one mode (ray.data.read_images(..., mode='RGB' or 'L')) or give gray arrays a "
            "channel axis, (H, W, 1)"
        )


# ------------------------------------------------------------------------------------------
# Statistics


def _update(part: RunningStats, images: Array | list[Array]) -> None:
    if isinstance(images, np.ndarray):  # one size: the whole block in one call
        if len(images):
            part.update(images[..., None] if images.ndim == 3 else images)  # (N, H, W): gray
    else:
        for img in images:
            part.update(img)


# The tasks' contract with the driver (their options and results). A task that finds another
# number runs a different pixnorm than the driver: a clear error instead of a KeyError.
_PROTOCOL = 5


def _protocol_error(given: Any) -> ValueError:
    return ValueError(
        f"pixnorm differs between this driver (task protocol {given}) and the cluster's workers "
        f"(protocol {_PROTOCOL}, pixnorm {_core.build_info()['version']}): install the same "
        "pixnorm on every node"
    )


def _block_stats(batch: Any, *, column: str, options: dict[str, Any]) -> dict[str, Array]:
    """One block's partial RunningStats, pickled (the accumulators' arrays as they are: exact),
    or the TypeError / ValueError it raised, pickled too: the driver raises it as itself,
    naming the column, rather than as Ray's wrapped task error."""
    result: RunningStats | TypeError | ValueError
    try:
        options = dict(options)
        given = options.pop("protocol", None)
        if given != _PROTOCOL:
            raise _protocol_error(given)
        images = _column(batch, column, options.pop("mode", "RGB"))  # errors name the column
        with _one_thread():
            result = RunningStats(**options)
            try:
                _update(result, images)
            except (TypeError, ValueError) as e:
                raise type(e)(f"column {column!r}: {e}") from None
    except (TypeError, ValueError) as e:
        result = e
    blob = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    return {_PARTIAL: np.array([blob], dtype=object)}


def _merge_partial(total: RunningStats, blob: bytes, column: str) -> None:
    """Merge one block's pickled partial result into `total`, or raise the error it carries.
    Raised inside the loop over Ray's iterator, an error stops the run: leaving the loop
    closes the iterator, which stops the execution (the tasks in flight are dropped)."""
    part = pickle.loads(blob)
    if isinstance(part, TypeError | ValueError):
        raise part
    have, got = total._shape, part._shape  # (H, W) per pixel once images were seen
    if total.per_pixel and have is not None and got is not None and got != have:
        (h0, w0), (h1, w1) = have, got
        raise ValueError(
            f"column {column!r}: images of {h0}x{w0} and {h1}x{w1} (HxW) pixels; per-pixel "
            "statistics need one size: pass size=(h, w) (or a crop) to resize every image first"
        )
    try:
        total.merge(part)
    except ValueError as e:
        what = str(e).removeprefix("other: ")  # RunningStats.merge's name for the partial
        raise ValueError(
            f"column {column!r}: one block's images differ from the earlier blocks' ({what}): "
            "give every image the same dtype and number of channels (e.g. "
            "ray.data.read_images(..., mode='RGB'))"
        ) from None


def _check_dataset(dataset: Any) -> None:
    if not isinstance(dataset, ray.data.Dataset):
        raise TypeError(f"dataset: expected a ray.data.Dataset, got {type(dataset).__name__}")


def _check_batch_size(batch_size: Any) -> int | None:
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise TypeError(f"batch_size: expected None or an int, got {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size: expected None or >= 1, got {batch_size}")
    return int(batch_size)


def stats(
    dataset: ray.data.Dataset,
    *,
    column: str = "image",
    per_pixel: bool = False,
    size: int | tuple[int, int] | None = None,
    crop: int | tuple[int, int] | None = None,
    antialias: bool = True,
    convention: str | None = None,
    batch_size: int | None = None,
    color: str | None = None,
    mode: str | None = "RGB",
    interpolation: Any = "bilinear",
) -> RunningStats:
    """A :class:`pixnorm.RunningStats` of the images in ``dataset[column]``, computed on the
    Ray cluster.

    Each batch (by default each block, ``batch_size=None``) becomes one partial RunningStats
    in a Ray task with one pixnorm thread; the driver merges the partials as they arrive.

    Parameters
    ----------
    dataset : ray.data.Dataset
        With a column of uint8, uint16 or float32 images: (H, W) or (H, W, C) per row, one
        size (a tensor column) or mixed sizes (variable-shaped), as ``ray.data.read_images``
        or ``ray.data.from_numpy`` give; or of encoded files (bytes, as
        ``ray.data.read_binary_files`` gives them in its "bytes" column), decoded in the
        workers by :func:`pixnorm.decode` with ``mode``.
    column : str, default "image"
    mode : "RGB" (default), "L", "RGBA" or None
        :func:`pixnorm.decode`'s mode, for a column of encoded files (ignored otherwise).
    per_pixel, size, crop, antialias, convention, color, interpolation
        As :class:`pixnorm.RunningStats` (``color="rgb"`` takes gray, RGB and RGBA rows into
        one set).
    batch_size : int or None
        Images per partial result (Ray's ``map_batches(batch_size=...)``); None: one per block.
        Fewer, larger partials cost less to send and merge (per pixel a pickled uint8 partial
        is 26 bytes per value of one image); a batch must fit in a worker's memory once decoded.

    Returns
    -------
    RunningStats
        For uint8 and uint16 images (and named conventions with ``size``/``crop``, which
        accumulate integer levels), with ``color`` None, "rgb" or "bgr", bit-identical to a
        local RunningStats updated with the same images in any order, partitioning or number of
        workers: the sums are exact integers. For float32 images, the default convention with
        ``size``/``crop``, and the default convention's float colours ("gray", "gray3",
        "ycbcr", "yuv"), all of which accumulate floats, the merge order changes the last
        bits, within RunningStats' float bound (relative error of the variance about
        ``n * sqrt(1 + mean**2 / var) * 2**-53``).

    Raises
    ------
    TypeError
        ``dataset`` is not a Dataset; the column holds strings or unsupported dtypes.
    ValueError
        A missing column, bad options (checked before any task starts), rows that are not
        images, encoded files that do not decode (:class:`pixnorm.DecodeError`, naming the row
        and, with a ``path`` column, the file), or blocks that cannot be merged. Per pixel
        without ``size``, images of another size than the first block's stop the run as
        soon as the block that holds them is done (Ray Data knows no image sizes before
        decoding them; the blocks in flight are dropped): a ValueError naming both sizes.
    """
    _check_dataset(dataset)
    if not isinstance(column, str):
        raise TypeError(f"column: expected a str, got {type(column).__name__}")
    batch_size = _check_batch_size(batch_size)
    # The options are checked here, on the driver, before Ray runs anything.
    total = RunningStats(
        per_pixel=per_pixel, size=size, crop=crop, antialias=antialias, convention=convention,
        color=color, interpolation=interpolation,
    )  # fmt: skip
    _check_mode(mode)
    options = {
        "protocol": _PROTOCOL,
        "mode": mode,
        "per_pixel": total.per_pixel,
        "size": total._size,
        "crop": total._crop,
        "antialias": total._antialias,
        "convention": total._convention,
        "color": total._color,
        "interpolation": total._interpolation,
    }
    partials = dataset.map_batches(
        functools.partial(_block_stats, column=column, options=options),
        batch_size=batch_size,
        batch_format="numpy",
    )
    for batch in partials.iter_batches(batch_size=None, batch_format="numpy"):
        for blob in batch[_PARTIAL]:
            _merge_partial(total, blob, column)
    return total


# ------------------------------------------------------------------------------------------
# Preprocessing

# Rows of an image that its random draw hashes (evenly spaced; all rows of smaller images):
# hashing every byte cost about 0.3 ms for a 500x375 RGB image, more than preprocess itself.
_HASHED_ROWS = 64


def _fingerprint(image: Array) -> int:
    """A 128-bit digest of an image's dtype, shape and content (up to _HASHED_ROWS rows)."""
    h = hashlib.sha256(f"{image.dtype.str}{image.shape}".encode())
    rows = image.shape[0]
    if rows > _HASHED_ROWS:
        image = image[np.linspace(0, rows - 1, _HASHED_ROWS).round().astype(np.intp)]
    h.update(np.ascontiguousarray(image).data)
    return int.from_bytes(h.digest()[:16], "little")


def _per_row(batch: dict[str, Any], column: str, name: str, n: int, convert: Any) -> list[Any]:
    """One value per row of ``column`` (a box or a flip), converted to what preprocess_batch
    takes. A missing column is a ValueError naming the option; an unreadable row one naming
    the column and the row (counted within the batch Ray passes)."""
    if column not in batch:
        raise ValueError(
            f"{name}: {column!r} is not in the dataset (columns: {', '.join(map(repr, batch))})"
        )
    col = batch[column]
    if len(col) != n:  # a dict built by hand; Ray's batches have one length
        raise ValueError(f"column {column!r}: {len(col)} rows for {n} images")
    return [convert(col[i], column, i) for i in range(n)]


def _missing(value: Any) -> bool:
    """None, or the NaN Ray Data makes of a None where a whole column (or block) is None (its
    Arrow type is then null, which reaches numpy batches as float NaN)."""
    if value is None:
        return True
    return isinstance(value, float | np.floating) and np.ndim(value) == 0 and bool(np.isnan(value))


def _row_box(value: Any, column: str, i: int) -> tuple[int, int, int, int] | None:
    """A row's box: four integers (top, left, height, width), or None (the whole image)."""
    if _missing(value):
        return None
    where = f"column {column!r}, row {i} of the batch"
    arr = np.asarray(value) if not isinstance(value, str | bytes) else np.asarray(value, object)
    if arr.dtype.kind not in "iu":
        what = f"{arr.dtype} values" if arr.dtype != object else _brief(value)
        raise TypeError(
            f"{where}: expected a box of four ints (top, left, height, width) or None, got {what}"
        )
    if arr.shape != (4,):
        raise ValueError(
            f"{where}: expected a box of four ints (top, left, height, width) or None, got "
            f"{arr.size} values of shape {arr.shape}"
        )
    top, left, h, w = (int(v) for v in arr)
    return top, left, h, w


def _row_flip(value: Any, column: str, i: int) -> bool | str:
    """A row's flip: a bool, 'horizontal', 'vertical', 'both', or None (no flip)."""
    if _missing(value):
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    where = f"column {column!r}, row {i} of the batch"
    if isinstance(value, str):
        if value in ("horizontal", "vertical", "both"):
            return str(value)
        raise ValueError(
            f"{where}: expected a bool, 'horizontal', 'vertical', 'both' or None, got "
            f"{_brief(value)}"
        )
    raise TypeError(
        f"{where}: expected a bool, 'horizontal', 'vertical', 'both' or None, got "
        f"{_brief(value)} ({type(value).__name__})"
    )


def _check_boxes(images: Any, boxes: list[tuple[int, int, int, int] | None], column: str) -> None:
    """Each row's box inside its image, by the core's rule, the error naming the box column
    (preprocess_batch's would name boxes[i] of the image column)."""
    for i, (img, box) in enumerate(zip(images, boxes, strict=True)):
        if box is not None:
            h, w = int(img.shape[0]), int(img.shape[1])
            if not all(-(2**63) <= v < 2**63 for v in box):
                raise ValueError(
                    f"column {column!r}, row {i} of the batch: {box} is empty or outside the "
                    f"image of size ({h}, {w})"
                )
            _core.check_box(*box, h, w, f"column {column!r}, row {i} of the batch")


class Preprocess:
    """``dataset.map_batches(pixnorm.ray.Preprocess(...), batch_format="numpy")``: the images
    of ``column`` resized, cropped, flipped and normalized by :func:`pixnorm.preprocess_batch`
    (one pixnorm thread per Ray task), bit for bit what the local call gives.

    Parameters
    ----------
    size, crop, mean, std, scale, antialias, convention, max_size, channels_last, color
        As :func:`pixnorm.preprocess_batch` (``color="rgb"`` makes gray, RGB and RGBA rows one
        3-channel batch). Every image must end at one (h, w): give ``size``
        as a pair, or a ``crop``. Per-pixel ``mean``/``std`` become a :class:`pixnorm.Normalizer`
        once, here (the same bits, without computing the coefficients per batch).
    column : str, default "image"
        The images: uint8, uint16 or float32, (H, W) or (H, W, C) per row, one size or mixed
        sizes; or encoded files (bytes: ``read_binary_files``' "bytes" column), decoded by
        :func:`pixnorm.decode` with ``mode`` in the workers (the same bits as decoding first:
        random draws follow the decoded image).
    mode : "RGB" (default), "L", "RGBA" or None
        :func:`pixnorm.decode`'s mode, for a column of encoded files (ignored otherwise).
    output_column : str or None
        Where the (C, h, w) tensors go; None replaces ``column``. Other columns pass through.
    dtype : float dtype, default "float32"
        float32 is preprocess_batch's output as it is; float16 is written in the pass
        (``preprocess_batch(dtype=np.float16)``: the float32 values rounded once to nearest
        even, as ``astype`` would, without the float32 batch); another float dtype (float64) is
        the float32 output cast with numpy's ``astype``.
    random_resized_crop : bool, default False
        A box per image drawn with torchvision's RandomResizedCrop algorithm (ten tries, then
        the central fallback) from ``crop_scale`` and ``crop_ratio`` (torchvision's ``scale``
        and ``ratio``), cut out and resized to ``size``, which must then be a pair (h, w).
    flip_p : float, default 0.0
        Probability of a horizontal flip per image.
    vflip_p : float, default 0.0
        Probability of a vertical flip per image (drawn after the horizontal one: both can
        happen).
    box_column : str or None
        A column with each row's own box ``(top, left, height, width)`` (four ints, as
        :func:`pixnorm.preprocess`'s ``box``; None in a row: the whole image), cut out and
        resized to ``size``: boxes fixed in the data (detections, labelled regions) rather than
        drawn. Not with ``random_resized_crop``.
    flip_column : str or None
        A column with each row's own flip: a bool (True: horizontal) or ``"horizontal"``,
        ``"vertical"``, ``"both"`` (None in a row: no flip). Not with ``flip_p``/``vflip_p``.
    seed : int >= 0 or None
        Needed when anything is random (``random_resized_crop``, ``flip_p`` or ``vflip_p``):
        the random draws of an image come from a generator seeded with ``seed`` and a SHA-256
        fingerprint of the image (dtype, shape and up to 64 of its rows, evenly spaced): the
        same image gets the same box and flips in any block, order, worker or retry, and
        identical images get identical draws (numpy's PCG64 generator: the same draws with
        the same numpy version). Use a new seed per epoch for new draws (``seed=epoch``).
        There is no drawn default: in the class form (``map_batches(Preprocess,
        fn_constructor_kwargs=...)``) every actor makes its own object, and would draw its
        own. :meth:`params` gives an image's draw.

    Raises
    ------
    TypeError, ValueError
        Here, on the driver, for everything that can be checked without an image: the
        options, and mean/std (finite, std > 0, one length per channel, a per-pixel array
        against the output size when ``size``/``crop`` fix it). What depends on an image (its
        channels against mean/std, mixed output sizes) fails the Ray task: Ray 2.60 raises
        ``ray.exceptions.RayTaskError(UserCodeException)`` (not a ValueError), whose message
        holds pixnorm's error, naming the column, before Ray's retry advice.
    """

    def __init__(
        self,
        *,
        size: int | Sequence[int] | None = None,
        crop: int | Sequence[int] | None = None,
        mean: Any = 0.0,
        std: Any = None,
        scale: float | None = None,
        antialias: bool = True,
        convention: str | None = None,
        max_size: int | None = None,
        channels_last: bool = False,
        column: str = "image",
        output_column: str | None = None,
        dtype: Any = "float32",
        random_resized_crop: bool = False,
        crop_scale: Sequence[float] = (0.08, 1.0),
        crop_ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        flip_p: float = 0.0,
        vflip_p: float = 0.0,
        seed: int | None = None,
        color: str | None = None,
        box_column: str | None = None,
        flip_column: str | None = None,
        mode: str | None = "RGB",
    ) -> None:
        # What can be checked without an image is checked here, on the driver; the rest
        # (mean/std against the channels, sizes against each image) by preprocess_batch.
        self.antialias, self.convention = _check_convention(convention, antialias)[:2]
        self.color = color
        self.size = size if size is None else _pair(size, "size")
        self.crop = crop if crop is None else _pair(crop, "crop")
        self.max_size = max_size if max_size is None else _side(max_size, "max_size")
        norm, mean, std = _unpack(mean, std, scale, False)
        mean, std = _values(mean, "mean"), _values(std, "std")
        _check_color_values(color, self.convention, mean, std)  # its name, convention, counts
        if scale is not None:
            scale = _real(scale, "scale")
        # The values are checked here, as the workers would (finite, std > 0, the lengths and
        # the per-pixel shape), so a mistake is this call's error, not a failed Ray task's.
        checked = norm if norm is not None else Normalizer(mean, std, scale=scale)
        self._check_values(checked)
        if norm is None and checked.per_pixel:
            norm = checked  # per-pixel coefficients once, not per batch
        self.normalizer: Normalizer | None = norm
        self.mean, self.std, self.scale = mean, std, scale
        for name, flag in (
            ("channels_last", channels_last),
            ("random_resized_crop", random_resized_crop),
        ):
            if not isinstance(flag, bool | np.bool_):
                raise TypeError(f"{name}: expected a bool, got {type(flag).__name__}")
        self.channels_last = bool(channels_last)
        for name, col in (
            ("column", column),
            ("output_column", output_column),
            ("box_column", box_column),
            ("flip_column", flip_column),
        ):
            if not isinstance(col, str) and not (name != "column" and col is None):
                raise TypeError(f"{name}: expected a str, got {_brief(col)}")
        for name, col in (
            ("column", column),
            ("output_column", output_column),
            ("box_column", box_column),
            ("flip_column", flip_column),
        ):
            if col == "":
                raise ValueError(f"{name}: an empty column name")
        for name, col in (("box_column", box_column), ("flip_column", flip_column)):
            if col is not None and col == column:
                raise ValueError(f"{name}: {col!r} is the image column")
        if box_column is not None and box_column == flip_column:
            raise ValueError(f"flip_column: {flip_column!r} is also box_column")
        _check_mode(mode)
        self.mode = mode
        self.box_column: str | None = box_column
        self.flip_column: str | None = flip_column
        self.column: str = column
        self.output_column: str = output_column if output_column is not None else column
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype: expected a numpy float dtype, got {_brief(dtype)}") from None
        if self.dtype.kind != "f":
            raise TypeError(f"dtype: expected a float dtype (float32, float16, ...), got {dtype}")
        self.random_resized_crop = bool(random_resized_crop)
        self.crop_scale, self.crop_ratio = _rrc_ranges(
            crop_scale, crop_ratio, ("crop_scale", "crop_ratio")
        )
        self.flip_p = _probability(flip_p, "flip_p")
        self.vflip_p = _probability(vflip_p, "vflip_p")
        if self.random_resized_crop and not isinstance(self.size, tuple):
            raise ValueError(f"size: random_resized_crop needs size=(h, w), got {size!r}")
        if box_column is not None and self.random_resized_crop:
            raise ValueError(
                "box_column: boxes come from the column or from random_resized_crop, not both"
            )
        if flip_column is not None and (self.flip_p > 0 or self.vflip_p > 0):
            raise ValueError(
                "flip_column: flips come from the column or from flip_p/vflip_p, not both"
            )
        random = self.random_resized_crop or self.flip_p > 0 or self.vflip_p > 0
        if seed is None and random:
            # Not a seed drawn here: in the class form (map_batches(Preprocess, ...)) each
            # actor makes its own object, and would draw its own seed.
            raise ValueError(
                "seed: random crops and flips need a seed (an int >= 0; a new one per epoch, "
                "e.g. seed=epoch): the draws of an image follow from it on any worker"
            )
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
                raise TypeError(f"seed: expected None or an int >= 0, got {_brief(seed)}")
            if seed < 0:
                raise ValueError(f"seed: expected an int >= 0, got {seed}")
        self.seed: int | None = None if seed is None else int(seed)

    def _check_values(self, norm: Normalizer) -> None:
        """The per-channel lengths of mean and std agree; a per-pixel array fits the output
        size when size and crop fix it."""
        for name, v in (("mean", norm.mean), ("std", norm.std)):
            if np.ndim(v) == 2:
                raise ValueError(
                    f"{name}: an array of shape {np.shape(v)}; expected a number, one value per "
                    "channel, or a per-pixel array (H, W, C) or (C, H, W)"
                )
        lengths = {np.size(v) for v in (norm.mean, norm.std) if np.ndim(v) == 1}
        lengths.discard(1)
        if len(lengths) > 1:
            raise ValueError(
                f"mean, std: {np.size(norm.mean)} and {np.size(norm.std)} values; give one per "
                "channel for both (or a scalar)"
            )
        out = self.crop if self.crop is not None else self.size
        if isinstance(out, int) and self.crop is not None:
            out = (out, out)
        if not norm.per_pixel or not isinstance(out, tuple) or self.max_size is not None:
            return
        h, w = out
        for name, v in (("mean", norm.mean), ("std", norm.std)):
            shape = np.shape(v)
            if len(shape) < 3:
                continue
            fits = [
                all(a in (1, b) for a, b in zip(shape[i : i + 2], (h, w), strict=True))
                for i in (0, 1)
            ]
            if len(shape) != 3 or not any(fits):
                raise ValueError(
                    f"{name}: a per-pixel array of shape {shape}; the output is {h}x{w} (HxW): "
                    f"expected (H, W, C) = ({h}, {w}, C) or (C, H, W) = (C, {h}, {w})"
                )

    def __repr__(self) -> str:
        def show(v: Any) -> str:  # a per-pixel array by its shape, not its thousands of values
            return f"array{np.shape(v)}" if np.ndim(v) >= 2 else repr(v)

        keys: tuple[str, ...] = ("size", "crop", "mean", "std", "scale", "antialias")
        keys += ("convention", "color", "column")
        args = ", ".join(f"{k}={show(getattr(self, k))}" for k in keys)
        if self.output_column != self.column:
            args += f", output_column={self.output_column!r}"
        if self.dtype != np.float32:
            args += f", dtype={self.dtype.name!r}"
        if self.random_resized_crop:
            args += f", random_resized_crop=True, crop_scale={self.crop_scale}"
            args += f", crop_ratio={self.crop_ratio}"
        if self.flip_p:
            args += f", flip_p={self.flip_p}"
        if self.vflip_p:
            args += f", vflip_p={self.vflip_p}"
        if self.box_column is not None:
            args += f", box_column={self.box_column!r}"
        if self.flip_column is not None:
            args += f", flip_column={self.flip_column!r}"
        if self.seed is not None:
            args += f", seed={self.seed}"
        return f"Preprocess({args})"

    def params(self, image: Any) -> tuple[tuple[int, int, int, int] | None, bool | str]:
        """The box ``(top, left, height, width)`` (None without ``random_resized_crop``) and
        the flip drawn for ``image``, as :func:`pixnorm.preprocess` takes it: False, True (a
        horizontal flip), ``"vertical"`` or ``"both"``. These are the values
        :meth:`__call__` uses for it, unless ``box_column`` / ``flip_column`` give the box or
        the flip (then the row's values are used, and this draws nothing for them)."""
        arr = np.asarray(image)
        if arr.ndim not in (2, 3) or arr.size == 0:
            raise ValueError(f"image: expected a non-empty (H, W) or (H, W, C), got {arr.shape}")
        entropy = [self.seed or 0, _fingerprint(arr)]
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
        box = None
        if self.random_resized_crop:
            h, w = int(arr.shape[0]), int(arr.shape[1])
            box = _rrc_params(h, w, self.crop_scale, self.crop_ratio, rng)
        horizontal = bool(rng.random() < self.flip_p) if self.flip_p > 0 else False
        vertical = bool(rng.random() < self.vflip_p) if self.vflip_p > 0 else False
        flip: bool | str = horizontal
        if vertical:
            flip = "both" if horizontal else "vertical"
        return box, flip

    def __call__(self, batch: dict[str, Array]) -> dict[str, Array]:
        images = _column(batch, self.column, self.mode)
        out = dict(batch)
        if len(images) == 0:  # an empty block (after a filter): a plain empty column, which
            out[self.output_column] = np.empty((0,), self.dtype)  # Ray stores without a fuss
            return out
        boxes: list[tuple[int, int, int, int] | None] | None = None
        flips: list[bool | str] | None = None
        if self.random_resized_crop or self.flip_p > 0 or self.vflip_p > 0:
            drawn = [self.params(img) for img in images]
            flips = [f for _, f in drawn]
            if self.random_resized_crop:
                boxes = [b for b, _ in drawn if b is not None]  # one per image
        if self.box_column is not None:
            rows = _per_row(batch, self.box_column, "box_column", len(images), _row_box)
            _check_boxes(images, rows, self.box_column)
            boxes = rows  # a None row: the whole image
        if self.flip_column is not None:
            flips = _per_row(batch, self.flip_column, "flip_column", len(images), _row_flip)
        norm = self.normalizer
        try:
            with _one_thread():
                result = preprocess_batch(
                    images,
                    size=self.size,
                    crop=self.crop,
                    boxes=boxes,
                    flips=flips,
                    antialias=self.antialias,
                    convention=self.convention,
                    mean=norm if norm is not None else self.mean,
                    std=None if norm is not None else self.std,
                    scale=None if norm is not None else self.scale,
                    max_size=self.max_size,
                    channels_last=self.channels_last,
                    color=self.color,
                    # float16 in the pass (the same bits as astype: rounded once, to even)
                    dtype=np.float16 if self.dtype == np.float16 else None,
                )
        except (TypeError, ValueError) as e:
            raise type(e)(f"column {self.column!r}: {e}") from None
        fused = self.dtype in (np.float32, np.float16)
        out[self.output_column] = result if fused else result.astype(self.dtype)
        return out


# ------------------------------------------------------------------------------------------
# The command line: pixnorm stats PATH --ray [ADDRESS]


MAX_BLOCK_FILES = 256  # files per Ray task in pixnorm stats --ray
CONNECT_TIMEOUT = 10.0  # seconds to reach a cluster's host:port before ray.init


# The HTTP/2 client preface and an empty SETTINGS frame: a Ray head node's GCS is a gRPC server,
# which answers with a SETTINGS frame of its own.
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
_H2_SETTINGS = 4  # the frame type, byte 3 of the 9-byte frame header


def _probe(host: str, port: int) -> str | None:
    """Why ``host:port`` is not a Ray head node's GCS port, or None: no TCP connection, or no
    gRPC answer to a plain-text HTTP/2 handshake within CONNECT_TIMEOUT (for the whole answer).
    With Ray's TLS (``RAY_USE_TLS``) only the connection is tried."""
    try:
        conn = socket.create_connection((host.strip("[]"), port), timeout=CONNECT_TIMEOUT)
    except TimeoutError:
        return f"cannot reach {host}:{port}: no connection within {CONNECT_TIMEOUT:g} s"
    except OSError as e:
        return f"cannot reach {host}:{port} ({e.strerror or e})"
    head, why = b"", f"no gRPC reply within {CONNECT_TIMEOUT:g} s"
    with conn:
        if os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true"):
            return None
        deadline = time.monotonic() + CONNECT_TIMEOUT  # for the whole answer, not each recv
        try:
            conn.sendall(_H2_PREFACE)
            while len(head) < 9:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                conn.settimeout(left)
                chunk = conn.recv(9 - len(head))
                if not chunk:
                    why = "it closed the connection without a gRPC reply"
                    break
                head += chunk
        except TimeoutError:
            pass
        except OSError as e:
            why = f"it reset the connection without a gRPC reply ({e.strerror or e})"
    if len(head) == 9 and head[3] == _H2_SETTINGS:
        return None
    if head and (len(head) == 9 or why.startswith("it ")):
        why = f"it answered {head[:9]!r}..., not as a gRPC server"
    return f"{host}:{port} takes connections but is not a Ray cluster's port ({why})"


_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def _check_reachable(address: str) -> None:
    """A UsageError when ``host:port`` is not a Ray cluster's port (ray.init retries such an
    address for ever: measured with Ray 2.60, still waiting after 5 minutes for a closed port
    and after 3 for a port that takes connections but never answers). Ray connects to a
    loopback address through the node's own IP address: that one is probed too (a port
    forwarded on loopback only, as ssh -L or kubectl port-forward make, passed the first probe
    and then hung). Other forms ("auto") are left to Ray."""
    from .cli import UsageError

    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return
    why = _probe(host, int(port))
    if why is None and host.lower() in _LOOPBACK:
        node = ray.util.get_node_ip_address()
        if node not in _LOOPBACK and node != host:
            why = _probe(node, int(port))
            if why is not None:
                why = (
                    f"Ray connects to {host} through this node's address, {node}, and there "
                    f"{why}: forward the port on {node} too, or give that address"
                )
    if why is not None:
        raise UsageError(
            f"--ray {address}: {why}; give the address that `ray start --head` prints "
            "(host:6379 by default)"
        )


def _descendants() -> list[int]:
    """The process ids below this process (Linux: read from /proc; elsewhere none)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # gone since the listing
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])  # after the (command) field
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [os.getpid()]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie), as /proc says; elsewhere: signal 0 succeeds."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2 :].split()[0] != b"Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _terminate(pids: list[int], grace: float = 1.0) -> None:
    """SIGTERM, then SIGKILL for what still runs after `grace` seconds (a Ray agent survived
    SIGTERM now and then: 3 of 9 interrupted starts, measured)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    left = [p for p in pids if _alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if _alive(p)]
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def connected(address: str) -> Iterator[None]:
    """Ray connected for the command line: the session this process already has, else
    ``ray.init(address)`` with Ray's meanings (``"local"``: a new cluster on this machine, even
    if one runs; ``"auto"``: ``RAY_ADDRESS``, else the cluster last started here with ``ray
    start``; ``"host:port"``: that cluster), shut down at the end (only
    what this started). Meanwhile sys.stdout is sys.stderr: Ray prints its cluster's messages
    (a worker that died and the task it retries, the workers' own output) on stdout, which is
    the command's result."""
    with contextlib.redirect_stdout(sys.stderr):
        if ray.is_initialized():
            yield
            return
        with _initialized(address):
            yield


@contextlib.contextmanager
def _initialized(address: str) -> Iterator[None]:
    from .cli import UsageError

    kwargs: dict[str, Any] = {"address": address, "logging_level": logging.WARNING}
    if address == "local":
        kwargs["include_dashboard"] = False  # a cluster for one command: no web server
    else:
        _check_reachable(address)
    try:
        ray.init(**kwargs)
    except (ConnectionError, ValueError, RuntimeError) as e:
        hint = ""
        if address != "local" and "RAY_AUTH_MODE" not in os.environ:
            hint = (
                "; Ray 2.60 clusters check a token by default: set RAY_AUTH_MODE=token and "
                "give this process the cluster's token (see the README's Scale out section)"
            )
        raise UsageError(f"--ray {address}: cannot connect ({e}){hint}") from None
    except KeyboardInterrupt:
        # Interrupted while starting a local cluster: ray.shutdown() does not stop what a
        # half-done ray.init started (its dashboard and runtime-env agents, orphaned, lived
        # 1-2 minutes more: measured); this process starts no others, so its descendants go.
        started = _descendants()
        ray.shutdown()
        _terminate(started)
        raise
    try:
        yield
    finally:
        ray.shutdown()


@contextlib.contextmanager
def _data_context(progress: bool) -> Iterator[None]:
    """Ray Data settings for the datasets the command line creates (captured when a dataset
    is created), restored afterwards. Resource reservation off: with it, a map on a small
    cluster ran about one task at a time (measured: 1.02x on 2 CPUs; without it
    1.5-1.6x)."""
    ctx = ray.data.DataContext.get_current()
    saved = (ctx.op_resource_reservation_enabled, ctx.enable_progress_bars)
    ctx.op_resource_reservation_enabled = False
    ctx.enable_progress_bars = progress
    # Without progress: quiet. Ray Data logs each execution at INFO on stderr (its progress,
    # when stdout is not a terminal), and warns that its bars are off, telling to set a
    # DataContext flag (which --progress on sets here).
    loggers = [logging.getLogger("ray.data"), logging.getLogger("ray.data._internal.progress")]
    levels = [log.level for log in loggers]
    if not progress:
        loggers[0].setLevel(logging.WARNING)
        loggers[1].setLevel(logging.ERROR)
    try:
        yield
    finally:
        ctx.op_resource_reservation_enabled, ctx.enable_progress_bars = saved
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)


def _cluster_cpus() -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _files_dataset(paths: Sequence[str], per_block: int) -> Any:
    rows = [{"index": i, "path": p} for i, p in enumerate(paths)]
    return ray.data.from_items(rows, override_num_blocks=max(1, math.ceil(len(rows) / per_block)))


def _block_headers(batch: dict[str, Array]) -> dict[str, Array]:
    from .cli import read_header

    heads = [read_header(str(p)) for p in batch["path"]]
    return {
        "index": batch["index"],
        "depth": np.array([h[0] if h else "" for h in heads], dtype=object),
        "height": np.array([h[1][0] if h else 0 for h in heads], np.int64),
        "width": np.array([h[1][1] if h else 0 for h in heads], np.int64),
    }


def _block_files(
    batch: dict[str, Array], *, mode: str, options: dict[str, Any]
) -> dict[str, Array]:
    """The command line's own pass (cli.accumulate: the same decoding, checks and skip
    reasons) over one block of files: its partial statistics and skipped files, pickled, and
    the index of the first file it used (the driver loads the sample for --plot from it)."""
    from .cli import accumulate

    if options.get("protocol") != _PROTOCOL:
        blob = pickle.dumps(_protocol_error(options.get("protocol")))
        return {_PARTIAL: np.array([blob], dtype=object), _FIRST: np.array([-1])}
    paths = [str(p) for p in batch["path"]]
    with _one_thread():
        part, skipped, _ = accumulate(
            paths, mode, options["per_pixel"], options["resampling"], like=options["like"]
        )
    refused = {p for p, _ in skipped}
    used = [int(i) for i, p in zip(batch["index"], paths, strict=True) if p not in refused]
    blob = pickle.dumps((part, skipped), protocol=pickle.HIGHEST_PROTOCOL)
    return {_PARTIAL: np.array([blob], dtype=object), _FIRST: np.array([min(used, default=-1)])}


def stats_files(
    paths: Sequence[str],
    mode: str,
    per_pixel: bool,
    resampling: Resampling,
    progress: bool,
) -> tuple[str, RunningStats, list[tuple[str, str]], Array | None]:
    """``pixnorm stats PATH --ray``: the bit depth, statistics, skipped files and sample of
    the files `paths`, as the local run gives them, computed on the connected cluster.

    Two passes, each reusing the command line's own functions in the tasks: the headers
    (``cli.read_header``, no decoding), checked by ``cli.check_header_list`` before anything
    is decoded (mixed bit depths, per-pixel sizes: UsageError), then ``cli.accumulate`` per
    block of files (about 4 blocks per CPU of the cluster, at most MAX_BLOCK_FILES files),
    merged here as they arrive."""
    from .cli import UsageError, check_header_list, first_like, load_image

    cpus = _cluster_cpus()
    with _data_context(progress):
        heads = _files_dataset(paths, 1024).map_batches(_block_headers, batch_format="numpy")
        headers: list[Any] = [None] * len(paths)
        for b in heads.iter_batches(batch_size=None, batch_format="numpy"):
            for i, d, h, w in zip(b["index"], b["depth"], b["height"], b["width"], strict=True):
                headers[int(i)] = (str(d), (int(h), int(w))) if d else None
        depth = check_header_list(paths, headers, per_pixel, resampling)
        # Fixed on the driver, as the local run does: workers skip exactly what it skips.
        like = first_like(paths, mode, resampling)
        # About 4 blocks per CPU (the last ones balance the load), at most 256 files each (a
        # retry or the progress bar's step). A Ray task costs about 10 ms: blocks of 64 JPEGs
        # of 256x256 (40 ms of work) lost a quarter of the time to it.
        per_block = max(1, min(MAX_BLOCK_FILES, math.ceil(len(paths) / (4 * cpus))))
        options = {
            "protocol": _PROTOCOL,
            "like": like,
            "per_pixel": per_pixel,
            "resampling": resampling,
        }
        partials = _files_dataset(paths, per_block).map_batches(
            functools.partial(_block_files, mode=mode, options=options),
            batch_size=None,
            batch_format="numpy",
        )
        total = RunningStats(per_pixel=per_pixel, **resampling.options())
        skipped: list[tuple[str, str]] = []
        first = -1
        for batch in partials.iter_batches(batch_size=None, batch_format="numpy"):
            for blob, i in zip(batch[_PARTIAL], batch[_FIRST], strict=True):
                loaded = pickle.loads(blob)
                if isinstance(loaded, ValueError):
                    raise UsageError(str(loaded))
                part, part_skipped = loaded
                total.merge(part)
                skipped += part_skipped
                if i >= 0 and (first < 0 or i < first):
                    first = int(i)
    sample = load_image(paths[first], mode) if first >= 0 else None
    return depth, total, skipped, sample


def stats_arrays(
    images: Array, per_pixel: bool, resampling: Resampling, progress: bool
) -> RunningStats:
    """:func:`stats` of in-memory images (N, H, W[, C]) (the command line's demo data set)."""
    with _data_context(progress):
        ds = ray.data.from_numpy(images)
    return stats(ds, column="data", per_pixel=per_pixel, **resampling.options())
