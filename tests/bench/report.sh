#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# report.sh RESULTS_FILE OUT_DIR KERNEL_NAME
#
# Turn what the benchmark wrote in the VM into files in OUT_DIR. It reads
#   SAMPLE METRIC UNIT VALUE   one repetition of a measurement
#   RATIO NAME VALUE, BYTES NAME VALUE, PAGES NAME VALUE   a final figure
#   SPREAD NAME LO HI          p25 and p75 of the rounds of figure NAME
#   INFO KEY VALUE...          a fact about the run
# and ignores every other line. It writes samples.csv (metric,unit,round,
# value), summary.csv (metric,unit,n,median,p25,p75,min,max; quartiles
# interpolated linearly, as numpy's), results.csv (kind,name,value,lo,hi,
# target,met; the targets are the table below), results.json (all of it),
# and with gnuplot one bar chart per metric prefix (lookup.png, user.png,
# ...: median and p25..p75) and ratios.png. On stdout: each figure as
# "KIND NAME VALUE", a table of them with spread, target and whether it
# is met, and "bench: results in OUT_DIR". Exit status 1 if the file has
# no figure at all (the files are written all the same).
set -eu

usage() {
	sed -n '4s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -eq 3 ] || usage
results=$1 out=$2 kernel=$3
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -r "$results" ]; then
	echo "report: cannot read $results" >&2
	exit 2
fi

# The targets: "NAME OP BOUND", met when the figure NAME is OP BOUND
# (OP one of <= >= < >). A figure without a line here has no target.
targets='
get_vs_task_storage	<=1.0
get_vs_uptr		<=1.0
get_10k_vs_10		<=1.15
syscall_update_vs_store	>=1000
register_vs_uptr	<=1.0
thread_create_with_area	<=1.10
per_thread_kernel	<=128
pinned_per_64_threads	<=1
'

mkdir -p "$out"
rm -f "$out/lookup.png" "$out/user.png" "$out/ratios.png"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One pass: the CSV and JSON files into $out; what gnuplot plots into
# $tmp (group.PREFIX.dat, groups: "PREFIX UNIT N POSITIVE YMIN YMAX",
# ratios.dat, ratios.range: "YMIN YMAX"); the figures and their table on
# stdout. Exit 3 when there is no figure.
rc=0
R_OUT=$out R_TMP=$tmp R_KERNEL=$kernel R_TARGETS=$targets \
R_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) awk '
function isnum(s) {
	return s ~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/
}
# s as a JSON number, or null
function jnum(s) {
	if (s == "" || !isnum(s))
		return "null"
	if (s ~ /^-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][-+]?[0-9]+)?$/)
		return s
	s = sprintf("%.17g", s + 0)
	return s ~ /^-?[0-9]/ ? s : "null"
}
function jstr(s,	r, i, c) {
	r = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\" || c == "\"")
			r = r "\\" c
		else if (c in ctl)
			r = r sprintf("\\u%04x", ctl[c])
		else
			r = r c
	}
	return "\"" r "\""
}
function csv(s) {
	if (s !~ /[,"]/)
		return s
	gsub(/"/, "\"\"", s)
	return "\"" s "\""
}
function g(x) {
	return sprintf("%.10g", x)
}
# the p-quantile of the sorted a[1..n], interpolated linearly
function quant(a, n, p,	pos, lo, fr) {
	pos = (n - 1) * p
	lo = int(pos)
	fr = pos - lo
	if (lo + 1 >= n)
		return a[n]
	return a[lo + 1] + fr * (a[lo + 2] - a[lo + 1])
}
function met(v, t,	op, b) {
	if (t == "")
		return ""
	op = t
	sub(/[-+.0-9eE]+$/, "", op)
	b = substr(t, length(op) + 1) + 0
	v += 0
	if (op == "<=") return v <= b ? "yes" : "no"
	if (op == ">=") return v >= b ? "yes" : "no"
	if (op == "<") return v < b ? "yes" : "no"
	if (op == ">") return v > b ? "yes" : "no"
	return ""
}
function warn(m) {
	printf "report: %s:%d: %s\n", FILENAME, FNR, m > "/dev/stderr"
}
BEGIN {
	for (i = 1; i < 32; i++)
		ctl[sprintf("%c", i)] = i
	ctl[sprintf("%c", 127)] = 127
	n = split(ENVIRON["R_TARGETS"], tl, "\n")
	for (i = 1; i <= n; i++)
		if (split(tl[i], tf) == 2)
			target[tf[1]] = tf[2]
	out = ENVIRON["R_OUT"]
	tmp = ENVIRON["R_TMP"]
	nm = nr = ni = 0
}
{ sub(/\r$/, "") }
$1 == "SAMPLE" {
	if (NF != 4 || !isnum($4)) {
		warn("bad SAMPLE line, ignored")
		next
	}
	m = $2
	if (!(m in cnt)) {
		metrics[++nm] = m
		cnt[m] = 0
		unit[m] = $3
	} else if (unit[m] != $3)
		warn(m " in " $3 " and in " unit[m] ", taken as " unit[m])
	val[m, ++cnt[m]] = $4
	next
}
$1 == "RATIO" || $1 == "BYTES" || $1 == "PAGES" {
	if (NF != 3 || !isnum($3)) {
		warn("bad " $1 " line, ignored")
		next
	}
	nr++
	kind[nr] = $1
	name[nr] = $2
	value[nr] = $3
	next
}
$1 == "SPREAD" {
	if (NF != 4 || !isnum($3) || !isnum($4)) {
		warn("bad SPREAD line, ignored")
		next
	}
	slo[$2] = $3
	shi[$2] = $4
	next
}
$1 == "INFO" && NF >= 2 {
	k = $2
	sub(/^[ \t]*INFO[ \t]+[^ \t]+[ \t]*/, "")
	if (!(k in info))
		infok[++ni] = k
	info[k] = $0
	next
}
END {
	f = out "/samples.csv"
	print "metric,unit,round,value" > f
	for (i = 1; i <= nm; i++) {
		m = metrics[i]
		for (j = 1; j <= cnt[m]; j++)
			print csv(m) "," csv(unit[m]) "," j - 1 "," val[m, j] > f
	}
	close(f)

	f = out "/summary.csv"
	print "metric,unit,n,median,p25,p75,min,max" > f
	for (i = 1; i <= nm; i++) {
		m = metrics[i]
		n = cnt[m]
		for (j = 1; j <= n; j++) {
			x = val[m, j] + 0
			for (k = j - 1; k >= 1 && a[k] > x; k--)
				a[k + 1] = a[k]
			a[k + 1] = x
		}
		med[m] = g(quant(a, n, 0.5))
		p25[m] = g(quant(a, n, 0.25))
		p75[m] = g(quant(a, n, 0.75))
		mn[m] = g(a[1])
		mx[m] = g(a[n])
		print csv(m) "," csv(unit[m]) "," n "," med[m] "," p25[m] "," \
			p75[m] "," mn[m] "," mx[m] > f
	}
	close(f)

	f = out "/results.csv"
	print "kind,name,value,lo,hi,target,met" > f
	for (i = 1; i <= nr; i++) {
		nme = name[i]
		lo[i] = (nme in slo) ? slo[nme] : ""
		hi[i] = (nme in shi) ? shi[nme] : ""
		tg[i] = (nme in target) ? target[nme] : ""
		ok[i] = met(value[i], tg[i])
		print kind[i] "," csv(nme) "," value[i] "," lo[i] "," hi[i] "," \
			tg[i] "," ok[i] > f
	}
	close(f)

	f = out "/results.json"
	printf "{\n  \"kernel\": %s,\n  \"date\": %s,\n  \"info\": {", \
		jstr(ENVIRON["R_KERNEL"]), jstr(ENVIRON["R_DATE"]) > f
	for (i = 1; i <= ni; i++)
		printf "%s\n    %s: %s", (i > 1 ? "," : ""), jstr(infok[i]), \
			jstr(info[infok[i]]) > f
	printf "%s},\n  \"results\": [", (ni ? "\n  " : "") > f
	for (i = 1; i <= nr; i++)
		printf "%s\n    {\"kind\": %s, \"name\": %s, \"value\": %s, " \
			"\"lo\": %s, \"hi\": %s, \"target\": %s, \"met\": %s}", \
			(i > 1 ? "," : ""), jstr(kind[i]), jstr(name[i]),
			jnum(value[i]), jnum(lo[i]), jnum(hi[i]),
			(tg[i] == "" ? "null" : jstr(tg[i])),
			(ok[i] == "" ? "null" : ok[i] == "yes" ? "true" : "false") > f
	printf "%s],\n  \"metrics\": [", (nr ? "\n  " : "") > f
	for (i = 1; i <= nm; i++) {
		m = metrics[i]
		printf "%s\n    {\"metric\": %s, \"unit\": %s, \"n\": %d, " \
			"\"median\": %s, \"p25\": %s, \"p75\": %s, " \
			"\"min\": %s, \"max\": %s}", (i > 1 ? "," : ""), jstr(m),
			jstr(unit[m]), cnt[m], jnum(med[m]), jnum(p25[m]),
			jnum(p75[m]), jnum(mn[m]), jnum(mx[m]) > f
	}
	printf "%s]\n}\n", (nm ? "\n  " : "") > f
	close(f)

	# Plot data: a file per prefix of the metric names, without the
	# empty loop (the baseline the others are net of).
	for (i = 1; i <= nm; i++) {
		m = metrics[i]
		p = m
		if (!sub(/[.].*/, "", p) || p == "")
			p = "other"
		gsub(/[^A-Za-z0-9_-]/, "_", p)
		lbl = m
		sub(/^[^.]*[.]/, "", lbl)
		if (lbl == "empty")
			continue
		if (!(p in gn)) {
			gn[p] = 0
			groups[++ng] = p
			gunit[p] = unit[m]
			gpos[p] = 1
			glo[p] = p25[m] + 0
			ghi[p] = p75[m] + 0
		}
		if (p25[m] + 0 <= 0)
			gpos[p] = 0
		if (p25[m] + 0 < glo[p])
			glo[p] = p25[m] + 0
		if (p75[m] + 0 > ghi[p])
			ghi[p] = p75[m] + 0
		gsub(/"/, "", lbl)
		printf "%d \"%s\" %s %s %s %s %s\n", gn[p]++, lbl, med[m],
			p25[m], p75[m], mn[m], mx[m] > (tmp "/group." p ".dat")
	}
	for (i = 1; i <= ng; i++) {
		p = groups[i]
		print p, gunit[p], gn[p], gpos[p], glo[p], ghi[p] > (tmp "/groups")
	}
	k = 0
	rlo = rhi = ""
	for (i = 1; i <= nr; i++) {
		if (kind[i] != "RATIO")
			continue
		b = tg[i]
		sub(/^[^-+.0-9]*/, "", b)
		split(value[i] " " lo[i] " " hi[i] " " b, rv, " ")
		for (j in rv) {
			x = rv[j] + 0
			if (x > 0 && (rlo == "" || x < rlo))
				rlo = x
			if (x > 0 && (rhi == "" || x > rhi))
				rhi = x
		}
		lbl = name[i]
		gsub(/"/, "", lbl)
		top = hi[i] == "" ? value[i] : hi[i]
		if (b != "" && b + 0 > top + 0)
			top = b
		printf "%d \"%s\" %s %s %s %s %d %s\n", k++, lbl, value[i],
			(lo[i] == "" ? value[i] : lo[i]),
			(hi[i] == "" ? value[i] : hi[i]), (b == "" ? "NaN" : b),
			(ok[i] == "yes" ? 2924588 : ok[i] == "no" ? 14034728 : \
			9211020), top > (tmp "/ratios.dat")
	}
	if (k)
		print (rlo == "" ? 1 : rlo), (rhi == "" ? 1 : rhi) \
			> (tmp "/ratios.range")

	# stdout: the figures, then a table of them
	for (i = 1; i <= nr; i++)
		print kind[i], name[i], value[i]
	w[1] = length("name"); w[2] = length("value")
	w[3] = length("spread"); w[4] = length("target")
	for (i = 1; i <= nr; i++) {
		sp[i] = lo[i] == "" ? "-" : lo[i] ".." hi[i]
		if (length(name[i]) > w[1]) w[1] = length(name[i])
		if (length(value[i]) > w[2]) w[2] = length(value[i])
		if (length(sp[i]) > w[3]) w[3] = length(sp[i])
		if (length(tg[i]) > w[4]) w[4] = length(tg[i])
	}
	fmt = "%-" w[1] "s  %" w[2] "s  %-" w[3] "s  %-" w[4] "s  %s\n"
	if (nr)
		printf fmt, "name", "value", "spread", "target", "met"
	for (i = 1; i <= nr; i++)
		printf fmt, name[i], value[i], sp[i],
			(tg[i] == "" ? "-" : tg[i]), (ok[i] == "" ? "-" : ok[i])
	exit nr ? 0 : 3
}
' "$results" || rc=$?
case $rc in
0 | 3) ;;
*) echo "report: awk failed ($rc)" >&2; exit 1 ;;
esac

if command -v python3 >/dev/null &&
	! python3 -m json.tool "$out/results.json" >/dev/null; then
	echo "report: $out/results.json is not valid JSON" >&2
	exit 1
fi

# The plots
sub="emulated VM (QEMU TCG): compare ratios, not absolute times"
plot() {
	if ! gnuplot -c "$here/$1" "$out/$2" "$tmp/$3" "$4" "$sub" "$5" "$6" \
		"$7" "$8" "$9" 2>"$tmp/gnuplot.err"; then
		cat "$tmp/gnuplot.err" >&2
		echo "report: gnuplot failed to draw $out/$2" >&2
		exit 1
	fi
}
width() {
	echo $(($1 * 90 + 240 > 640 ? $1 * 90 + 240 : 640))
}
# lookup.* on a linear scale, the rest (user.*: 1 ns to 100 us) on a log
# scale when they can be (all positive)
bars() {
	touch "$tmp/groups"
	[ -s "$tmp/groups" ] || echo "report: no SAMPLE line, no bar charts" >&2
	while read -r p unit n pos lo hi; do
		if [ "$p" = lookup ]; then
			ylabel="$unit per lookup, net of an empty loop (TCG)"
			log=0 scale=
		elif [ "$pos" = 1 ]; then
			ylabel="$unit per operation (TCG), log scale"
			log=1 scale=", log scale"
		else
			ylabel="$unit per operation (TCG)"
			log=0 scale=
		fi
		plot bars.gp "$p.png" "group.$p.dat" \
			"$kernel: $p.* median, error bars p25..p75$scale" \
			"$ylabel" $log "$(width "$n")" "$lo" "$hi"
	done <"$tmp/groups"
}
ratios() {
	if [ ! -s "$tmp/ratios.dat" ]; then
		echo "report: no RATIO line, no ratios.png" >&2
		return
	fi
	read -r lo hi <"$tmp/ratios.range"
	plot ratios.gp ratios.png ratios.dat \
		"$kernel: ratios measured in the same VM run, error bars p25..p75 of the rounds" \
		"$(width "$(wc -l <"$tmp/ratios.dat")")" "$lo" "$hi" "" ""
}
if command -v gnuplot >/dev/null; then
	bars
	ratios
else
	echo "report: no gnuplot (Debian: gnuplot-nox), no plots" >&2
fi

if [ $rc = 3 ]; then
	echo "report: no RATIO, BYTES or PAGES line in $results" >&2
	exit 1
fi
echo "bench: results in $out"
