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

# every command has its own --help, naming each form hisgate(8) gives it
missing=""
for cmd in $("$HISGATE" --help | sed -n 's/^  \([a-z-][a-z-]*\) .*/\1/p'); do
	out=$("$HISGATE" "$cmd" --help 2>&1) &&
	    grep -q "^usage: hisgate .*$cmd" <<<"$out" || missing="$missing $cmd"
done
is "every command has its own --help (exit 0, usage)" "${missing# }" ""
missing="" n=0
while read -r head; do
	n=$((n + 1))
	out=$("$HISGATE" "${head%% *}" --help 2>&1) &&
	    grep -qF -- "$head" <<<"$out" || missing="$missing [$head]"
done < <(awk '/^\.SH COMMANDS/ { s = 1; next } /^\.SH/ { s = 0 }
    s && p { print } { p = s && $0 == ".TP" }' "$man8" | grep '^\.B' |
    sed -e 's/^\.B[IR]* //' -e 's/\\-/-/g' -e 's/^"\([^"]*\)".*/\1/' \
    -e 's/^\([a-z-]*\) .*/\1/' -e 's/ *$//')
is "each command of hisgate(8) has --help naming that form" "${missing# }" ""
check "hisgate(8) names at least 15 command forms ($n)" [ "$n" -ge 15 ]
# the repository carries its own documents: nothing points outside it
out=$(grep -n -e '\.\./shared' -e '/work/' "$top_srcdir/README.md" \
    "$top_srcdir"/doc/*.md "$top_srcdir"/doc/*.[58] 2>&1)
is "README and doc/ point at no path outside the repository" "$out" ""
check "README links doc/DESIGN.md" grep -q '](doc/DESIGN.md)' "$top_srcdir/README.md"
check "doc/DESIGN.md is there" test -s "$top_srcdir/doc/DESIGN.md"
for m in "$man8" "$man5" "$top_srcdir/doc/hisgate-platform-sim.8" \
    "$top_srcdir/doc/hisgate-audit.5"; do
	out=$(groff -man -ww -z "$m" 2>&1)
	is "$(basename "$m") renders without warnings" "$out" ""
done
done_testing
