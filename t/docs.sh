#!/bin/bash
# "An option that is not documented does not exist": every key of the main
# file the binary knows appears in hisgate.conf(5), every adapter key and
# canonical field in hisgate-adapters(5), and every command in hisgate(8).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

man5=$top_srcdir/doc/hisgate.conf.5
adapters5=${HG_ADAPTERS_MAN:-$top_srcdir/doc/hisgate-adapters.5}
man8=$top_srcdir/doc/hisgate.8
sim1=$top_srcdir/doc/hisgate-platform-sim.1
# documented KEY PAGE: KEY's last part is a term of PAGE's
documented() {
	local name=${1##*.}
	grep -qE "^\.(B|BR|TP|IP) \\\\?\"?$name\b|^\.B $name$|^\\\\fB$name\\\\fP|^$name\b" "$2" ||
	    grep -q "\\\\fB$name\\\\fR" "$2"
}
# config-keys prints a "# hisgate.conf" heading before the main file's keys
# and "# adapters.d/..." or "# canonical fields..." before the others
keys=$("$HISGATE" config-keys | awk '/^# hisgate\.conf/ { p = "main"; next }
    /^# / { p = "adapters"; next }
    match($0, /^[a-z_0-9]+\.[a-z_0-9]+ \(/) { print p, substr($0, 1, RLENGTH - 2) }')
check "config-keys lists keys of the main file" grep -q '^main ' <<<"$keys"
check "config-keys lists adapter keys" grep -q '^adapters csvdrop\.' <<<"$keys"
missing="" amissing=""
while read -r where key; do
	if [ "$where" = main ]; then
		documented "$key" "$man5" || missing="$missing $key"
	else
		documented "$key" "$adapters5" || amissing="$amissing $key"
	fi
done <<<"$keys"
is "every key of the main file is in hisgate.conf(5)" "${missing# }" ""
is "every adapter key and canonical field is in hisgate-adapters(5)" "${amissing# }" ""

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
    "$top_srcdir"/doc/*.md "$top_srcdir"/doc/*.[158] 2>&1)
is "README and doc/ point at no path outside the repository" "$out" ""
check "README links doc/DESIGN.md" grep -q '](doc/DESIGN.md)' "$top_srcdir/README.md"
check "doc/DESIGN.md is there" test -s "$top_srcdir/doc/DESIGN.md"
# the pages issue 10 names, in their sections, pointing at each other
for m in "$man8" "$man5" "$adapters5" "$sim1" "$top_srcdir/doc/hisgate-audit.5"; do
	out=$(groff -man -ww -z "$m" 2>&1)
	is "$(basename "$m") renders without warnings" "$out" ""
	if command -v man >/dev/null; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
		is "man -l $(basename "$m") renders without warnings" "$out" ""
	fi
done
check "hisgate-platform-sim(1) is in section 1" grep -q '^\.TH HISGATE-PLATFORM-SIM 1 ' "$sim1"
check "hisgate-adapters(5) is in section 5" grep -q '^\.TH HISGATE-ADAPTERS 5 ' "$adapters5"
for m in "$man8" "$man5" "$sim1"; do
	check "$(basename "$m") names hisgate-adapters(5)" \
	    grep -q '^\.BR hisgate\\-adapters (5)' "$m"
done
check "hisgate-adapters(5) names hisgate.conf(5) and hisgate(8)" bash -c \
    "grep -q '^\.BR hisgate.conf (5)' '$adapters5' && grep -q '^\.BR hisgate (8)' '$adapters5'"
out=$(grep -n 'platform.sim.(8)\|platform\\\\-sim (8)\|platform-sim\.8' "$top_srcdir/README.md" \
    "$top_srcdir"/doc/* "$top_srcdir/Makefile.am" "$top_srcdir"/debian/*.install 2>&1)
is "nothing names hisgate-platform-sim in section 8" "$out" ""
done_testing
