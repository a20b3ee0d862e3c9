"""pixnorm: image-to-tensor preprocessing in one pass.

uint8 (or float32) images laid out H x W x C are scaled, normalized per channel (or per pixel)
and written as float32 C x H x W by SIMD kernels chosen at run time, on pixnorm's own threads
(safe in forked DataLoader workers, and never waiting for a thread a busy core cannot run).
See ``normalize`` for the exact arithmetic, and ``RunningStats`` (and ``python -m pixnorm
stats``) for the mean and std of a data set.
``pixnorm.transforms`` reproduces torchvision pipelines bit for bit in one fused pass, and
``pixnorm.collate`` is a DataLoader ``collate_fn`` that writes a whole batch in one call.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _config, _core, data, presets, transforms
from ._args import (
    RangeWarning,
    _bfloat16,
    _image,
    _is_per_pixel,
    _layout,
    _out_bits,
    _out_dtype,
    _pixel_affine,
    _range_message,
    _scale,
    _typed,
    _values,
    _warn,
)
from ._collate import Collate, random_params
from ._decode import MAX_IMAGE_PIXELS, DecodeError, ImageTooLarge, decode
from ._load import load, load_batch
from ._normalizer import Normalizer, _unpack
from ._resize import FitParams, preprocess, preprocess_batch, resize, resized_size
from ._warp import affine, rotate, warp_affine, warp_polar
from .stats import RunningStats

__all__ = [
    "MAX_IMAGE_PIXELS",
    "Collate",
    "DecodeError",
    "ImageTooLarge",
    "FitParams",
    "Normalizer",
    "RangeWarning",
    "RunningStats",
    "collate",
    "affine",
    "build_info",
    "data",
    "decode",
    "get_num_threads",
    "load",
    "load_batch",
    "normalize",
    "preprocess",
    "rotate",
    "warp_affine",
    "warp_polar",
    "preprocess_batch",
    "presets",
    "random_params",
    "resize",
    "resized_size",
    "set_num_threads",
    "to_tensor",
    "transforms",
]

__version__: str = _core.build_info()["version"]

_config.configure()

collate = Collate  # ``pixnorm.collate(size=256, crop=224, mean=..., std=...)`` is a collate_fn

_MAX_THREADS = _core.MAX_THREADS


def normalize(
    image: npt.ArrayLike,
    mean: float | npt.ArrayLike | Normalizer,
    std: float | npt.ArrayLike | None = None,
    *,
    scale: float | None = None,
    out: np.ndarray[Any, Any] | None = None,
    channels_last: bool = False,
    color: str | None = None,
    dtype: Any = None,
    layout: str = "CHW",
) -> np.ndarray[Any, Any]:
    """Scale, normalize and transpose an image to a float32 C x H x W tensor in one pass.

    ``out[c, y, x] = (image[y, x, c] * scale - mean[c]) / std[c]``

    Parameters
    ----------
    image : array_like
        uint8 or float32, shape (H, W, C), (H, W) (C = 1) or a batch (N, H, W, C). Any strides
        (crops, ``img[::-1]``, ``img[:, ::-1]``, ``img[..., ::-1]``) and unaligned buffers are
        read in place, without a copy. Anything with the buffer protocol or ``__array__`` works.
        A torch tensor is read as torchvision lays it out, (C, H, W) or (N, C, H, W), through a
        transposed view (no copy).
    mean, std : float, sequence of float, or array
        A scalar for all channels, one value per channel, or a per-pixel array of shape
        (H, W, C) or (C, H, W) (Caffe-style mean-image subtraction; e.g.
        ``RunningStats(per_pixel=True).mean_image``) that broadcasts against the image, such
        as (H, W, 1) or (C, 1, 1); (H, W, C) is tried first when both readings fit. A batch
        uses the same per-pixel values for every image (the per-pixel a and b below are
        computed on every call, about 0.45 ms at 224x224x3: pass a :class:`Normalizer`, which
        computes them once). ``std`` must be > 0; both must be finite as float32. ``mean`` may
        be a :class:`Normalizer` (then leave ``std`` and ``scale`` out: it holds them).
    scale : float, optional
        Multiplies the pixel values first. Default: 1/255 for uint8 input (values in [0, 1],
        as torchvision's ``ToTensor``), 1.0 for float32 input (taken as already scaled, as
        torchvision does with float tensors). Pass ``scale=1.0`` for Caffe-style [0, 255] input.
    out : numpy.ndarray, optional
        A writable, C-contiguous array of the output's dtype and exactly its shape, (C, H, W)
        or (N, C, H, W) (channels last for ``layout='HWC'``), that does not overlap ``image``.
        It is filled and returned.
    channels_last : bool, default False
        An array whose last axis holds more than 4 values is refused (a (3, H, W) array is
        almost always a channels-first image, which read as (H, W, C) gives garbage): pass
        ``image.transpose(1, 2, 0)``, or ``channels_last=True`` if it really has that many
        channels.
    color : {None, 'rgb', 'bgr', 'gray', 'gray3', 'ycbcr', 'yuv'}
        Converts the colour first (docs/color-conventions.md): None keeps the channels;
        'rgb' takes the first 3 of RGB or RGBA (alpha dropped) and 'bgr' them reversed (both read
        in place, exact), and both repeat a gray image; 'gray' is BT.601 luma
        ``0.299 R + 0.587 G + 0.114 B`` (1 channel), 'gray3' repeats it in 3; 'ycbcr' is JPEG's
        full-range YCbCr (Y, Cb, Cr) and 'yuv' OpenCV's ``COLOR_RGB2YUV``, their chroma offset
        128 for uint8 and 0.5 for float32. Mixing runs in float32 (coefficients rounded once,
        products rounded then added in order) before ``scale``; ``mean`` and ``std`` count the
        output's channels.
    dtype : np.float32 (default), np.float16 or 'bfloat16'
        The output's type (numpy, torch or ml_dtypes dtypes, or their names): the float32
        result rounded once to nearest-even, bitwise torch's ``.to(dtype)`` of the float32
        output, written in the same pass (half the bytes). bfloat16 comes back as an
        ``ml_dtypes.bfloat16`` array (``pip install ml_dtypes``); as a torch tensor:
        ``torch.from_numpy(x.view(np.int16)).view(torch.bfloat16)`` (no copy).
    layout : 'CHW' (default) or 'HWC'
        Channels first, or channels last ((H, W, C), (N, H, W, C) for a batch: TensorFlow, JAX
        and channels-last models), bitwise the transpose of the CHW result. Any case; 'NCHW'
        and 'NHWC' are the same names.

    Returns
    -------
    numpy.ndarray
        (C, H, W), or (N, C, H, W) for a batch (channels last for ``layout='HWC'``), of
        ``dtype``.

    Notes
    -----
    Arithmetic: ``a = scale / std[c]`` and ``b = -mean[c] / std[c]`` (per pixel:
    ``scale / std[c, y, x]`` and ``-mean[c, y, x] / std[c, y, x]``) are computed in float64 and
    rounded once to float32; each output is ``float32(x) * a + b`` as a float32 multiply then a
    float32 add, never fused, so every ISA (scalar, SSE4.1, AVX2, AVX-512, NEON) gives the same
    bits. The result is within a few float32 ulps of the exact value; NaN and inf in float32
    input propagate. The GIL is released during the work.

    Raises
    ------
    TypeError
        ``image`` or ``out`` of an unsupported dtype; ``mean``/``std``/``scale`` not real.
    ValueError
        Bad shape, zero-size image, wrong number of mean/std values, std <= 0, non-finite
        parameters, ``out`` of the wrong shape, non-contiguous, read-only or overlapping.
    OverflowError
        The output's size cannot be addressed.
    """
    if dtype is None and type(layout) is str and layout == "CHW":  # the default, kept cheap
        dt, lay, bits = "float32", "CHW", out
    else:
        dt, lay = _out_dtype(dtype, uint8=False), _layout(layout)
        if dt == "bfloat16" and out is None:
            _bfloat16()  # the error before the work
        bits = _out_bits(out, dt)
    arr, _ = _image(image, "image", channels_last)
    norm, mean, std = _unpack(mean, std, scale, True)
    s = _scale(arr, norm.scale if norm is not None else scale)
    if norm is None:  # a Normalizer's values were checked when it was made
        mean, std = _values(mean, "mean"), _values(std, "std")
    if _is_per_pixel(mean, std):
        if color is not None:  # the converted values first, as float32 (H, W, C) views
            planes = _core.normalize(arr, 0.0, 1.0, 1.0, None, color, s)
            hwc = planes.transpose(1, 2, 0) if planes.ndim == 3 else planes.transpose(0, 2, 3, 1)
            if bits is not None:  # out's rules against the caller's image, not the planes
                shape = planes.shape if lay == "CHW" else hwc.shape
                _core.check_out(bits, list(shape), [arr], dt)
            arr = hwc
        a, b = norm._coefficients(arr, s) if norm is not None else _pixel_affine(arr, mean, std, s)
        pixel = _core.normalize_pixel(arr, a, b, bits, dt, lay)
        return _typed(pixel, out, dt)  # type: ignore[no-any-return]
    if dt == "float32" and lay == "CHW":
        result = _core.normalize(arr, mean, std, s, bits, color)
    else:
        result = _core.normalize(arr, mean, std, s, bits, color, 0.0, dt, lay)
    _warn(_range_message(arr, mean, std, s))
    return result if out is None and dt != "bfloat16" else _typed(result, out, dt)


def to_tensor(
    image: npt.ArrayLike,
    *,
    out: np.ndarray[Any, Any] | None = None,
    channels_last: bool = False,
    color: str | None = None,
    dtype: Any = None,
    layout: str = "CHW",
) -> np.ndarray[Any, Any]:
    """Convert an H x W x C image to float32 C x H x W: uint8 as ``float32(x) * float32(1/255)``,
    float32 copied as is: torchvision v2's ``ToImage() + ToDtype(float32, scale=True)`` bit for
    bit. torchvision's ``ToTensor`` divides by 255 instead, which differs in the last bit for 126
    of the 256 levels; ``pixnorm.transforms.ToTensor`` reproduces that one.

    Same inputs, ``out``, ``color``, ``dtype``, ``layout`` and errors as :func:`normalize` with
    ``mean=0`` and ``std=1``.
    """
    return normalize(
        image,
        0.0,
        1.0,
        out=out,
        channels_last=channels_last,
        color=color,
        dtype=dtype,
        layout=layout,
    )


def set_num_threads(n: int | None) -> None:
    """Set the number of threads pixnorm uses in this process; ``None`` restores the default.

    The default is, first that applies: ``PIXNORM_NUM_THREADS``, ``OMP_NUM_THREADS``, 1 inside
    a forked child or a multiprocessing worker, else the CPUs this process may use (affinity
    and cgroup quota). A forked child starts from the defaults again, and may use threads (it
    starts its own when a call first needs them).

    A call made while a spawn or forkserver worker re-imports the parent's main script (a
    ``set_num_threads`` at the top of the script, outside ``if __name__ == "__main__"``) does
    nothing: it was meant for the parent, and workers keep one thread, as torch's do. Call it
    inside the worker (``worker_init_fn``, or the pool's ``initializer``) to change a worker's
    count.
    """
    if n is None:
        k = 0  # the defaults
    elif isinstance(n, bool):
        raise TypeError("n: expected an int, got bool")
    else:
        try:
            k = operator.index(n)
        except TypeError:
            raise TypeError(f"n: expected an int or None, got {type(n).__name__}") from None
        if not 1 <= k <= _MAX_THREADS:
            raise ValueError(f"n: expected 1 <= n <= {_MAX_THREADS}, got {k}")
    if _config.replaying_main():
        return
    _core._set_user_threads(k)


def get_num_threads() -> int:
    """The number of threads the next large call will use in this process."""
    n: int = _core.get_num_threads()
    return n


def build_info() -> dict[str, Any]:
    """What was compiled and what was chosen: version, compiler, ISAs compiled, ISAs this CPU
    supports, the active ISA, CPU features, ``threads`` (``"pool"``, or None when built with
    ``-DPIXNORM_THREADS=OFF``), the thread count, and ``codecs``: the native decoders
    (``{"jpeg": "libjpeg-turbo 2.1.5", "png": "libpng 1.6.39"}``; None for a format this
    build decodes through Pillow)."""
    info: dict[str, Any] = _core.build_info()
    info["codecs"] = dict(_core.CODECS)
    return info
