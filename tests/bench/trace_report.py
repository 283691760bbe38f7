#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# trace_report.py RESULTS [TOP]
#
# The tables of make bench-trace, from uls_thread_trace's lines
# (tests/bench/thread_trace.c), on stdout: each kind of thread timed one
# at a time, the kinds taking turns; the counters per thread, plain
# and with an area, and their difference; the time per task (comm) in the
# traced batches; the TOP (25) functions by self time in each kind; and
# the TOP functions by how much more self time (then calls) a thread with
# an area costs than a plain one, all per thread. Times are ns, which in
# deterministic mode (-icount shift 0) are instructions.
import sys
from collections import defaultdict


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: trace_report.py RESULTS [TOP]")
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    count = defaultdict(dict)
    funcs = defaultdict(dict)
    tasks = defaultdict(dict)
    traced = {}
    per = {}
    info = []
    bad = []
    for line in open(sys.argv[1], errors="replace"):
        w = line.split()
        if not w:
            continue
        if w[0] == "TCOUNT" and len(w) == 4:
            count[w[2]][w[1]] = float(w[3])
        elif w[0] == "TPER" and len(w) == 6:
            per[w[1]] = [float(x) for x in w[2:]]
        elif w[0] == "TFUNC" and len(w) == 8:
            funcs[w[1]][w[2]] = (int(w[3]), float(w[4]), float(w[5]),
                                 int(w[6]), int(w[7]))
        elif w[0] == "TTASK" and len(w) == 4:
            tasks[w[1]][w[2]] = float(w[3])
        elif w[0] == "TTRACED" and len(w) == 7:
            traced[w[1]] = [int(float(x)) for x in w[2:]]
        elif w[0] == "INFO":
            info.append(" ".join(w[1:]))
        elif line.startswith("not ok"):
            bad.append(line.rstrip())

    out = []
    p = out.append
    p("# make bench-trace: " + "; ".join(info))
    for b in bad:
        p(b)
    if per.get("plain"):
        base = per["plain"][0]
        p("")
        p("## One thread at a time, the kinds taking turns (untraced)")
        p("")
        p("The median is a thread's own cost, cold: it leaves out the "
          "threads the deferred frees landed on, which the mean keeps. "
          "register2: two register and unregister pairs, the second warm; "
          "syscall2: two getppid(), system calls uls has no part in.")
        p("")
        p("| kind | median | p25 | p75 | mean | median - plain | "
          "median / plain |")
        p("|---|---:|---:|---:|---:|---:|---:|")
        for k, v in per.items():
            p(f"| {k} | " + " | ".join(f"{x:.0f}" for x in v) +
              f" | {v[0] - base:+.0f} | {v[0] / base:.3f} |")
    p("")
    p("## Counters per thread (median of the rounds, untraced)")
    p("")
    p("Kinds: plain; area, uls_area(64); register, uls_register() and "
      "uls_unregister() of 64 bytes on the stack; info2, two ULS_IOC_INFO "
      "(system calls that do next to nothing).")
    p("")
    p("| counter | plain | area | register | info2 | area - plain |")
    p("|---|---:|---:|---:|---:|---:|")
    for name in sorted(count, key=lambda n: (n != "time.ns", n)):
        c = count[name]
        v = [c.get(k, 0.0) for k in ("plain", "area", "register", "info2")]
        if name != "time.ns" and max(abs(x - v[0]) for x in v) < 0.005:
            continue
        p(f"| {name} | " + " | ".join(f"{x:.3f}" for x in v) +
          f" | {v[1] - v[0]:+.3f} |")
    if "time.ns" in count and count["time.ns"].get("plain"):
        c = count["time.ns"]
        p("")
        p(f"ratio area/plain: {c['area'] / c['plain']:.4f}; of area - plain "
          f"({c['area'] - c['plain']:.0f} ns): two system calls that do "
          f"nothing {c.get('info2', 0) - c['plain']:.0f}, the module's work "
          f"beyond them {c.get('register', 0) - c.get('info2', 0):.0f}, "
          f"libuls's {c['area'] - c.get('register', 0):.0f}")

    if not traced:
        print("\n".join(out))
        return
    n = {k: v[0] for k, v in traced.items()}
    p("")
    p("## Traced batches (function_graph, system-wide)")
    p("")
    p("| kind | threads | trace lines | returns without entry | overruns "
      "| ns per thread traced | untraced | calls per thread |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|")
    # The tracer's cost per traced call: what tracing added to the batch,
    # over the calls it traced (idle's are none of them).
    cost = {}
    leaf = []
    for name, f in funcs.get("plain", {}).items():
        if f[3] == 0 and f[0] >= 100:
            leaf.append(f[2] / f[0])
    # What a traced call costs inside its own duration: the cheapest leaf's.
    inner = min(leaf) if leaf else 0.0
    for k, v in traced.items():
        calls = sum(f[0] for f in funcs.get(k, {}).values()) / v[0]
        plain_ns = count.get("time.ns", {}).get(k, 0.0)
        cost[k] = (v[4] - plain_ns) / calls if calls and plain_ns else 0.0
        p(f"| {k} | " + " | ".join(str(x) for x in v) +
          f" | {plain_ns:.0f} | {calls:.0f} |")
    ovh = cost.get("plain", 0.0)
    p("")
    p(f"The tracer's cost per call, from the plain batch: {ovh:.0f} ns, of "
      f"which {inner:.0f} inside the call's own duration (the cheapest "
      "leaf's). \"est.\" columns take it out: self less the inner cost "
      "per call and the outer per call it made; with callees less the inner "
      "cost per call and the whole per call below it: what the function "
      "would have taken untraced (an estimate; the calls are exact).")

    def est(f):
        calls, incl, self, kids, desc = f
        return (self - inner * calls - (ovh - inner) * kids,
                incl - inner * calls - ovh * desc)
    p("")
    p("On-CPU kernel time per thread, by task (comm cut to 7 characters by"
      " ftrace; <idle> is halting, no work; the tracer's cost included):")
    p("")
    p("| task | plain | area | area - plain |")
    p("|---|---:|---:|---:|")
    comms = set(tasks.get("plain", {})) | set(tasks.get("area", {}))

    def per(kind, d, key, i=None):
        v = d.get(kind, {}).get(key)
        if v is None:
            return 0.0
        if i is not None:
            v = v[i]
        return v / n.get(kind, 1)

    tot = {"plain": 0.0, "area": 0.0}
    for c in sorted(comms, key=lambda c: -per("area", tasks, c) - per("plain", tasks, c)):
        a, b = per("plain", tasks, c), per("area", tasks, c)
        if c != "<idle>":
            tot["plain"] += a
            tot["area"] += b
        p(f"| {c} | {a:.0f} | {b:.0f} | {b - a:+.0f} |")
    p(f"| all but idle | {tot['plain']:.0f} | {tot['area']:.0f} | "
      f"{tot['area'] - tot['plain']:+.0f} |")

    for kind in ("plain", "area"):
        p("")
        p(f"## Top {top} functions by self time, {kind} (per thread)")
        p("")
        p("| function | calls | self ns | self est. | ns with callees | with callees est. |")
        p("|---|---:|---:|---:|---:|---:|")
        fs = sorted(funcs.get(kind, {}).items(), key=lambda kv: -kv[1][2])
        for name, f in fs[:top]:
            k = n[kind]
            calls, incl, self = f[:3]
            p(f"| {name} | {calls / k:.2f} | {self / k:.0f} | "
              f"{est(f)[0] / k:.0f} | {incl / k:.0f} | {est(f)[1] / k:.0f} |")

    names = set(funcs.get("plain", {})) | set(funcs.get("area", {}))
    rows = []
    zero = (0, 0.0, 0.0, 0, 0)
    for name in names:
        d = [per("area", funcs, name, i) - per("plain", funcs, name, i)
             for i in range(3)]
        e = [(est(funcs.get("area", {}).get(name, zero))[i] / n["area"] -
              est(funcs.get("plain", {}).get(name, zero))[i] / n["plain"])
             for i in range(2)]
        rows.append((name, d + e, per("plain", funcs, name, 0),
                     per("area", funcs, name, 0)))
    p("")
    p(f"## Top {top} differences, area - plain, by estimated self time (per thread)")
    p("")
    p("| function | calls plain | calls area | self ns diff | self est. diff "
      "| ns with callees diff |")
    p("|---|---:|---:|---:|---:|---:|")
    for name, d, cp, ca in sorted(rows, key=lambda r: -abs(r[1][3]))[:top]:
        p(f"| {name} | {cp:.2f} | {ca:.2f} | {d[2]:+.0f} | "
          f"{d[3]:+.0f} | {d[1]:+.0f} |")
    p("")
    p(f"## Top {top} differences by estimated time with callees (per thread)")
    p("")
    p("| function | calls plain | calls area | ns with callees diff | est. diff |")
    p("|---|---:|---:|---:|---:|")
    for name, d, cp, ca in sorted(rows, key=lambda r: -abs(r[1][4]))[:top]:
        p(f"| {name} | {cp:.2f} | {ca:.2f} | {d[1]:+.0f} | {d[4]:+.0f} |")
    p("")
    p(f"## Top {top} differences in calls (per thread)")
    p("")
    p("| function | calls plain | calls area | diff | self ns diff |")
    p("|---|---:|---:|---:|---:|")
    for name, d, cp, ca in sorted(rows, key=lambda r: -abs(r[1][0]))[:top]:
        p(f"| {name} | {cp:.2f} | {ca:.2f} | {d[0]:+.2f} | {d[2]:+.0f} |")
    print("\n".join(out))


main()
