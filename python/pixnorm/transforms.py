"""torchvision-compatible transforms that run as one fused pixnorm pass.

``Compose([Resize(256), CenterCrop(224), ToTensor(), Normalize(mean, std)])`` (or the training
pipeline ``RandomResizedCrop(224), RandomHorizontalFlip(), ToTensor(), Normalize(...)``) takes
a PIL image, a uint8 numpy array (H, W, C) or a uint8 torch tensor (C, H, W) or (H, W, C) and
calls :func:`pixnorm.preprocess`'s core once: the geometry is worked out in Python, the pixels
are touched once in C++. The results are bit for bit torchvision's:

- PIL images resize with Pillow's arithmetic (``convention="pillow"``), as torchvision does on
  PIL images; tensors and numpy arrays with torch's uint8 arithmetic (``convention="torch"``),
  as torchvision v2 does on uint8 tensors (v1's tensor ``Resize`` goes through float32 and
  may differ by one level, see the tests).
- ``ToTensor`` and v1's ``ConvertImageDtype`` divide by 255 (``float32(x) / 255``),
  ``ToDtype(float32, scale=True)`` (and v2's ``ConvertImageDtype``) multiplies by
  ``float32(1/255)``, ``Normalize`` is ``(x - mean) / std`` in float32: the
  exact float32 operations of torchvision.
- Random parameters (``RandomResizedCrop``'s ten tries and fallback, the random flips)
  are drawn from torch's global generator in torchvision's order when torch is importable, so
  ``torch.manual_seed`` reproduces torchvision's augmentations; else from numpy's global
  generator (``np.random.seed``).

Outputs are torch tensors when torch is importable (``torch.from_numpy``, no copy), else numpy.
A tensor input (C, H, W) is told from (H, W, C) by its first axis: 1, 3 or 4 means channels
first (torchvision's layout). ``from_torchvision`` converts an existing torchvision pipeline.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _core
from ._args import (
    FLOAT_RANGE_LIMIT,
    _bfloat16,
    _DeferWarnings,
    _float,
    _int,
    _is_tensor,
    _out_dtype,
    _pair,
    _probability,
    _range_message,
    _rrc_ranges,
    _values,
    _warn,
)
from ._resize import PIL_FILTERS, Geometry, interpolation_name, resized_size

__all__ = [
    "CenterCrop",
    "Compose",
    "ConvertImageDtype",
    "Grayscale",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomAffine",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomPolar",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomVerticalFlip",
    "Resize",
    "ToDtype",
    "ToImage",
    "ToTensor",
    "from_torchvision",
]


_NO_TORCH: list[bool] = []  # set once an import of torch has failed (failures are not cached)


def _torch() -> Any:
    """torch, or None when it cannot be imported (it is never a requirement)."""
    if _NO_TORCH:
        return None
    try:
        import torch
    except ImportError:
        _NO_TORCH.append(True)
        return None
    return torch


def _is_pil(img: Any) -> bool:
    return type(img).__module__.startswith("PIL.") and hasattr(img, "mode")


def _interpolation(interpolation: Any) -> str:
    """torchvision's ``interpolation`` argument as pixnorm's filter name: an
    ``InterpolationMode``, its value, or a PIL filter (``Image.Resampling`` or its int code)."""
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        if int(interpolation) not in PIL_FILTERS:
            raise ValueError(f"interpolation: {interpolation!r} is not a PIL filter code (0-5)")
        interpolation = PIL_FILTERS[int(interpolation)]
    name = interpolation_name(interpolation)
    if name == "area":
        raise ValueError(
            "interpolation: the transforms reproduce torchvision, which has no 'area' (Pillow "
            "resizes PIL images, torch uint8 tensors); use pixnorm.preprocess(..., "
            "interpolation='area') for exact area integration"
        )
    return name


def _size_hw(size: Any, name: str) -> tuple[int, int]:
    s = _pair(size, name)
    return s if isinstance(s, tuple) else (s, s)


# ---- the transforms ------------------------------------------------------------------------


class _Transform:
    """Base: a transform is a step a fused run understands; called alone it is a run of one."""

    kind = "other"  # "resize", "crop", "rrc", "pad", "flip", "color", "convert", "normalize"

    def __call__(self, img: Any) -> Any:
        return _run([self], img)

    def _args(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._args()})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]


class Resize(_Transform):
    """torchvision ``Resize``: an int resizes the shorter side (longer ``int(size*long/short)``,
    capped by ``max_size``), a pair is (h, w), None with ``max_size`` resizes the longer side to
    ``max_size`` (v2). ``interpolation``: bilinear (default), bicubic, nearest, nearest-exact,
    and for PIL images also lanczos, box and hamming (Pillow's filters); uint8 tensors as
    torchvision v2 resizes them (torch's uint8 kernels on a contiguous (C, H, W) tensor);
    ``antialias=True`` by default (PIL images are always antialiased, as in torchvision)."""

    kind = "resize"

    def __init__(
        self,
        size: int | Sequence[int] | None,
        interpolation: Any = "bilinear",
        max_size: int | None = None,
        antialias: bool | None = True,
    ) -> None:
        if size is None and max_size is None:
            raise ValueError("size: None needs max_size (the longer side), as in torchvision v2")
        self.size = None if size is None else _pair(size, "size")
        self.interpolation = _interpolation(interpolation)
        if max_size is not None:
            max_size = _int(max_size, "max_size")
            if self.size is None:
                if max_size < 1:
                    raise ValueError(f"max_size: must be >= 1, got {max_size}")
            elif isinstance(self.size, tuple):
                raise ValueError("max_size: only allowed when size is an int (the shorter side)")
            elif max_size <= self.size:
                raise ValueError(
                    f"max_size: must be greater than size ({self.size}), got {max_size}"
                )
        self.max_size = max_size
        if antialias is not None and not isinstance(antialias, bool):
            raise TypeError(f"antialias: expected a bool or None, got {type(antialias).__name__}")
        self.antialias = bool(antialias)  # None means False, as in torchvision

    def _args(self) -> str:
        s = f"size={self.size}"
        if self.max_size is not None:
            s += f", max_size={self.max_size}"
        if self.interpolation != "bilinear":
            s += f", interpolation={self.interpolation!r}"
        return s + f", antialias={self.antialias}"


class CenterCrop(_Transform):
    """torchvision ``CenterCrop``: offsets ``int(round((H - h) / 2))`` (Python rounding). A crop
    larger than the image pads it with zeros as torchvision does (``(size - side) // 2`` before,
    the rest after), fused: the zero level goes through the same conversion and Normalize; a
    flip after it mirrors the padded image, and a crop or resize after it starts a new pass on
    the padded uint8 image (as torchvision resizes the padded image)."""

    kind = "crop"

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _size_hw(size, "size")

    def _args(self) -> str:
        return f"size={self.size}"


def _padding(padding: Any) -> tuple[int, int, int, int]:
    """torchvision's ``padding``: an int (every side), (left/right, top/bottom) or (left, top,
    right, bottom), as (left, top, right, bottom)."""
    if isinstance(padding, int | np.integer) and not isinstance(padding, bool):
        p: list[Any] = [padding] * 4
    elif (
        isinstance(padding, Sequence) and not isinstance(padding, str) and len(padding) in (1, 2, 4)
    ):
        p = list(padding) * (4 if len(padding) == 1 else 2 if len(padding) == 2 else 1)
    else:
        raise TypeError(
            "padding: expected an int or a sequence of 1, 2 or 4 ints (left/right, top/bottom or "
            f"left, top, right, bottom), got {padding!r}"
        )
    out = []
    for v in p:
        if not isinstance(v, int | np.integer) or isinstance(v, bool):
            raise TypeError(f"padding: expected ints, got {type(v).__name__}")
        if v < 0:
            raise ValueError(f"padding: must be >= 0 (pixnorm pads, it does not crop), got {v}")
        out.append(int(v))
    return out[0], out[1], out[2], out[3]


def _fill_levels(fill: Any) -> tuple[int, ...]:
    """``fill`` as uint8 levels: a number or one per channel, each truncated to an int as
    torchvision (and Pillow) do; None is 0 (v2)."""
    values = [0] if fill is None else list(fill) if isinstance(fill, Sequence) else [fill]
    if not values or isinstance(fill, str):
        raise TypeError(f"fill: expected a number or a sequence of numbers, got {fill!r}")
    out = []
    for v in values:
        if not isinstance(v, int | float | np.integer | np.floating) or isinstance(v, bool):
            raise TypeError(f"fill: expected numbers, got {type(v).__name__}")
        if not 0 <= v < 256:
            raise ValueError(
                f"fill: {v!r} is not a uint8 level (0 <= fill < 256; torchvision raises for "
                "uint8 tensors, Pillow clamps)"
            )
        out.append(int(v))
    return tuple(out)


class Pad(_Transform):
    """torchvision ``Pad(padding, fill=0, padding_mode="constant")``, fused: the image goes
    into its window of the padded output and the border is the ``fill`` level (a number, or
    one per channel; truncated to an int, as torchvision and Pillow do) through the same
    conversion and Normalize. A flip after it mirrors the padded image; a crop or resize after
    it starts a new pass on the padded uint8 image (as torchvision resizes the padded image).
    Only ``padding_mode="constant"``: torchvision's 'edge', 'reflect' and 'symmetric' are not
    fused (``from_torchvision`` keeps such a Pad as it is)."""

    kind = "pad"

    def __init__(
        self, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant"
    ) -> None:
        self.padding = _padding(padding)
        self.fill = _fill_levels(fill)
        if padding_mode != "constant":
            raise ValueError(
                f"padding_mode: only 'constant' is fused, got {padding_mode!r} (torchvision's "
                "'edge', 'reflect' and 'symmetric' copy image pixels into the border: run "
                "torchvision's Pad for those)"
            )
        self.padding_mode = padding_mode

    def _args(self) -> str:
        fill = self.fill[0] if len(self.fill) == 1 else self.fill
        return f"padding={list(self.padding)}, fill={fill}, padding_mode='constant'"


class RandomResizedCrop(_Transform):
    """torchvision ``RandomResizedCrop``: a box of ``scale`` x the area and aspect ratio in
    ``ratio`` (log-uniform), ten tries then the central fallback, resized to ``size``."""

    kind = "rrc"

    def __init__(
        self,
        size: int | Sequence[int],
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: Any = "bilinear",
        antialias: bool | None = True,
    ) -> None:
        self.size = _size_hw(size, "size")
        self.scale, self.ratio = _rrc_ranges(scale, ratio)
        self.interpolation = _interpolation(interpolation)
        if antialias is not None and not isinstance(antialias, bool):
            raise TypeError(f"antialias: expected a bool or None, got {type(antialias).__name__}")
        self.antialias = bool(antialias)

    def _args(self) -> str:
        s = f"size={self.size}, scale={self.scale}, ratio={self.ratio}"
        if self.interpolation != "bilinear":
            s += f", interpolation={self.interpolation!r}"
        return s + f", antialias={self.antialias}"

    def get_params(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(top, left, h, w) drawn exactly as torchvision (same draws, same order)."""
        return _rrc_params(_int(height, "height"), _int(width, "width"), self.scale, self.ratio)


class _RandomFlip(_Transform):
    """A flip drawn as torchvision draws it: one ``torch.rand(1) < p`` per call."""

    kind = "flip"

    def __init__(self, p: float = 0.5) -> None:
        self.p: float = _probability(p, "p")

    def _args(self) -> str:
        return f"p={self.p}"


class RandomHorizontalFlip(_RandomFlip):
    """torchvision ``RandomHorizontalFlip``: flips left-right when ``torch.rand(1) < p``."""


class RandomVerticalFlip(_RandomFlip):
    """torchvision ``RandomVerticalFlip``: flips upside down when ``torch.rand(1) < p``."""


class Grayscale(_Transform):
    """torchvision ``Grayscale(num_output_channels=1 | 3)``, fused into the pass: a PIL image
    as Pillow's ``convert("L")``, a uint8 tensor or array as torchvision v2's
    ``rgb_to_grayscale`` (both bit for bit; ``color="gray"`` / ``"gray3"`` of
    :func:`pixnorm.preprocess`). Before the resize of its run it converts the source, after it
    the resized levels, in the order torchvision applies them (crops and flips commute with
    it). A gray image stays gray (1 channel) or is repeated (3). After ``ToTensor`` it runs on
    the float tensor as torchvision does, in a pass of its own."""

    kind = "color"

    def __init__(self, num_output_channels: int = 1) -> None:
        n = _int(num_output_channels, "num_output_channels")
        if n not in (1, 3):
            raise ValueError(f"num_output_channels: expected 1 or 3, got {n}")
        self.num_output_channels = n

    def _args(self) -> str:
        return f"num_output_channels={self.num_output_channels}"


class RandomGrayscale(_Transform):
    """torchvision ``RandomGrayscale(p)``: :class:`Grayscale` with as many output channels as
    the image has, when ``torch.rand(1) < p`` (one draw per call, in order with the other
    random transforms)."""

    kind = "color"

    def __init__(self, p: float = 0.1) -> None:
        self.p: float = _probability(p, "p")

    def _args(self) -> str:
        return f"p={self.p}"


class ToTensor(_Transform):
    """torchvision ``ToTensor``: uint8 -> float32 C x H x W, ``float32(x) / 255`` (a true
    division, as torchvision; ``ToDtype(float32, scale=True)`` multiplies by ``float32(1/255)``
    instead). Unlike torchvision (v1 raises, v2 passes tensors through), a uint8 tensor is
    converted too."""

    kind = "convert"


class PILToTensor(_Transform):
    """torchvision ``PILToTensor``: uint8 C x H x W, values unchanged."""

    kind = "convert"


class ToImage(PILToTensor):
    """torchvision v2 ``ToImage``: uint8 C x H x W, values unchanged."""


class ToDtype(_Transform):
    """torchvision v2 ``ToDtype(dtype, scale)`` for float32, float16 and bfloat16 targets:
    ``float32(x) * float32(1/255)`` from uint8 when ``scale``, else ``float32(x)``; float16 and
    bfloat16 round that float32 value once to nearest-even (torch's ``.to(dtype)``, and its
    arithmetic for ``to(dtype).mul_(1/255)``). After ToTensor / Normalize, float16 and bfloat16
    cast the float32 result: fused into the pass, which writes the half-precision tensor
    directly (half the bytes). A Normalize after a half-precision ToDtype runs on the half
    tensor, as torchvision's does (its own pass). PIL images pass through unchanged (as in
    torchvision v2)."""

    kind = "convert"

    def __init__(self, dtype: Any, scale: bool = False) -> None:
        try:
            name = _out_dtype(dtype)
        except (TypeError, ValueError):
            name = ""
        if name not in ("float32", "float16", "bfloat16"):
            raise ValueError(f"dtype: float32, float16 or bfloat16 are supported, got {dtype!r}")
        if not isinstance(scale, bool):
            raise TypeError(f"scale: expected a bool, got {type(scale).__name__}")
        self.dtype_name = name
        self.scale = scale

    @property
    def half(self) -> bool:
        return self.dtype_name != "float32"

    def _args(self) -> str:
        return f"dtype={self.dtype_name}, scale={self.scale}"


class ConvertImageDtype(ToDtype):
    """torchvision v1 ``ConvertImageDtype(torch.float32)``: ``float32(x) / 255`` from uint8 (a
    true division, as ``ToTensor``), values otherwise as :class:`ToDtype` with ``scale=True``.
    torchvision v2's ``ConvertImageDtype`` multiplies by ``float32(1/255)`` instead (it is
    ``ToDtype(float32, scale=True)`` there), which differs in the last bit for 126 of the 256
    levels; :func:`from_torchvision` maps each version to its own arithmetic. Only float32
    targets; PIL images pass through unchanged (as :class:`ToDtype`)."""

    def __init__(self, dtype: Any = "float32") -> None:
        super().__init__(dtype, scale=True)
        if self.half:  # v1 divides in the half type: not the float32 quotient rounded once
            raise ValueError(
                f"dtype: ConvertImageDtype is reproduced for float32 only, got {dtype!r}; "
                "ToDtype(dtype, scale=True) gives torchvision v2's half-precision result"
            )

    def _args(self) -> str:
        return "dtype=float32"


class Normalize(_Transform):
    """torchvision ``Normalize``: ``(x - mean[c]) / std[c]`` in float32 on a float tensor;
    ``std`` must be positive (torchvision also accepts negative values)."""

    kind = "normalize"

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean = _reals(mean, "mean")
        self.std = _reals(std, "std")
        if any(s == 0 for s in self.std):
            raise ValueError(f"std: evaluated to zero, leading to division by zero: {self.std}")
        if any(not (s > 0 and math.isfinite(s)) for s in self.std):  # torchvision: nonzero
            raise ValueError(f"std: must be positive and finite (pixnorm's core), got {self.std}")
        if not isinstance(inplace, bool):
            raise TypeError(f"inplace: expected a bool, got {type(inplace).__name__}")
        self.inplace = inplace

    def _args(self) -> str:
        return f"mean={list(self.mean)}, std={list(self.std)}"


def _reals(value: Any, name: str) -> tuple[float, ...]:
    value = _values(value, name)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return (_float(value, name),)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(f"{name}: expected a sequence of numbers, got {type(value).__name__}")
    out = []
    for v in list(value):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name}: expected real numbers, got {type(v).__name__}")
        out.append(_float(v, name))
    if not out:
        raise ValueError(f"{name}: empty")
    return tuple(out)


# ---- random rotations and affine maps (a pass of their own) ----------------------------------


def _degrees_range(value: Any, name: str, sizes: tuple[int, ...] = (2,)) -> tuple[float, ...]:
    """torchvision's _setup_angle: a number d >= 0 is (-d, d); else ``sizes`` finite values."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        d = float(value)
        if not (math.isfinite(d) and d >= 0):
            raise ValueError(f"{name}: a single number must be finite and >= 0, got {value!r}")
        return (-d, d)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) not in sizes:
        raise TypeError(f"{name}: expected a number or {' or '.join(map(str, sizes))} numbers")
    out = tuple(_reals(value, name))
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"{name}: expected finite values")
    return out


def _warp_fill(fill: Any) -> Any:
    """torchvision v2's _convert_fill_arg: None, a number, or a list of floats."""
    if fill is None or (isinstance(fill, numbers.Real) and not isinstance(fill, bool)):
        return fill
    if isinstance(fill, str | bytes) or not isinstance(fill, Sequence):
        raise TypeError(f"fill: expected None, a number or a sequence, got {type(fill).__name__}")
    return list(_reals(fill, "fill"))


def _warp_interpolation(interpolation: Any) -> Any:
    """A filter torchvision's rotate takes: a name or InterpolationMode (kept as its name), or a
    Pillow constant or int (kept as given, for torchvision)."""
    if type(interpolation).__name__ == "InterpolationMode":
        return str(interpolation.value)
    if isinstance(interpolation, str):
        if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
            raise ValueError(
                f"interpolation: expected 'nearest', 'bilinear' (or 'nearest-exact', 'bicubic' "
                f"for torchvision's own kernel), got {interpolation!r}"
            )
        return interpolation
    if isinstance(interpolation, numbers.Integral) and not isinstance(interpolation, bool):
        return interpolation
    raise TypeError(f"interpolation: expected a name or InterpolationMode, got {interpolation!r}")


class _RandomWarp(_Transform):
    """A random rotation or affine map drawn with torch's generator as torchvision v2 draws it,
    then torchvision v2's kernel reproduced bit for bit: ``convention='torch'`` on a uint8
    tensor (C, H, W) (a plain tensor or a ``tv_tensors.Image``), ``'pillow'`` (``Image.rotate``)
    on a PIL L, RGB or RGBA image, with 'nearest' or 'bilinear' (and on tensors a fill in
    0..255). Anything else (several inputs, samples with boxes or masks, float tensors, batches,
    other PIL modes or filters, a PIL image for the affine map) goes to torchvision v2's own
    transform built from the same arguments, which draws the same numbers. In a
    :class:`Compose` the flips and the conversion and Normalize after it are fused into the
    warp's pass (the steps before it are a pass of their own, ending in uint8 levels, as
    torchvision's)."""

    kind = "warp"
    interpolation: Any
    center: list[float] | None
    fill: Any

    def _tv(self) -> Any:
        raise NotImplementedError

    def _filter(self) -> str | None:
        from ._warp import _interp

        try:
            return _interp(self.interpolation)
        except (TypeError, ValueError):
            return None

    def _source(self, img: Any) -> tuple[str, Any, str, Any] | None:
        """(convention, pixels, kind, PIL mode) when pixnorm reproduces this input, else None:
        'torch' for uint8 tensors and numpy arrays (pixels: the (H, W, C) view, read with the
        other transforms' axis rule; a tv_tensors.Image is (C, H, W)), 'pillow' for PIL L, RGB,
        RGBA images with RandomRotation (pixels: the image)."""
        if self._filter() is None:
            return None
        torch = _torch()
        fill = self.fill
        fills = [] if fill is None else [fill] if isinstance(fill, numbers.Real) else fill
        if not all(0.0 <= float(v) <= 255.0 for v in fills):
            return None  # (torchvision's own transform takes other fills of tensors)
        if torch is not None and isinstance(img, torch.Tensor):
            from_tv = type(img).__module__.startswith("torchvision.tv_tensors")
            if from_tv and type(img).__name__ == "Image":
                t = img.as_subclass(torch.Tensor).detach()
                ok = t.dtype == torch.uint8 and t.ndim == 3 and min(t.shape) > 0
                if not ok or t.device.type != "cpu":
                    return None
                return "torch", t.permute(1, 2, 0).numpy(), "tv_image", None
            if type(img) is not torch.Tensor or img.dtype != torch.uint8:
                return None
            if img.ndim not in (2, 3) or min(img.shape) == 0 or img.device.type != "cpu":
                return None
            arr, kind, _ = _load(img)
            return "torch", arr, kind, None
        if type(img) is np.ndarray:
            if img.dtype != np.uint8 or img.ndim not in (2, 3) or min(img.shape) == 0:
                return None
            arr, kind, _ = _load(img)
            return "torch", arr, kind, None
        if _is_pil(img) and isinstance(self, RandomRotation) and img.mode in ("L", "RGB", "RGBA"):
            return ("pillow", img, "pil", img.mode) if min(img.size) > 0 else None
        return None

    def __call__(self, *inputs: Any) -> Any:
        src = self._source(inputs[0]) if len(inputs) == 1 else None
        if src is None:
            try:
                tv = self._tv()
            except ImportError:
                raise TypeError(
                    f"{type(self).__name__}: pixnorm reproduces one uint8 tensor or array or "
                    f"PIL L, RGB, RGBA image with 'nearest' or 'bilinear'; this input needs "
                    "torchvision"
                ) from None
            return tv(*inputs)
        return self._levels_out(inputs[0], src, self._warp(src, self._params(src)))

    def _params(self, src: tuple[str, Any, str, Any]) -> dict[str, Any]:
        conv, px = src[0], src[1]
        h, w = (int(px.shape[0]), int(px.shape[1])) if conv == "torch" else px.size[::-1]
        return self._params_for(h, w)

    def _params_for(self, h: int, w: int) -> dict[str, Any]:
        """The parameters drawn for an image of h x w, as torchvision draws them."""
        raise NotImplementedError

    @staticmethod
    def _channels(src: tuple[str, Any, str, Any]) -> int:
        if src[0] == "torch":
            return int(src[1].shape[2])
        return 1 if src[3] == "L" else len(src[3])

    def _warp(
        self,
        src: tuple[str, Any, str, Any],
        params: dict[str, Any],
        axes: tuple[int, int] = (0, 0),
        mean: Sequence[float] = (0.0,),
        std: Sequence[float] = (1.0,),
        scale: float = 1.0,
        divisor: float = 0.0,
        levels: bool = True,
    ) -> np.ndarray[Any, Any]:
        """The warp of an input pixnorm reproduces (``src`` from :meth:`_source`, ``params``
        drawn), mirrored by ``axes`` (horizontal, vertical): its uint8 levels, (C, H, W) where
        the input's kind is a (C, H, W) tensor, else (H, W, C); or with ``levels=False`` those
        levels through the conversion (``float32(x) * scale`` or ``/ divisor``) and Normalize,
        float32 (C, H, W)."""
        px = np.asarray(src[1]) if src[0] == "pillow" else src[1]
        chw = not levels or src[2] in ("tensor_chw", "tv_image")
        return np.asarray(
            self._apply(
                px,
                src[0],
                self._channels(src),
                params,
                mean,
                std,
                scale,
                None if levels else "float32",
                "CHW" if chw else "HWC",
                None,
                axes,
                divisor,
            )  # fmt: skip
        )

    def _apply(
        self,
        px: np.ndarray[Any, Any],
        conv: str | None,
        channels: int,
        params: dict[str, Any],
        mean: Any,
        std: Any,
        scale: float | None,
        dtype: str | None,
        layout: str,
        out: Any,
        axes: tuple[int, int],
        divisor: float,
        raw_out: bool = False,
    ) -> Any:
        """The warp with drawn ``params`` of (H, W, C) pixels ``px`` in convention ``conv``
        (the fill as torchvision gives it to that kernel: per band int() for Pillow), written
        as :func:`pixnorm.rotate` / :func:`pixnorm.affine` write (``dtype`` None: uint8 levels,
        mean 0, std 1, scale 1), mirrored by ``axes``. The transform and Collate(warp=)."""
        from ._warp import _affine, _rotate

        fill: Any = self.fill
        if conv == "pillow":
            given: Any = 0 if fill is None else fill  # _parse_fill: per band, int()
            fills: list[Any] = (
                [given] * channels if isinstance(given, numbers.Real) else list(given)
            )
            if len(fills) == 1:
                fills = fills * channels
            if len(fills) != channels:
                raise ValueError(f"fill: {len(fills)} values for an image of {channels} bands")
            fill = [int(float(v)) for v in fills]
        if dtype is None:  # the levels themselves
            dtype, mean, std, scale = "uint8", 0.0, None, None
        tail = (fill, conv, mean, std, scale, dtype, layout, out, True, axes, divisor, raw_out)
        name = self._filter()
        if "expand" in params:
            return _rotate(px, params["angle"], name, params["expand"], self.center, *tail)
        return _affine(px, params["angle"], params["translate"], params["zoom"], params["shear"],
                       name, self.center, *tail)  # fmt: skip

    @staticmethod
    def _levels_out(img: Any, src: tuple[str, Any, str, Any], out: np.ndarray[Any, Any]) -> Any:
        """Warped uint8 levels as :meth:`_warp` wrote them, as the input's kind: a tensor
        (C, H, W), (H, W, C) or (H, W) as given (a tv_tensors.Image wrapped as torchvision
        does), an array (H, W, C) or (H, W), or a PIL image of the input's mode."""
        kind = src[2]
        if kind == "pil":
            from PIL import Image

            return Image.fromarray(out[..., 0] if out.shape[2] == 1 else out, mode=src[3])
        if kind in ("numpy", "numpy_hw"):
            return out[..., 0] if kind == "numpy_hw" else out
        torch = _torch()
        if kind == "tensor_hwc":
            return torch.from_numpy(out)
        if kind == "tensor_hw":
            return torch.from_numpy(np.ascontiguousarray(out[..., 0]))
        result = torch.from_numpy(out)  # (C, H, W): _warp wrote it so
        if kind == "tv_image":  # wrapped as torchvision does
            from torchvision import tv_tensors

            result = tv_tensors.wrap(result, like=img)
        return result


class RandomRotation(_RandomWarp):
    """torchvision v2 ``RandomRotation``: an angle drawn uniformly in ``degrees`` (a number d:
    (-d, d)) with ``torch.empty(1).uniform_`` (numpy without torch), then ``rotate`` with
    ``interpolation`` ('nearest' or 'bilinear'), ``expand``, ``center`` and ``fill`` (default 0,
    which torchvision blends through a mask; None pads with zeros). Bit for bit torchvision's on
    uint8 tensors and PIL L/RGB/RGBA images with the same seed; in a :class:`Compose`, one pass
    with the flips, conversion and Normalize after it."""

    def __init__(
        self,
        degrees: Any,
        interpolation: Any = "nearest",
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: Any = 0,
    ) -> None:
        from ._warp import _center

        self.degrees = _degrees_range(degrees, "degrees")
        self.interpolation = _warp_interpolation(interpolation)
        if not isinstance(expand, bool):
            raise TypeError(f"expand: expected a bool, got {type(expand).__name__}")
        self.expand = expand
        c = _center(center)
        self.center = None if c is None else [c[0], c[1]]
        self.fill = _warp_fill(fill)

    def _args(self) -> str:
        return (
            f"degrees={self.degrees}, interpolation={self.interpolation!r}, "
            f"expand={self.expand}, center={self.center}, fill={self.fill}"
        )

    def _params_for(self, h: int, w: int) -> dict[str, Any]:
        return {"angle": _uniform(self.degrees[0], self.degrees[1]), "expand": self.expand}

    def _tv(self) -> Any:
        from torchvision.transforms import v2

        return v2.RandomRotation(list(self.degrees), self.interpolation, self.expand,
                                 self.center, self.fill)  # fmt: skip


class _RandomRotationV1(RandomRotation):
    """torchvision v1 ``RandomRotation``, as :func:`from_torchvision` maps it: on PIL L, RGB
    and RGBA images v1 draws its angle as v2 does and rotates with the same ``Image.rotate``
    call, so pixnorm's 'pillow' warp runs it (one pass with the flips, conversion and Normalize
    after it in a :class:`Compose`); tensors and arrays go to torchvision v1's own transform
    (its tensor kernel computes its matrix and grid in another order than v2's)."""

    def _source(self, img: Any) -> tuple[str, Any, str, Any] | None:
        return super()._source(img) if _is_pil(img) else None

    def _tv(self) -> Any:
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms import RandomRotation as V1

        mode = self.interpolation
        mode = InterpolationMode(mode) if isinstance(mode, str) else mode
        return V1(list(self.degrees), mode, self.expand, self.center, self.fill)

    def __repr__(self) -> str:
        return f"RandomRotation({self._args()}) (torchvision v1's: PIL images fused)"


class RandomAffine(_RandomWarp):
    """torchvision v2 ``RandomAffine``: angle in ``degrees``, a translation of at most
    ``translate`` (fractions of the width and height, rounded to whole pixels), a scale in
    ``scale`` and shear angles in ``shear`` (a number s: x in (-s, s); two: x; four: x then y),
    drawn with torch's generator in torchvision's order, then ``affine``. Bit for bit
    torchvision's on uint8 tensors (PIL images go to torchvision's own kernel); in a
    :class:`Compose`, one pass with the flips, conversion and Normalize after it."""

    def __init__(
        self,
        degrees: Any,
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: Any = None,
        interpolation: Any = "nearest",
        fill: Any = 0,
        center: Sequence[float] | None = None,
    ) -> None:
        from ._warp import _center

        self.degrees = _degrees_range(degrees, "degrees")
        self.translate = None if translate is None else _reals(translate, "translate")
        if self.translate is not None and (
            len(self.translate) != 2 or not all(0.0 <= t <= 1.0 for t in self.translate)
        ):
            raise ValueError("translate: expected two fractions in [0, 1]")
        self.scale = None if scale is None else _reals(scale, "scale")
        if self.scale is not None and (
            len(self.scale) != 2 or not all(v > 0 and math.isfinite(v) for v in self.scale)
        ):
            raise ValueError("scale: expected two finite values > 0")
        self.shear = None if shear is None else _degrees_range(shear, "shear", (2, 4))
        self.interpolation = _warp_interpolation(interpolation)
        self.fill = _warp_fill(fill)
        c = _center(center)
        self.center = None if c is None else [c[0], c[1]]

    def _args(self) -> str:
        return (
            f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
            f"shear={self.shear}, interpolation={self.interpolation!r}, fill={self.fill}, "
            f"center={self.center}"
        )

    def _tv(self) -> Any:
        from torchvision.transforms import v2

        return v2.RandomAffine(
            list(self.degrees), self.translate, self.scale,
            None if self.shear is None else list(self.shear), self.interpolation, self.fill,
            self.center,
        )  # fmt: skip

    def _params_for(self, h: int, w: int) -> dict[str, Any]:
        angle = _uniform(self.degrees[0], self.degrees[1])
        translate = (0, 0)
        if self.translate is not None:
            max_dx, max_dy = float(self.translate[0] * w), float(self.translate[1] * h)
            tx = int(round(float(_uniform(-max_dx, max_dx))))
            ty = int(round(float(_uniform(-max_dy, max_dy))))
            translate = (tx, ty)
        zoom = _uniform(self.scale[0], self.scale[1]) if self.scale is not None else 1.0
        sx = sy = 0.0
        if self.shear is not None:
            sx = float(_uniform(self.shear[0], self.shear[1]))
            if len(self.shear) == 4:
                sy = float(_uniform(self.shear[2], self.shear[3]))
        return {"angle": angle, "translate": translate, "zoom": zoom, "shear": (sx, sy)}


class RandomPolar(_Transform):
    """pixnorm's own random polar transform (torchvision has none, vision#4434):
    :func:`pixnorm.warp_polar` (``cv2.warpPolar`` with ``WARP_FILL_OUTLIERS``) about a random
    pole with a random radius scale.

    With probability ``p`` (else the image is returned as it is), for an image of h x w
    pixels, drawn in this order with torch's generator (numpy's global one without torch):

    - the pole: ``((w - 1) / 2 + dx, (h - 1) / 2 + dy)``, ``dx`` uniform in
      ``(-center[0] w, center[0] w)``, then ``dy`` in ``(-center[1] h, center[1] h)`` (as
      ``RandomAffine``'s ``translate``; ``center`` one fraction for both or two);
    - ``max_radius``: uniform in ``radius`` (fractions of the half-diagonal
      ``hypot(w, h) / 2``; a number r: (r, r)).

    The p draw comes first, and only when ``p < 1``. The result is the polar image of ``size``
    (h, w; default the input's), rows the angles and columns the radius (``log=True``: semi-log;
    the smallest radius, ``radius[0]`` times the half-diagonal, must exceed 1 pixel, checked
    before any draw), sampled with ``interpolation`` ('bilinear' or 'nearest'; a torchvision
    ``Mask`` always nearest), ``fill`` outside, in pixnorm's convention (float64 positions;
    uint8 results rounded). Input and output of the same kind: a PIL L, RGB or RGBA image, a
    (C, H, W) or (H, W) torch tensor (``tv_tensors.Image`` and ``Mask`` kept), or an (H, W[, C])
    numpy array; uint8, uint16 or float32. Several inputs of one size (an image and its mask)
    take one draw and the same warp, returned as a tuple. An image the p draw skips keeps its
    size: with ``size`` and ``p < 1``, follow with a ``Resize`` (or keep ``size=None``) before
    batching. A pass of its own (not fused with the steps around it).
    """

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        center: float | Sequence[float] = 0.1,
        radius: float | Sequence[float] = (0.8, 1.2),
        log: bool = False,
        interpolation: Any = "bilinear",
        fill: Any = 0,
        p: float = 1.0,
    ) -> None:
        self.size = None if size is None else _size_hw(size, "size")
        c = _reals(center, "center")
        if len(c) == 1:
            c = (c[0], c[0])
        if len(c) != 2 or not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in c):
            raise ValueError("center: expected one or two fractions in [0, 1]")
        self.center = c
        r = _reals(radius, "radius")
        if len(r) == 1:
            r = (r[0], r[0])
        if len(r) != 2 or not all(1e-6 <= v <= 1e6 for v in r) or r[0] > r[1]:
            raise ValueError(
                "radius: expected one or two fractions of the half-diagonal in [1e-6, 1e6], "
                f"low <= high; got {radius!r}"
            )
        self.radius = r
        if not isinstance(log, bool | np.bool_):
            raise TypeError(f"log: expected a bool, got {type(log).__name__}")
        self.log = bool(log)
        from ._warp import _interp

        self.interpolation = _interp(interpolation)  # 'bilinear' or 'nearest' (or the enums)
        self.fill = _warp_fill(fill)
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"p: expected a number, got {type(p).__name__}")
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"p: expected a probability in [0, 1], got {p!r}")
        self.p: float = float(p)

    def _args(self) -> str:
        return (
            f"size={self.size}, center={self.center}, radius={self.radius}, log={self.log}, "
            f"interpolation={self.interpolation!r}, fill={self.fill}, p={self.p}"
        )

    def _params(self, h: int, w: int) -> dict[str, Any] | None:
        """The drawn pole and radius, or None when the p draw skips the image."""
        if self.p < 1.0 and _rand() >= self.p:
            return None
        dx = _uniform(-self.center[0] * w, self.center[0] * w)
        dy = _uniform(-self.center[1] * h, self.center[1] * h)
        rad = _uniform(self.radius[0], self.radius[1]) * math.hypot(w, h) / 2
        return {"center": ((w - 1) / 2 + dx, (h - 1) / 2 + dy), "max_radius": rad}

    def _array(self, img: Any, name: str) -> tuple[Any, str]:
        """(the input as an (H, W) or (H, W, C) array, its filter)."""
        torch = _torch()
        if _is_pil(img):
            if img.mode not in ("L", "RGB", "RGBA"):
                raise ValueError(f"{name}: PIL mode {img.mode!r}; expected 'L', 'RGB' or 'RGBA'")
            return np.asarray(img), self.interpolation
        if torch is not None and isinstance(img, torch.Tensor):
            kind = type(img).__name__
            if type(img).__module__.startswith("torchvision") and kind not in ("Image", "Mask"):
                raise TypeError(f"{name}: RandomPolar warps images and masks, not a {kind}")
            if img.ndim not in (2, 3) or min(img.shape) == 0:
                raise ValueError(
                    f"{name}: expected a non-empty (C, H, W) or (H, W) tensor, got shape "
                    f"{tuple(img.shape)}"
                )
            if img.dtype not in (torch.uint8, getattr(torch, "uint16", None), torch.float32):
                raise TypeError(
                    f"{name}: dtype {img.dtype} is not supported; expected torch.uint8, "
                    "torch.uint16 or torch.float32 (a mask of labels: uint8)"
                )
            arr = img.detach().cpu().numpy()
            # a Mask's labels are copied, never blended
            interp = "nearest" if kind == "Mask" else self.interpolation
            return (arr if arr.ndim == 2 else arr.transpose(1, 2, 0)), interp
        if isinstance(img, np.ndarray):
            if img.ndim == 3 and img.shape[0] <= 4 < img.shape[2]:
                raise ValueError(
                    f"{name}: shape {img.shape} looks like (C, H, W); RandomPolar reads numpy "
                    "arrays as (H, W[, C]): pass img.transpose(1, 2, 0) (a view, no copy)"
                )
            return img, self.interpolation
        raise TypeError(
            f"{name}: expected a PIL image, a torch tensor or a numpy array, got "
            f"{type(img).__name__}"
        )

    def __call__(self, *inputs: Any) -> Any:
        """One image (or mask), or several of the same size, such as an image and its mask:
        one draw, the same warp for each (a tuple back)."""
        from ._warp import warp_polar

        if not inputs:
            raise TypeError("RandomPolar: expected an image (and more inputs of its size)")
        names = ["image"] if len(inputs) == 1 else [f"inputs[{i}]" for i in range(len(inputs))]
        arrays = [self._array(x, n) for x, n in zip(inputs, names, strict=True)]
        for (arr, _), n in zip(arrays, names, strict=True):
            if arr.ndim not in (2, 3) or arr.size == 0:
                raise ValueError(
                    f"{n}: expected a non-empty (H, W[, C]) image, got shape {arr.shape}"
                )
        h, w = int(arrays[0][0].shape[0]), int(arrays[0][0].shape[1])
        for (arr, _), n in zip(arrays[1:], names[1:], strict=True):
            if arr.shape[:2] != (h, w):
                raise ValueError(f"{n}: {arr.shape[:2]} pixels, the first input has {(h, w)}")
        half_diagonal = math.hypot(w, h) / 2
        # (torch draws the fraction in float32: its lowest value may round below radius[0])
        low = min(self.radius[0], float(np.float32(self.radius[0])))
        if self.log and not low * half_diagonal > 1.0:  # before any draw
            raise ValueError(
                f"radius: log=True needs max_radius > 1; radius {self.radius[0]} of the "
                f"half-diagonal of a {h} x {w} image is {low * half_diagonal!r}"
            )
        params = self._params(h, w)
        if params is None:
            return inputs[0] if len(inputs) == 1 else tuple(inputs)
        rad = params["max_radius"]
        if not 0.0 < rad < 2.0**40 or (self.log and not rad > 1.0):
            raise ValueError(
                f"radius: drew max_radius {rad!r} for a {h} x {w} image; expected a radius in "
                f"({1 if self.log else 0}, 2^40) pixels"
            )
        results = []
        for img, (arr, interp) in zip(inputs, arrays, strict=True):
            dtype = arr.dtype
            out = warp_polar(
                arr, self.size or (h, w), params["center"], rad, log=self.log,
                interpolation=interp, fill=self.fill,
                dtype=np.uint8 if dtype == np.uint8 else None,
                scale=None if dtype == np.uint8 else 1.0, layout="HWC", channels_last=arr.ndim == 3,
            )  # fmt: skip
            if dtype == np.uint16:  # float32 samples rounded to levels (ties to even), as uint8's
                out = np.clip(np.rint(out), 0, 65535).astype(np.uint16)
            if arr.ndim == 2 and out.ndim == 3:
                out = out[..., 0]
            results.append(self._same_kind(img, out))
        return results[0] if len(inputs) == 1 else tuple(results)

    @staticmethod
    def _same_kind(img: Any, out: Any) -> Any:
        torch = _torch()
        if _is_pil(img):
            from PIL import Image

            return Image.fromarray(out, mode=img.mode)
        if torch is not None and isinstance(img, torch.Tensor):
            if img.ndim == 2:
                result = torch.from_numpy(np.ascontiguousarray(out))
            else:
                o = out if out.ndim == 3 else out[..., None]
                result = torch.from_numpy(np.ascontiguousarray(o.transpose(2, 0, 1)))
            if type(img) is not torch.Tensor and type(img).__module__.startswith("torchvision"):
                from torchvision import tv_tensors

                result = tv_tensors.wrap(result, like=img)
            return result
        return out


# ---- random parameters ---------------------------------------------------------------------


def _uniform(lo: float, hi: float, rng: np.random.Generator | None = None) -> float:
    if rng is not None:  # a generator of the caller's (pixnorm.ray: seeded per image)
        return float(rng.uniform(lo, hi))
    torch = _torch()
    if torch is not None:
        return float(torch.empty(1).uniform_(lo, hi).item())
    return float(np.random.uniform(lo, hi))  # noqa: NPY002 (np.random.seed must reproduce)


def _randint(hi: int, rng: np.random.Generator | None = None) -> int:
    """An int in [0, hi)."""
    if rng is not None:
        return int(rng.integers(0, hi))
    torch = _torch()
    if torch is not None:
        return int(torch.randint(0, hi, size=(1,)).item())
    return int(np.random.randint(0, hi))  # noqa: NPY002


def _rand() -> float:
    torch = _torch()
    if torch is not None:
        return float(torch.rand(1).item())
    return float(np.random.random())  # noqa: NPY002


def _rrc_params(
    height: int,
    width: int,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    rng: np.random.Generator | None = None,
) -> tuple[int, int, int, int]:
    """RandomResizedCrop's box, torchvision's algorithm (ten tries, then the central
    fallback), drawn from torch's or numpy's global generator, or from `rng` when given."""
    if height < 1 or width < 1:  # torchvision divides by zero in its fallback
        raise ValueError(
            f"height, width: expected an image of at least 1 x 1, got {(height, width)}"
        )
    area = height * width
    torch = _torch() if rng is None else None
    if torch is not None:  # torchvision: torch.log(torch.tensor(ratio)), float32
        lr = torch.log(torch.tensor(ratio))
        log_ratio = (float(lr[0]), float(lr[1]))
    else:
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * _uniform(scale[0], scale[1], rng)
        if torch is not None:
            aspect = float(torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item())
        else:
            aspect = math.exp(_uniform(log_ratio[0], log_ratio[1], rng))
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            i = _randint(height - h + 1, rng)
            j = _randint(width - w + 1, rng)
            return i, j, h, w
    in_ratio = float(width) / float(height)  # fallback to the central crop
    if in_ratio < min(ratio):
        w = width
        h = int(round(w / min(ratio)))
    elif in_ratio > max(ratio):
        h = height
        w = int(round(h * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


# ---- inputs and outputs --------------------------------------------------------------------


# uint16 images: torchvision's transforms resize uint8; pixnorm's own convention takes uint16
_U16_HINT = " (uint16: pixnorm.preprocess, or Collate(convention=None))"


def _load(img: Any, uint16: bool = False) -> tuple[np.ndarray[Any, Any], str, Any]:
    """(uint8 H x W x C array, kind, PIL mode) without copying tensors or arrays; ``uint16``:
    uint16 arrays and tensors too (Collate with pixnorm's own convention)."""
    if _is_pil(img):
        if img.mode not in ("L", "RGB"):
            raise ValueError(
                f"image: PIL mode {img.mode!r} is not supported; convert to 'RGB' or 'L'"
            )
        arr = np.asarray(img)
        return (arr[..., None] if arr.ndim == 2 else arr), "pil", img.mode
    if _is_tensor(img):
        torch = _torch()
        if img.dtype != torch.uint8 and not (uint16 and img.dtype == torch.uint16):
            raise TypeError(
                f"image: expected a uint8 tensor, got {img.dtype}"
                + (_U16_HINT if img.dtype == torch.uint16 else "")
            )
        t = img.detach()
        if t.device.type != "cpu":
            raise ValueError(f"image: expected a CPU tensor, got device {t.device}")
        if t.ndim == 2:
            return t.numpy()[..., None], "tensor_hw", None
        # (C, H, W) as torchvision reads 3-D tensors, unless it can only be (H, W, C): more than
        # 4 values first and at most 4 last
        if t.ndim == 3 and (t.shape[0] <= 4 or t.shape[2] > 4):
            return t.permute(1, 2, 0).numpy(), "tensor_chw", None
        if t.ndim == 3:
            return t.numpy(), "tensor_hwc", None
        raise ValueError(f"image: expected a (C, H, W) or (H, W, C) tensor, got {tuple(t.shape)}")
    if isinstance(img, np.ndarray) or hasattr(img, "__array__"):
        arr = np.asarray(img)
        if arr.dtype != np.uint8 and not (uint16 and arr.dtype == np.uint16):
            raise TypeError(
                f"image: expected uint8, got dtype {arr.dtype}"
                + (_U16_HINT if arr.dtype == np.uint16 else "")
            )
        if arr.ndim == 2:
            return arr[..., None], "numpy_hw", None
        if arr.ndim != 3:
            raise ValueError(f"image: expected (H, W) or (H, W, C), got shape {arr.shape}")
        if arr.shape[0] <= 4 < arr.shape[2]:  # (as 3-d tensors are told apart)
            raise ValueError(
                f"image: a numpy array of shape {arr.shape} reads as (H, W, C) with "
                f"{arr.shape[2]} channels; it looks like (C, H, W): pass "
                "image.transpose(1, 2, 0) (a view, no copy)"
            )
        return arr, "numpy", None
    encoded = isinstance(img, bytes | bytearray | memoryview)
    raise TypeError(
        "image: expected a PIL image, a uint8 numpy array or torch tensor, got "
        f"{type(img).__name__}"
        + (" (encoded bytes: pixnorm.Collate(..., decode=True) decodes them)" if encoded else "")
    )


def _foreign_pil(img: Any, steps: Sequence[Any]) -> bool:
    """A PIL image of a mode a fused run does not read (a geometry or colour run: other than L
    and RGB; a run led by a random warp: other than L, RGB and RGBA): a from_torchvision
    pipeline gives it to torchvision's own steps."""
    if not _is_pil(img):
        return False
    modes = ("L", "RGB", "RGBA") if isinstance(steps[0], _RandomWarp) else ("L", "RGB")
    return img.mode not in modes


def _tensor_out(chw: np.ndarray[Any, Any]) -> Any:
    torch = _torch()
    return chw if torch is None else torch.from_numpy(chw)


def _image_out(levels: np.ndarray[Any, Any], kind: str, mode: Any) -> Any:
    """Geometry only: give back the input's kind (uint8 levels were computed exactly)."""
    chw = levels if levels.dtype == np.uint8 else levels.astype(np.uint8)
    if kind == "tensor_chw":
        return _tensor_out(chw)
    if kind == "tensor_hw":  # 2-D in: 2-D out, unless a colour made 3 channels (C, H, W)
        return _tensor_out(np.ascontiguousarray(chw[0]) if chw.shape[0] == 1 else chw)
    return _hwc_image_out(np.ascontiguousarray(chw.transpose(1, 2, 0)), kind, mode)


def _hwc_image_out(hwc: np.ndarray[Any, Any], kind: str, mode: Any) -> Any:
    """The input's kind (pil, numpy, numpy_hw, tensor_hwc) of uint8 levels written (H, W, C)."""
    if kind == "pil":
        from PIL import Image

        return Image.fromarray(np.ascontiguousarray(hwc[..., 0]) if mode == "L" else hwc, mode=mode)
    if kind == "tensor_hwc":
        return _tensor_out(hwc)
    return hwc[..., 0] if kind == "numpy_hw" and hwc.shape[2] == 1 else hwc


def _padded(
    args: tuple[Any, ...],
    divisor: float,
    padded: tuple[int, int, int, int],
    flip: bool,
    vflip: bool,
    color: str | None,
    color_after_resize: bool,
    out_dtype: str,
    interpolation: str,
    fill_pixel: np.ndarray[Any, Any],
    fill_converted: bool,
) -> Any:
    """A fused run with padding (a Pad, or a CenterCrop larger than the image): the image part
    into its window of the (out h, out w) output, the rest the fill level (``fill_pixel``, one
    uint8 pixel; converted with ``color`` when the padding came before it) through the same
    arithmetic (torchvision pads the uint8 image, then converts and normalizes everything). A
    flip after the padding mirrors the padded image, so the window moves to the mirrored
    place."""
    oh, ow, top, left = padded
    ch, cw = int(args[2]), int(args[3])
    if flip:
        left = ow - cw - left
    if vflip:
        top = oh - ch - top
    images, geoms, _, _, antialias, conv, mean, std, scale = args[:9]
    one = Geometry(0, 0, 1, 1, 1, 1, 0, 0, 0, 0)
    kw: dict[str, Any] = {"divisor": divisor}
    if fill_converted and color is not None:
        kw["color"] = color
    fill = _core.preprocess(
        [fill_pixel], [one], 1, 1, antialias, conv, mean, std, scale, None, False, **kw
    )
    return _core.preprocess(
        images, geoms, ch, cw, antialias, conv, mean, std, scale, None, False,
        divisor=divisor, out_h=oh, out_w=ow, pad_top=top, pad_left=left,
        fill=[float(v) for v in np.asarray(fill).reshape(-1)], color=color,
        color_after_resize=color_after_resize, dtype=out_dtype, interpolation=interpolation,
    )  # fmt: skip


def _float_only(ops: Sequence[_Transform], img: Any) -> Any:
    """A run on a float image, as torchvision treats one: ToTensor / ToImage make a float numpy
    array, (H, W, C) or (H, W), a (C, H, W) tensor (values unchanged, no scaling); a float tensor
    is (C, H, W) already and passes. ToDtype casts to float32 (``scale`` changes nothing between
    float types). Normalize takes (C, H, W): a tensor, or a numpy array as pixnorm returns them
    (``to_tensor``, or these transforms without torch). The random flips flip the float image
    (torchvision's draw, in order); other geometry needs a uint8 image."""
    chw = _is_tensor(img)
    for op in ops:
        if isinstance(op, ToTensor | ToImage):
            if not chw:
                a = np.asarray(img)
                if not (a.dtype.isnative and a.dtype.itemsize in (2, 4, 8)):
                    hint = "" if a.dtype.isnative else f" (use .astype('=f{a.dtype.itemsize}'))"
                    raise TypeError(
                        f"image: float dtype {a.dtype} is not supported; expected float16, "
                        f"float32 or float64 in native byte order{hint}"
                    )
                if a.ndim == 2:
                    a = a[..., None]
                if a.ndim != 3:
                    raise ValueError(f"image: expected (H, W) or (H, W, C), got shape {a.shape}")
                t = np.ascontiguousarray(a.transpose(2, 0, 1))
                if not t.flags.writeable:  # a read-only view: torch would share it
                    t = t.copy()
                img = _tensor_out(t)
                chw = True
            continue
        if isinstance(op, PILToTensor):
            raise TypeError(f"image: PILToTensor needs a PIL or uint8 image, got {_dtype(img)}")
        if isinstance(op, ToDtype):
            if _is_tensor(img):
                img = img.to(getattr(_torch(), op.dtype_name))
            else:
                kind = _bfloat16() if op.dtype_name == "bfloat16" else op.dtype_name
                img = np.asarray(img).astype(kind)
            continue
        if isinstance(op, Grayscale | RandomGrayscale):
            img = _float_gray(op, img, chw)
            continue
        if isinstance(op, _RandomFlip):
            if _rand() < op.p:  # torchvision's one draw per flip, in order
                horizontal = isinstance(op, RandomHorizontalFlip)
                if chw:
                    axis = -1 if horizontal else -2
                else:  # (H, W) or (H, W, C) before ToTensor / ToImage
                    axis = 1 if horizontal else 0
                img = img.flip(axis) if _is_tensor(img) else np.flip(np.asarray(img), axis)
            continue
        if not isinstance(op, Normalize):
            raise TypeError(f"image: {type(op).__name__} needs a uint8 image, got {_dtype(img)}")
        c = int(img.shape[-3]) if img.ndim >= 3 else 0
        if c == 0 or len(op.mean) not in (1, c) or len(op.std) not in (1, c):
            raise ValueError(
                f"Normalize: {len(op.mean)} mean and {len(op.std)} std values for an image of "
                f"shape {tuple(img.shape)} (channels first)"
            )
        warning = _float_range_message(img, op.mean, op.std)  # before an in-place change
        if _is_tensor(img):
            torch = _torch()
            m = torch.as_tensor(op.mean, dtype=img.dtype).view(-1, 1, 1)
            s = torch.as_tensor(op.std, dtype=img.dtype).view(-1, 1, 1)
            img = img.sub_(m).div_(s) if op.inplace else img.sub(m).div(s)
        else:
            a = np.asarray(img)
            # As torch: values beyond float32 become inf, and so may the quotients, silently.
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                m32 = np.asarray(op.mean, a.dtype).reshape(-1, 1, 1)
                s32 = np.asarray(op.std, a.dtype).reshape(-1, 1, 1)
                img = (a - m32) / s32
        _warn(warning)  # after the step succeeded
    return img


def _float_gray(op: Grayscale | RandomGrayscale, img: Any, chw: bool) -> Any:
    """Grayscale on a float image, as torchvision's rgb_to_grayscale computes it on floats:
    ``r * 0.2989 + 0.587 g + 0.114 b`` (torch's own operations on a tensor; numpy float32
    multiplies and adds on an array, which may differ from torch's fused adds in the last
    bit), repeated for 3 output channels; a 1-channel image is kept or repeated."""
    axis = -3 if chw else -1
    c = int(img.shape[axis]) if img.ndim >= 3 else 1
    if isinstance(op, RandomGrayscale):
        if not _rand() < op.p:
            return img
        n = 1 if c == 1 else 3
    else:
        n = op.num_output_channels
    if img.ndim < 3 or c not in (1, 3):
        raise ValueError(f"{type(op).__name__}: expects 1 or 3 channels, got shape {img.shape}")
    if _is_tensor(img):
        if c == 1:
            return img.clone() if n == 1 else img.repeat_interleave(3, dim=axis)
        r, g, b = img.unbind(dim=axis)
        y = r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114).unsqueeze(axis)
        return y if n == 1 else y.expand(img.shape)
    a = np.asarray(img)
    if c == 1:
        return a.copy() if n == 1 else np.repeat(a, 3, axis=axis)
    r, g, b = (np.take(a, i, axis=axis) for i in range(3))
    t = a.dtype.type
    y = np.expand_dims(r * t(0.2989) + g * t(0.587) + b * t(0.114), axis)
    return y if n == 1 else np.repeat(y, 3, axis=axis)


def _float_range_message(img: Any, mean: Any, std: Any) -> str | None:
    """The RangeWarning text for Normalize on a (C, H, W) float image whose values look like
    0-255 while mean and std are for [0, 1] (the fused runs check it in the core's call), from
    about 5 x 5 pixels of every channel read in place (a CPU tensor through its numpy view; a
    bfloat16 one converts just the sample). The rule itself is _range_message's, given the
    sample's largest finite value."""
    h, w = int(img.shape[-2]), int(img.shape[-1])
    if _is_tensor(img):
        if img.device.type != "cpu":
            return None
        t = img.detach()
        torch = _torch()
        if t.dtype in (torch.float16, torch.float32, torch.float64):
            a = t.numpy()
        else:
            a = t[..., :: max(1, h // 4), :: max(1, w // 4)].float().numpy()
            h, w = int(a.shape[-2]), int(a.shape[-1])
    else:
        a = np.asarray(img)
    sample = a[..., :: max(1, h // 4), :: max(1, w // 4)]
    if sample.size == 0:
        return None
    top = float(sample.max())  # NaN if any is: then the largest finite one
    if not math.isfinite(top):
        finite = sample[np.isfinite(sample)]
        if finite.size == 0:
            return None
        top = float(finite.max())
    if not top > FLOAT_RANGE_LIMIT:  # the common case: nothing to say whatever mean/std are
        return None
    return _range_message(
        np.array([[[top]]]),
        mean,
        std,
        1.0,
        "divide the image by 255 first (ToTensor() or ToDtype(torch.float32, scale=True) on the "
        "uint8 image), or give mean and std in the image's range.",
    )


def _dtype(img: Any) -> str:
    return f"a {img.dtype} one" if hasattr(img, "dtype") else type(img).__name__


def _is_float(img: Any) -> bool:
    if _is_tensor(img):
        return bool(img.dtype.is_floating_point)
    if isinstance(img, np.ndarray):
        return bool(img.dtype.kind == "f")
    return False


# ---- the fused run -------------------------------------------------------------------------


def _run(ops: Sequence[_Transform], img: Any) -> Any:
    """One fused run: geometry (crops, one resize, padding, flips last), then conversions, then
    one Normalize, as a single call to the C++ preprocess core; a crop or resize of a padded
    image (known only once the sizes are) ends the pass there and the rest runs on its uint8
    result, each random step drawn once, in order."""
    while True:
        rest: list[_Transform] = []
        img = _run_part(ops, img, rest)
        if not rest:
            return img
        ops = rest


def _run_part(ops: Sequence[_Transform], img: Any, rest: list[_Transform]) -> Any:
    """_run's pass over ``ops``, or over its first steps, the others put in ``rest``."""
    if isinstance(ops[0], _RandomWarp):
        return _run_warp(ops[0], ops[1:], img)
    if _is_float(img):
        return _float_only(ops, img)
    arr, kind, mode = _load(img)
    if arr.size == 0:
        shape = tuple(img.shape) if hasattr(img, "shape") else arr.shape
        raise ValueError(
            f"image: zero-size image, shape {shape}; expected at least 1 x 1 pixel and 1 channel"
        )
    pil = kind == "pil"
    h0, w0 = int(arr.shape[0]), int(arr.shape[1])
    box = [0, 0, h0, w0]  # top, left, height, width in the source
    resized: tuple[int, int] | None = None
    crop: list[int] | None = None  # top, left, height, width in the resized image
    flip = vflip = False
    antialias = True
    interpolation = "bilinear"
    padded: tuple[int, int, int, int] | None = None  # (out h, out w, pad top, pad left)
    pad_levels: tuple[int, ...] = ()  # the border's uint8 levels, one per channel
    pad_source = True  # the border was added before the run's colour (converted with it)
    out = "image"  # "image", "u8" (uint8 tensor) or "f32"
    scale, divisor = 1.0, 0.0
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    color: str | None = None
    color_after_resize = False
    out_dtype = "float32"  # a fused half-precision ToDtype: the pass writes float16 / bfloat16

    geometry_seen = False

    def current() -> tuple[int, int]:
        if crop is not None:
            return crop[2], crop[3]
        return resized if resized is not None else (box[2], box[3])

    def channels_now() -> int:
        return int(arr.shape[2]) if color is None else (1 if color == "gray" else 3)

    def border(fill: tuple[int, ...], name: str) -> tuple[int, ...]:
        c = channels_now()
        if len(fill) not in (1, c):
            raise ValueError(f"{name}: fill has {len(fill)} values for an image of {c} channels")
        return fill * c if len(fill) == 1 else fill

    for at, op in enumerate(ops):
        # geometry or a colour on a PIL image ran in Pillow: a later ToImage keeps that
        geometry_seen = geometry_seen or op.kind in _GEOMETRY or op.kind == "color"
        if padded is not None and op.kind in _GEOMETRY and op.kind != "flip":
            # a crop or resize of the padded image, or more padding of another level: this
            # pass ends with the padded uint8 image, and the rest runs on it
            same = isinstance(op, Pad) and border(op.fill, "Pad") == pad_levels
            if not (same and pad_source == (color is None)):
                rest.extend(ops[at:])
                break
        if isinstance(op, Pad):
            left_, top_, right_, bottom_ = op.padding
            pad_levels = border(op.fill, "Pad")
            pad_source = color is None
            h, w = current()
            base = padded if padded is not None else (h, w, 0, 0)
            padded = (base[0] + top_ + bottom_, base[1] + left_ + right_, base[2] + top_,
                      base[3] + left_)  # fmt: skip
        elif isinstance(op, CenterCrop):
            ch, cw = op.size
            h, w = current()
            if ch > h or cw > w:
                # torchvision's center_crop: zeros around the image, (c - n) // 2 before it
                # on each axis that is too small, then the centre of the padded image (the
                # whole padded axis); the image part is written into a window of the output
                padded = (ch, cw, (ch - h) // 2 if ch > h else 0, (cw - w) // 2 if cw > w else 0)
                pad_levels, pad_source = (0,) * channels_now(), color is None
                ch, cw = min(ch, h), min(cw, w)
            top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
            if resized is None:
                box = [box[0] + top, box[1] + left, ch, cw]
            elif crop is None:
                crop = [top, left, ch, cw]
            else:
                crop = [crop[0] + top, crop[1] + left, ch, cw]
        elif isinstance(op, Resize):
            h, w = current()
            resized = resized_size(h, w, op.size, op.max_size)
            antialias, interpolation = op.antialias, op.interpolation
        elif isinstance(op, RandomResizedCrop):
            i, j, h, w = op.get_params(box[2], box[3])
            box = [box[0] + i, box[1] + j, h, w]
            resized = op.size
            antialias, interpolation = op.antialias, op.interpolation
        elif isinstance(op, RandomHorizontalFlip):
            if _rand() < op.p:
                flip = not flip
        elif isinstance(op, RandomVerticalFlip):
            if _rand() < op.p:
                vflip = not vflip
        elif isinstance(op, Grayscale | RandomGrayscale):
            if isinstance(op, RandomGrayscale):
                if not _rand() < op.p:
                    continue
                channels = 1 if arr.shape[2] == 1 else 3
            else:
                channels = op.num_output_channels
            color = "gray" if channels == 1 else "gray3"
            color_after_resize = resized is not None
        elif isinstance(op, ToTensor):
            if out == "image":
                out, divisor = "f32", 255.0
            elif out == "u8":
                out, divisor = "f32", 255.0
        elif isinstance(op, PILToTensor):
            if out == "image":
                out = "u8"
                if not geometry_seen:
                    pil = False  # the geometry that follows runs on a uint8 tensor
        elif isinstance(op, ToDtype):
            if out == "image" and pil:
                continue  # torchvision v2 leaves PIL images alone
            if op.half:  # f16(f32 value): torch's .to(dtype), and .to(dtype).mul_(1/255)
                out_dtype = op.dtype_name
                if out != "f32":
                    out, scale = "f32", 1.0 / 255.0 if op.scale else 1.0
                continue
            out, set_scale, set_divisor = _conversion(op, out, pil)
            scale = scale if set_scale is None else set_scale
            divisor = divisor if set_divisor is None else set_divisor
        elif isinstance(op, Normalize):
            if out != "f32":
                raise TypeError(
                    "Normalize: expects a float tensor; put ToTensor() or "
                    "ToDtype(torch.float32, scale=True) before it"
                )
            mean, std = op.mean, op.std
        else:  # pragma: no cover - Compose only groups the kinds above
            raise TypeError(f"internal: {type(op).__name__} in a fused run")
    rh, rw = resized if resized is not None else (box[2], box[3])
    ct, cl, ch, cw = crop if crop is not None else (0, 0, rh, rw)
    if pil:
        antialias = True  # torchvision resizes PIL images with Pillow, always antialiased
    geom = Geometry(box[0], box[1], box[2], box[3], rh, rw, ct, cl, int(flip), int(vflip))
    conv = "pillow" if pil else "torch"
    if color is not None and int(arr.shape[2]) not in (1, 3, 4):
        raise ValueError(f"Grayscale: expects 1 or 3 channels, got {int(arr.shape[2])}")
    c = int(arr.shape[2]) if color is None else (1 if color == "gray" else 3)
    if color == "gray" and out == "f32" and 3 in (len(mean), len(std)):
        # torchvision broadcasts a (1, H, W) gray tensor against 3 means: 3 channels, each
        # (gray - mean[c]) / std[c], which is gray3's arithmetic
        color, c = "gray3", 3
    if len(mean) not in (1, c) or len(std) not in (1, c):
        raise ValueError(
            f"Normalize: {len(mean)} mean and {len(std)} std values for an image of {c} channels"
        )
    if color is not None and pil:
        mode = "L" if c == 1 else "RGB"
    if pil and interpolation == "nearest-exact":
        interpolation = "nearest"  # torchvision resizes PIL images with Pillow's NEAREST
    if interpolation != "bilinear" and not pil and resized is not None:
        if interpolation not in ("bicubic", "nearest", "nearest-exact"):
            raise ValueError(
                f"interpolation: pixnorm reproduces torchvision's resize of tensors with "
                f"bilinear, bicubic, nearest and nearest-exact, not {interpolation!r} (PIL "
                "images: Pillow's filters; torch's uint8 lanczos is its own)"
            )
    args = ([arr], [geom], ch, cw, antialias, conv, list(mean), list(std), scale, None, False)
    if out in ("image", "u8") and out_dtype == "float32" and padded is None:
        out_dtype = "uint8"  # the levels themselves, written as such (no float32 round trip)
    plain = color is None and out_dtype == "float32" and interpolation == "bilinear"
    # levels given back as (H, W, C) (a PIL image, an array, an (H, W, C) tensor): written so by
    # the core (one SIMD interleave) instead of a numpy transpose of (C, H, W)
    hwc = out == "image" and out_dtype == "uint8" and padded is None
    hwc = hwc and kind in ("pil", "numpy", "numpy_hw", "tensor_hwc")
    if padded is not None:
        fill_pixel = np.array(pad_levels, np.uint8).reshape(1, 1, -1)
        if not pad_source and color == "gray3" and fill_pixel.shape[2] == 1:
            fill_pixel = np.repeat(fill_pixel, 3, axis=2)  # (gray broadcast to 3 means)
        result = _padded(args, divisor, padded, flip, vflip, color, color_after_resize,
                         out_dtype, interpolation, fill_pixel, pad_source)  # fmt: skip
    elif plain:  # pybind11 parses keyword arguments only when there are some (about 1 us)
        result = _core.preprocess(*args, divisor)
    else:
        result = _core.preprocess(
            *args,
            divisor,
            color=color,
            color_after_resize=color_after_resize,
            dtype=out_dtype,
            interpolation=interpolation,
            layout="HWC" if hwc else "CHW",
        )
    _warn(_range_message(arr, mean, std, 1.0 / divisor if divisor else scale))
    if out_dtype == "bfloat16":  # the bits: a torch.bfloat16 tensor, or ml_dtypes without torch
        torch = _torch()
        if torch is None:
            return result.view(_bfloat16())
        return torch.from_numpy(result.view(np.int16)).view(torch.bfloat16)
    if out == "image":
        return _hwc_image_out(result, kind, mode) if hwc else _image_out(result, kind, mode)
    if out == "u8":
        return _tensor_out(result if result.dtype == np.uint8 else result.astype(np.uint8))
    return _tensor_out(result)


def _conversion(op: _Transform, out: str, pil: bool) -> tuple[str, float | None, float | None]:
    """A conversion step of a fused run (ToTensor, PILToTensor / ToImage, a float32 ToDtype or
    ConvertImageDtype) on the run's output so far ("image", "u8": a uint8 tensor, "f32"; ``pil``:
    a PIL input): (the output after it, the scale it sets or None, the divisor it sets or
    None), as torchvision applies them."""
    if isinstance(op, ToTensor):
        return ("f32", None, 255.0) if out != "f32" else (out, None, None)
    if isinstance(op, PILToTensor):
        return ("u8" if out == "image" else out), None, None
    if (out == "image" and pil) or out == "f32":
        return out, None, None  # torchvision v2 leaves PIL images alone
    if isinstance(op, ConvertImageDtype):
        return "f32", None, 255.0  # v1's convert_image_dtype: image / 255, as ToTensor
    return "f32", 1.0 / 255.0 if getattr(op, "scale", False) else 1.0, None


def _warp_tail(
    warp: _RandomWarp, tail: Sequence[_Transform], src: tuple[str, Any, str, Any]
) -> bool:
    """Whether the steps after a warp (flips, then a conversion and Normalize: _plan) fuse into
    its pass: float32 output, and a Normalize of the warped image's channels after the
    conversion. Otherwise the warp runs alone and the steps after it as a run of their own (the
    same results, the errors of that run)."""
    out = "image"  # as _run_warp steps through them
    conv, c = src[0], warp._channels(src)
    for op in tail:
        if isinstance(op, ToDtype) and op.half:
            return False
        if isinstance(op, ToTensor | PILToTensor | ToDtype):
            out = _conversion(op, out, conv == "pillow")[0]
        elif isinstance(op, Normalize):
            if out != "f32" or len(op.mean) not in (1, c) or len(op.std) not in (1, c):
                return False
    return True


def _run_warp(warp: _RandomWarp, tail: Sequence[_Transform], img: Any) -> Any:
    """A run led by a random rotation or affine map: its parameters, then the flips after it
    drawn in order, and the warp, the flips, the conversion and Normalize written in one pass
    (the conversions' rules as _run_part's). An input pixnorm does not reproduce (or a tail that
    does not fuse) runs the warp alone, then the tail as a run of its own."""
    src = warp._source(img)
    if src is None or not _warp_tail(warp, tail, src):
        img = warp(img)
        return _run(tail, img) if tail else img
    conv = src[0]
    params = warp._params(src)
    horizontal = vertical = 0
    out = "image"  # "image", "u8" (uint8 tensor) or "f32"
    pil = conv == "pillow"
    scale, divisor = 1.0, 0.0
    mean: Sequence[float] = (0.0,)
    std: Sequence[float] = (1.0,)
    for op in tail:
        if isinstance(op, RandomHorizontalFlip):
            horizontal ^= int(_rand() < op.p)
        elif isinstance(op, RandomVerticalFlip):
            vertical ^= int(_rand() < op.p)
        elif isinstance(op, ToTensor | PILToTensor | ToDtype):
            out, set_scale, set_divisor = _conversion(op, out, pil)
            scale = scale if set_scale is None else set_scale
            divisor = divisor if set_divisor is None else set_divisor
        elif isinstance(op, Normalize):
            mean, std = op.mean, op.std
        else:  # pragma: no cover - _plan puts only these after a warp
            raise TypeError(f"internal: {type(op).__name__} after a warp")
    axes = (horizontal, vertical)
    if out == "f32":
        return _tensor_out(warp._warp(src, params, axes, mean, std, scale, divisor, levels=False))
    if out == "u8":  # a uint8 tensor (C, H, W)
        as_tensor = (src[0], src[1], "tensor_chw", src[3])
        return _tensor_out(warp._warp(as_tensor, params, axes))
    return warp._levels_out(img, src, warp._warp(src, params, axes))


_GEOMETRY = ("resize", "crop", "rrc", "pad", "flip")


def _plan(transforms: Sequence[Any]) -> list[tuple[bool, list[Any]]]:
    """Split into maximal fusable runs: geometry (one resize, flips last), then conversions,
    then one Normalize; or a random warp, its flips, conversion and Normalize. Anything else
    runs as is between them."""
    groups: list[tuple[bool, list[Any]]] = []
    run: list[_Transform] = []

    def flush() -> None:
        if run:
            groups.append((True, list(run)))
            run.clear()

    for t in transforms:
        if not isinstance(t, _Transform) or t.kind == "other":
            flush()
            groups.append((False, [t]))
            continue
        if t.kind == "warp":  # a run of its own: the steps before it end in uint8 levels
            flush()
            run.append(t)
            continue
        kinds = [r.kind for r in run]
        # A leading ToImage / PILToTensor (before any geometry) only changes the convention of
        # the geometry that follows (torch's uint8 arithmetic instead of Pillow's): it fuses.
        leading = 0
        while leading < len(run) and isinstance(run[leading], PILToTensor):
            leading += 1
        after_convert = any(k in ("convert", "normalize") for k in kinds[leading:])
        resizes = any(k in ("resize", "rrc") for k in kinds)
        ok = True
        if t.kind in _GEOMETRY:
            if after_convert:
                ok = False
            elif t.kind != "flip" and "flip" in kinds:
                ok = False  # flip is applied last in the pass: nothing geometric after it
            elif t.kind in ("resize", "rrc") and resizes:
                ok = False  # one resampling per pass
            elif t.kind in ("resize", "rrc", "crop") and "pad" in kinds:
                ok = False  # the padded image is cropped or resized: a pass of its own
        elif t.kind == "color":
            # one colour per pass, on the uint8 image (after ToTensor it is float arithmetic)
            ok = "color" not in kinds and not after_convert
            if after_convert:  # Python shows it once per call site
                warnings.warn(
                    f"{type(t).__name__} after ToTensor/ToDtype/Normalize runs on float values, "
                    "as torchvision does, in a pass of its own (not fused): put it before "
                    "ToTensor to fuse it into the uint8 pass",
                    UserWarning,
                    stacklevel=3,
                )
        elif t.kind == "normalize" and "normalize" in kinds:
            ok = False
        elif t.kind == "convert" and "normalize" in kinds:
            ok = isinstance(t, ToDtype) and t.half  # the final cast of the normalized values
        if t.kind in ("convert", "normalize") and any(
            isinstance(r, ToDtype) and r.half for r in run
        ):
            ok = False  # after a half-precision cast: float arithmetic on it, its own pass
        if "warp" in kinds and t.kind not in ("flip", "convert", "normalize"):
            ok = False  # after a warp: its flips, conversion and Normalize only
        if not ok:
            flush()
        run.append(t)
    flush()
    return groups


class Compose:
    """torchvision ``Compose``: applies ``transforms`` in order; maximal runs of pixnorm
    transforms (geometry, flip, to-tensor/to-dtype, normalize) become one pixnorm pass each, and
    anything else (a user callable, another library's transform) runs as is between them."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        if isinstance(transforms, str | bytes) or not isinstance(transforms, Sequence):
            raise TypeError(
                f"transforms: expected a list of callables, got {type(transforms).__name__}"
            )
        for i, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(f"transforms[{i}]: expected a callable, got {type(t).__name__}")
        self.transforms = list(transforms)
        self._groups = _plan(self.transforms)
        # from_torchvision: the torchvision steps, by position, and the positions of resizes
        # reproduced on PIL images only (a fused run holding one runs those steps otherwise)
        self._originals: list[Any] | None = None
        self._pil_only: frozenset[int] = frozenset()

    def __call__(self, img: Any) -> Any:
        with _DeferWarnings():  # a RangeWarning only once the whole pipeline succeeded
            at = 0
            for fused, steps in self._groups:
                here = range(at, at + len(steps))
                at += len(steps)
                if (
                    fused
                    and self._originals is not None
                    and (self._tensor_geometry(img, here) or _foreign_pil(img, steps))
                ):
                    for i in here:  # torchvision's own steps
                        img = self._originals[i](img)
                    continue
                img = _run(steps, img) if fused else steps[0](img)
        return img

    def _tensor_geometry(self, img: Any, here: range) -> bool:
        """Whether the run at positions ``here`` holds a step reproduced on PIL images only (a
        resize whose filter torchvision computes its own way on tensors, v2's ToTensor) and
        would apply it to something else: not a PIL image, or one a PILToTensor / ToImage
        before that step turns into a tensor."""
        first = next((i for i in here if i in self._pil_only), None)
        if first is None:
            return False
        return not _is_pil(img) or any(
            isinstance(self.transforms[i], PILToTensor) for i in range(here.start, first)
        )

    @property
    def fused_runs(self) -> list[list[Any]]:
        """The runs that each become one pixnorm pass."""
        return [list(steps) for fused, steps in self._groups if fused]

    def __repr__(self) -> str:
        lines = []
        at = 0
        for fused, steps in self._groups:
            here = range(at, at + len(steps))
            at += len(steps)
            if fused:
                inner = " -> ".join(repr(s) for s in steps)
                note = ""
                if any(i in self._pil_only for i in here):
                    note = " (PIL images; other input: torchvision's own steps)"
                lines.append(f"    fused (one pixnorm pass){note}: {inner}")
            else:
                lines.append(f"    {steps[0]!r}")
        return "Compose(\n" + "\n".join(lines) + "\n)"

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("_originals", None)  # pickles of earlier versions
        state.setdefault("_pil_only", frozenset())
        self.__dict__.update(state)
        self._groups = _plan(self.transforms)


# ---- torchvision -> pixnorm ----------------------------------------------------------------


def _interpolation_kept(t: Any, module: str) -> bool:
    """Whether a torchvision resize is reproduced on PIL images only (where the input's type is
    not known yet): v1 resizes uint8 tensors in float32 with every filter but nearest (bilinear
    included: one level off torch's uint8 kernel on most images; nearest-exact too), v2 with
    torch's own lanczos (up to 2 levels from Pillow's). Nearest copies samples: the same indices
    either way. Box and hamming: torchvision refuses tensors, as pixnorm does."""
    try:
        name = _interpolation(t.interpolation)
    except (TypeError, ValueError):
        return True
    if name == "nearest":
        return False
    if not module.startswith("torchvision.transforms.v2"):
        return True
    return name == "lanczos"


def _convert_one(t: Any, pil_only: bool = False) -> Any:
    """The pixnorm equivalent of one torchvision transform, or None. ``pil_only``: also the
    resizes whose filter pixnorm reproduces on PIL images only (_interpolation_kept)."""
    module = type(t).__module__
    if not module.startswith("torchvision.transforms"):
        return None
    name = type(t).__name__
    if name in ("Resize", "RandomResizedCrop") and not pil_only and _interpolation_kept(t, module):
        return None
    try:
        if name == "Resize":
            return Resize(t.size, t.interpolation, t.max_size, t.antialias)
        if name == "CenterCrop":
            return CenterCrop(t.size)
        if name == "Pad":
            return Pad(t.padding, t.fill, t.padding_mode)
        if name == "RandomResizedCrop":
            return RandomResizedCrop(t.size, t.scale, t.ratio, t.interpolation, t.antialias)
        if name == "RandomHorizontalFlip":
            return RandomHorizontalFlip(t.p)
        if name == "RandomVerticalFlip":
            return RandomVerticalFlip(t.p)
        if name == "ToTensor":
            return ToTensor()
        if name == "PILToTensor":
            return PILToTensor()
        if name == "ToImage":
            return ToImage()
        if name == "ToDtype":
            return ToDtype(t.dtype, t.scale)
        if name == "ConvertImageDtype":
            if module.startswith("torchvision.transforms.v2"):
                return ToDtype(t.dtype, True)  # v2: to_dtype(scale=True), x * float32(1/255)
            return ConvertImageDtype(t.dtype)  # v1: convert_image_dtype, x / 255
        if name == "Normalize":
            return Normalize(list(t.mean), list(t.std), t.inplace)
        if name == "RandomRotation" and module.startswith("torchvision.transforms.v2"):
            if isinstance(t.fill, dict):
                return None
            return RandomRotation(list(t.degrees), t.interpolation, t.expand, t.center, t.fill)
        if name == "RandomRotation" and module.startswith("torchvision.transforms"):
            # v1: PIL images as v2's (the same draw, the same Image.rotate); its tensor kernel
            # computes its matrix and grid in another order: tensors stay v1's own
            return _RandomRotationV1(list(t.degrees), t.interpolation, t.expand, t.center, t.fill)
        if name == "RandomAffine" and module.startswith("torchvision.transforms.v2"):
            if isinstance(t.fill, dict):
                return None
            return RandomAffine(list(t.degrees), t.translate, t.scale, t.shear, t.interpolation,
                                t.fill, t.center)  # fmt: skip
        if name == "Grayscale" and module.startswith("torchvision.transforms.v2"):
            # v1's tensor kernel sums separate float32 products (v2 fuses the adds): they differ
            # on 21 RGB triples, so v1's Grayscale stays as is
            return Grayscale(t.num_output_channels)
        if name == "RandomGrayscale" and module.startswith("torchvision.transforms.v2"):
            return RandomGrayscale(t.p)  # v1's, like v1's Grayscale, stays as is
    except (TypeError, ValueError):
        return None  # e.g. nearest interpolation, a dtype dict: keep the original
    return None


def from_torchvision(transform: Any) -> Compose:
    """Convert a torchvision ``Compose`` (v1 or v2; nested ones are flattened) or a single
    transform into a pixnorm :class:`Compose`. Steps pixnorm cannot reproduce exactly
    (ColorJitter, a Lambda, ...) stay as the original objects, in order, and are listed in one
    ``UserWarning``. A resize whose filter pixnorm reproduces on PIL images only (v1's resizes
    of tensors but nearest, which v1 computes in float32; v2's lanczos, torch's own) is fused
    for PIL images; given anything else, that fused run runs torchvision's own steps instead."""
    steps: list[Any] = []

    def flatten(t: Any) -> None:
        if type(t).__name__ == "Compose" and hasattr(t, "transforms"):
            for s in t.transforms:
                flatten(s)
        else:
            steps.append(t)

    flatten(transform)
    out: list[Any] = []
    originals: list[Any] = []
    pil_only: set[int] = set()
    kept: list[str] = []
    for s in steps:
        p = _convert_one(s)
        if p is None and type(s).__name__ in ("Resize", "RandomResizedCrop"):
            p = _convert_one(s, pil_only=True)
            if p is not None:
                pil_only.add(len(out))
        elif type(s).__name__ == "ToTensor" and type(s).__module__.startswith(
            "torchvision.transforms.v2"
        ):
            pil_only.add(len(out))  # v2's converts PIL images and arrays; tensors pass as they are
        if p is None:
            out.append(s)
            kept.append(getattr(s, "__name__", type(s).__name__))
        else:
            out.append(p)
        originals.append(s)
    if kept:
        warnings.warn(
            f"from_torchvision: kept as is (not fused): {', '.join(kept)}",
            UserWarning,
            stacklevel=2,
        )
    result = Compose(out)
    result._originals = originals  # (also for PIL modes the fused runs do not read)
    result._pil_only = frozenset(pil_only)
    return result
