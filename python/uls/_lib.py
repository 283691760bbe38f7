# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""libuls.so.0 loaded with ctypes, the prototypes of the calls the binding
makes, and the exception every failed call raises.

The library is ``libuls.so.0`` found as the dynamic linker finds it, or the
path in the environment variable ``ULS_LIBRARY`` (for tests against a build
tree). It is loaded once, when ``uls`` is imported.
"""
from __future__ import annotations

import ctypes
import errno
import os

LIBRARY_ENV = "ULS_LIBRARY"
LIBRARY_DEFAULT = "libuls.so.0"


class _KeyT(ctypes.Structure):
    """uls_key_t of uls.h: returned by value (8 bytes, in a register)."""

    _fields_ = [("off", ctypes.c_int32), ("end", ctypes.c_uint32)]


def _load() -> ctypes.CDLL:
    name = os.environ.get(LIBRARY_ENV) or LIBRARY_DEFAULT
    try:
        # use_errno: uls__key_get_slow() and uls_hint() report by errno.
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as e:
        raise ImportError(
            f"uls: cannot load {name} ({e}); install libuls0, or set "
            f"{LIBRARY_ENV} to the path of a libuls.so.0") from e

    protos = {
        "uls_version": (ctypes.c_char_p, []),
        "uls_strerror": (ctypes.c_char_p, [ctypes.c_int]),
        "uls_module_loaded": (ctypes.c_bool, []),
        "uls_key_create": (_KeyT, [ctypes.c_char_p, ctypes.c_size_t]),
        "uls_key_create_excl": (_KeyT, [ctypes.c_char_p, ctypes.c_size_t]),
        # What uls.h's inline uls_key_get() calls when its thread's
        # region does not hold the key yet; for a key it holds, it returns
        # the address without a system call. The binding calls it once per
        # thread and key, and caches the address, which never changes.
        "uls__key_get_slow": (ctypes.c_void_p, [ctypes.c_uint64]),
        "uls_hint": (ctypes.c_void_p, []),
        "uls_hint_set": (ctypes.c_int, [ctypes.c_int]),
        "uls_hint_set_nice": (ctypes.c_int, [ctypes.c_int]),
    }
    for sym, (restype, argtypes) in protos.items():
        try:
            fn = getattr(lib, sym)
        except AttributeError as e:
            raise ImportError(
                f"uls: {name} has no {sym}(): a libuls older than this "
                f"binding") from e
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


lib = _load()

# C int's range: ctypes truncates a larger Python int without a word.
INT_MIN = -(1 << (8 * ctypes.sizeof(ctypes.c_int) - 1))
INT_MAX = (1 << (8 * ctypes.sizeof(ctypes.c_int) - 1)) - 1


def strerror(err: int) -> str:
    """uls_strerror(): what errno ``err`` (either sign) means for uls."""
    return lib.uls_strerror(int(err)).decode("utf-8", "replace")


class Error(OSError):
    """A libuls call failed.

    An ``OSError``: ``errno`` is the (positive) errno, ``strerror`` is
    uls_strerror()'s message for it, and ``call`` names the libuls call
    that failed, with its arguments where they help.
    """

    def __init__(self, err: int, call: str = "") -> None:
        err = abs(int(err))
        super().__init__(err, strerror(err))
        self.call = call

    def __str__(self) -> str:
        s = super().__str__()
        return f"{self.call}: {s}" if self.call else s

    def __reduce__(self):  # type: ignore[override]
        # Pickled (multiprocessing) as it was made, not as OSError's args.
        return (type(self), (self.errno, self.call))


def check(rc: int, call: str) -> None:
    """Raise Error for a libuls call that returned a negative errno."""
    if rc < 0:
        raise Error(-rc, call)


def errno_error(call: str) -> Error:
    """The Error of a libuls call that returned NULL and set errno."""
    # errno 0 after a NULL would be a libuls bug; say so, never "success".
    return Error(ctypes.get_errno() or errno.EIO, call)
