# SPDX-License-Identifier: GPL-2.0
#
# gnuplot -c ratios.gp PNG DATA TITLE SUBTITLE WIDTH YMIN YMAX
#
# A bar per line of DATA ("X LABEL VALUE LO HI TARGET COLOUR TOP", as
# report.py writes it) on a log-scale y axis: the ratio, its spread as an
# error bar (LO = HI = VALUE when there is none), its target as a short
# black line (TARGET NaN when there is none), the value written at TOP,
# the higher of HI and TARGET. COLOUR (an RGB number) says whether the
# target is met. YMIN and YMAX (> 0): the least and greatest of all
# these, the y range is set from them. (An expression of a column of NaN
# only crashes gnuplot 5.4, hence TOP.)

if (strstrt(GPVAL_TERMINALS, " pngcairo ")) {
	set terminal pngcairo noenhanced size ARG5, 560 font ",10"
} else {
	set terminal png noenhanced size ARG5, 560
}
set output ARG1
set title ARG3."\n".ARG4
set ylabel "ratio (log scale)"
set logscale y
set format y "%g"
set grid ytics
set key outside top center horizontal
set style fill solid 0.6 border -1
set boxwidth 0.6
set xtics rotate by -25 nomirror
set bmargin 7
stats ARG2 using 1 nooutput
set xrange [-0.6 : STATS_max + 0.6]
ymin = real(ARG6) < 1 ? real(ARG6) : 1
ymax = real(ARG7) > 1 ? real(ARG7) : 1
set yrange [10**floor(log10(ymin) - 0.25) : 10**ceil(log10(ymax) + 0.25)]
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "gray40"
plot ARG2 using 1:3:7:xtic(2) with boxes lc rgb variable notitle, \
     '' using 1:3:4:5 with yerrorbars lc rgb "black" pt 7 ps 0.4 lw 1.5 \
        notitle, \
     '' using ($1 - 0.4):6:(0.8):(0) with vectors nohead lc rgb "black" \
        lw 3 title "target", \
     '' using 1:8:(sprintf("%.3g", $3)) with labels \
        offset 0, 0.8 notitle, \
     NaN with boxes lc rgb "#2ca02c" title "target met", \
     NaN with boxes lc rgb "#d62728" title "target missed", \
     NaN with boxes lc rgb "#8c8c8c" title "no target"
