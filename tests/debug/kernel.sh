#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh ROOT SOURCE-PACKAGE FRAGMENT...
#
# Print the directory of a built kernel tree (KDIR): Debian's SOURCE-PACKAGE
# (linux-source-6.1), installed in the chroot ROOT (tests/matrix/chroot.sh,
# never on the host), configured as `make ARCH=x86_64 tinyconfig` plus the
# FRAGMENTs (debug.config next to this script, then any that adjust it for
# one kernel), built in place inside ROOT: with ROOT's gcc and pahole, the
# compiler the module is then built with too (tests/vm/boot.sh --kdir).
# It holds the bzImage to boot (arch/x86/boot/bzImage), the vmlinux whose
# BTF is the base of the module's, and what `make -C KDIR M=...` needs.
#
# The FRAGMENTs are merged in order: a line for a symbol replaces an
# earlier fragment's line for it, and "# uls-drop: CONFIG_X (why)" takes
# an earlier line for X away, for a kernel whose Kconfig has no symbol X
# any more (checked: a symbol the kernel still has cannot be dropped).
#
# The tree is built once and cached in
#   ${ULS_CACHE:-$HOME/.cache/uls}/debug-kernel/KEY/linux
# KEY hashes the fragments, the source package and its version, and the
# gcc and pahole versions of ROOT (they make the code and the BTF: a module
# must be built with the compiler its kernel was). A tree is reused only
# once its build finished (the stamp "done" next to it); trees unused for
# 14 days are removed. Progress goes to stderr, the build's output to
# KEY/build.log.
#
# When only the fragments changed, a new tree starts as a copy of a
# finished one of the same source, gcc and pahole (KEY/base records them),
# and Kbuild rebuilds what the new configuration touches: minutes instead
# of the 15-25 of a full KASAN build. Kbuild tracks each object's CONFIG_
# dependencies (include/config/), so this is the build a kernel developer
# gets after editing .config; the result is checked as a fresh one is.
set -eu

me=${0##*/}
if [ $# -lt 3 ]; then
	echo "usage: $me ROOT SOURCE-PACKAGE FRAGMENT..." >&2
	exit 2
fi
root=$1
srcpkg=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
chroot_run=$here/../matrix/chroot-run.sh
tarball=$root/usr/src/$srcpkg.tar.xz

die() {
	echo "$me: $*" >&2
	exit 1
}

for f in "$@"; do
	[ -r "$f" ] || die "$f: not readable"
done
[ -r "$tarball" ] || die "$tarball: missing (install $srcpkg in $root)"
srcver=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' "$srcpkg") ||
	die "$srcpkg is not installed in $root"
gcc_version=$("$chroot_run" "$root" gcc -dumpfullversion) ||
	die "no gcc in $root (tests/matrix/setup.sh installs it)"
pahole_version=$("$chroot_run" "$root" pahole --version) ||
	die "no pahole in $root (tests/matrix/setup.sh installs dwarves)"
base=$(printf '%s %s\n%s\n%s\n' "$srcpkg" "$srcver" "$gcc_version" \
	"$pahole_version" | sha256sum | cut -c1-16)
key=$({
	cat "$@"
	echo "$srcpkg $srcver"
	echo "$gcc_version"
	echo "$pahole_version"
} | sha256sum | cut -c1-16)
cache=${ULS_CACHE:-$HOME/.cache/uls}/debug-kernel
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
dir=$cache/$key
tree=$dir/linux

# Two runs at once (two worktrees, make -j) must not build one tree twice.
exec 9>"$dir.lock"
flock 9

if [ -e "$dir/done" ]; then
	touch "$dir/done"
	echo "$me: cached debug kernel $key ($(cat "$tree/include/config/kernel.release"))" >&2
	echo "$tree"
	exit 0
fi

# What the build runs, in the chroot (tests/matrix/setup.sh installs it).
missing=$("$chroot_run" "$root" sh -c '
	for t in make bc flex bison lz4 xz tar readelf python3; do
		command -v $t >/dev/null || printf " %s" $t
	done') || die "cannot run commands in $root"
[ -z "$missing" ] || die "missing in $root:$missing (tests/matrix/setup.sh installs them)"

# Only a finished tree is worth keeping: start from a fresh one.
rm -rf "$dir"
mkdir -p "$dir"
log=$dir/build.log
start=$(date +%s)
echo "$me: building debug kernel $key from $srcpkg $srcver with gcc $gcc_version in $root (log: $log)" >&2

# in_root CMD...: CMD in the chroot, with the tree's directory at its path.
in_root() {
	"$chroot_run" --bind "$dir" "$root" "$@"
}

echo "$base" > "$dir/base"

# seed: a finished tree of the same base, the most recently used one.
seed=
for stamp in $(ls -t "$cache"/*/done 2>/dev/null); do
	other=${stamp%/done}
	[ "$other" != "$dir" ] && [ "$(cat "$other/base" 2>/dev/null)" = "$base" ] || continue
	seed=$other
	break
done
if [ -n "$seed" ]; then
	echo "$me: starting from the tree of ${seed##*/} (same source and compiler)" >&2
	cp -a --reflink=auto "$seed/linux" "$tree" ||
		die "copying $seed/linux failed"
	: > "$log"
	# The old fragment must not leak into the new .config: tinyconfig
	# below starts over, and the new fragment replaces the old file.
	rm -f "$tree/.config" "$tree/.config.old" "$tree/kernel/configs/uls-debug.config"
else
	in_root tar -xf "/usr/src/$srcpkg.tar.xz" -C "$dir" > "$log" 2>&1 ||
		die "unpacking /usr/src/$srcpkg.tar.xz failed, see $log"
	mv "$dir/$srcpkg" "$tree"
fi

# The merged fragment goes where `make NAME.config` finds it; that target
# merges it into .config and runs olddefconfig.
merged=$tree/kernel/configs/uls-debug.config
awk -v me="$me" '
	function put(sym, line) {
		if (!(sym in seen)) order[++n] = sym
		seen[sym] = 1
		val[sym] = line
	}
	/^CONFIG_[A-Za-z0-9_]+=/ { put(substr($0, 1, index($0, "=") - 1), $0); next }
	/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { put($2, $0); next }
	/^# uls-drop: CONFIG_[A-Za-z0-9_]+([^A-Za-z0-9_]|$)/ {
		sym = $3
		sub(/[^A-Za-z0-9_].*/, "", sym)
		if (!(sym in val)) {
			printf "%s: %s: %s is in no earlier fragment\n", me, FILENAME, sym > "/dev/stderr"
			bad = 1
		}
		delete val[sym]
		next
	}
	/^# uls-/ {
		printf "%s: %s: not a directive: %s\n", me, FILENAME, $0 > "/dev/stderr"
		bad = 1
	}
	END {
		if (bad) exit 1
		for (i = 1; i <= n; i++)
			if (order[i] in val) print val[order[i]]
	}
' "$@" > "$merged" || die "the fragments do not merge: $*"
dropped=$(sed -n 's/^# uls-drop: \(CONFIG_[A-Za-z0-9_]*\).*/\1/p' "$@")
for sym in $dropped; do
	! grep -rqsE "^[[:space:]]*(menu)?config[[:space:]]+${sym#CONFIG_}[[:space:]]*\$" \
		--include='Kconfig*' "$tree" ||
		die "$sym is dropped, but this kernel has it: set it instead"
done

in_root make -C "$tree" ARCH=x86_64 tinyconfig >> "$log" 2>&1 ||
	die "tinyconfig failed, see $log"
in_root make -C "$tree" ARCH=x86_64 uls-debug.config >> "$log" 2>&1 ||
	die "merging $* failed, see $log"

# Kconfig drops a symbol whose dependencies are not met without a word:
# every line of the merged fragment must be in .config as written.
missing=
while IFS= read -r line; do
	grep -qxF "$line" "$tree/.config" || missing="$missing
  $line"
done < "$merged"
[ -z "$missing" ] ||
	die "not in the kernel's .config after olddefconfig (a dependency is missing?):$missing"

if ! in_root make -C "$tree" ARCH=x86_64 -j"$(nproc)" all >> "$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "kernel build failed, see $log"
fi
for f in vmlinux arch/x86/boot/bzImage Module.symvers; do
	[ -s "$tree/$f" ] || die "the build made no $f, see $log"
done
in_root readelf -S "$tree/vmlinux" | grep -q ' \.BTF ' ||
	die "$tree/vmlinux has no .BTF section"

touch "$dir/done"
echo "$me: built debug kernel $key ($(cat "$tree/include/config/kernel.release")) in $(( $(date +%s) - start )) s, $(du -sh "$dir" | cut -f1)" >&2

# Trees of older fragments take GBs each; drop those nobody used lately.
for old in "$cache"/*/done; do
	[ -e "$old" ] || continue
	case $old in "$dir"/*) continue ;; esac
	if [ -n "$(find "$old" -mtime +14)" ]; then
		rm -rf "${old%/done}" "${old%/done}.lock"
	fi
done
echo "$tree"
