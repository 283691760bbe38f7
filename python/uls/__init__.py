# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""uls: user-local storage for Python, a ctypes binding of libuls.

Per-thread memory that BPF programs (and sched_ext schedulers) read and
write with no system call: named keys that every library of a process
shares, and the scheduling hint that scx_hints reads. A Python thread is an
OS thread, so every value here is per ``threading.Thread``, as it is per
pthread in C.

    import ctypes, uls

    class Rpc(ctypes.Structure):
        _fields_ = [("in_call", ctypes.c_uint64)]

    key = uls.Key("myapp.rpc", ctypes.sizeof(Rpc))
    key.view(Rpc).in_call = 1          # BPF sees it at once
    uls.hint_set(uls.HINT_LATENCY_CRITICAL)

It loads ``libuls.so.0`` (or the path in ``ULS_LIBRARY``) when imported;
using keys and hints needs the uls module (``/dev/uls``). Failed calls
raise ``uls.Error``, an ``OSError`` with the errno and uls_strerror()'s
message.
"""
from __future__ import annotations

from ._lib import Error, lib as _c, strerror
from ._version import __version__
from .hint import (HINT_BACKGROUND, HINT_KEY, HINT_LATENCY_CRITICAL,
                   HINT_NICE_MAX, HINT_NICE_MIN, HINT_NORMAL, Hint,
                   HintClass, hint, hint_set, hint_set_nice)
from .keys import KEY_NAME_MAX, Key

__all__ = [
    "__version__", "version", "module_loaded", "Error", "strerror",
    "Key", "KEY_NAME_MAX",
    "HintClass", "Hint", "hint", "hint_set", "hint_set_nice",
    "HINT_NORMAL", "HINT_LATENCY_CRITICAL", "HINT_BACKGROUND",
    "HINT_NICE_MIN", "HINT_NICE_MAX", "HINT_KEY",
]


def version() -> str:
    """uls_version(): the version of the libuls that runs, "X.Y.Z"."""
    return _c.uls_version().decode("ascii")


def module_loaded() -> bool:
    """uls_module_loaded(): whether the uls module is loaded with its
    kfuncs (so that BPF programs using them load)."""
    return bool(_c.uls_module_loaded())
