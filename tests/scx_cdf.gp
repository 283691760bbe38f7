# SPDX-License-Identifier: GPL-2.0
#
# gnuplot -e "dir='DIR'" scx_cdf.gp
#
# make demo-scx's plot: the CDF of one thread's wake-up latency in each
# run of the demo, from DIR/LABEL.dat ("US FRACTION", sorted, as hintlat
# -o writes them), to DIR/cdf.png. Log-scale x: the runs differ by
# orders of magnitude in their tails.

if (strstrt(GPVAL_TERMINALS, " pngcairo ")) {
	set terminal pngcairo noenhanced size 900, 560 font ",10"
} else {
	set terminal png noenhanced size 900, 560
}
set output dir."/cdf.png"
set title "Wake-up latency of a thread woken every 1 ms, under 4 CPU hogs per CPU\n(the timer's expiry to running; make demo-scx, on the instruction clock: QEMU -icount, one vCPU)"
set xlabel "latency (us, log scale)"
set ylabel "fraction of wake-ups"
set logscale x
set format x "%g"
set yrange [0:1]
set grid xtics ytics
set key bottom right
files = system("ls ".dir."/*.dat")
plot for [f in files] f using 1:2 with lines linewidth 2 \
	title system("basename ".f." .dat")
