#!/bin/bash
# "An option that is not documented does not exist": every configuration
# key the binary knows appears in hisgate.conf(5), and every command in
# hisgate(8).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

man5=$top_srcdir/doc/hisgate.conf.5
man8=$top_srcdir/doc/hisgate.8
missing=""
while read -r key; do
	name=${key##*.}
	grep -qE "^\.(B|BR|TP|IP) \\\\?\"?$name\b|^\.B $name$|^\\\\fB$name\\\\fP|^$name\b" "$man5" ||
	    grep -q "\\\\fB$name\\\\fR" "$man5" || missing="$missing $key"
done < <("$HISGATE" config-keys | sed -n 's/^\([a-z_0-9]*\.[a-z_0-9]*\) (.*/\1/p')
is "every configuration key is in hisgate.conf(5)" "${missing# }" ""

missing=""
for cmd in $("$HISGATE" --help | sed -n 's/^  \([a-z-]*\) .*/\1/p'); do
	grep -q "^\.B.* $cmd\b\|^\.B $cmd\b\|^\.BR $cmd\b\|^\.BI \"$cmd\b" "$man8" ||
	    missing="$missing $cmd"
done
is "every command is in hisgate(8)" "${missing# }" ""
for m in "$man8" "$man5" "$top_srcdir/doc/hisgate-platform-sim.8"; do
	out=$(groff -man -ww -z "$m" 2>&1)
	is "$(basename "$m") renders without warnings" "$out" ""
done
done_testing
