from collections.abc import Sequence
from typing import Any

import numpy as np

def normalize(
    image: Any,
    mean: Any,
    std: Any,
    scale: float,
    out: np.ndarray[Any, Any] | None,
    color: str | None = ...,
    color_scale: float = ...,
    dtype: str = ...,
    layout: str = ...,
    interpolation: str = ...,
) -> np.ndarray[Any, Any]: ...
def build_info() -> dict[str, Any]: ...
def get_num_threads() -> int: ...
def _set_isa(name: str) -> None: ...
def _get_isa() -> str: ...
def _supported_isas() -> list[str]: ...
def _configure_threads(env: int, cpus: int, worker: bool) -> None: ...
def _set_user_threads(n: int) -> None: ...
def _populate(buffer: Any) -> bool: ...
def _user_threads() -> int: ...
def _plan_cache_entries() -> int: ...
def _plan_cache_clear() -> None: ...

MAX_THREADS: int
MAX_OUTPUT_SIDE: int

def _team_for(work: int, nthreads: int) -> int: ...
def _requested_threads() -> int: ...
def _in_forked_child() -> bool: ...
def _set_pool_backoff(on: bool) -> None: ...
def _pool_stats() -> dict[str, int]: ...
def _set_parallel_min_elements(n: int) -> None: ...
def _parallel_min_elements() -> int: ...
def check_convention(convention: str | None, antialias: bool, interpolation: str = ...) -> None: ...
def check_crop(
    crop_height: int, crop_width: int, resized_height: int, resized_width: int
) -> None: ...
def check_box(
    top: int, left: int, height: int, width: int, image_height: int, image_width: int, name: str
) -> None: ...
def color_channels(color: str | None, channels: int, convention: str | None = ...) -> int: ...
def check_out(out: Any, shape: list[int], images: list[Any], dtype: str = ...) -> None: ...
def resize(
    image: Any,
    out_h: int,
    out_w: int,
    antialias: bool,
    convention: str | None,
    out: np.ndarray[Any, Any] | None,
    factor_y: float = ...,
    factor_x: float = ...,
    color: str | None = ...,
    interpolation: str = ...,
) -> np.ndarray[Any, Any]: ...
def preprocess(
    images: list[Any],
    geometries: Sequence[
        tuple[int, int, int, int, int, int, int, int, int, int, float, float, float, float]
    ],
    crop_h: int,
    crop_w: int,
    antialias: bool,
    convention: str | None,
    mean: Any,
    std: Any,
    scale: float,
    out: np.ndarray[Any, Any] | None,
    batch_output: bool,
    divisor: float = ...,
    out_h: int = ...,
    out_w: int = ...,
    pad_top: int = ...,
    pad_left: int = ...,
    fill: Sequence[float] = ...,
    color: str | None = ...,
    color_after_resize: bool = ...,
    color_scale: float = ...,
    dtype: str = ...,
    layout: str = ...,
    interpolation: str = ...,
    pixel_a: np.ndarray[Any, Any] | None = ...,
    pixel_b: np.ndarray[Any, Any] | None = ...,
    check_only: bool = ...,
) -> Any: ...

STATS_PIXEL_STAGE_IMAGES: int

def stats_channels_u8(
    image: Any,
    sum: np.ndarray[Any, Any],
    sumsq: np.ndarray[Any, Any],
    min: np.ndarray[Any, Any],
    max: np.ndarray[Any, Any],
) -> None: ...
def stats_channels_f32(
    image: Any,
    n: np.ndarray[Any, Any],
    mean: np.ndarray[Any, Any],
    m2: np.ndarray[Any, Any],
    min: np.ndarray[Any, Any],
    max: np.ndarray[Any, Any],
) -> None: ...
def stats_pixels_u8(
    image: Any,
    s1: np.ndarray[Any, Any],
    s2: np.ndarray[Any, Any],
    min: np.ndarray[Any, Any],
    max: np.ndarray[Any, Any],
) -> None: ...
def stats_pixels_f32(
    image: Any,
    seen: int,
    mean: np.ndarray[Any, Any],
    m2: np.ndarray[Any, Any],
    min: np.ndarray[Any, Any],
    max: np.ndarray[Any, Any],
) -> None: ...
def stats_u8_moments(
    n: int, s1: np.ndarray[Any, Any], s2: np.ndarray[Any, Any], ddof: int, max_value: int = ...
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]]]: ...
def stats_channels_u16(
    image: Any,
    sum: np.ndarray[Any, Any],
    sumsq: np.ndarray[Any, Any],
    sumsq_hi: np.ndarray[Any, Any],
    min: np.ndarray[Any, Any],
    max: np.ndarray[Any, Any],
) -> None: ...
def stats_pixels_u16(
    image: Any,
    s1: np.ndarray[Any, Any],
    s2: np.ndarray[Any, Any],
    min: np.ndarray[Any, Any],
    max: np.ndarray[Any, Any],
) -> None: ...
def normalize_pixel(
    image: Any,
    a: np.ndarray[Any, Any],
    b: np.ndarray[Any, Any],
    out: np.ndarray[Any, Any] | None,
    dtype: str = ...,
    layout: str = ...,
    interpolation: str = ...,
) -> np.ndarray[Any, Any]: ...
def pixel_affine(
    mean: np.ndarray[Any, Any],
    std: np.ndarray[Any, Any],
    scale: float,
    channels: int,
    height: int,
    width: int,
) -> tuple[np.ndarray[Any, np.dtype[np.float32]], np.ndarray[Any, np.dtype[np.float32]]]: ...

class DecodeError(ValueError): ...
class ImageTooLarge(ValueError): ...
class UnsupportedCodec(RuntimeError): ...

CODECS: dict[str, str | None]

def decode(
    source: Any, mode: str, max_pixels: int, region: tuple[int, int, int, int] | None = ...
) -> tuple[np.ndarray[Any, Any], int, tuple[int, int], tuple[int, int]]: ...
def jpeg_header(
    source: Any, mode: str, max_pixels: int, scale: int = ...
) -> tuple[int, int, int, int]: ...
def decode_jpeg_into(
    source: Any,
    mode: str,
    max_pixels: int,
    region: tuple[int, int, int, int] | None,
    out: np.ndarray[Any, Any],
    scale: int = ...,
) -> None: ...
def warp_affine(
    image: Any,
    matrix: Sequence[float],
    out_h: int,
    out_w: int,
    interpolation: str,
    convention: str | None,
    fill: Sequence[float],
    mean: Any,
    std: Any,
    scale: float,
    divisor: float,
    dtype: str,
    layout: str,
    out: Any,
    polar: tuple[float, float, float, bool, bool] | None = ...,
    torch: tuple[bool, bool, bool] | None = ...,
    flip_h: bool = ...,
    flip_v: bool = ...,
) -> Any: ...
