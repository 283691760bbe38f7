# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Keys: per-thread variables, by name, that every library of a process
shares, and that BPF programs find by the same name (README "Keys").

A Python thread is an OS thread, so each ``threading.Thread`` has its own
value of every key, as each pthread has in C: what one thread writes,
another never sees through its own ``Key``.
"""
from __future__ import annotations

import ctypes
import errno
import threading
from typing import Optional, Type, TypeVar, Union

from . import _lib
from ._lib import Error

__all__ = ["Key", "KEY_NAME_MAX"]

#: Bytes of a key's name with its NUL (uls/key_layout.h): names of 1..63.
KEY_NAME_MAX = 64

_C = TypeVar("_C", bound="ctypes._CData")  # type: ignore[name-defined]

_U32_MAX = (1 << 32) - 1
_U64_MAX = (1 << 64) - 1


class Key:
    """The key ``name`` of ``size`` bytes: created on first use in the
    process, then the same key for every later ``Key(name, size)`` and
    every ``uls_key_create(name, size)`` of any C library in the process
    (uls_key_create()'s semantics). Creating a key makes no system call and
    works without the uls module; using it does not.

    Raises Error with ``errno``:

    - ``EINVAL``: ``name`` is empty or holds a NUL, or ``size`` is 0 or
      negative;
    - ``ENAMETOOLONG``: ``name`` has 64 bytes or more (UTF-8);
    - ``EEXIST``: ``name`` is a key of another size (with
      ``exclusive=True``: ``name`` is a key at all, TLD's rule);
    - ``E2BIG``: the key, after all keys before it, would end beyond what a
      thread may register (the module's ``max_len``);
    - ``ENOSPC``: the process has 1,024 keys;
    - ``ENOMEM``: out of memory.

    A key never goes away: keys live as long as the process.

    Each thread has its own storage of ``size`` bytes for the key, zeroed,
    and registered with uls on the thread's first use of it (``ptr()`` and
    everything built on it: one system call then, none afterwards). The
    storage stays at the same address for the thread's whole life, and
    is freed when the thread exits: do not keep a view of it (``buffer()``,
    ``view()``) past the life of the thread that made it. Another thread
    may read or write through such a view while its thread lives, as C
    code may through a pointer.

    After ``os.fork()`` the child's thread has a copy of the forking
    thread's storage, at the same addresses, registered again in the child.
    """

    __slots__ = ("name", "size", "offset", "_raw", "_tls")

    def __init__(self, name: Union[str, bytes], size: int, *,
                 exclusive: bool = False) -> None:
        if isinstance(name, str):
            bname = name.encode("utf-8")
        elif isinstance(name, bytes):
            bname = name
        else:
            raise TypeError(f"key name must be str or bytes, not "
                            f"{type(name).__name__}")
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"key size must be an int, not "
                            f"{type(size).__name__}")
        fn = "uls_key_create_excl" if exclusive else "uls_key_create"
        call = f"{fn}({name!r}, {size})"
        # C would stop at a NUL: a name with one is not the name asked for.
        if b"\0" in bname:
            raise Error(errno.EINVAL, call)
        # size_t: a negative size would wrap to a huge one (E2BIG); say
        # EINVAL, as libuls does for every size it cannot take as given.
        if size < 0 or size > ctypes.c_size_t(-1).value:
            raise Error(errno.EINVAL, call)
        create = (_lib.lib.uls_key_create_excl if exclusive
                  else _lib.lib.uls_key_create)
        k = create(bname, size)
        if k.off < 0:
            raise Error(-k.off, call)
        self.name: str = bname.decode("utf-8", "replace")
        self.size: int = size
        #: The offset of the key's data in every thread's keyed region.
        self.offset: int = k.off
        # uls__key_get_slow()'s argument: (end << 32 | off), as uls.h
        # loads a uls_key_t.
        self._raw = (k.end << 32) | k.off
        self._tls = threading.local()

    def __repr__(self) -> str:
        return f"Key({self.name!r}, {self.size}, offset={self.offset})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Key):
            return NotImplemented
        return self._raw == other._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def ptr(self) -> int:
        """The address of the calling thread's storage for the key.

        Its first call in a thread may register the thread's storage with
        uls (a system call); it raises Error then if that fails, with
        ``ENODEV`` when the uls module is not loaded, ``EBUSY`` when the
        thread's registration belongs to ``uls_area()`` or
        ``uls_register()`` (C code in the same thread), or any errno of the
        registration (``ENOMEM`` past ``RLIMIT_MEMLOCK``). Later calls in
        the thread return the same address without calling libuls.
        """
        addr = getattr(self._tls, "addr", None)
        if addr is None:
            ctypes.set_errno(0)
            addr = _lib.lib.uls__key_get_slow(self._raw)
            if not addr:
                raise _lib.errno_error(f"uls_key_get({self.name!r})")
            self._tls.addr = addr
        return addr

    def buffer(self) -> ctypes.Array:
        """The calling thread's storage as a writable ctypes array of
        ``size`` unsigned bytes (``c_ubyte``): ``buf[i] = v``,
        ``buf[i:j] = [...]``, or ``memoryview(buf).cast("B")[i:j] = b"..."``
        for bytes. Stores into it are plain stores into the memory BPF
        programs read: no system call, seen by the next BPF read. Valid
        while the thread lives. See ``ptr()`` for errors."""
        return (ctypes.c_ubyte * self.size).from_address(self.ptr())

    def view(self, ctype: Type[_C], offset: int = 0) -> _C:
        """The calling thread's storage at ``offset`` as an instance of the
        ctypes type ``ctype`` (a ``ctypes.Structure`` with the layout the
        BPF side reads, or a scalar such as ``ctypes.c_uint64``). Stores
        through it are plain stores; one aligned scalar field of up to 8
        bytes is one store, so a BPF reader never sees half of it. Valid
        while the thread lives.

        ValueError if ``ctype`` does not fit in the key at ``offset``, or
        ``offset`` is not aligned as ``ctype`` needs.
        """
        size = ctypes.sizeof(ctype)
        align = ctypes.alignment(ctype)
        if offset < 0 or offset + size > self.size:
            raise ValueError(
                f"{ctype.__name__} ({size} bytes) at offset {offset} does "
                f"not fit in key {self.name!r} of {self.size} bytes")
        addr = self.ptr() + offset
        if addr % align:
            raise ValueError(
                f"offset {offset} of key {self.name!r} is not aligned as "
                f"{ctype.__name__} needs ({align} bytes)")
        return ctype.from_address(addr)

    def read(self, n: Optional[int] = None, offset: int = 0) -> bytes:
        """A copy of ``n`` bytes (all to the end, by default) of the calling
        thread's storage, from ``offset``. ValueError past the key's end."""
        if n is None:
            n = self.size - offset
        self._check_range(offset, n)
        return ctypes.string_at(self.ptr() + offset, n)

    def write(self, data: Union[bytes, bytearray, memoryview],
              offset: int = 0) -> None:
        """Copy ``data`` (any bytes-like object) into the calling thread's
        storage at ``offset``. A copy of several bytes is not one store: a
        BPF program reading meanwhile may see part of it. ValueError past
        the key's end."""
        b = memoryview(data).tobytes()
        self._check_range(offset, len(b))
        ctypes.memmove(self.ptr() + offset, b, len(b))

    def _check_range(self, offset: int, n: int) -> None:
        if offset < 0 or n < 0 or offset + n > self.size:
            raise ValueError(
                f"bytes [{offset}, {offset + n}) out of key {self.name!r} "
                f"of {self.size} bytes")

    @property
    def u64(self) -> int:
        """The first 8 bytes of the calling thread's storage, as an unsigned
        64-bit integer in native byte order; set it with one 8-byte store.
        ValueError if the key is smaller than 8 bytes, or the value is out
        of range."""
        return self.view(ctypes.c_uint64).value

    @u64.setter
    def u64(self, value: int) -> None:
        if not 0 <= value <= _U64_MAX:
            raise ValueError(f"{value} is not an unsigned 64-bit value")
        self.view(ctypes.c_uint64).value = value

    @property
    def u32(self) -> int:
        """The first 4 bytes, as ``u64`` has the first 8."""
        return self.view(ctypes.c_uint32).value

    @u32.setter
    def u32(self, value: int) -> None:
        if not 0 <= value <= _U32_MAX:
            raise ValueError(f"{value} is not an unsigned 32-bit value")
        self.view(ctypes.c_uint32).value = value
