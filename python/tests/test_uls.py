# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Tests of the uls Python binding, standard library only.

    python3 -m unittest discover -s python/tests -v

They test the ``uls`` that ``import uls`` finds (an installed python3-uls,
or the source tree's with PYTHONPATH=python; the first line says which)
over the libuls it loads (ULS_LIBRARY to choose one). Most need the uls
module: where /dev/uls is missing they fail, saying so, unless
ULS_PY_ALLOW_NO_MODULE=1, which runs only the parts that need no module
(the rest is skipped).

The gc_hints example is looked for in ULS_PY_EXAMPLES (a directory), then
in ../examples beside this file (a source tree), then where python3-uls
installs it, /usr/share/doc/python3-uls/examples.

ULS_KEYREAD, the path of the packages' BPF test program keyread (tests/
packages/consumer: `keyread PID KEY SIZE` prints each thread's value of a
key as bpf_uls_key_get() finds it), adds the tests that BPF sees what
Python stores; they are skipped without it.
"""
import ctypes
import errno
import os
import re
import struct
import subprocess
import sys
import threading
import unittest

import uls

DEVICE = "/dev/uls"
ALLOW_NO_MODULE = os.environ.get("ULS_PY_ALLOW_NO_MODULE") == "1"
HERE = os.path.dirname(os.path.abspath(__file__))
NO_MODULE = (f"{DEVICE} is missing: the uls module is not loaded. These "
             f"tests need it (modprobe uls); set ULS_PY_ALLOW_NO_MODULE=1 "
             f"to run only the tests that do not")


KEYREAD = os.environ.get("ULS_KEYREAD", "")


def keyread(pid: int, key: str, size: int) -> dict:
    """{tid: bytes, or None for "no key"} as keyread's BPF program read
    them at the threads' context switches."""
    p = subprocess.run([KEYREAD, str(pid), key, str(size)],
                       capture_output=True, text=True, timeout=60)
    seen = {}
    for line in p.stdout.splitlines():
        m = re.match(r"tid (\d+): (?:no key|([0-9a-f]+) )", line)
        if m:
            seen[int(m.group(1))] = (bytes.fromhex(m.group(2))
                                     if m.group(2) else None)
    if not seen:
        raise AssertionError(f"keyread {pid} {key} {size}: exit "
                             f"{p.returncode}\n{p.stdout}{p.stderr}")
    return seen


def have_module() -> bool:
    return os.path.exists(DEVICE)


def setUpModule() -> None:
    print(f"\ntest_uls: uls {uls.__version__} from {uls.__file__}, libuls "
          f"{uls.version()}, Python {sys.version.split()[0]}, {DEVICE} "
          f"{'present' if have_module() else 'missing'}", file=sys.stderr)


def in_thread(fn):
    """fn's result in a new thread (so a new OS thread), or its
    exception raised here."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: B902 - re-raised below
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


class NeedsModule(unittest.TestCase):
    """Tests that use a thread's storage: /dev/uls must exist."""

    def setUp(self) -> None:
        if have_module():
            return
        if ALLOW_NO_MODULE:
            self.skipTest(f"{DEVICE} missing and ULS_PY_ALLOW_NO_MODULE=1")
        self.fail(NO_MODULE)


class Binding(unittest.TestCase):
    """What works without the module: loading, versions, keys' creation
    and their errors, hints' argument checks."""

    def assertUlsError(self, err: int, fn, *args, **kwargs) -> uls.Error:
        with self.assertRaises(uls.Error) as cm:
            fn(*args, **kwargs)
        e = cm.exception
        self.assertIsInstance(e, OSError)
        self.assertEqual(e.errno, err, str(e))
        self.assertEqual(e.strerror, uls.strerror(err))
        return e

    def test_version(self):
        self.assertRegex(uls.version(), r"^\d+\.\d+\.\d+$")
        # The binding and the libuls it loads come from one source.
        self.assertEqual(uls.version(), uls.__version__)

    def test_version_header(self):
        # ULS_VERSION, the one place of the version: the source tree's, or
        # the one libuls-dev installs.
        for h in (os.path.join(HERE, "..", "..", "include", "uls",
                               "version.h"),
                  "/usr/include/uls/version.h"):
            if os.path.exists(h):
                break
        else:
            self.skipTest("no uls/version.h (not a source tree, and no "
                          "libuls-dev)")
        with open(h, encoding="utf-8") as f:
            text = f.read()
        parts = []
        for p in ("MAJOR", "MINOR", "PATCH"):
            m = re.search(rf"^#define\s+ULS_VERSION_{p}\s+(\d+)$", text,
                          re.M)
            self.assertIsNotNone(m, f"no ULS_VERSION_{p} in {h}")
            parts.append(m.group(1))
        self.assertEqual(".".join(parts), uls.__version__, h)

    def test_library_override(self):
        # ULS_LIBRARY names the library; one that cannot load is an
        # ImportError that says what to do.
        env = dict(os.environ, ULS_LIBRARY="/nonexistent/libuls.so.0",
                   PYTHONPATH=os.path.dirname(os.path.dirname(uls.__file__)))
        p = subprocess.run([sys.executable, "-c", "import uls"], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ImportError: uls: cannot load "
                      "/nonexistent/libuls.so.0", p.stderr)
        self.assertIn("ULS_LIBRARY", p.stderr)

    def test_error(self):
        e = uls.Error(-errno.EEXIST, "uls_key_create('x', 8)")
        self.assertIsInstance(e, OSError)
        self.assertEqual(e.errno, errno.EEXIST)
        self.assertEqual(e.strerror, uls.strerror(errno.EEXIST))
        self.assertEqual(uls.strerror(-errno.EEXIST),
                         uls.strerror(errno.EEXIST))
        self.assertIn("another size", e.strerror)
        self.assertTrue(str(e).startswith("uls_key_create('x', 8): "
                                          "[Errno 17] "), str(e))
        import pickle
        e2 = pickle.loads(pickle.dumps(e))
        self.assertEqual((type(e2), e2.errno, e2.strerror, e2.call),
                         (uls.Error, e.errno, e.strerror, e.call))

    def test_key_same_name_same_key(self):
        a = uls.Key("pytest.same", 16)
        b = uls.Key("pytest.same", 16)
        self.assertEqual(a, b)
        self.assertEqual(a.offset, b.offset)
        self.assertEqual((b.name, b.size), ("pytest.same", 16))

        # As C's uls_key_create() gives it, from libuls itself.
        class KeyT(ctypes.Structure):
            _fields_ = [("off", ctypes.c_int32), ("end", ctypes.c_uint32)]
        lib = ctypes.CDLL(os.environ.get("ULS_LIBRARY") or "libuls.so.0")
        lib.uls_key_create.restype = KeyT
        lib.uls_key_create.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        k = lib.uls_key_create(b"pytest.same", 16)
        self.assertEqual((k.off, k.end), (a.offset, a.offset + 16))

    def test_key_size_mismatch(self):
        uls.Key("pytest.mismatch", 8)
        e = self.assertUlsError(errno.EEXIST, uls.Key, "pytest.mismatch", 16)
        self.assertIn("pytest.mismatch", str(e))
        # The key is unchanged.
        self.assertEqual(uls.Key("pytest.mismatch", 8).size, 8)

    def test_key_exclusive(self):
        uls.Key("pytest.excl", 8, exclusive=True)
        self.assertUlsError(errno.EEXIST, uls.Key, "pytest.excl", 8,
                            exclusive=True)
        uls.Key("pytest.excl", 8)

    def test_key_bad_input(self):
        self.assertUlsError(errno.EINVAL, uls.Key, "", 8)
        self.assertUlsError(errno.EINVAL, uls.Key, "pytest.zero", 0)
        self.assertUlsError(errno.EINVAL, uls.Key, "pytest.neg", -8)
        self.assertUlsError(errno.EINVAL, uls.Key, "pytest.n\0ul", 8)
        self.assertUlsError(errno.ENAMETOOLONG, uls.Key, "k" * 64, 8)
        self.assertEqual(uls.Key("k" * 63, 8).name, "k" * 63)
        # 64 bytes in UTF-8, 32 characters.
        self.assertUlsError(errno.ENAMETOOLONG, uls.Key, "\u00e9" * 32, 8)
        self.assertUlsError(errno.E2BIG, uls.Key, "pytest.huge", 1 << 40)
        with self.assertRaises(TypeError):
            uls.Key(5, 8)
        with self.assertRaises(TypeError):
            uls.Key("pytest.type", "8")
        with self.assertRaises(TypeError):
            uls.Key("pytest.type", True)

    def test_hint_constants(self):
        self.assertEqual((uls.HINT_NORMAL, uls.HINT_LATENCY_CRITICAL,
                          uls.HINT_BACKGROUND), (0, 1, 2))
        self.assertEqual((uls.HINT_NICE_MIN, uls.HINT_NICE_MAX), (-20, 19))
        self.assertEqual(uls.HINT_KEY, "uls.hint")

    def test_hint_set_invalid(self):
        # Refused before anything is touched: EINVAL with or without the
        # module, in a thread that never had a hint.
        def bad():
            for cls in (3, -1, 1 << 31, 1 << 40):
                self.assertUlsError(errno.EINVAL, uls.hint_set, cls)
            for nice in (-21, 20, 1 << 40, -(1 << 40)):
                self.assertUlsError(errno.EINVAL, uls.hint_set_nice, nice)
            with self.assertRaises(TypeError):
                uls.hint_set("background")
            with self.assertRaises(TypeError):
                uls.hint_set_nice(1.5)
        in_thread(bad)

    def test_without_module(self):
        if have_module():
            self.skipTest(f"{DEVICE} is present")
        # What a program gets where the module is not loaded.
        k = uls.Key("pytest.nomod", 8)

        def use():
            e = self.assertUlsError(errno.ENODEV, k.ptr)
            self.assertIn(DEVICE, str(e))
            self.assertUlsError(errno.ENODEV, k.read)
            self.assertUlsError(errno.ENODEV, uls.hint)
            self.assertUlsError(errno.ENODEV, uls.hint_set,
                                uls.HINT_BACKGROUND)
            self.assertFalse(uls.module_loaded())
        in_thread(use)


class Keys(NeedsModule):
    def test_read_write(self):
        k = uls.Key("pytest.rw", 32)
        self.assertEqual(k.read(), bytes(32))
        k.write(b"abc", 5)
        self.assertEqual(k.read(3, 5), b"abc")
        self.assertEqual(k.read()[:9], b"\0" * 5 + b"abc\0")
        buf = k.buffer()
        self.assertEqual(len(buf), 32)
        self.assertEqual(bytes(buf[5:8]), b"abc")
        buf[0] = 0xff
        memoryview(buf).cast("B")[1:3] = b"\x01\x02"
        self.assertEqual(k.read(3), b"\xff\x01\x02")
        k.write(bytearray(b"\x10" * 8), 24)
        self.assertEqual(k.read(8, 24), b"\x10" * 8)
        k.u64 = 0x0102030405060708
        self.assertEqual(k.u64, 0x0102030405060708)
        self.assertEqual(k.read(8), struct.pack("=Q", 0x0102030405060708))
        k.u32 = 7
        self.assertEqual(k.read(4), struct.pack("=I", 7))

        class S(ctypes.Structure):
            _fields_ = [("a", ctypes.c_uint32), ("b", ctypes.c_uint32),
                        ("c", ctypes.c_uint64)]
        s = k.view(S, 8)
        s.a, s.c = 9, 1 << 63
        self.assertEqual(k.read(16, 8), struct.pack("=IIQ", 9, 0, 1 << 63))
        self.assertEqual(k.ptr() % 8, 0)
        self.assertEqual(ctypes.addressof(s), k.ptr() + 8)

    def test_bounds(self):
        k = uls.Key("pytest.bounds", 12)
        for bad in (lambda: k.write(b"x" * 13),
                    lambda: k.write(b"x", 12),
                    lambda: k.write(b"x", -1),
                    lambda: k.read(13),
                    lambda: k.read(1, 12),
                    lambda: k.view(ctypes.c_uint64, 8),
                    lambda: k.view(ctypes.c_uint64, 4),  # misaligned
                    lambda: k.view(ctypes.c_char * 13)):
            with self.assertRaises(ValueError):
                bad()
        k.write(b"y" * 12)
        self.assertEqual(k.read(), b"y" * 12)
        small = uls.Key("pytest.small", 4)
        with self.assertRaises(ValueError):
            small.u64
        for v in (-1, 1 << 64):
            with self.assertRaises(ValueError):
                k.u64 = v
        with self.assertRaises(ValueError):
            k.u32 = 1 << 32

    def test_two_objects_share_the_value(self):
        a = uls.Key("pytest.shared", 8)
        b = uls.Key("pytest.shared", 8)
        a.u64 = 42
        self.assertEqual(b.u64, 42)
        self.assertEqual(a.ptr(), b.ptr())

    def test_per_thread(self):
        k = uls.Key("pytest.per_thread", 8)
        k.u64 = 1

        def other():
            first = k.u64
            k.u64 = 2
            return first, k.u64, k.ptr()
        first, then, addr = in_thread(other)
        self.assertEqual(first, 0, "a new thread's storage is zeroed")
        self.assertEqual(then, 2)
        self.assertNotEqual(addr, k.ptr())
        self.assertEqual(k.u64, 1, "another thread's write reached ours")
        # Many threads at once, each with its own value.
        barrier = threading.Barrier(8)
        seen = []

        def many(i):
            k.u64 = 100 + i
            barrier.wait()
            seen.append(k.u64 == 100 + i)
        ts = [threading.Thread(target=many, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(seen, [True] * 8)
        self.assertEqual(k.u64, 1)

    def test_growth_keeps_address(self):
        # Keys created after a thread's first use extend its region
        # (registered again, larger): the storage it had does not move.
        def run():
            first = uls.Key("pytest.grow.first", 8)
            first.u64 = 0xfeed
            addr = first.ptr()
            more = [uls.Key(f"pytest.grow.{i}", 64) for i in range(100)]
            for i, k in enumerate(more):
                k.u64 = i
            last = more[-1]
            return (addr, first.ptr(), first.u64, last.u64,
                    last.ptr() - addr)
        addr, again, value, last, span = in_thread(run)
        self.assertEqual(addr, again)
        self.assertEqual(value, 0xfeed)
        self.assertEqual(last, 99)
        self.assertGreater(span, 4096, "the keys did not outgrow a page")

    def test_fork(self):
        k = uls.Key("pytest.fork", 8)
        k.u64 = 5
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(r)
                ok = k.u64 == 5
                k.u64 = 6
                os.write(w, f"{int(ok)} {k.ptr()} {k.u64}".encode())
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        with os.fdopen(r) as f:
            out = f.read().split()
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(out, ["1", str(k.ptr()), "6"],
                         "the child's value, address or write")
        self.assertEqual(k.u64, 5, "the child's write reached the parent")

    def test_bpf_sees_stores(self):
        if not KEYREAD:
            self.skipTest("ULS_KEYREAD not set: no BPF reader")
        k = uls.Key("pytest.bpf", 32)
        ready, stop = threading.Event(), threading.Event()
        mine = {}

        def store_and_wait():
            k.write(b"hello from Python")
            k.view(ctypes.c_uint64, 24).value = 0x1122334455667788
            mine["tid"] = threading.get_native_id()
            mine["value"] = k.read()
            ready.set()
            while not stop.is_set():   # switched out and in: read there
                stop.wait(0.01)
        t = threading.Thread(target=store_and_wait)
        t.start()
        try:
            ready.wait(10)
            seen = keyread(os.getpid(), "pytest.bpf", 32)
        finally:
            stop.set()
            t.join()
        self.assertIn(mine["tid"], seen, seen)
        self.assertEqual(seen[mine["tid"]], mine["value"])
        self.assertTrue(mine["value"].startswith(b"hello from Python\0"))
        # No other thread of ours stored it: none has this value.
        others = [v for tid, v in seen.items() if tid != mine["tid"]]
        self.assertNotIn(mine["value"], others)

    def test_module_version(self):
        path = "/sys/module/uls/version"
        if not os.path.exists(path):
            self.skipTest(f"{path} missing (a module without "
                          f"MODULE_VERSION)")
        with open(path, encoding="ascii") as f:
            self.assertEqual(f.read().strip(), uls.version())


class Hints(NeedsModule):
    def test_round_trip(self):
        def run():
            out = [uls.hint()]
            uls.hint_set(uls.HINT_LATENCY_CRITICAL)
            out.append(uls.hint())
            uls.hint_set_nice(5)
            out.append(uls.hint())
            uls.hint_set(uls.HINT_BACKGROUND)
            uls.hint_set_nice(uls.HINT_NICE_MIN)
            out.append(uls.hint())
            # A refused value stores nothing.
            with self.assertRaises(uls.Error):
                uls.hint_set(3)
            with self.assertRaises(uls.Error):
                uls.hint_set_nice(20)
            out.append(uls.hint())
            # The hint is the key uls.hint, as a scheduler reads it.
            out.append(uls.Key(uls.HINT_KEY, 8).read())
            return out
        got = in_thread(run)
        self.assertEqual(got[0], (uls.HINT_NORMAL, 0))
        self.assertIsInstance(got[0].cls, uls.HintClass)
        self.assertEqual(got[1], (uls.HINT_LATENCY_CRITICAL, 0))
        self.assertEqual(got[2], (uls.HINT_LATENCY_CRITICAL, 5))
        self.assertEqual(got[3], (uls.HINT_BACKGROUND, -20))
        self.assertEqual(got[4], got[3])
        self.assertEqual(got[5], struct.pack("=Ii", 2, -20))

    def test_per_thread(self):
        def set_bg():
            uls.hint_set(uls.HINT_BACKGROUND)
            return uls.hint()
        self.assertEqual(in_thread(set_bg).cls, uls.HINT_BACKGROUND)
        self.assertEqual(in_thread(uls.hint), (uls.HINT_NORMAL, 0))

    def test_key_size_is_fixed(self):
        in_thread(uls.hint)
        with self.assertRaises(uls.Error) as cm:
            uls.Key(uls.HINT_KEY, 4)
        self.assertEqual(cm.exception.errno, errno.EEXIST)


def find_example(name: str) -> str:
    dirs = [os.environ.get("ULS_PY_EXAMPLES", ""),
            os.path.join(HERE, "..", "examples"),
            "/usr/share/doc/python3-uls/examples"]
    for d in dirs:
        p = os.path.join(d, name)
        if d and os.path.exists(p):
            return p
    raise AssertionError(f"{name} not found in {[d for d in dirs if d]}")


def run_example(*args: str) -> subprocess.CompletedProcess:
    script = find_example("gc_hints.py")
    # The subprocess imports the same uls as these tests.
    top = os.path.dirname(os.path.dirname(uls.__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (top, env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, script, *args], env=env,
                          capture_output=True, text=True, timeout=120)


class ExampleUsage(unittest.TestCase):
    def test_gc_hints_usage(self):
        for bad in (["-t", "0"], ["-j", "0"], ["--hint", "urgent"], ["x"]):
            p = run_example(*bad)
            self.assertEqual(p.returncode, 2, f"{bad}: {p.stderr}")
            self.assertIn("usage: gc_hints", p.stderr)


class Example(NeedsModule):
    def run_example(self, *args: str) -> str:
        p = run_example(*args)
        script = find_example("gc_hints.py")
        self.assertEqual(p.returncode, 0,
                         f"{script} {' '.join(args)}: exit "
                         f"{p.returncode}\n{p.stdout}{p.stderr}")
        return p.stdout

    def check_totals(self, out: str, threads: int) -> None:
        m = re.search(r"^total: (\d+) collections, ([\d.]+) s in GC, in the "
                      r"keys; the callbacks counted (\d+)", out, re.M)
        self.assertIsNotNone(m, out)
        self.assertGreater(int(m.group(1)), 0, out)
        self.assertEqual(m.group(1), m.group(3), out)
        lines = re.findall(r"^worker-\d+ \(tid \d+\): (\d+) collections .* "
                           r"in_gc=0",
                           out, re.M)
        self.assertEqual(len(lines), threads, out)

    def test_gc_hints(self):
        self.check_totals(self.run_example("-t", "1"), 1)

    def test_gc_hints_bpf(self):
        # What BPF reads of python.gc is what the example says it stored.
        if not KEYREAD:
            self.skipTest("ULS_KEYREAD not set: no BPF reader")
        script = find_example("gc_hints.py")
        top = os.path.dirname(os.path.dirname(uls.__file__))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (top, env.get("PYTHONPATH")) if p)
        with subprocess.Popen([sys.executable, script, "-t", "1", "--hold",
                               "4"], env=env, stdout=subprocess.PIPE,
                              text=True) as p:
            lines = []
            for line in p.stdout:
                lines.append(line)
                if "workload done" in line:
                    break
            seen = keyread(p.pid, "python.gc", 24)
            out = "".join(lines) + p.stdout.read()
            self.assertEqual(p.wait(60), 0, out)
        m = re.search(r"^worker-0 \(tid (\d+)\): (\d+) collections", out,
                      re.M)
        self.assertIsNotNone(m, out)
        tid, n = int(m.group(1)), int(m.group(2))
        self.assertIn(tid, seen, f"{seen}\n{out}")
        in_gc, gen, collections, ns = struct.unpack("=IIQQ", seen[tid])
        self.assertEqual((in_gc, collections), (0, n), out)
        self.assertLess(gen, 3)
        self.assertGreater(ns, 0)

    def test_gc_hints_threads_background(self):
        out = self.run_example("-t", "1", "-j", "2", "--hint", "background")
        self.check_totals(out, 2)
        # Raised to normal for each collection, background again after.
        for n, raised in re.findall(r"^worker-\d+ \(tid \d+\): (\d+) "
                                    r"collections .*"
                                    r"hint now background, raised to "
                                    r"normal for (\d+) collections", out,
                                    re.M):
            self.assertEqual(n, raised, out)
        self.assertEqual(len(re.findall("hint now background", out)), 2,
                         out)


if __name__ == "__main__":
    unittest.main()
