#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-abi.sh LIB MAP OBJ...
#
# Exit 1, naming each difference, unless the API, the version script and
# the library agree, as libbpf's check_abi makes sure of its own:
#   - the symbols the objects OBJ... (those LIB is linked from) define
#     with default visibility, that is what ULS_API marks, are the names
#     the linker version script MAP lists in its global: parts. Without
#     this, a ULS_API function missing from MAP is silently hidden by its
#     "local: *", and one listed there but not marked is not exported;
#   - LIB exports exactly those, each with the version node MAP gives it.
# The Makefile runs it on every link of libuls.so: an API change that is
# not written into the map fails the build instead of changing the ABI
# unnoticed.
#
# MAP is read as libuls.map writes it: C comments, nodes
# "NAME { global: sym; ... local: *; } [PARENT];", no wildcards and no
# extern "C++" among the global names (refused, as they would make the
# comparison mean nothing). NM, READELF: the tools to use (default nm,
# readelf).

set -eu
# One order for sort and comm.
export LC_ALL=C

me=${0##*/}
if [ $# -lt 3 ]; then
	echo "usage: $me LIB MAP OBJ..." >&2
	exit 2
fi
lib=$1
map=$2
shift 2
nm=${NM:-nm}
readelf=${READELF:-readelf}

work=$(mktemp -d "${TMPDIR:-/tmp}/uls-check-abi.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

# MAP's global names as "NAME NODE" lines, and its node names.
awk -v me="$me" -v map="$map" -v nodes="$work/nodes" '
	function fail(why) {
		printf "%s: %s: %s\n", me, map, why > "/dev/stderr"
		exit 1
	}
	{ text = text $0 "\n" }
	END {
		# Drop the comments, then make { } ; tokens of their own.
		while ((i = index(text, "/*")) > 0) {
			rest = substr(text, i + 2)
			j = index(rest, "*/")
			if (j == 0)
				fail("unterminated comment")
			text = substr(text, 1, i - 1) " " substr(rest, j + 2)
		}
		gsub(/[{};]/, " & ", text)
		n = split(text, tok, /[ \t\n]+/)
		node = ""; pending = ""; inside = 0; global = 0; after = 0
		for (k = 1; k <= n; k++) {
			t = tok[k]
			if (t == "")
				continue
			if (!inside) {
				if (t == "{") {
					if (pending == "")
						fail("a node without a name")
					node = pending; pending = ""
					inside = 1; global = 1; after = 0
					print node > nodes
				} else if (t == ";") {
					after = 0
				} else if (!after) {
					pending = t
				}
				continue
			}
			if (t == "}") {
				inside = 0; after = 1
			} else if (t == "global:") {
				global = 1
			} else if (t == "local:") {
				global = 0
			} else if (t == ";") {
				continue
			} else if (global) {
				if (t ~ /[*?\[]/ || t == "extern")
					fail("node " node ": \"" t "\" in global: is not a plain name")
				print t, node
			}
		}
		if (inside)
			fail("node " node " is not closed")
	}' "$map" > "$work/map.raw"
sort "$work/map.raw" > "$work/map"

# LIB's defined dynamic symbols as "NAME NODE" ("NAME -" where one has no
# version), without the absolute symbols that name the nodes themselves.
"$nm" -D --defined-only "$lib" > "$work/nm"
awk -v nodes="$work/nodes" '
	BEGIN { while ((getline n < nodes) > 0) node[n] = 1 }
	{
		name = $NF; ver = "-"
		if ((i = index(name, "@")) > 0) {
			ver = substr(name, i)
			sub(/^@+/, "", ver)
			name = substr(name, 1, i - 1)
		}
		if ($(NF - 1) == "A" && (name in node))
			next
		print name, ver
	}' "$work/nm" > "$work/lib.raw"
sort "$work/lib.raw" > "$work/lib"

# The objects' defined global symbols of default visibility (readelf's
# Bind, Vis and Ndx columns): what ULS_API exports.
"$readelf" -s --wide "$@" > "$work/syms"
awk '($5 == "GLOBAL" || $5 == "WEAK") && ($6 == "DEFAULT" || $6 == "PROTECTED") &&
	$7 != "UND" { print $8 }' "$work/syms" | sort -u > "$work/api"

if [ ! -s "$work/lib" ]; then
	echo "$me: $lib: no exported symbols (is it a shared library?)" >&2
	exit 1
fi
cut -d' ' -f1 "$work/map" | sort -u > "$work/map.names"
if cmp -s "$work/map" "$work/lib" && cmp -s "$work/map.names" "$work/api"; then
	exit 0
fi
comm -23 "$work/api" "$work/map.names" | while read -r name; do
	echo "$me: $name has default visibility (ULS_API) but $map does not list it: it would not be exported" >&2
done
comm -13 "$work/api" "$work/map.names" | while read -r name; do
	echo "$me: $map lists $name, which no object defines with default visibility (ULS_API)" >&2
done
comm -13 "$work/map" "$work/lib" | while read -r name ver; do
	echo "$me: $lib exports $name (version $ver), which $map does not list in that node" >&2
done
comm -23 "$work/map" "$work/lib" | while read -r name ver; do
	echo "$me: $map lists $name in $ver, which $lib does not export with that version" >&2
done
echo "$me: the API (ULS_API), $map and $lib disagree: a new ULS_API symbol goes into the map, in a node of the release that adds it" >&2
exit 1
