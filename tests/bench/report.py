#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py RESULTS_FILE OUT_DIR KERNEL_NAME

Turn what the benchmark wrote in the VM into files in OUT_DIR. It reads
  SAMPLE METRIC UNIT VALUE   one repetition of a measurement
  RATIO NAME VALUE, BYTES NAME VALUE, PAGES NAME VALUE   a final figure
  SPREAD NAME LO HI          p25 and p75 of the rounds of figure NAME
  INFO KEY VALUE...          a fact about the run
and ignores every other line. It writes samples.csv (metric,unit,round,
value), summary.csv (metric,unit,n,median,p25,p75,min,max; quartiles
interpolated linearly, as numpy's), results.csv (kind,name,value,lo,hi,
target,met; the targets are TARGETS below), results.json (all of it),
and with gnuplot (bars.gp, ratios.gp) one bar chart per metric prefix
(lookup.png, user.png, ...: median and p25..p75) and ratios.png; the
mutex benchmark's samples (mutex.WHAT.CS.Nx.KIND) in mutex.png instead
(mutex.gp: throughput and p99 per kind and thread count). On
stdout: each figure as "KIND NAME VALUE", a table of them with spread,
target and whether it is met, and "bench: results in OUT_DIR". Exit
status 1 if the file has no figure at all (the files are written all the
same), 2 if it cannot be read.

Only the standard library: this runs on the host of make bench, where
Debian's python3 is all there is.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# The targets: a figure NAME meets its target when it is OP BOUND. A
# figure without one here has no target.
TARGETS = {
    "get_vs_task_storage": "<=1.0",
    "get_vs_uptr": "<=1.0",
    "get_10k_vs_10": "<=1.15",
    "syscall_update_vs_store": ">=1000",
    "register_vs_uptr": "<=1.0",
    "thread_create_with_area": "<=1.10",
    "per_thread_kernel": "<=128",
    "pinned_per_64_threads": "<=1",
    "key_get_vs_get": "<=1.5",
    "key_get_vs_tld": "<=1.0",
    "key_ptr_vs_tls": "<=2.0",
    "mutex_throughput_vs_pthread_2x": ">=1.2",
    "mutex_p99_vs_pthread_2x": "<=1.0",
    "mutex_throughput_vs_pthread_1x": ">=0.95",
    "hint_update_vs_task_storage": ">=1000",
    "hint_p99_vs_nohint": "<=0.5",
    "hint_p99_vs_default": "<=0.5",
    "monitor_read_10k_vs_iter": "<=0.1",
}
OPS = {
    "<=": lambda v, b: v <= b,
    ">=": lambda v, b: v >= b,
    "<": lambda v, b: v < b,
    ">": lambda v, b: v > b,
}
FIGURES = ("RATIO", "BYTES", "PAGES")

SUBTITLE = "emulated VM (QEMU TCG): compare ratios, not absolute times"
# In the deterministic mode (INFO clock icount SHIFT), set by plot().
SUBTITLE_ICOUNT = ("emulated VM (QEMU TCG), deterministic: each "
                   "instruction executed counts %d ns")
subtitle = SUBTITLE
# The colours of ratios.png's bars: target met, missed, none.
MET_RGB = {"yes": 2924588, "no": 14034728, "": 9211020}

NUMBER = re.compile(r"[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?")
JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][-+]?[0-9]+)?")
# Fields are split on blanks only: a \v or \f belongs to its field.
FIELD = re.compile(r"[^ \t\n]+")
INFO_HEAD = re.compile(r"[ \t]*INFO[ \t]+[^ \t]+[ \t]*")
# The result file's bytes go through as they are, whatever their encoding.
ENC = {"encoding": "utf-8", "errors": "surrogateescape"}


def isnum(s):
    return NUMBER.fullmatch(s) is not None


def cfmt(fmt, x):
    """x formatted as C's printf would: a NaN keeps its sign."""
    if math.isnan(x):
        return "-nan" if math.copysign(1, x) < 0 else "nan"
    return fmt % x


def g(x):
    return cfmt("%.10g", x)


def plot_num(x):
    """A plot range bound: an integer in full up to 2^31, else %.6g (awk's
    format, which the awk version of this script passed gnuplot)."""
    if math.isfinite(x) and x.is_integer() and abs(x) <= 2147483647:
        return "%d" % x
    return cfmt("%.6g", x)


def jnum(s):
    """s as a JSON number: as written when it is one already, else null."""
    if not isnum(s):
        return "null"
    if JSON_NUMBER.fullmatch(s):
        return s
    s = cfmt("%.17g", float(s))
    return s if re.match(r"-?[0-9]", s) else "null"


def jstr(s):
    out = []
    for c in s:
        if c in '\\"':
            out.append("\\" + c)
        elif ord(c) < 32 or ord(c) == 127:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def csv(s):
    if "," not in s and '"' not in s:
        return s
    return '"' + s.replace('"', '""') + '"'


def quant(a, p):
    """The p-quantile of the sorted list a, interpolated linearly."""
    pos = (len(a) - 1) * p
    lo = int(pos)
    if lo + 1 >= len(a):
        return a[-1]
    return a[lo] + (pos - lo) * (a[lo + 1] - a[lo])


def split_target(t):
    """(OP, BOUND) of a target "OPBOUND"."""
    m = re.fullmatch(r"(<=|>=|<|>)(.+)", t)
    return m.group(1), m.group(2)


def met(v, t):
    if not t:
        return ""
    op, bound = split_target(t)
    return "yes" if OPS[op](float(v), float(bound)) else "no"


class Run:
    """What one results file holds, in the order it first says it."""

    def __init__(self):
        self.metrics = {}       # metric: (unit, [value string, ...])
        self.figures = []       # (kind, name, value string)
        self.spread = {}        # name: (lo string, hi string)
        self.info = {}          # key: value

    def read(self, path):
        with open(path, newline="", **ENC) as f:
            lines = f.read().split("\n")
        if lines[-1] == "":
            lines.pop()
        for nr, line in enumerate(lines, 1):
            if line.endswith("\r"):
                line = line[:-1]
            msg = self.parse(line)
            if msg:
                print("report: %s:%d: %s" % (path, nr, msg),
                      file=sys.stderr)

    def parse(self, line):
        """Take in one line; a warning about it, or None."""
        f = FIELD.findall(line)
        if not f:
            return None
        if f[0] == "SAMPLE":
            if len(f) != 4 or not isnum(f[3]):
                return "bad SAMPLE line, ignored"
            m, unit, value = f[1:]
            have = self.metrics.setdefault(m, (unit, []))
            have[1].append(value)
            if have[0] != unit:
                return "%s in %s and in %s, taken as %s" % (
                    m, unit, have[0], have[0])
        elif f[0] in FIGURES:
            if len(f) != 3 or not isnum(f[2]):
                return "bad %s line, ignored" % f[0]
            self.figures.append(tuple(f))
        elif f[0] == "SPREAD":
            if len(f) != 4 or not isnum(f[2]) or not isnum(f[3]):
                return "bad SPREAD line, ignored"
            self.spread[f[1]] = (f[2], f[3])
        elif f[0] == "INFO" and len(f) >= 2:
            self.info[f[1]] = INFO_HEAD.sub("", line, count=1)
        return None

    def summary(self):
        """metric: (unit, n, median, p25, p75, min, max), numbers as %.10g"""
        s = {}
        for m, (unit, values) in self.metrics.items():
            # + 0: a sample of -0 is 0
            a = sorted(float(v) + 0 for v in values)
            s[m] = (unit, len(a), g(quant(a, 0.5)), g(quant(a, 0.25)),
                    g(quant(a, 0.75)), g(a[0]), g(a[-1]))
        return s

    def results(self):
        """(kind, name, value, lo, hi, target, met), "" where none"""
        r = []
        for kind, name, value in self.figures:
            lo, hi = self.spread.get(name, ("", ""))
            t = TARGETS.get(name, "")
            r.append((kind, name, value, lo, hi, t, met(value, t)))
        return r


def write(path, text):
    with open(path, "w", **ENC) as f:
        f.write(text)


def write_files(out, run, summary, results, kernel):
    rows = ["metric,unit,round,value"]
    for m, (unit, values) in run.metrics.items():
        rows += ["%s,%s,%d,%s" % (csv(m), csv(unit), i, v)
                 for i, v in enumerate(values)]
    write(os.path.join(out, "samples.csv"), "\n".join(rows) + "\n")

    rows = ["metric,unit,n,median,p25,p75,min,max"]
    rows += [",".join((csv(m), csv(s[0]), str(s[1])) + s[2:])
             for m, s in summary.items()]
    write(os.path.join(out, "summary.csv"), "\n".join(rows) + "\n")

    rows = ["kind,name,value,lo,hi,target,met"]
    rows += [",".join((r[0], csv(r[1])) + r[2:]) for r in results]
    write(os.path.join(out, "results.csv"), "\n".join(rows) + "\n")

    def items(lst):
        return "".join(("," if i else "") + "\n    " + x
                       for i, x in enumerate(lst)) + ("\n  " if lst else "")

    info = ["%s: %s" % (jstr(k), jstr(v)) for k, v in run.info.items()]
    res = ['{"kind": %s, "name": %s, "value": %s, "lo": %s, "hi": %s, '
           '"target": %s, "met": %s}' % (
               jstr(kind), jstr(name), jnum(value), jnum(lo), jnum(hi),
               jstr(t) if t else "null",
               {"yes": "true", "no": "false"}.get(ok, "null"))
           for kind, name, value, lo, hi, t, ok in results]
    mets = ['{"metric": %s, "unit": %s, "n": %d, "median": %s, "p25": %s, '
            '"p75": %s, "min": %s, "max": %s}' % (
                (jstr(m), jstr(s[0]), s[1]) + tuple(jnum(x) for x in s[2:]))
            for m, s in summary.items()]
    date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    write(os.path.join(out, "results.json"),
          '{\n  "kernel": %s,\n  "date": %s,\n  "info": {%s},\n'
          '  "results": [%s],\n  "metrics": [%s]\n}\n' % (
              jstr(kernel), jstr(date), items(info), items(res), items(mets)))


def check_json(path):
    """results.json is written by hand, to keep its lines short and its
    numbers as the benchmark wrote them: make sure it parses (it does not
    where the results file has bytes that are not UTF-8)."""
    try:
        with open(path, encoding="utf-8") as f:
            json.load(f)
    except ValueError as e:
        sys.exit("report: %s is not valid JSON: %s" % (path, e))


def bar_groups(summary):
    """The bar charts: {prefix: [unit, [data line, ...], all p25 > 0, least
    p25, greatest p75]}, a chart per prefix of the metric names, without
    the empty loop (the baseline the others are net of)."""
    groups = {}
    for m, (unit, _, med, p25, p75, mn, mx) in summary.items():
        prefix, dot, label = m.partition(".")
        if not dot:
            label = m
        if label == "empty" or prefix == "mutex":
            continue
        p = re.sub(r"[^A-Za-z0-9_-]", "_", prefix if dot and prefix
                   else "other")
        lo, hi = float(p25), float(p75)
        if p not in groups:
            groups[p] = [unit, [], True, lo, hi]
        grp = groups[p]
        grp[1].append('%d "%s" %s %s %s %s %s' % (
            len(grp[1]), label.replace('"', ""), med, p25, p75, mn, mx))
        grp[2] = grp[2] and lo > 0
        grp[3] = min(grp[3], lo)
        grp[4] = max(grp[4], hi)
    return groups


def ratio_bars(results):
    """ratios.png's data lines and y range: its bars, their spread and
    their targets (those > 0, the scale is log)."""
    lines = []
    span = []
    for i, (kind, name, value, lo, hi, t, ok) in enumerate(
            r for r in results if r[0] == "RATIO"):
        bound = split_target(t)[1] if t else ""
        span += [float(x) for x in (value, lo, hi, bound) if x]
        top = hi or value
        if bound and float(bound) > float(top):
            top = bound
        lines.append('%d "%s" %s %s %s %s %d %s' % (
            i, name.replace('"', ""), value, lo or value, hi or value,
            bound or "NaN", MET_RGB[ok], top))
    span = [x for x in span if x > 0] or [1.0]
    return lines, plot_num(min(span)), plot_num(max(span))


def gnuplot(script, png, data, title, *args):
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run(["gnuplot", "-c", os.path.join(here, script), png,
                        data, title, subtitle] + list(args),
                       stderr=subprocess.PIPE, **ENC)
    if p.returncode:
        sys.stderr.write(p.stderr)
        sys.exit("report: gnuplot failed to draw %s" % png)


def width(n):
    return str(max(n * 90 + 240, 640))


def set_subtitle(info):
    """The plots' subtitle: what a guest ns is in this run."""
    global subtitle
    f = info.get("clock", "").split()
    subtitle = SUBTITLE
    if len(f) == 2 and f[0] == "icount" and f[1].isdigit():
        subtitle = SUBTITLE_ICOUNT % (1 << int(f[1]))


def mutex_mode(info):
    """Which TCG mode the mutex figures come from, for a title."""
    if "tcg" not in info:
        return ""
    return "; mutex_*, feed_*: %s-threaded TCG" % info["tcg"]


def plot(out, kernel, summary, results, info):
    set_subtitle(info)
    with tempfile.TemporaryDirectory(prefix="uls-report.") as tmp:
        plot_mutex(out, kernel, summary, info, tmp)
        groups = bar_groups(summary)
        if not groups and not mutex_blocks(summary):
            print("report: no SAMPLE line, no bar charts", file=sys.stderr)
        # lookup.* on a linear scale, the rest (user.*: 1 ns to 100 us)
        # on a log scale when they can be (all positive)
        global subtitle
        run_subtitle = subtitle
        for p, (unit, lines, positive, lo, hi) in groups.items():
            log = p != "lookup" and positive
            subtitle = run_subtitle
            if p == "lookup":
                ylabel = unit + " per lookup, net of an empty loop (TCG)"
            elif p == "scx":
                # bench.sh runs scx_hints's VM on the instruction clock:
                # the run's, or 1 ns an instruction in the default mode.
                if subtitle == SUBTITLE:
                    subtitle = SUBTITLE_ICOUNT % 1
                ylabel = unit + " of wake-up latency" + (
                    ", log scale" if log else "")
            else:
                ylabel = unit + " per operation (TCG)" + (
                    ", log scale" if log else "")
            data = os.path.join(tmp, "group.%s.dat" % p)
            write(data, "\n".join(lines) + "\n")
            gnuplot("bars.gp", os.path.join(out, p + ".png"), data,
                    "%s: %s.* median, error bars p25..p75%s" % (
                        kernel, p, ", log scale" if log else ""),
                    ylabel, "1" if log else "0", width(len(lines)),
                    plot_num(lo), plot_num(hi))

        subtitle = run_subtitle
        lines, lo, hi = ratio_bars(results)
        if not lines:
            print("report: no RATIO line, no ratios.png", file=sys.stderr)
            return
        data = os.path.join(tmp, "ratios.dat")
        write(data, "\n".join(lines) + "\n")
        gnuplot("ratios.gp", os.path.join(out, "ratios.png"), data,
                "%s: ratios, both sides in the same VM run, error bars "
                "p25..p75 of the rounds%s" % (kernel, mutex_mode(info)),
                width(len(lines)), lo, hi)


MUTEX_KINDS = ("uls", "uls_off", "pthread", "adaptive", "ttas")
MUTEX_CS = ("1us", "10us")
MUTEX_MULT = ("1x", "2x", "4x")


def mutex_blocks(summary):
    """mutex.gp's data: throughput and p99 medians per CS, a line per
    thread count, a column per kind; None without such samples."""
    blocks = []
    for what in ("tput", "p99"):
        for cs in MUTEX_CS:
            lines = []
            for m in MUTEX_MULT:
                v = [summary.get("mutex.%s.%s.%s.%s" % (what, cs, m, k))
                     for k in MUTEX_KINDS]
                lines.append(" ".join(['"%s CPUs"' % m] +
                                      [x[2] if x else "NaN" for x in v]))
            blocks.append("\n".join(lines))
    if not any("mutex.tput." in m for m in summary):
        return None
    return "\n\n\n".join(blocks) + "\n"


def plot_mutex(out, kernel, summary, info, tmp):
    text = mutex_blocks(summary)
    if text is None:
        return
    data = os.path.join(tmp, "mutex.dat")
    write(data, text)
    tcg = info.get("tcg", "unknown")
    gnuplot("mutex.gp", os.path.join(out, "mutex.png"), data,
            "%s: uls_mutex_bench, median of %s rounds, %s CPUs, %s-threaded "
            "TCG" % (kernel, info.get("mutex_rounds", "?"),
                     info.get("mutex_cpus", "?"), tcg),
            " ".join(MUTEX_KINDS))


def print_table(results):
    for kind, name, value, *_ in results:
        print(kind, name, value)
    if not results:
        return
    rows = [("name", "value", "spread", "target", "met")]
    rows += [(name, value, lo + ".." + hi if lo else "-", t or "-",
              ok or "-") for _, name, value, lo, hi, t, ok in results]
    w = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("%-*s  %*s  %-*s  %-*s  %s" % (w[0], r[0], w[1], r[1],
                                           w[2], r[2], w[3], r[3], r[4]))


def main():
    ap = argparse.ArgumentParser(
        description="Write a benchmark run's CSV, JSON and plots.")
    ap.add_argument("results", metavar="RESULTS_FILE",
                    help="the result lines of uls_bench")
    ap.add_argument("out", metavar="OUT_DIR")
    ap.add_argument("kernel", metavar="KERNEL_NAME")
    args = ap.parse_args()
    sys.stdout.reconfigure(errors="surrogateescape")
    sys.stderr.reconfigure(errors="surrogateescape")

    run = Run()
    try:
        run.read(args.results)
    except OSError as e:
        print("report: cannot read %s: %s" % (args.results, e.strerror),
              file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    for png in ("lookup.png", "user.png", "ratios.png", "mutex.png"):
        try:
            os.remove(os.path.join(args.out, png))
        except FileNotFoundError:
            pass

    summary = run.summary()
    results = run.results()
    write_files(args.out, run, summary, results, args.kernel)
    print_table(results)
    sys.stdout.flush()
    check_json(os.path.join(args.out, "results.json"))
    if shutil.which("gnuplot"):
        plot(args.out, args.kernel, summary, results, run.info)
    else:
        print("report: no gnuplot (Debian: gnuplot-nox), no plots",
              file=sys.stderr)

    if not results:
        print("report: no RATIO, BYTES or PAGES line in %s" % args.results,
              file=sys.stderr)
        return 1
    print("bench: results in %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
