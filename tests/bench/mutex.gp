# SPDX-License-Identifier: GPL-2.0
#
# gnuplot -c mutex.gp PNG DATA TITLE SUBTITLE KINDS
#
# The mutex benchmark (uls_mutex_bench) in four panels: throughput and
# p99 of lock() for a critical section of 1 us and of 10 us, each a
# cluster of bars per thread count (1x, 2x, 4x the CPUs), a bar per kind
# of lock, the median of the rounds. DATA, as report.py writes it: four
# blocks separated by two blank lines (tput 1us, tput 10us, p99 1us, p99
# 10us), each a line per thread count: "LABEL V1 V2 ..." in the order of
# KINDS (a space-separated list), the label "Nx CPUs" (N threads per
# CPU). p99 on a log scale.

if (strstrt(GPVAL_TERMINALS, " pngcairo ")) {
	set terminal pngcairo noenhanced size 1200, 900 font ",10"
} else {
	set terminal png noenhanced size 1200, 900
}
set output ARG1
nk = words(ARG5)
set multiplot layout 2, 2 title ARG3."\n".ARG4
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.7 border -1
set grid ytics
set key top left horizontal font ",9"
set yrange [0 : *]
set ylabel "thousand acquisitions/s"
set title "throughput, critical section 1 us (half as much work outside, on average)"
plot for [k = 1:nk] ARG2 index 0 using (column(k + 1)):xtic(1) title word(ARG5, k)
set title "throughput, critical section 10 us"
plot for [k = 1:nk] ARG2 index 1 using (column(k + 1)):xtic(1) title word(ARG5, k)
set logscale y
set format y "%g"
set yrange [* : *]
set ylabel "us (log scale)"
set title "lock() latency p99, critical section 1 us"
plot for [k = 1:nk] ARG2 index 2 using (column(k + 1)):xtic(1) title word(ARG5, k)
set title "lock() latency p99, critical section 10 us"
plot for [k = 1:nk] ARG2 index 3 using (column(k + 1)):xtic(1) title word(ARG5, k)
unset multiplot
