#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""spread.py OUT_DIR MODE RUN_DIR...

make bench-spread: how far each figure moved between runs of make bench.
Each RUN_DIR is one run's output (RUN_DIR/KVER/results.csv, as report.py
writes it); MODE ("default" or "deterministic") names the runs in the
output. For every figure of every kernel (RATIO, BYTES, PAGES lines): its
value in each run, their median, and how far they moved, (max - min) /
median (none for a figure only one run has), next to the figure's target and whether every run met it.
Writes OUT_DIR/spread.csv (mode,kernel,name,runs,values,median,moved,
target,met_in) and prints the table as markdown, the README's. Exit
status 1 if a run or kernel has no results.csv, 2 on bad usage.

Only the standard library, as report.py.
"""
import csv
import os
import statistics
import sys


def read_run(run):
    """{kernel: {name: (kind, value, target, met)}} of one run."""
    figures = {}
    for kver in sorted(os.listdir(run)):
        path = os.path.join(run, kver, "results.csv")
        if not os.path.isfile(path):
            continue
        with open(path, newline="") as f:
            figures[kver] = {
                r["name"]: (r["kind"], float(r["value"]), r["target"], r["met"])
                for r in csv.DictReader(f)
            }
    return figures


def main(argv):
    if len(argv) < 4 or argv[2] not in ("default", "deterministic"):
        sys.stderr.write(__doc__.split("\n\n")[0] + "\n")
        return 2
    out, mode, runs = argv[1], argv[2], argv[3:]
    per_run = [read_run(r) for r in runs]
    kernels = sorted(set(k for fig in per_run for k in fig))
    missing = [(r, k) for r, fig in zip(runs, per_run) for k in kernels
               if k not in fig]
    if not kernels or missing:
        for r, k in missing:
            sys.stderr.write("spread: %s: no %s/results.csv\n" % (r, k))
        if not kernels:
            sys.stderr.write("spread: no results in %s\n" % " ".join(runs))
        return 1

    rows = []
    for kver in kernels:
        names = []
        for fig in per_run:
            names += [n for n in fig[kver] if n not in names]
        for name in names:
            got = [fig[kver][name] for fig in per_run if name in fig[kver]]
            values = [g[1] for g in got]
            med = statistics.median(values)
            # One run moves nowhere: no figure rather than 0.
            moved = ((max(values) - min(values)) / abs(med)
                     if med and len(values) > 1 else None)
            target = got[0][2]
            met = sum(1 for g in got if g[3] == "yes")
            rows.append((mode, kver, name, len(values), values, med, moved,
                         target, "%d/%d" % (met, len(got)) if target else ""))

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "spread.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mode", "kernel", "name", "runs", "values", "median",
                    "moved", "target", "met_in"])
        for r in rows:
            w.writerow(list(r[:4]) + [" ".join("%.4g" % v for v in r[4]),
                                      "%.4g" % r[5],
                                      "" if r[6] is None else "%.4f" % r[6]] +
                       list(r[7:]))

    print("| mode | kernel | figure | runs | median | moved | target | met |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s | %.4g | %s | %s | %s |" % (
            r[0], r[1], r[2], " ".join("%.4g" % v for v in r[4]), r[5],
            "-" if r[6] is None else "%.1f%%" % (100 * r[6]),
            r[7] or "-", r[8] or "-"))
    print("spread: %s, %d runs: %s" % (mode, len(runs),
                                        os.path.join(out, "spread.csv")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
