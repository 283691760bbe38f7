# SPDX-License-Identifier: GPL-2.0
#
# gnuplot -c bars.gp PNG DATA TITLE SUBTITLE YLABEL LOG WIDTH YMIN YMAX
#
# A bar per line of DATA ("X LABEL MEDIAN P25 P75 MIN MAX", as report.py
# writes it): the median, with an error bar from p25 to p75 and the
# median written above it. LOG 1 for a log-scale y axis (YMIN > 0).
# YMIN and YMAX: the least p25 and the greatest p75, the y range is set
# from them (gnuplot 5.4 can crash autoscaling an empty log range).

if (strstrt(GPVAL_TERMINALS, " pngcairo ")) {
	set terminal pngcairo noenhanced size ARG7, 520 font ",10"
} else {
	set terminal png noenhanced size ARG7, 520
}
set output ARG1
set title ARG3."\n".ARG4
set ylabel ARG5
set key off
set grid ytics
set style fill solid 0.6 border -1
set boxwidth 0.6
set xtics rotate by -25 nomirror
set bmargin 7
stats ARG2 using 1 nooutput
set xrange [-0.6 : STATS_max + 0.6]
ymin = real(ARG8)
ymax = real(ARG9)
if (ARG6 eq "1") {
	set logscale y
	set format y "%g"
	set yrange [10**floor(log10(ymin) - 0.3) : 10**ceil(log10(ymax) + 0.25)]
} else {
	set yrange [ymin < 0 ? 1.15 * ymin : 0 : ymax > 0 ? 1.15 * ymax : 1]
}
plot ARG2 using 1:3:xtic(2) with boxes lc rgb "#4c72b0", \
     '' using 1:3:4:5 with yerrorbars lc rgb "black" pt 7 ps 0.4 lw 1.5, \
     '' using 1:5:(sprintf("%.3g", $3)) with labels offset 0, 0.8
