"""Arrays flush against unreadable pages, so a read one byte outside an image faults.

ASan does not see a read past a numpy view that lies inside a larger allocation, and a view such as
``img[:, ::-1]`` starts at its last column: an out-of-bounds read may land before the first byte
as well as after the last. ``guarded(shape, dtype, at)`` returns a C-contiguous array whose first
byte (``at="start"``) or last byte (``at="end"``) touches a ``PROT_NONE`` page; every view of it
that reaches that byte is then flush against the guard too.
"""

from __future__ import annotations

import ctypes
import mmap
from typing import Any

import numpy as np

PAGE = mmap.PAGESIZE
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_PROT_NONE = 0
_keep: list[Any] = []  # mappings stay mapped for the life of the process (views may outlive us)


def guarded(shape: tuple[int, ...], dtype: Any, at: str) -> np.ndarray[Any, Any]:
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    data_pages = -(-max(nbytes, 1) // PAGE)
    mm = mmap.mmap(-1, (data_pages + 2) * PAGE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(mm))
    for page in (0, data_pages + 1):
        if _libc.mprotect(base + page * PAGE, PAGE, _PROT_NONE) != 0:
            raise OSError(ctypes.get_errno(), "mprotect failed")
    _keep.append(mm)
    first = PAGE if at == "start" else PAGE + data_pages * PAGE - nbytes
    if first % dtype.itemsize:
        raise ValueError("the image's byte size must be a multiple of its item size")
    arr = np.frombuffer(mm, dtype=dtype, count=int(np.prod(shape)), offset=first).reshape(shape)
    return arr


def views(parent: np.ndarray[Any, Any]) -> dict[str, np.ndarray[Any, Any]]:
    """The view kinds a caller may pass, each reaching both the parent's first and last byte
    (or, for the strided ones, its first or last row and column)."""
    out = {
        "contiguous": parent,
        "flip_c": parent[..., ::-1],
        "flip_x": parent[:, ::-1],
        "flip_y": parent[::-1],
        "flip_xy": parent[::-1, ::-1],
        "transposed": parent.transpose(1, 0, 2),
    }
    if parent.shape[1] >= 3:
        out["step_x"] = parent[:, ::2]
        out["step_x_last"] = parent[:, 1::2]
    if parent.shape[0] >= 3:
        out["step_y"] = parent[::2]
    if parent.shape[2] >= 3:
        out["channels_0_2"] = parent[..., ::2]
    return out
