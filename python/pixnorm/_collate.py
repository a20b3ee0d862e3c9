"""A DataLoader ``collate_fn`` that normalizes the whole batch in one pixnorm call.

Workers return decoded uint8 images (cheap to pass between processes) with their labels and,
for training, their random parameters; :class:`Collate` resizes, crops, flips and normalizes
all of them into one float32 (N, C, h, w) batch with one call of the preprocess core (threads
across images when it runs with several)::

    collate = pixnorm.Collate(size=256, crop=224, mean=MEAN, std=STD)
    loader = DataLoader(dataset, batch_size=64, num_workers=2, collate_fn=collate)

A sample is ``image``, ``(image, label)`` or ``(image, label, params)`` where ``params`` is
``(top, left, height, width, flip)`` (a RandomResizedCrop box in source pixels and a flag, for
example from :func:`random_params`) or None. Images are PIL images (mode L or RGB), uint8
numpy arrays (H, W, C) or uint8 torch tensors (C, H, W) / (H, W, C). Labels go through
torch's ``default_collate`` when torch is importable, else become a numpy array.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from . import _core
from ._args import (
    UINT8_RULE,
    _bfloat16,
    _check_color_values,
    _int,
    _is_per_pixel,
    _layout,
    _out_dtype,
    _pair,
    _probability,
    _range_message,
    _rrc_ranges,
    _seq,
    _values,
    _warn,
)
from ._normalizer import Normalizer, _unpack
from ._resize import (
    _batch_core,
    _check_convention,
    _color_kw,
    _Format,
    _geometry,
    _mixed_channels,
    _pixel_channels,
    _pixel_kw,
    _resolve_factor,
    _uint8_scale,
)
from .transforms import _load, _rand, _rrc_params, _torch

_UINT8_PROBE = np.zeros((1, 1, 1), np.uint8)  # what _range_message needs of a uint8 image

__all__ = ["Collate", "random_params"]


def random_params(
    height: int,
    width: int,
    scale: Sequence[float] = (0.08, 1.0),
    ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
    flip_p: float = 0.5,
) -> tuple[int, int, int, int, bool]:
    """RandomResizedCrop's box and RandomHorizontalFlip's flag, drawn as torchvision draws them
    (torch's global generator when torch is importable, else numpy's), in that order."""
    height, width = _int(height, "height"), _int(width, "width")
    if height < 1 or width < 1:
        raise ValueError(
            f"height, width: expected an image of at least 1 x 1, got {(height, width)}"
        )
    sc, ra = _rrc_ranges(scale, ratio)
    p = _probability(flip_p, "flip_p")
    top, left, h, w = _rrc_params(height, width, sc, ra)
    return top, left, h, w, _rand() < p


def _flag(value: Any, name: str) -> bool:
    """A params tuple's flip: a bool, or 0 / 1 as an int, a numpy integer or bool, or a
    one-element array or tensor of them (``torch.rand(1) < p``)."""
    if not isinstance(value, bool | np.bool_) and hasattr(value, "__array__"):
        a = np.asarray(value)
        if a.size == 1 and a.dtype.kind in "biu":
            value = a.reshape(()).item()
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    raise TypeError(f"{name}: expected a bool (or 0 / 1), got {value!r}")


def _check_warp(warp: Any, convention: str | None, norm: Normalizer | None) -> Any:
    """Collate's warp: None, or pixnorm's RandomRotation / RandomAffine (torchvision v2's are
    mapped), one that Collate can apply to every image of a batch."""
    if warp is None:
        return None
    from .transforms import RandomAffine, RandomRotation, _convert_one

    if not isinstance(warp, RandomRotation | RandomAffine):
        name, module = type(warp).__name__, type(warp).__module__
        if name not in ("RandomRotation", "RandomAffine") or not module.startswith("torchvision"):
            raise TypeError(
                "warp: expected a pixnorm.transforms.RandomRotation or RandomAffine (or "
                f"torchvision v2's), got {name}"
            )
        if not module.startswith("torchvision.transforms.v2"):
            raise TypeError(
                f"warp: torchvision v1's {name} computes its matrix and grid in another order, "
                "which pixnorm does not reproduce; use torchvision.transforms.v2's or "
                f"pixnorm.transforms.{name}"
            )
        mapped = _convert_one(warp)
        if not isinstance(mapped, RandomRotation | RandomAffine):
            raise ValueError(
                f"warp: torchvision's {name} with these arguments is not reproduced (a fill "
                "per input type, or values pixnorm refuses); build pixnorm.transforms."
                f"{name} with them to see why"
            )
        warp = mapped
    if isinstance(warp, RandomRotation) and warp.expand:
        raise ValueError("warp: expand=True gives each image its own size; a batch has one")
    if warp._filter() is None:
        raise ValueError(
            f"warp: interpolation {warp.interpolation!r}; pixnorm warps with 'nearest' or "
            "'bilinear'"
        )
    if convention == "pillow" and isinstance(warp, RandomAffine):
        raise ValueError(
            "warp: torchvision maps PIL images through its own affine kernel, which pixnorm does "
            "not reproduce; use convention='torch' or None, or RandomRotation"
        )
    if norm is not None and norm.per_pixel:
        raise ValueError("warp: warps take per-channel mean and std, not a per-pixel mean image")
    return warp


def _in_worker(torch: Any) -> bool:
    """Whether this runs in a DataLoader worker process."""
    try:
        return torch.utils.data.get_worker_info() is not None
    except AttributeError:  # a torch without torch.utils.data
        return False


def _shared_empty(torch: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialized tensor in shared memory, as torch's default_collate allocates its
    batch in a worker: the worker's queue then passes the memory itself to the main process
    instead of first copying the whole batch into a new shared segment. A plain tensor when
    shared memory cannot be had."""
    try:
        probe = torch.empty(0, dtype=dtype)
        storage = probe._typed_storage()._new_shared(math.prod(shape), device=probe.device)
        return probe.new(storage).view(shape)
    except (AttributeError, RuntimeError):  # an older torch's private API, or no /dev/shm
        return torch.empty(shape, dtype=dtype)


class Collate:
    """``collate_fn`` for ``torch.utils.data.DataLoader``: samples -> (batch, labels).

    Parameters
    ----------
    size, crop, antialias, max_size, interpolation
        As :func:`pixnorm.preprocess_batch`: evaluation is ``size=256, crop=224``; training is
        ``size=(224, 224)`` with per-sample params (or ``random_resized_crop=True``);
        ``interpolation="bicubic"`` for timm/CLIP models (with convention 'torch' it needs
        antialias, as torchvision's default).
    factor, rounding, exact_factor
        Instead of ``size``: resize by a factor, as :func:`pixnorm.resize` (with a ``crop``
        when the images' sizes differ, so that the batch has one shape).
    mean, std
        torchvision ``Normalize``'s values.
    convention : {'torch', 'pillow', None}
        'torch' (default): torchvision v2 on uint8 tensors, bit for bit (``Resize``,
        ``CenterCrop`` or ``RandomResizedCrop`` + flip, ``ToDtype(float32, scale=True)``,
        ``Normalize``); 'pillow': torchvision on PIL images, bit for bit (the classic
        ``ToTensor`` pipeline); None: pixnorm's own float arithmetic (fastest).
    to_tensor : bool or None
        How uint8 becomes float in a named convention: True, ToTensor's ``float32(x) / 255``;
        False, ToDtype(float32, scale=True)'s ``float32(x) * float32(1/255)`` (they differ in
        the last bit for 126 of the 256 levels). None (default): the convention's usual
        pipeline, False for 'torch' and True for 'pillow'.
    random_resized_crop : bool
        Draw RandomResizedCrop boxes and flips here (in whatever process runs the collate) for
        samples that carry no params. ``scale``, ``ratio`` and ``flip_p`` as torchvision.
    color : {None, 'rgb', 'bgr', 'gray', 'gray3', 'ycbcr', 'yuv'}
        As :func:`pixnorm.preprocess`: the colour conversion inside the pass (the named
        conventions convert each uint8 source as their library does, then resize). 'rgb' also
        makes a folder of gray and colour images one 3-channel batch.
    dtype : float32 (default), float16, bfloat16 or uint8
        The batch's type (torch, numpy or ml_dtypes dtypes, or names): float16 and bfloat16
        are the float32 batch rounded once to nearest-even (``.to(dtype)`` bit for bit), written
        in the same pass; uint8 (no ``mean``/``std``) is the resized, cropped, flipped and
        colour-converted uint8 batch, the smallest transfer for loaders that normalize on the
        GPU. Without torch, bfloat16 needs ml_dtypes.
    layout : 'CHW' (default) or 'HWC'
        (N, C, h, w), or channels last (N, h, w, C).
    decode : bool
        Samples hold encoded files (bytes, as :class:`pixnorm.data.ImageFolder` gives them, or
        paths) instead of decoded images: each is decoded here by :func:`pixnorm.decode` with
        ``mode`` (a JPEG only around the window its output reads, as :func:`pixnorm.load`;
        the images decoded on pixnorm's threads), the same bits as decoding first. A
        DataLoader then moves compressed bytes between processes, and decoding, resizing and
        normalizing happen in one call per batch.
    mode : "RGB" (default), "L", "RGBA" or None
        :func:`pixnorm.decode`'s mode, with ``decode=True``.
    warp : transforms.RandomRotation or transforms.RandomAffine, optional
        A random rotation or affine map of each resized (and cropped) image, then its flip, as
        ``Compose([RandomResizedCrop, RandomRotation, RandomHorizontalFlip, ToDtype,
        Normalize])`` applies them: per sample the box, then the warp's parameters, then the
        flip are drawn (with ``random_resized_crop``; samples' params give the box and flip,
        the warp's parameters are drawn here). Each image is resized into uint8 levels
        (float32 in convention None), then warped, flipped and normalized into the batch in one
        pass: convention 'torch' is torchvision v2's rotate / affine on the resized uint8
        tensor bit for bit, 'pillow' its ``Image.rotate`` (no affine map), None pixnorm's exact
        warp. torchvision v2's RandomRotation / RandomAffine are taken too; ``expand`` is not
        (every image must end at one size), nor a per-pixel mean.
    pin_memory : bool
        Allocate the batch with ``torch.empty(..., pin_memory=True)`` when CUDA is available (a
        plain tensor otherwise) and write into it directly, so no later copy is needed. Only
        useful when the collate runs in the main process (``num_workers=0``): in a DataLoader
        worker the batch is written straight into shared memory (as torch's default_collate
        allocates it; the worker's queue then passes it without a copy), so there use
        ``DataLoader(pin_memory=True)``.
    """

    warp: Any = None  # (pickles of earlier versions have none)

    def __init__(
        self,
        size: int | Sequence[int] | None = None,
        crop: int | Sequence[int] | None = None,
        *,
        mean: Sequence[float] | float | Normalizer = 0.0,
        std: Sequence[float] | float | None = None,
        antialias: bool = True,
        convention: str | None = "torch",
        to_tensor: bool | None = None,
        random_resized_crop: bool = False,
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        flip_p: float = 0.5,
        max_size: int | None = None,
        pin_memory: bool = False,
        factor: float | Sequence[float] | None = None,
        rounding: str | None = None,
        exact_factor: bool = True,
        color: str | None = None,
        dtype: Any = None,
        layout: str = "CHW",
        decode: bool = False,
        mode: str | None = "RGB",
        interpolation: Any = "bilinear",
        warp: Any = None,
    ) -> None:
        self._ikw: dict[str, Any] = _check_convention(convention, antialias, interpolation)[2]
        self.interpolation: str = self._ikw.get("interpolation", "bilinear")
        if not isinstance(decode, bool):
            raise TypeError(f"decode: expected a bool, got {type(decode).__name__}")
        if not isinstance(mode, str | None) or mode not in ("RGB", "L", "RGBA", None):
            raise ValueError(f"mode: expected 'RGB', 'L', 'RGBA' or None, got {mode!r}")
        self.decode: bool = decode
        self.mode: str | None = mode
        self.dtype: str = _out_dtype(dtype)
        self.layout: str = _layout(layout)
        self._factor = _resolve_factor(factor, rounding, exact_factor, convention, size, max_size)
        if random_resized_crop and factor is not None:
            raise ValueError("factor: random_resized_crop resizes its boxes to size=(h, w)")
        if size is not None:
            _pair(size, "size")
        if crop is not None:
            _pair(crop, "crop")
        if to_tensor is None:
            to_tensor = convention == "pillow"
        for name, flag in (
            ("to_tensor", to_tensor),
            ("random_resized_crop", random_resized_crop),
            ("pin_memory", pin_memory),
        ):
            if not isinstance(flag, bool):
                raise TypeError(f"{name}: expected a bool, got {type(flag).__name__}")
        flip_p = _probability(flip_p, "flip_p")
        scale, ratio = _rrc_ranges(scale, ratio)
        if random_resized_crop and not isinstance(_pair(size, "size"), tuple):
            raise ValueError("size: random_resized_crop needs size=(h, w)")
        self.size: int | Sequence[int] | None = size
        self.crop: int | Sequence[int] | None = crop
        self._normalizer, mean, std = _unpack(mean, std, None, False)
        self.mean: Sequence[float] | float = _values(mean, "mean")
        self.std: Sequence[float] | float = _values(std, "std")
        _check_color_values(color, convention, self.mean, self.std)  # before any batch
        if self.dtype == "uint8":  # the resized levels themselves: nothing to normalize
            _uint8_scale(_Format("uint8", self.layout, None), None, self._normalizer,
                         self.mean, self.std)  # fmt: skip
            if not (np.all(np.asarray(self.mean) == 0) and np.all(np.asarray(self.std) == 1)):
                raise ValueError(UINT8_RULE)
        if self._normalizer is None and _is_per_pixel(self.mean, self.std):
            self._normalizer = Normalizer(self.mean, self.std)  # coefficients computed once
        # Images are uint8, scaled by 1/255: a mean beyond 1 is 0-255 values (issue 13). Said
        # after the first batch that succeeds, so that a call that raises never warns first.
        given = self._normalizer.scale if self._normalizer is not None else None
        self._range_message = _range_message(
            _UINT8_PROBE, self.mean, self.std, 1.0 / 255.0 if given is None else given
        )
        self.antialias: bool = antialias
        self.convention: str | None = convention
        self.to_tensor: bool = to_tensor
        self.random_resized_crop: bool = random_resized_crop
        self.scale: tuple[float, float] = scale
        self.ratio: tuple[float, float] = ratio
        self.flip_p: float = float(flip_p)
        self.max_size: int | None = max_size
        self.pin_memory: bool = pin_memory
        self.color: str | None = color
        self.warp: Any = _check_warp(warp, convention, self._normalizer)

    def __repr__(self) -> str:
        keys: tuple[str, ...] = ("size", "crop", "mean", "std", "antialias", "convention")
        keys += ("to_tensor", "color")
        keys += ("interpolation",) if self.interpolation != "bilinear" else ()
        keys += ("dtype", "layout") if (self.dtype, self.layout) != ("float32", "CHW") else ()

        def show(v: Any) -> str:  # a per-pixel array by its shape, not its thousands of values
            return f"array{np.shape(v)}" if np.ndim(v) >= 2 else repr(v)

        args = ", ".join(f"{k}={show(getattr(self, k))}" for k in keys)
        f = self._factor
        if f is not None:
            args += f", factor={(f.fy, f.fx)}, rounding={f.rounding!r}"
            if not f.grid and self.convention != "pillow":
                args += ", exact_factor=False"
        if self.random_resized_crop:
            args += f", random_resized_crop=True, scale={self.scale}, ratio={self.ratio}"
        if self.decode:
            args += f", decode=True, mode={self.mode!r}"
        if self.warp is not None:
            args += f", warp={self.warp!r}"
        return f"Collate({args})"

    def _warped(
        self,
        arrs: list[Any],
        geoms: list[Any],
        hw: tuple[int, int],
        warps: list[dict[str, Any]],
        flips: list[bool],
        out: np.ndarray[Any, Any],
        fmt: _Format,
        scale: float,
        divisor: float,
    ) -> None:
        """The batch through the warp: the images resized into packed levels (uint8, or
        float32 in convention None for a float batch), then each warped, flipped and normalized
        into its slot of ``out``. The levels are made a few images at a time into one small
        buffer (about 1.5 MB, at least one image per thread), so the warp reads them from the
        cache and no batch-sized buffer is faulted in per call (64 rotated 224 x 224 images of
        bench_dataloader's rotate pipeline, one thread: 551 -> 458 us per image)."""
        conv = self.convention
        c = _core.color_channels(self.color, int(arrs[0].shape[2]), conv)
        # (convention None: float32 levels, unrounded, unless the batch is uint8 levels anyway)
        exact = conv is None and self.dtype != "uint8"
        dt = np.float32 if exact else np.uint8
        per_image = hw[0] * hw[1] * c * np.dtype(dt).itemsize
        step = max(_core.get_num_threads(), (3 << 19) // max(per_image, 1), 1)
        kw: dict[str, Any] = {
            "dtype": "float32" if exact else "uint8", "layout": "HWC", **_color_kw(self.color),
            **self._ikw,
        }  # fmt: skip
        args = (hw[0], hw[1], self.antialias, conv, 0.0, 1.0, 1.0)
        # The whole batch checked first (shapes only, nothing computed): the same error, naming
        # the same sample, as one call on the batch would raise, before any image is warped.
        _core.preprocess(arrs, geoms, *args, None, True, check_only=True, **kw)
        step = min(step, len(arrs))
        levels = np.empty((step, hw[0], hw[1], c), dt)
        for lo in range(0, len(arrs), step):
            hi = min(lo + step, len(arrs))
            _core.preprocess(arrs[lo:hi], geoms[lo:hi], *args, levels[: hi - lo], True, **kw)
            for i in range(lo, hi):
                try:
                    self.warp._apply(
                        levels[i - lo], conv, c, warps[i], self.mean, self.std, scale, fmt.dtype,
                        fmt.layout, out[i], (int(flips[i]), 0), divisor, True,
                    )  # fmt: skip
                except (TypeError, ValueError) as e:
                    raise type(e)(f"warp: {e}") from None

    def _output(self, shape: tuple[int, ...]) -> tuple[Any, np.ndarray[Any, Any]]:
        """The batch (a torch tensor, or a numpy array without torch) and the numpy array the
        core writes (bfloat16 as its uint16 bits)."""
        itemsize = {"float32": 4, "uint8": 1}.get(self.dtype, 2)
        nbytes = itemsize * math.prod(shape)
        too_big = MemoryError(
            f"size, crop: a {self.dtype} batch of shape {shape} ({nbytes} bytes) cannot be "
            "allocated; expected a smaller size or crop"
        )
        if nbytes > sys.maxsize:
            raise too_big
        torch = _torch()
        try:
            if torch is None:
                if self.dtype == "bfloat16":
                    arr = np.empty(shape, _bfloat16())
                    return arr, arr.view(np.uint16)
                arr = np.empty(shape, self.dtype)
                return arr, arr
            pin = self.pin_memory and torch.cuda.is_available()
            dt = getattr(torch, self.dtype)
            shared = False
            if pin:
                t = torch.empty(shape, dtype=dt, pin_memory=True)
            elif _in_worker(torch):
                t = _shared_empty(torch, shape, dt)
                shared = t.is_shared()
            else:  # numpy's memory: it asks the kernel for huge pages (fewer page faults)
                host = {"float32": np.float32, "uint8": np.uint8, "float16": np.float16}
                t = torch.from_numpy(np.empty(shape, host.get(self.dtype, np.int16)))
                if self.dtype == "bfloat16":
                    t = t.view(torch.bfloat16)
        except MemoryError:
            raise too_big from None
        except RuntimeError as e:  # torch's allocators raise RuntimeError, not MemoryError
            if "alloc" not in str(e).lower():
                raise
            raise too_big from None
        # numpy has no bfloat16: the bits, as int16 then uint16
        arr = t.view(torch.int16).numpy().view(np.uint16) if self.dtype == "bfloat16" else t.numpy()
        if shared:  # its pages mapped in one call, not faulted in one by one as it is filled
            _core._populate(arr)
        return t, arr

    def __call__(self, samples: Sequence[Any]) -> Any:
        from ._load import _Scratch

        with _Scratch() as take:  # decoded windows live until the batch is written
            try:
                return self._collate(samples, take)
            except (TypeError, ValueError) as e:  # the core's images are the samples here
                text = str(e)
                if type(e) in (TypeError, ValueError) and text.startswith("images["):
                    raise type(e)(text.replace("images[", "samples[")) from None
                raise

    def _collate(self, samples: Sequence[Any], take: Any) -> Any:
        from ._load import _Encoded, _Lazy

        if len(samples) == 0:
            raise ValueError("samples: empty batch")
        arrs, labels, geoms = [], [], []
        warps: list[dict[str, Any]] = []
        flips: list[bool] = []
        has_labels = isinstance(samples[0], tuple | list)
        first: tuple[int, int] | None = None
        for i, s in enumerate(samples):
            params = None
            if has_labels:
                if not isinstance(s, tuple | list) or len(s) not in (2, 3):
                    raise ValueError(
                        f"samples[{i}]: expected (image, label) or (image, label, params)"
                    )
                img, label = s[0], s[1]
                params = s[2] if len(s) == 3 else None
                labels.append(label)
            else:
                img = s
            try:
                if self.decode:  # the header's shape now; the pixels once the box is known
                    img = _Encoded(img, self.mode)
                    arr = img.shape_only
                else:
                    arr = _load(img, uint16=self.convention is None)[0]
            except (TypeError, ValueError) as e:
                raise type(e)(f"samples[{i}]: {e}") from None
            if arr.size == 0:  # before random_params, which would name height and width
                raise ValueError(
                    f"samples[{i}]: zero-size image, shape {np.shape(img)}; expected at least "
                    "1 x 1 pixel and 1 channel"
                )
            box, flip = None, False
            drawn_flip = self.warp is not None and params is None and self.random_resized_crop
            if drawn_flip:  # the box now; the flip after the warp's parameters, in its order
                params = (
                    *_rrc_params(int(arr.shape[0]), int(arr.shape[1]), self.scale, self.ratio),
                    False,
                )
            elif params is None and self.random_resized_crop:
                params = random_params(
                    int(arr.shape[0]), int(arr.shape[1]), self.scale, self.ratio, self.flip_p
                )
            params = _seq(params)
            if params is not None:
                if isinstance(params, str | bytes) or not isinstance(params, Sequence | np.ndarray):
                    raise TypeError(
                        f"samples[{i}]: params must be (top, left, height, width, flip) or None, "
                        f"got {type(params).__name__}"
                    )
                if len(params) != 5:
                    raise ValueError(
                        f"samples[{i}]: params must be (top, left, height, width, flip)"
                    )
                box, flip = tuple(params[:4]), _flag(params[4], f"samples[{i}] flip")
            geom, hw = _geometry(
                arr, f"samples[{i}]", self.size, self.crop, box,
                flip and self.warp is None, self.max_size, f"samples[{i}] box",
                f"samples[{i}] flip", fac=self._factor,
            )  # fmt: skip
            if self.warp is not None:  # its parameters, then (drawn here) the flip
                warps.append(self.warp._params_for(*hw))
                flips.append(_rand() < self.flip_p if drawn_flip else flip)
            if first is None:
                first = hw
            elif hw != first:
                raise ValueError(
                    f"samples[{i}]: ends at {hw}, samples[0] at {first}; give size as (h, w) "
                    "or a crop"
                )
            arrs.append(img if self.decode else arr)
            geoms.append(geom)
        assert first is not None
        lazy = None
        if self.decode:  # decoded as the batch is resized (_Lazy), the warp's all first
            lazy = _Lazy(cast(list[_Encoded], arrs), "samples")  # (each an _Encoded)
            arrs = lazy.shapes
            if self.warp is not None:
                arrs, lazy = lazy.everything(geoms, first, self.interpolation, take), None
        c = _core.color_channels(self.color, int(arrs[0].shape[2]), self.convention)
        fmt = _Format(self.dtype, self.layout, None)
        tensor, out = self._output(fmt.shape(len(arrs), c, first[0], first[1]))
        named = self.convention is not None
        divisor = 255.0 if (named and self.to_tensor) else 0.0
        norm = self._normalizer
        if norm is not None and norm.per_pixel:  # the levels, then a and b per element
            scale = (
                norm.scale
                if norm.scale is not None
                else 1.0 / (65535.0 if arrs[0].dtype == np.uint16 else 255.0)
            )
            cp = _pixel_channels(arrs, self.color, self.convention)
            pixel = {} if cp is None else _pixel_kw(norm, norm.mean, norm.std, scale, cp, *first)
            _batch_core(
                lazy, arrs, geoms, first[0], first[1], self.antialias, self.convention,
                0.0, 1.0, 1.0, out=out, empty=None, **_color_kw(self.color), **fmt.kw(),
                **self._ikw, **pixel,
            )  # fmt: skip
            if cp is None:
                raise _mixed_channels()
        else:
            scale = 1.0 / (65535.0 if arrs[0].dtype == np.uint16 else 255.0)
            if norm is not None and norm.scale is not None:  # its scale, not to_tensor's step
                scale, divisor = norm.scale, 0.0
            if self.dtype == "uint8":  # the levels themselves
                scale, divisor = 1.0, 0.0
            if self.warp is not None:
                self._warped(arrs, geoms, first, warps, flips, out, fmt, scale, divisor)
            else:
                _batch_core(
                    lazy, arrs, geoms, first[0], first[1], self.antialias, self.convention,
                    self.mean, self.std, scale, out=out, empty=None, divisor=divisor,
                    **_color_kw(self.color), **fmt.kw(), **self._ikw,
                )  # fmt: skip
        result: Any = tensor
        if has_labels:
            torch = _torch()
            if torch is None:
                result = tensor, np.asarray(labels)
            else:
                from torch.utils.data import default_collate

                result = tensor, default_collate(labels)
        if self._range_message is not None:
            message: str | None = self._range_message
            if arrs[0].dtype == np.uint16:  # said in uint16 units (the probe was uint8)
                given = norm.scale if norm is not None else None
                message = _range_message(
                    arrs[0], self.mean, self.std, 1.0 / 65535.0 if given is None else given
                )
            if message is not None:
                _warn(message)
            self._range_message = None
        return result
