"""decode: encoded image bytes -> uint8 (H, W, C), JPEG by libjpeg-turbo and PNG by libpng in
pixnorm's core (the GIL released), anything else through Pillow; the result is Pillow's
``Image.open(source).convert(mode)`` bit for bit (the README's "Decoding" section)."""

from __future__ import annotations

import io
import os
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._args import _brief

__all__ = ["MAX_IMAGE_PIXELS", "DecodeError", "ImageTooLarge", "decode"]

#: The default ``max_pixels`` of :func:`decode`: Pillow's decompression-bomb error limit
#: (``2 * PIL.Image.MAX_IMAGE_PIXELS``, 178,956,970 pixels, about 13,377 x 13,377).
MAX_IMAGE_PIXELS = 178_956_970

DecodeError = _core.DecodeError
DecodeError.__module__ = "pixnorm"
DecodeError.__doc__ = "Corrupt, truncated or unreadable image data (a ValueError)."
ImageTooLarge = _core.ImageTooLarge
ImageTooLarge.__module__ = "pixnorm"
ImageTooLarge.__doc__ = (
    "An image with more pixels than ``max_pixels`` (a decompression bomb; a ValueError)."
)

MODES = {"RGB": "RGB", "L": "L", "RGBA": "RGBA", None: "native"}

# Pillow's EXIF orientation (ImageOps.exif_transpose) as numpy views of an (H, W, C) array.
_ORIENT = {
    2: lambda a: a[:, ::-1],  # FLIP_LEFT_RIGHT
    3: lambda a: a[::-1, ::-1],  # ROTATE_180
    4: lambda a: a[::-1],  # FLIP_TOP_BOTTOM
    5: lambda a: a.transpose(1, 0, 2),  # TRANSPOSE
    6: lambda a: a.transpose(1, 0, 2)[:, ::-1],  # ROTATE_270 (90 degrees clockwise)
    7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),  # TRANSVERSE
    8: lambda a: a.transpose(1, 0, 2)[::-1],  # ROTATE_90 (counter-clockwise)
}


def _source_bytes(source: Any) -> Any:
    """The encoded bytes of ``source`` as a contiguous 1-D buffer (no copy where possible)."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return f.read()
    if isinstance(source, bytes | bytearray):
        return source
    if isinstance(source, memoryview):
        if not source.c_contiguous:
            raise TypeError("source: a memoryview that is not contiguous; give bytes(view)")
        return source.cast("B") if source.format != "B" or source.ndim != 1 else source
    if isinstance(source, io.TextIOBase):
        raise TypeError("source: a file opened in text mode; open it in binary mode, 'rb'")
    if hasattr(source, "read"):
        data = source.read()
        if isinstance(data, str):
            raise TypeError(
                "source: a file object whose read() gave str, not bytes (open the file in "
                "binary mode, 'rb')"
            )
        try:
            return _source_bytes(data)  # bytes, bytearray, a memoryview, ...
        except TypeError:
            raise TypeError(
                f"source: a file object whose read() gave {type(data).__name__}, not bytes"
            ) from None
    if not isinstance(source, np.ndarray) and not hasattr(source, "__array__"):
        try:  # another object with the buffer protocol (array.array('B'), mmap, ...)
            view = memoryview(source)
        except TypeError:
            pass
        else:
            if view.c_contiguous and view.itemsize == 1:
                return view.cast("B")
    if isinstance(source, np.ndarray) or hasattr(source, "__array__"):
        arr = np.asarray(source)
        if arr.dtype != np.uint8 or arr.ndim != 1:
            hint = " (already an image? decode takes the encoded file)" if arr.ndim >= 2 else ""
            raise TypeError(
                f"source: expected encoded bytes as a 1-D uint8 array, got a {arr.dtype} array "
                f"of shape {arr.shape}{hint}"
            )
        return np.ascontiguousarray(arr)
    raise TypeError(
        "source: expected a path, bytes, bytearray, memoryview, a 1-D uint8 array or a binary "
        f"file object, got {_brief(source)}"
    )


def _check_options(mode: Any, orientation: Any, max_pixels: Any) -> int:
    """decode's options checked; the pixel limit as the core takes it (0: none)."""
    if not isinstance(mode, str | None):
        raise TypeError(f"mode: expected 'RGB', 'L', 'RGBA' or None, got {_brief(mode)}")
    if mode not in MODES:
        raise ValueError(f"mode: expected 'RGB', 'L', 'RGBA' or None, got {_brief(mode)}")
    if not isinstance(orientation, bool | np.bool_):
        raise TypeError(f"orientation: expected a bool, got {_brief(orientation)}")
    if max_pixels is None:
        return 0
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, int | np.integer):
        raise TypeError(f"max_pixels: expected an int > 0 or None, got {_brief(max_pixels)}")
    if max_pixels <= 0:
        raise ValueError(f"max_pixels: expected an int > 0 or None, got {max_pixels}")
    return min(int(max_pixels), 2**63)


def _orient(arr: npt.NDArray[Any], orientation: int) -> npt.NDArray[Any]:
    if orientation in _ORIENT:
        return np.ascontiguousarray(_ORIENT[orientation](arr))
    return arr


def decode(
    source: Any,
    *,
    mode: str | None = "RGB",
    orientation: bool = False,
    max_pixels: int | None = MAX_IMAGE_PIXELS,
) -> npt.NDArray[Any]:
    """Decode an encoded image into a uint8 array (H, W, C).

    JPEG is decoded by libjpeg-turbo and PNG by libpng inside pixnorm (the GIL released, so
    threads decode in parallel); other formats (WebP, GIF, BMP, TIFF, ...) through Pillow.
    The result is bit for bit ``np.asarray(Image.open(source).convert(mode))`` with Pillow's
    bundled libjpeg-turbo (same IDCT, islow, and fancy upsampling), a channel axis always
    present.

    Parameters
    ----------
    source : path, bytes, bytearray, memoryview, 1-D uint8 array or binary file object
        The encoded file (a torch uint8 tensor from ``torchvision.io.read_file`` works too).
    mode : "RGB" (default), "L", "RGBA" or None
        Pillow's modes: "RGB" (gray repeated, alpha dropped, CMYK converted as Pillow's
        ``convert("RGB")``), "L" (Pillow's ``convert("L")``: ``(19595 R + 38470 G + 7471 B +
        32768) >> 16``, not the JPEG's Y plane, which differs by up to a few levels), "RGBA"
        (alpha 255 where the image has none; a PNG's tRNS transparency becomes alpha). None:
        the image's own channels: 1 (gray), 2 (gray + alpha), 3 or 4 (colour + alpha); a
        palette becomes RGB (RGBA with transparency), CMYK becomes RGB. 16-bit PNGs come back
        as uint16 with ``mode=None`` and as their high byte otherwise (as OpenCV; Pillow clips
        16-bit gray at 255 instead).
    orientation : bool, default False
        Apply the EXIF orientation as Pillow's ``ImageOps.exif_transpose`` (False: the pixels
        as stored, as torchvision's decoders and Pillow's ``open``).
    max_pixels : int or None, default MAX_IMAGE_PIXELS (178,956,970)
        Refuse images with more pixels (decompression bombs) with :class:`ImageTooLarge`,
        before any pixel is decoded. None: no limit.

    Raises
    ------
    DecodeError (a ValueError)
        Corrupt or truncated data (libjpeg's "premature end" warnings count as errors, as a
        truncated file is for Pillow), or a format neither pixnorm nor Pillow reads.
    ImageTooLarge (a ValueError)
        More than ``max_pixels`` pixels.
    TypeError, ValueError
        A ``source`` or option of the wrong kind or value.
    ImportError
        A format other than JPEG and PNG (or one this build has no codec for) without Pillow.
    """
    limit = _check_options(mode, orientation, max_pixels)
    data = _source_bytes(source)
    if len(data) == 0:
        raise DecodeError("source: empty (0 bytes)")
    try:
        arr, orient, _, _ = _core.decode(data, MODES[mode], limit)
    except _core.UnsupportedCodec:
        arr, orient = _decode_pillow(data, mode, limit)
    return _orient(arr, orient) if orientation else arr


def _decode_pillow(data: Any, mode: str | None, limit: int) -> tuple[npt.NDArray[Any], int]:
    """Formats pixnorm's core does not decode, through Pillow, with the same modes."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise ImportError(
            "decode: this is not a JPEG or PNG file (or this pixnorm was built without the "
            "codec for it): other formats need Pillow (pip install pillow)"
        ) from None
    try:
        with warnings.catch_warnings():
            # max_pixels is the limit here (Pillow's warning below its own error limit is
            # noise); a corrupt EXIF block is no orientation, not a warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.filterwarnings("ignore", "Corrupt EXIF data", UserWarning)
            with Image.open(io.BytesIO(data)) as im:
                w, h = im.size
                if limit and w * h > limit:
                    raise ImageTooLarge(
                        f"the image is {h}x{w} (HxW), {w * h} pixels, above the limit of "
                        f"{limit} (max_pixels)"
                    )
                try:
                    orient = int(im.getexif().get(0x0112, 1))
                except Exception:  # a malformed EXIF block: no orientation, as in the core
                    orient = 1
                arr = _pillow_array(im, mode)
    except Image.DecompressionBombError as e:  # Pillow's own limit, at open()
        raise ImageTooLarge(
            f"{e} (this format is decoded through Pillow, whose limit PIL.Image.MAX_IMAGE_PIXELS "
            "also applies)"
        ) from None
    except (ImageTooLarge, DecodeError, MemoryError):
        raise
    except UnidentifiedImageError:
        raise DecodeError(
            "cannot decode the image: not a JPEG or PNG file, and Pillow does not recognise "
            f"its format either{_path_hint(data)}"
        ) from None
    except Exception as e:  # Pillow raises many kinds on corrupt data (a TypeError, even)
        raise DecodeError(f"cannot decode the image ({type(e).__name__}: {e})") from None
    return arr, orient if 1 <= orient <= 8 else 1


def _path_hint(data: Any) -> str:
    """A hint when the bytes are a file's path rather than its contents."""
    if len(data) > 4096:
        return ""
    try:
        text = bytes(data).decode()
    except UnicodeDecodeError:
        return ""
    if text and os.path.exists(text):
        return f" (source is the bytes of a path, {text!r}: give it as a str or a Path)"
    return ""


def _pillow_array(im: Any, mode: str | None) -> npt.NDArray[Any]:
    """An opened Pillow image as (H, W, C) in decode's meaning of ``mode``."""
    if im.mode == "I":  # 16-bit PGM/PPM and some TIFFs: 16-bit levels when they fit
        values = np.asarray(im)
        if values.size and values.min() >= 0 and values.max() <= 65535:
            return _sixteen(values.astype(np.uint16), mode)
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return _sixteen(np.asarray(im).astype(np.uint16), mode)
    return _eight(im, mode)


def _sixteen(values: npt.NDArray[Any], mode: str | None) -> npt.NDArray[Any]:
    """16-bit gray levels: uint16 with mode None, else their high byte (as for 16-bit PNG)."""
    if mode is None:
        return values[..., None]
    high = (values >> 8).astype(np.uint8)
    if mode == "L":
        return high[..., None]
    planes = [high] * 3 + ([np.full_like(high, 255)] if mode == "RGBA" else [])
    return np.stack(planes, axis=-1)


def _eight(im: Any, mode: str | None) -> npt.NDArray[Any]:
    """Other Pillow modes in decode's meaning of ``mode``."""
    if im.mode in ("I", "F") and mode is None:
        raise DecodeError(
            f"a 32-bit {'integer' if im.mode == 'I' else 'float'} image (Pillow mode "
            f"{im.mode}): give mode='L' or 'RGB' to convert it as Pillow does"
        )
    if mode is None:
        if im.mode == "1":
            target = "L"
        elif im.mode in ("P", "PA"):
            target = "RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB"
        elif im.mode in ("L", "LA", "RGB", "RGBA"):
            target = im.mode
        else:
            target = "RGB"
    else:
        target = mode
    if im.mode in ("P", "PA") and target in ("RGB", "L"):
        # the same values, without Pillow's warning about a palette's transparency
        im = im.convert("RGBA")
    arr = np.asarray(im if im.mode == target else im.convert(target))
    return arr[..., None] if arr.ndim == 2 else arr
