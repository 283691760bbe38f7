# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Scheduling hints (uls/hint.h): what the calling thread tells a sched_ext
scheduler such as scx_hints about itself, in its own memory, under the key
``uls.hint``. A hint is per thread: each ``threading.Thread`` has its own,
and a thread that never sets one is scheduled as normal.
"""
from __future__ import annotations

import ctypes
import enum
import errno
from typing import NamedTuple, Union

from . import _lib
from ._lib import Error

__all__ = [
    "HintClass", "Hint", "hint", "hint_set", "hint_set_nice",
    "HINT_NORMAL", "HINT_LATENCY_CRITICAL", "HINT_BACKGROUND",
    "HINT_NICE_MIN", "HINT_NICE_MAX", "HINT_KEY",
]

#: The key's name; its size is 8 bytes (struct uls_hint).
HINT_KEY = "uls.hint"


class HintClass(enum.IntEnum):
    """enum uls_hint_class."""

    NORMAL = 0              #: fair share; what no hint means
    LATENCY_CRITICAL = 1    #: run first, may preempt others
    BACKGROUND = 2          #: run when nothing else wants to


HINT_NORMAL = HintClass.NORMAL
HINT_LATENCY_CRITICAL = HintClass.LATENCY_CRITICAL
HINT_BACKGROUND = HintClass.BACKGROUND

HINT_NICE_MIN = -20
HINT_NICE_MAX = 19


class _UlsHint(ctypes.Structure):
    """struct uls_hint."""

    _fields_ = [("cls", ctypes.c_uint32), ("nice", ctypes.c_int32)]


class Hint(NamedTuple):
    """A thread's hint: ``cls`` a HintClass (or the raw number, if some
    other code stored one that is not a class), ``nice`` -20..19."""

    cls: Union[HintClass, int]
    nice: int


def _struct() -> _UlsHint:
    ctypes.set_errno(0)
    addr = _lib.lib.uls_hint()
    if not addr:
        raise _lib.errno_error("uls_hint()")
    return _UlsHint.from_address(addr)


def hint() -> Hint:
    """The calling thread's hint, ``Hint(cls, nice)``.

    The thread's first hint call registers its storage (a system call);
    Error then if that fails, as ``Key.ptr()`` says (``ENODEV`` without
    the uls module)."""
    h = _struct()
    try:
        cls: Union[HintClass, int] = HintClass(h.cls)
    except ValueError:
        cls = h.cls
    return Hint(cls, h.nice)


def _set(fn, value: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    call = f"{fn.__name__}({int(value)})"
    # Out of C int's range: EINVAL as libuls says for any bad value, never
    # a value ctypes truncated into range.
    if not _lib.INT_MIN <= value <= _lib.INT_MAX:
        raise Error(errno.EINVAL, call)
    _lib.check(fn(value), call)


def hint_set(cls: Union[HintClass, int]) -> None:
    """Set the calling thread's class (uls_hint_set()): one store after
    the thread's first hint call. Error ``EINVAL`` for a value that is not
    a class (nothing is stored), or hint()'s errors."""
    _set(_lib.lib.uls_hint_set, cls, "class")


def hint_set_nice(nice: int) -> None:
    """Set the calling thread's nice-like value, -20..19
    (uls_hint_set_nice()); a hint can only lower the thread's weight below
    what its real nice gives. Error ``EINVAL`` out of range (nothing is
    stored), or hint()'s errors."""
    _set(_lib.lib.uls_hint_set_nice, nice, "nice")
