#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""gc_hints: publish CPython's garbage collections per thread with uls, so
that BPF programs (a profiler, a scheduler) see when a thread is in GC and
how much GC it has done, with no system call on the way.

It hooks gc.callbacks, and keeps each thread's state in the key "python.gc"
(24 bytes, native byte order; the layout is this file's GcState):

    offset  size
    0       4     in_gc        1 from the collection's "start" to its "stop"
    4       4     generation   of the collection running, or the last one
    8       8     collections  finished by this thread
    16      8     gc_ns_total  CLOCK_MONOTONIC ns this thread spent in them

A BPF program reads it as

    struct python_gc {
            __u32 in_gc;
            __u32 generation;
            __u64 collections;
            __u64 gc_ns_total;
    };

    struct python_gc *gc = uls_key_get(task, "python.gc",
                                       sizeof(struct python_gc));
    if (gc && gc->in_gc)
            ...     /* task is collecting garbage, holding the GIL */

It runs a workload that makes cyclic garbage in -j threads for -t seconds,
then prints what each thread's key holds, and exits 0 (1 if no collection
was seen, or uls failed; 2 for a bad option). With --hold SEC the threads
stay SEC seconds more, sleeping, after "gc_hints: pid N: workload done",
so that a BPF program that reads keys at context switches (such as the
packages' test program keyread: `keyread N python.gc 24`) finds them.

Times are measured in the callbacks, in Python: with several threads they
may include waits for the GIL, which the interpreter may hand over
between a callback's statements.

--hint CLASS gives the workload threads a scheduling hint (uls.hint_set())
for their life, and applies one rule while they collect; see GcMarker.
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import threading
import time
from typing import Dict, List, Optional

import uls

GC_KEY = "python.gc"


class GcState(ctypes.Structure):
    """The key's layout: struct python_gc above."""

    _fields_ = [
        ("in_gc", ctypes.c_uint32),
        ("generation", ctypes.c_uint32),
        ("collections", ctypes.c_uint64),
        ("gc_ns_total", ctypes.c_uint64),
    ]


HINTS = {
    "normal": uls.HINT_NORMAL,
    "latency-critical": uls.HINT_LATENCY_CRITICAL,
    "background": uls.HINT_BACKGROUND,
}


class GcMarker:
    """Keeps each thread's GcState up to date from gc.callbacks.

    The hint rule, while a thread collects: never below normal. A thread
    hinted background is raised to normal for the collection and lowered
    again after it; normal and latency-critical threads keep their class.

    Why not the other way round (stay latency-critical, but be background
    while in GC): CPython's collector is not a concurrent one. It runs in
    the thread whose allocation triggered it, holding the GIL (in the
    free-threaded build it stops the world), so every other Python thread
    of the process waits until it ends. A collector hinted background
    runs only when nothing else wants the CPU while it holds up all the
    process's threads, latency-critical ones included: a priority
    inversion that turns a millisecond of GC into a wait of the
    background queue's (up to 200 ms in scx_hints). A stop-the-world
    collection should run at the class of those it stops. The full rule
    would be priority inheritance, the highest class among the threads
    waiting for the GIL, which only the interpreter's GIL could apply;
    "never below normal" is what a gc callback can do by itself, and does
    not raise the thread to latency-critical either, where a long
    collection would spend the latency-critical budget scx_hints gives
    each user (50% of the CPU). Marking GC work background is right for a
    collector whose threads run beside the program (a JVM's or Go's
    concurrent marking), which CPython has none of.

    The state is per thread (a key's value is per OS thread, and a Python
    thread is one): each thread calls attach() before its workload, which
    registers its storage (a system call, and the place where uls
    errors surface); the callback then only stores into memory. A
    collection in a thread that never attached attaches it there; if that
    fails, the thread goes unmarked (an exception in a gc callback would
    only be printed).
    """

    def __init__(self, hint: Optional[uls.HintClass]) -> None:
        self.key = uls.Key(GC_KEY, ctypes.sizeof(GcState))
        self.hint = hint
        self._tls = threading.local()

    def attach(self, set_hint: bool = True) -> GcState:
        """This thread's GcState, registered, and with set_hint its hint
        set. uls.Error if uls cannot register the thread."""
        tls = self._tls
        st = getattr(tls, "state", None)
        if st is None:
            st = self.key.view(GcState)
            tls.t0 = 0
            tls.raised = 0
            tls.seen = 0
            tls.by_gen = [0, 0, 0]
            tls.boost = False
            tls.state = st
        if set_hint and self.hint is not None:
            uls.hint_set(self.hint)
            tls.boost = self.hint == uls.HINT_BACKGROUND
        return st

    def callback(self, phase: str, info: Dict[str, int]) -> None:
        tls = self._tls
        st = getattr(tls, "state", None)
        if st is None:
            if getattr(tls, "failed", False):
                return
            try:
                # Not its hint: the program did not give this thread one.
                st = self.attach(set_hint=False)
            except uls.Error:
                tls.failed = True
                return
        if phase == "start":
            # generation before in_gc: a reader that sees in_gc sees it
            # (x86 keeps stores in order; Python has no fences to offer).
            st.generation = info["generation"]
            st.in_gc = 1
            if tls.boost:
                uls.hint_set(uls.HINT_NORMAL)
                tls.raised += 1
            tls.t0 = time.monotonic_ns()
        elif phase == "stop":
            st.gc_ns_total += time.monotonic_ns() - tls.t0
            st.collections += 1
            st.in_gc = 0
            if tls.boost:
                uls.hint_set(uls.HINT_BACKGROUND)
            tls.seen += 1
            gen = info["generation"]
            if 0 <= gen < len(tls.by_gen):
                tls.by_gen[gen] += 1

    def report(self) -> Dict[str, object]:
        """This thread's figures: its key's, and the callback's own count.
        Read by the thread itself, before it ends: its storage goes with
        it."""
        st = self.attach(set_hint=False)
        return {
            "thread": threading.current_thread().name,
            "collections": st.collections,
            "gc_ns_total": st.gc_ns_total,
            "in_gc": st.in_gc,
            "generation": st.generation,
            "seen": self._tls.seen,
            "by_gen": list(self._tls.by_gen),
            "raised": self._tls.raised,
            "hint": uls.hint() if self.hint is not None else None,
        }


class Node:
    """Half of a reference cycle: garbage only the collector frees."""

    __slots__ = ("peer", "payload", "__weakref__")

    def __init__(self, i: int) -> None:
        self.peer: Optional[Node] = None
        self.payload = [i, str(i), (i,)]


def workload(seconds: float) -> int:
    """Make cyclic garbage until the deadline; a few survivors at a time,
    so that the older generations fill and get collected too."""
    keep: List[Node] = [Node(0)] * 4096
    deadline = time.monotonic() + seconds
    made = 0
    while time.monotonic() < deadline:
        for i in range(1000):
            a, b = Node(i), Node(i + 1)
            a.peer, b.peer = b, a
            keep[(made + i) % len(keep)] = a
        made += 1000
    return made


def worker(marker: GcMarker, seconds: float, hold: float,
           barrier: Optional[threading.Barrier], results: list,
           errors: list) -> None:
    try:
        marker.attach()
    except uls.Error as e:
        errors.append(e)
        if barrier:
            barrier.abort()
        return
    made = workload(seconds)
    if barrier:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return
        # Sleeping, so switched out and in; time.sleep() and floats make
        # no container, so no collection changes the state meanwhile.
        end = time.monotonic() + hold
        while time.monotonic() < end:
            time.sleep(0.01)
    r = marker.report()
    r["made"] = made
    r["tid"] = threading.get_native_id()
    results.append(r)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description="Mark CPython's garbage collections in the uls key "
                    f"{GC_KEY!r}, per thread, while threads make cyclic "
                    "garbage; print what the keys hold.")
    ap.add_argument("-t", "--time", type=float, default=3.0, metavar="SEC",
                    help="seconds of workload (default 3)")
    ap.add_argument("-j", "--threads", type=int, default=1, metavar="N",
                    help="workload threads (default 1)")
    ap.add_argument("--hold", type=float, default=0.0, metavar="SEC",
                    help="after the workload, keep the threads (and their "
                         "keys) SEC seconds, waking every 10 ms, for a BPF "
                         "program that reads at context switches")
    ap.add_argument("--hint", choices=sorted(HINTS),
                    help="the workload threads' scheduling hint; while "
                         "collecting, a thread is never below normal")
    args = ap.parse_args(argv)
    if not 0 < args.time <= 3600:
        ap.error("-t: seconds from more than 0 to 3600")
    if not 1 <= args.threads <= 64:
        ap.error("-j: 1 to 64 threads")
    if not 0 <= args.hold <= 3600:
        ap.error("--hold: seconds from 0 to 3600")

    hint = HINTS[args.hint] if args.hint else None
    try:
        marker = GcMarker(hint)
        # Here rather than in a worker: uls's errors before the workload.
        marker.attach(set_hint=False)
    except uls.Error as e:
        print(f"gc_hints: {e}", file=sys.stderr)
        return 1
    print(f"gc_hints: uls {uls.version()}, Python "
          f"{sys.version.split()[0]}; key {GC_KEY!r}: {marker.key.size} "
          f"bytes at offset {marker.key.offset}; hint: "
          f"{args.hint or 'none'}")
    print(f"gc_hints: {args.threads} thread(s) making cyclic garbage for "
          f"{args.time:g} s")

    before = sum(s["collections"] for s in gc.get_stats())
    results: list = []
    errors: list = []
    barrier = threading.Barrier(args.threads + 1) if args.hold else None
    gc.callbacks.append(marker.callback)
    try:
        threads = [threading.Thread(target=worker, name=f"worker-{i}",
                                    args=(marker, args.time, args.hold,
                                          barrier, results, errors))
                   for i in range(args.threads)]
        for t in threads:
            t.start()
        if barrier:
            try:
                barrier.wait()
                print(f"gc_hints: pid {os.getpid()}: workload done, "
                      f"holding for {args.hold:g} s", flush=True)
            except threading.BrokenBarrierError:
                pass
        for t in threads:
            t.join()
    finally:
        gc.callbacks.remove(marker.callback)
    after = sum(s["collections"] for s in gc.get_stats())
    if errors:
        print(f"gc_hints: {errors[0]}", file=sys.stderr)
        return 1

    total = seen = ns = 0
    for r in sorted(results, key=lambda r: str(r["thread"])):
        by_gen = r["by_gen"]
        line = (f"{r['thread']} (tid {r['tid']}): {r['collections']} "
                f"collections (gen0 "
                f"{by_gen[0]}, gen1 {by_gen[1]}, gen2 {by_gen[2]}), "
                f"{r['gc_ns_total'] / 1e9:.3f} s in GC "
                f"({100 * r['gc_ns_total'] / 1e9 / args.time:.1f}% of "
                f"{args.time:g} s), in_gc={r['in_gc']}, "
                f"{r['made']} cycles made")
        if r["hint"] is not None:
            h = r["hint"]
            cls = getattr(h.cls, "name", str(h.cls)).lower()
            line += (f"; hint now {cls}, raised to normal "
                     f"for {r['raised']} collections")
        print(line)
        total += r["collections"]
        seen += r["seen"]
        ns += r["gc_ns_total"]
    print(f"total: {total} collections, {ns / 1e9:.3f} s in GC, in the "
          f"keys; the callbacks counted {seen}; gc.get_stats() counted "
          f"{after - before} in the process")
    if total == 0:
        print("gc_hints: no collection was seen", file=sys.stderr)
        return 1
    if total != seen:
        print("gc_hints: the keys disagree with the callbacks",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
