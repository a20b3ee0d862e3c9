"""The checks and conversions of the public functions' arguments, in one place: Python kinds
(ints, bools, sequences, objects with ``__array__``), the values the C++ core cannot see the
Python spelling of, and messages that name the argument. Value checks the core owns (sizes of
sources and boxes, conventions, mean/std ranges) stay in the core.
"""

from __future__ import annotations

import math
import numbers
import operator
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _core


def _seq(value: Any) -> Any:
    """A box, boxes or flips given as an object that only offers ``__array__`` (a torch tensor)
    as a numpy array; anything else as given."""
    if not isinstance(value, Sequence | np.ndarray) and hasattr(value, "__array__"):
        return np.asarray(value)
    return value


def _brief(value: Any) -> str:
    """``repr(value)`` for a message, kept short (an int of thousands of digits has no repr)."""
    if isinstance(value, int) and value.bit_length() > 128:  # more digits than a message wants
        return f"an int of about {'-' if value < 0 else ''}1e{int(value.bit_length() * 0.30103)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _float(value: Any, name: str) -> float:
    """``float(value)`` for a real number, but a value beyond the float range (an int such as
    10**400) is a ValueError that says so, not an OverflowError."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError(
            f"{name}: {_brief(value)} is out of range for a float; expected a finite number "
            "(at most about 1.8e308 in magnitude)"
        ) from None


def _values(value: Any, name: str) -> Any:
    """mean / std as given, except an object that only offers ``__array__`` (a torch tensor)
    becomes a numpy array, which the C++ core reads like a list; bools are refused (a bool is
    an int in Python, not a mean or a std), and so are ints beyond the float range."""
    kind = type(value)
    if kind is float:  # the common cases first, with nothing to check
        return value
    if kind is list or kind is tuple:
        for v in value:  # (a loop: cheaper than all() over a generator for 1-4 values)
            if type(v) is not float:
                break
        else:
            return value
    if kind is np.ndarray and value.dtype.kind == "f":
        return value
    if not isinstance(value, numbers.Real | Sequence | np.ndarray) and hasattr(value, "__array__"):
        value = np.asarray(value)
    if (
        isinstance(value, bool | np.bool_)
        or (isinstance(value, np.ndarray) and value.dtype == np.bool_)
        or (
            isinstance(value, Sequence)
            and not isinstance(value, str | bytes)
            and any(isinstance(v, bool | np.bool_) for v in value)
        )
    ):
        raise TypeError(f"{name}: expected real numbers, got bool")
    if isinstance(value, numbers.Real):
        _float(value, name)
    elif isinstance(value, np.ndarray) and value.dtype == object:
        for i, v in enumerate(value.flat):
            if isinstance(v, numbers.Real):
                _float(v, f"{name}[{i}]")
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for i, v in enumerate(value):
            if isinstance(v, numbers.Real):
                _float(v, f"{name}[{i}]")
    return value


def _int(value: Any, name: str) -> int:
    if type(value) is int:  # the common case, without the checks below
        return value
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{name}: expected an int, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}") from None


MAX_SIDE: int = _core.MAX_OUTPUT_SIDE  # the core's limit per output side (plans hold every output)


def _side(value: Any, name: str) -> int:
    v = _int(value, name)
    if v < 1:
        raise ValueError(f"{name}: must be >= 1, got {_brief(v)}")
    if v > MAX_SIDE:
        raise ValueError(f"{name}: {_brief(v)} is too large (at most {MAX_SIDE} per side)")
    return v


def _pair(value: Any, name: str) -> tuple[int, int] | int:
    """An int, or a pair of ints (a one-element sequence counts as an int, as in torchvision);
    each from 1 to 2**24."""
    if type(value) is int and 1 <= value <= MAX_SIDE:  # the common case first
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _side(value.item(), name)
    if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str | bytes):
        items = list(value)
        if len(items) == 1:
            return _side(items[0], name)
        if len(items) != 2:
            raise ValueError(f"{name}: expected an int or (height, width), got {len(items)} values")
        return _side(items[0], name), _side(items[1], name)
    return _side(value, name)


def _per_pixel_param(value: Any) -> bool:
    """A per-pixel array: a numpy array (or ``__array__``) of 3 or more dimensions."""
    if type(value) in (float, int, tuple, list):  # scalars and per-channel values: the common
        return False  # case, decided without inspecting the object
    return (isinstance(value, np.ndarray) or hasattr(value, "__array__")) and np.ndim(value) >= 3


def _is_per_pixel(mean: Any, std: Any) -> bool:
    simple = (float, int, tuple, list)
    if type(mean) in simple and type(std) in simple:  # the common case, decided at once
        return False
    return bool(_per_pixel_param(mean) or _per_pixel_param(std))


def _real(value: Any, name: str) -> float:
    if type(value) is float:  # the common case first
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    return _float(value, name)


def _scale(arr: np.ndarray[Any, Any], scale: Any) -> float:
    """``scale`` as a float; None: 1/255 for uint8 images, 1/65535 for uint16, 1.0 for float32
    (taken as scaled)."""
    if scale is None:
        if arr.dtype == np.uint8:
            return 1.0 / 255.0
        return 1.0 / 65535.0 if arr.dtype == np.uint16 else 1.0
    if isinstance(scale, bool) or not isinstance(scale, int | float | np.floating | np.integer):
        raise TypeError(f"scale: expected a real number, got {type(scale).__name__}")
    return _float(scale, "scale")


def _pixel_values(value: Any, name: str, hwc: tuple[int, int, int]) -> np.ndarray[Any, Any]:
    """``value`` as float64 (C, H, W): per-channel values or a per-pixel array."""
    v = np.asarray(value)
    if v.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers, got dtype {v.dtype}")
    v = v.astype(np.float64, copy=False)
    h, w, c = hwc
    if v.ndim <= 1:
        if v.size not in (1, c):
            want = (
                "a scalar (one channel)" if c == 1 else f"a scalar or {c} values (one per channel)"
            )
            raise ValueError(f"{name}: expected {want}, got {v.size} values")
        return np.broadcast_to(v.reshape(-1, 1, 1), (c, h, w))
    if v.ndim == 3:
        for target, axes in (((h, w, c), (2, 0, 1)), ((c, h, w), (0, 1, 2))):
            try:
                chw: np.ndarray[Any, Any] = np.broadcast_to(v, target).transpose(axes)
            except ValueError:
                continue
            return chw
    raise ValueError(
        f"{name}: expected a scalar, {c} per-channel values, or a per-pixel array that "
        f"broadcasts to (H, W, C) = {(h, w, c)} or (C, H, W) = {(c, h, w)}; got shape {v.shape}"
    )


def _pixel_affine(
    arr: np.ndarray[Any, Any], mean: Any, std: Any, scale: float
) -> tuple[np.ndarray[Any, np.dtype[np.float32]], np.ndarray[Any, np.dtype[np.float32]]]:
    """a = float32(scale / std) and b = float32(-mean / std), computed in float64, (C, H, W);
    a as (C,) when std is per channel (or a scalar)."""
    if arr.ndim not in (2, 3, 4):
        raise ValueError(
            f"image: expected shape (H, W), (H, W, C) or (N, H, W, C), got {arr.shape}"
        )
    shape = arr.shape[-3:] if arr.ndim >= 3 else (*arr.shape, 1)
    h, w, c = (int(shape[0]), int(shape[1]), int(shape[2]))
    m = _pixel_values(mean, "mean", (h, w, c))
    sd = _pixel_values(std, "std", (h, w, c))
    a: np.ndarray[Any, np.dtype[np.float32]]
    b: np.ndarray[Any, np.dtype[np.float32]]
    a, b = _core.pixel_affine(m, sd, scale, c, h, w)
    if np.ndim(std) <= 1:  # std per channel: a = scale / std is one value per channel, and
        a = np.ascontiguousarray(a[:, 0, 0])  # normalize_pixel reads (C,) (the same bits)
    return a, b


def _float_pair(value: Any, name: str) -> tuple[float, float]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(f"{name}: expected a pair of numbers, got {type(value).__name__}")
    items = list(value)
    if len(items) != 2:
        raise ValueError(f"{name}: expected 2 values, got {len(items)}")
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name}: expected real numbers, got {type(v).__name__}")
        out.append(_float(v, name))
    return out[0], out[1]


def _rrc_ranges(
    scale: Any, ratio: Any, names: tuple[str, str] = ("scale", "ratio")
) -> tuple[tuple[float, float], tuple[float, float]]:
    """RandomResizedCrop's ``scale`` and ``ratio``, checked: 0 < min <= max, within float32's
    normal range (torchvision draws them in float32: a bound beyond it is a RuntimeError in torch,
    and a ratio that rounds to 0 has no logarithm). ``names``: the arguments' names in the
    caller's signature."""
    sc, ra = _float_pair(scale, names[0]), _float_pair(ratio, names[1])
    for name, (lo, hi) in zip(names, (sc, ra), strict=True):
        if not (_F32_TINY <= lo <= hi <= _F32_MAX):
            raise ValueError(
                f"{name}: expected 0 < min <= max within float32's normal range "
                f"[{_F32_TINY:.9g}, {_F32_MAX:.9g}], got {(lo, hi)}"
            )
    return sc, ra


_F32_TINY = float(np.finfo(np.float32).tiny)


_F32_MAX = float(np.finfo(np.float32).max)


def _probability(p: Any, name: str) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(p).__name__}")
    value = _float(p, name)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name}: expected 0 <= {name} <= 1, got {p}")
    return value


def _is_tensor(value: Any) -> bool:
    """A torch tensor, recognised without importing torch."""
    return any(c.__name__ == "Tensor" and c.__module__ == "torch" for c in type(value).__mro__)


def _image(image: Any, name: str, channels_last: Any) -> tuple[np.ndarray[Any, Any], bool]:
    """An image argument as pixnorm's core reads it, (H, W), (H, W, C) or (N, H, W, C), and
    whether it came as a torch tensor.

    torch tensors are laid out as torchvision does, (C, H, W) or (N, C, H, W): they are read
    through a transposed view (no copy). A numpy array (or anything with the buffer protocol or
    ``__array__``) is (H, W, C); one whose last axis holds more than 4 values is refused unless
    ``channels_last=True`` says it really holds that many channels: a (3, 256, 256) array is
    almost always a channels-first image, which read as (H, W, C) gives garbage of the right
    type (a (256, 32341, 465) result for a resize to 256).
    """
    if type(image) is np.ndarray and type(channels_last) is bool:  # the common case first
        arr = image
    else:
        if not isinstance(channels_last, bool | np.bool_):
            raise TypeError(f"channels_last: expected a bool, got {type(channels_last).__name__}")
        if _is_tensor(image):
            if image.device.type != "cpu":
                raise TypeError(f"{name}: a torch tensor on {image.device}; pass tensor.cpu()")
            arr = image.detach().numpy()  # shares the tensor's memory
            if arr.ndim == 3:
                arr = arr.transpose(1, 2, 0)
            elif arr.ndim == 4:
                arr = arr.transpose(0, 2, 3, 1)
            return arr, True
        if isinstance(image, str | bytes | os.PathLike):
            what = "bytes" if isinstance(image, bytes) else "a path"
            raise TypeError(
                f"{name}: expected a decoded image (an array), got {what}; decode it first: "
                "pixnorm.load(source, size=..., ...) decodes and preprocesses in one call, "
                "pixnorm.decode(source) gives the uint8 array"
            )
        mode = getattr(image, "mode", None) if type(image).__module__.startswith("PIL.") else None
        if mode in ("P", "PA", "CMYK"):  # a PIL image whose array is not colour channels
            what = "palette indices" if mode in ("P", "PA") else "CMYK ink"
            raise ValueError(
                f"{name}: a PIL image of mode {mode!r} holds {what}, not RGB values; convert it "
                "first: image.convert('RGB') (or pixnorm.decode / pixnorm.load, which convert "
                "as Pillow does)"
            )
        arr = image if isinstance(image, np.ndarray) else np.asarray(image)
        if isinstance(image, list | tuple) and arr.dtype not in (np.uint8, np.uint16, np.float32):
            raise TypeError(
                f"{name}: a Python {type(image).__name__} became an array of dtype {arr.dtype}, "
                "which is not supported (expected uint8, uint16 or float32); pass a numpy array: "
                "np.asarray(image, dtype=np.uint8)"
            )
    if not channels_last and arr.ndim in (3, 4) and arr.shape[-1] > 4:
        c = int(arr.shape[-1])
        if arr.ndim == 3:
            layout = "(H, W, C)"
            hint = (
                "; it looks like (C, H, W): pass image.transpose(1, 2, 0) (a view, no copy)"
                if arr.shape[0] <= 4
                else ""
            )
        else:
            layout = "(N, H, W, C)"
            hint = (
                "; it looks like (N, C, H, W): pass images.transpose(0, 2, 3, 1) (a view, no copy)"
                if arr.shape[1] <= 4
                else ""
            )
        raise ValueError(
            f"{name}: shape {arr.shape} is read as {layout} with {c} channels{hint}; pass "
            f"channels_last=True if the last axis really holds {c} channels"
        )
    return arr, False


_U8 = np.dtype(np.uint8)


class RangeWarning(UserWarning):
    """mean/std that cannot describe the image's values (0-255 mean/std for an image scaled to
    [0, 1], or a float32 image in 0-255 with mean/std for [0, 1]): the output would be silent
    garbage. Shown once per call site, as Python shows warnings; silence it with
    ``warnings.filterwarnings("ignore", category=pixnorm.RangeWarning)``."""


def _sample_max(arr: np.ndarray[Any, Any]) -> float | None:
    """The largest finite value among at most 5 x 5 pixels spread over an (H, W, C), (H, W) or
    (N, H, W, C) array (the first image of a batch), read in place; None if none is finite.
    A 0-255 image has most of its values far above 1, so this sees one at once."""
    if arr.ndim == 4:
        arr = arr[0]
    h, w = arr.shape[0], arr.shape[1]
    view = arr[:: max(1, h // 4), :: max(1, w // 4)]
    top = float(view.max())
    if math.isfinite(top):
        return top
    finite = view[np.isfinite(view)]
    return float(finite.max()) if finite.size else None


# A float image whose sampled values exceed this after scaling is not in [0, 1].
FLOAT_RANGE_LIMIT = 2.0


def _range_message(
    arr: np.ndarray[Any, Any], mean: Any, std: Any, scale: float, fix: str | None = None
) -> str | None:
    """A warning for per-channel mean/std that cannot describe the image's values, else None.

    Three mistakes give silent garbage (issue 13): mean/std in 0-255 for a uint8 image scaled to
    [0, 1] (the default scale 1/255: a data set's mean cannot exceed the largest value); mean/std
    for [0, 1] with a uint8 image kept in 0-255 (``scale=1``: torchvision's ``ToDtype(float32)``
    without ``scale=True``); and a float32 image in 0-255 (float32 is taken as already scaled)
    with mean/std for [0, 1], seen on a sample of 25 of its pixels. Nothing is said for the
    identity (mean 0, std 1), per-pixel mean/std, non-finite values or scale <= 0. It misses a
    0-255 float image whose sampled pixels are all below 2 (almost black). The texts depend only
    on the arguments, not on the pixels, so Python shows each once per call site. ``fix``
    replaces the advice for a float image (the transforms have no ``scale``).
    """
    if not scale > 0:
        return None
    # uint8 and uint16 (any such dtype object: unpickled arrays have their own)
    uint8 = arr.dtype.char in "BH"
    kind, most = ("uint8", 255.0) if arr.dtype.char == "B" else ("uint16", 65535.0)
    if uint8 and scale < 1.5 / most and type(mean) in (list, tuple, float):
        try:  # the common case, kept cheap (0.4 us): nothing to say unless a mean exceeds 1
            biggest = mean if type(mean) is float else max(mean)
            if not biggest > 1.05 * most * scale:
                return None
        except (TypeError, ValueError):
            return None
    m = _few(mean)
    s = _few(std)
    if m is None or s is None:
        return None  # per-pixel arrays, or something the core will refuse
    m_max, m_min, s_max, s_min = max(m), min(m), max(s), min(s)
    if not all(map(math.isfinite, (m_max, m_min, s_max, s_min))):
        return None
    identity = m_max == m_min == 0.0 and s_max == s_min == 1.0
    for_unit_range = m_min >= 0.0 and m_max <= 1.0 and s_max <= 1.0 and not identity
    if uint8:
        top = most * scale
        if m_max > 1.05 * top:
            return (
                f"mean: {m_max:g} exceeds {top:g}, the largest {kind} value after "
                f"scale={_scale_text(scale)}: mean and std look like 0-{most:.0f} values. "
                f"Divide them by {most:.0f}, or pass scale=1.0 for [0, {most:.0f}] "
                "(Caffe-style) input."
            )
        if for_unit_range and top > 2.0:
            return (
                f"mean, std: values for [0, 1], but scale={_scale_text(scale)} keeps the {kind} "
                f"image in [0, {top:g}]: leave scale out (1/{most:.0f} for {kind}), or give mean "
                "and std in the image's range."
            )
        return None
    if not for_unit_range:
        return None
    sampled = _sample_max(arr)
    if sampled is None or not sampled * scale > FLOAT_RANGE_LIMIT:
        return None
    if fix is not None:
        return f"image: float values far above 1, but mean and std are for values in [0, 1]: {fix}"
    return (
        f"image: float32 values far above 1 after scale={_scale_text(scale)}, but mean and std "
        "are for values in [0, 1] (float32 input is taken as already scaled): pass "
        "scale=1/255 for 0-255 float input, or mean and std in the image's range."
    )


def _few(values: Any) -> list[float] | None:
    """1 to 4 per-channel values as floats (a scalar is one), else None."""
    if type(values) is float:
        return [values]
    try:
        if isinstance(values, np.ndarray):
            if not 0 < values.size <= 4:
                return None
            return [float(v) for v in values.ravel()]
        if isinstance(values, numbers.Real):
            return [float(values)]
        if 0 < len(values) <= 4:
            return [float(v) for v in values]
    except (TypeError, ValueError, OverflowError):
        pass
    return None


def _scale_text(scale: float) -> str:
    return "1/255" if scale == 1.0 / 255.0 else f"{scale:g}"


class _DeferWarnings:
    """``with _DeferWarnings():`` holds the RangeWarnings of the calls inside (a Compose's fused
    runs) and emits them when the block ends without an exception: a pipeline that raises at a
    later step never warned first. Nested blocks hold into the outermost one."""

    def __enter__(self) -> None:
        self._outer = getattr(_TLS, "pending", None) is not None
        if not self._outer:
            _TLS.pending = []

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self._outer:
            return
        pending, _TLS.pending = _TLS.pending, None
        if kind is None:
            for message in dict.fromkeys(pending):  # once each, in order
                _warn(message)


_TLS = threading.local()


def _warn(message: str | None) -> None:
    """Emits ``message`` as a RangeWarning (a UserWarning) at the first frame outside the pixnorm
    package (the user's line, however deep inside pixnorm the check ran), so Python shows it
    once per call site. Called after the work succeeded: a call that raises never warns first."""
    if message is None:
        return
    pending = getattr(_TLS, "pending", None)
    if pending is not None:
        pending.append(message)
        return
    import os
    import sys
    import warnings

    package = os.path.dirname(os.path.abspath(__file__))
    frame: Any = sys._getframe(1)
    level = 2
    while (
        frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == package
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, RangeWarning, stacklevel=level)


def _check_color_values(color: str | None, convention: str | None, mean: Any, std: Any) -> None:
    """With a colour the output's channel count is known before any image (1 for gray, 3
    otherwise): per-channel mean/std of another length are refused here (Collate,
    ray.Preprocess), not at the first batch. Checks the colour's name and convention first."""
    if color is None:
        return
    n = _core.color_channels(color, 3, convention)
    for name, v in (("mean", mean), ("std", std)):
        if isinstance(v, list | tuple) and len(v) not in (1, n):
            hint = " (color='gray3' gives 3)" if n == 1 and len(v) == 3 else ""
            raise ValueError(
                f"{name}: {len(v)} values, but color={color!r} gives {n} channel"
                f"{'' if n == 1 else 's'}: pass one value or {n}{hint}"
            )


# ---- output dtype and layout ------------------------------------------------------------------

_OUT_TYPES = ("float32", "float16", "bfloat16", "uint8")
_DTYPE_HELP = "float32, float16, bfloat16 or uint8 (numpy, torch or ml_dtypes dtypes, or names)"
_FLOAT_HELP = "float32, float16 or bfloat16 (numpy, torch or ml_dtypes dtypes, or names)"
# The one wording of the uint8-output rule (the core says the same for its own callers).
UINT8_RULE = (
    "dtype: uint8 output is the resized image itself, in levels 0..255: leave mean and std "
    "unset and scale unset (or 1); normalize on the GPU"
)


# numpy's own spellings of the output types (np.float16, np.dtype("float16")): named without
# numpy's dtype.name, which costs about 4 us a call
_NUMPY_OUT_TYPES: dict[Any, str] = {
    key: name
    for name in ("float32", "float16", "uint8")
    for key in (np.dtype(name), getattr(np, name))
}


def _out_dtype(dtype: Any, *, uint8: bool = True) -> str:
    """The output type's name from a numpy dtype (``np.float16``), a torch dtype
    (``torch.bfloat16``), ``ml_dtypes.bfloat16`` or a name (``"bfloat16"``); None is float32.
    ``uint8=False``: a function whose values are normalized, which uint8 cannot hold."""
    if dtype is None or dtype is np.float32:
        return "float32"
    if dtype is np.float16:
        return "float16"
    helptext = _DTYPE_HELP if uint8 else _FLOAT_HELP
    kind = type(dtype)
    known = _NUMPY_OUT_TYPES.get(dtype) if isinstance(dtype, np.dtype) or kind is type else None
    if known is not None:
        name = known
    elif kind.__module__ == "torch" and kind.__name__ == "dtype":  # torch.float16, without torch
        name = str(dtype).removeprefix("torch.")
    elif isinstance(dtype, str) and dtype in _OUT_TYPES:
        name = dtype
    else:
        try:
            dt = np.dtype(dtype)
        except TypeError:
            if isinstance(dtype, str):
                raise ValueError(
                    f"dtype: {dtype!r} is not an output type; expected {helptext}"
                ) from None
            raise TypeError(f"dtype: expected a dtype, {helptext}; got {_brief(dtype)}") from None
        name = dt.name if dt.isnative else f"{dt.name} ({dt.str}, not native byte order)"
    if name not in _OUT_TYPES:
        raise ValueError(f"dtype: {name} is not an output type; expected {helptext}")
    if name == "uint8" and not uint8:
        raise ValueError(
            "dtype: uint8 holds no normalized values; preprocess(..., dtype=np.uint8) gives the "
            "resized uint8 image, or use float32, float16 or bfloat16 here"
        )
    return name


def _layout(layout: Any) -> str:
    """'CHW' (channels first, the default) or 'HWC' (channels last), in any case; 'NCHW' and
    'NHWC' name the same (the batch axis is always first)."""
    if type(layout) is str and (layout == "CHW" or layout == "HWC"):  # the usual spellings
        return layout
    if not isinstance(layout, str):
        raise TypeError(f"layout: expected 'CHW' or 'HWC', got {_brief(layout)}")
    name = {"NCHW": "CHW", "NHWC": "HWC"}.get(layout.upper(), layout.upper())
    if name not in ("CHW", "HWC"):
        raise ValueError(
            f"layout: expected 'CHW' (channels first) or 'HWC' (channels last), got {layout!r}"
        )
    return name


_BFLOAT16: tuple[Any, Any] | None = None  # (ml_dtypes, its bfloat16) after a finished import


def _bfloat16() -> Any:
    """ml_dtypes' bfloat16 numpy type, or an ImportError naming the package to install. The
    type is kept once an import statement has finished (the statement costs about 0.2 us a
    call); ``sys.modules`` alone is not enough: a module is there while another thread is still
    importing it, without its attributes."""
    global _BFLOAT16  # noqa: PLW0603  (the cache above)
    kept = _BFLOAT16
    if kept is not None and sys.modules.get("ml_dtypes") is kept[0]:
        return kept[1]
    try:
        import ml_dtypes  # noqa: PLC0415  (optional: only bfloat16 numpy outputs need it)
    except ImportError:
        raise ImportError(
            "dtype='bfloat16': numpy has no bfloat16 type of its own; pip install ml_dtypes "
            "for ml_dtypes.bfloat16 arrays (in a checkout: pip install '.[bfloat16]'). "
            "pixnorm.transforms and Collate return torch.bfloat16 tensors without it."
        ) from None
    _BFLOAT16 = (ml_dtypes, ml_dtypes.bfloat16)
    return ml_dtypes.bfloat16


def _out_bits(out: Any, dtype: str) -> Any:
    """``out`` as the core takes it: a bfloat16 array as a view of its uint16 bits; anything
    else as given (the core checks it)."""
    if out is None or dtype != "bfloat16":
        return out
    # (ml_dtypes' scalar type itself, in native byte order: numpy's dtype.name costs about 4 us)
    if (
        isinstance(out, np.ndarray)
        and out.dtype.type.__name__ == "bfloat16"
        and out.dtype.type is _bfloat16()
        and out.dtype.isnative
    ):
        return out.view(np.uint16)
    found = out.dtype if isinstance(out, np.ndarray) else type(out).__name__
    raise TypeError(f"out: {found} is not supported; expected an ml_dtypes.bfloat16 array")


def _typed(result: Any, out: Any, dtype: str) -> Any:
    """The core's result in the caller's dtype: ``out`` itself when given, bfloat16 bits viewed
    as ml_dtypes.bfloat16."""
    if out is not None:
        return out
    return result.view(_bfloat16()) if dtype == "bfloat16" else result
