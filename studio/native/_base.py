"""The compiled module, its facts and settings, and the argument checks every kernel uses."""

from __future__ import annotations

import mmap
from collections.abc import Sequence
from typing import Any

import numpy as np

_native: Any
_IMPORT_ERROR: str | None = None
try:
    from studio import _native
except ImportError as _error:  # pragma: no cover - exercised only in a broken install
    _native = None
    _IMPORT_ERROR = f"{type(_error).__name__}: {_error}"


BytesLike = bytes | bytearray | memoryview | mmap.mmap | np.ndarray
TextsLike = Sequence[str] | Sequence[bytes]


class NativeUnavailableError(RuntimeError):
    """studio._native could not be imported (the package was installed without its build)."""


def _lib() -> Any:
    if _native is None:
        raise NativeUnavailableError(
            f"the native module studio._native is not available ({_IMPORT_ERROR}); "
            "reinstall with `pip install -e .` (needs a C++17 compiler and CMake >= 3.18)"
        )
    return _native


# ---- module facts and settings --------------------------------------------------------------


def native_available() -> bool:
    """True when the compiled kernels can be used."""
    return _native is not None


def native_info() -> dict[str, object]:
    """Facts for ``hafs-studio doctor``: version, SIMD level, threads, regex engine."""
    if _native is None:
        return {"available": False, "error": _IMPORT_ERROR}
    return {
        "available": True,
        "version": _native.__version__,
        "simd": _native.simd_level(),
        "threads": _native.default_threads(),
        "hardware_threads": _native.hardware_threads(),
        "regex": _native.regex_engine(),
    }


def set_threads(threads: int) -> None:
    """Sets how many threads kernels use by default; 0 restores "all cores"."""
    _check_int("threads", threads, minimum=0)
    _lib().set_default_threads(threads)


def get_threads() -> int:
    """Threads a kernel uses when called with threads=0."""
    return int(_lib().default_threads())


# ---- argument validation --------------------------------------------------------------------


def _check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _as_bytes(data: BytesLike, name: str = "data") -> np.ndarray:
    """A zero-copy 1-D uint8 view of bytes, bytearray, memoryview, mmap or a uint8 array."""
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise TypeError(f"{name} must be a uint8 array, got dtype {data.dtype}")
        if data.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {data.shape}")
        if not data.flags.c_contiguous:
            raise ValueError(f"{name} must be contiguous (use np.ascontiguousarray)")
        return data
    if isinstance(data, str):
        raise TypeError(f"{name} must be bytes-like, not str (encode it first)")
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"{name} must be bytes-like (bytes, mmap, memoryview, uint8 array), "
                        f"got {type(data).__name__}") from None
    if not view.c_contiguous:
        raise ValueError(f"{name} must be a contiguous buffer")
    if view.nbytes == 0:
        return np.zeros(0, dtype=np.uint8)
    return np.frombuffer(view.cast("B") if view.ndim == 1 else view, dtype=np.uint8)


def _as_array(x: object, name: str, dtype: type, ndim: int) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype).name}, got {x.dtype} "
                        f"(convert with .astype(np.{np.dtype(dtype).name}))")
    if x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {x.shape}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    return x


def _as_float_series(y: object, name: str) -> np.ndarray:
    """Accepts any real 1-D array-like; converts (copying only if needed) to contiguous float64."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _pack_texts(texts: TextsLike) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated UTF-8 bytes and int64 offsets (n + 1) of a sequence of str or bytes."""
    if isinstance(texts, str | bytes):
        raise TypeError("texts must be a sequence of strings, not a single string")
    encoded = [t.encode("utf-8", "surrogatepass") if isinstance(t, str) else bytes(t)
               for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    if encoded:
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets
