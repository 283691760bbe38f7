#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# licences.sh TOP
#
# debian/copyright against the SPDX lines of the tree at TOP (the files
# git tracks, which are what the source package holds: tests/packages
# builds from git archive). Each file's licence is its SPDX line (in its
# first five lines), or GPL-2.0 where it has none, as COPYING says; the
# last Files paragraph whose pattern matches the file must give the same
# licence, in Debian's names (GPL-2.0 is GPL-2, "A OR B" is "A or B",
# "X WITH Y" is "X with Y exception"). LICENSES/ and COPYING, the texts
# and their summary, are left out.
#
# It also fails where lintian's DEP-5 checks would complain: a pattern
# that is the last match of no file (superfluous-file-pattern), two
# patterns of one paragraph matching one file (redundant-globbing-
# patterns), a file's last match with fewer slashes than an earlier one
# (globbing-patterns-out-of-order), a licence name with no License
# paragraph of its own (missing-license-paragraph-in-dep5-copyright), a
# License paragraph nothing names (unused-license-paragraph-...).
#
# Prints one line per disagreement; exit status 1 if any, 2 if it could
# not run (no git tree).
set -u
export LC_ALL=C

if [ $# -ne 1 ]; then
	echo "usage: ${0##*/} TOP" >&2
	exit 2
fi
top=$1
copyright=$top/debian/copyright
if ! files=$(git -C "$top" ls-files 2>/dev/null) || [ -z "$files" ]; then
	echo "licences: $top is not a git tree" >&2
	exit 2
fi

# The Files paragraphs in order, one line per pattern:
# "pattern<TAB>paragraph<TAB>licence<TAB>1 if the licence's text is there";
# and "=licence" for each License paragraph of its own (with its text).
parsed=$(awk '
	function flush() {
		if (files != "")
			for (i = 1; i <= n; i++)
				printf "%s\t%d\t%s\t%d\n", pat[i], para, lic, text
		else if (lic != "" && text)
			printf "=%s\n", lic
		files = ""; lic = ""; n = 0; text = 0; field = ""
	}
	/^[ \t]*$/ { flush(); para++; next }
	/^[^ \t#]/ {
		field = $0; sub(/:.*/, "", field)
		val = $0; sub(/^[^:]*:[ \t]*/, "", val)
		if (field == "Files") {
			files = "y"; n = split(val, pat, /[ \t]+/)
		} else if (field == "License") {
			lic = val
		}
		next
	}
	/^[ \t]/ {
		if (field == "Files") {
			m = split($0, more, /[ \t]+/)
			for (j = 1; j <= m; j++)
				if (more[j] != "")
					pat[++n] = more[j]
		} else if (field == "License") {
			text = 1
		}
	}
	END { flush() }
' "$copyright")

pats=() paras=() lics=() texts=()
declare -A standalone=() named=()
while IFS= read -r line; do
	[ -n "$line" ] || continue
	if [[ $line == =* ]]; then
		standalone[${line#=}]=1
		continue
	fi
	IFS=$'\t' read -r p n l t <<< "$line"
	[ -n "$p" ] || continue
	pats+=("$p") paras+=("$n") lics+=("$l") texts+=("$t")
done <<< "$parsed"

bad=0
fail() { echo "licences: $*"; bad=1; }

[ ${#pats[@]} -gt 0 ] || fail "no Files paragraph in $copyright"

# A licence name of a Files paragraph without the licence's text needs a
# License paragraph; each of those must be named. Names as lintian takes
# them: lower case, "()," made spaces, split at " or " and " and ".
names() {
	tr 'A-Z(),' 'a-z   ' <<< "$1" | tr -s ' ' |
		awk '{ gsub(/ and /, " or "); n = split($0, a, / or /);
		       for (i = 1; i <= n; i++) { gsub(/^ +| +$/, "", a[i]); print a[i] } }'
}
for i in "${!lics[@]}"; do
	[ "${texts[i]}" = 1 ] && continue
	while IFS= read -r name; do
		[ -n "$name" ] && named[$name]=1
	done < <(names "${lics[i]}")
done
for name in "${!named[@]}"; do
	found=
	for s in "${!standalone[@]}"; do
		[ "$(names "$s")" = "$name" ] && found=y
	done
	[ -n "$found" ] || fail "debian/copyright: no License paragraph for \"$name\""
done
for s in "${!standalone[@]}"; do
	[ -n "${named[$(names "$s")]:-}" ] || fail "debian/copyright: License paragraph \"$s\" is named by no Files paragraph"
done

# spdx_deb EXPR: an SPDX expression in debian/copyright's names, lower case.
spdx_deb() {
	sed -E -e 's/[()]//g' -e 's/ OR / or /g' -e 's/ AND / and /g' \
		-e 's/(^| )GPL-2\.0( |$)/\1GPL-2\2/g' \
		-e 's/ WITH ([^ ]+)/ with \1 exception/g' <<< "$1" | tr '[:upper:]' '[:lower:]'
}

declare -A won=()
while IFS= read -r f; do
	case $f in
	LICENSES/* | COPYING) continue ;;
	esac
	[ -f "$top/$f" ] || continue
	spdx=$(head -n 5 "$top/$f" | grep -a -m 1 -o 'SPDX-License-Identifier: .*' |
		sed -E 's/^SPDX-License-Identifier: //; s/[[:space:]]*(\*\/|-->)?[[:space:]]*$//')
	want=$(spdx_deb "${spdx:-GPL-2.0}")

	# The last match wins; within a paragraph, one pattern may match.
	win=-1 last_para='' para_hits=0
	for i in "${!pats[@]}"; do
		# shellcheck disable=SC2254
		case $f in
		${pats[i]}) ;;
		*) continue ;;
		esac
		if [ "${paras[i]}" = "$last_para" ]; then
			para_hits=$((para_hits + 1))
			[ $para_hits -eq 2 ] &&
				fail "debian/copyright: $f matches two patterns of one paragraph (${pats[win]}, ${pats[i]})"
		else
			para_hits=1
			if [ "$win" -ge 0 ]; then
				a=${pats[win]//[^\/]/} b=${pats[i]//[^\/]/}
				[ ${#b} -ge ${#a} ] ||
					fail "debian/copyright: ${pats[i]} after ${pats[win]}, which is deeper, for $f"
			fi
		fi
		win=$i last_para=${paras[i]}
	done
	if [ "$win" -lt 0 ]; then
		fail "debian/copyright: no Files paragraph matches $f"
		continue
	fi
	won[${pats[win]}]=1
	got=${lics[win],,}
	[ "$got" = "$want" ] ||
		fail "$f: SPDX \"${spdx:-(none: GPL-2.0)}\", debian/copyright \"${lics[win]}\" (${pats[win]})"
done <<< "$files"

for p in "${pats[@]}"; do
	[ -n "${won[$p]:-}" ] || fail "debian/copyright: $p is the last match of no file"
done
exit $bad
