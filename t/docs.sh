#!/bin/bash
# "An option that is not documented does not exist": every key of the main
# file the binary knows appears in hisgate.conf(5), every adapter key and
# canonical field in hisgate-adapters(5), and every command in hisgate(8);
# each form's options agree in hisgate(8), its --help, hisgate --help and
# README's command table, and some t/*.sh runs each form.
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
# --json: the same facts: each key's line of the text made from its object
line='k["key"] + " (" + k["type"] + (", required" if k["required"] else "" if k["default"] is None else ", default \"%s\"" % k["default"]) + (", %d..%d" % (k["min"], k["max"]) if "min" in k else "") + "): " + k["help"]'
is "config-keys --json: each key with its type, default, bounds and help, as the text" \
    "$("$HISGATE" config-keys --json | py '"\n".join(['"$line"' for k in d["main"] + [k for a in d["adapters"] for k in a["keys"]]])')" \
    "$("$HISGATE" config-keys | grep -E '^[a-z_0-9]+\.[a-z_0-9]+ \(' | grep -v '^columns\.')"
is "config-keys --json: the canonical fields" \
    "$("$HISGATE" config-keys --json | py '" ".join(f["field"] for f in d["fields"])')" \
    "$(sed -n 's/^adapters columns\.//p' <<<"$keys" | tr '\n' ' ' | sed 's/ $//')"
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

# The options of each form of a command agree in hisgate(8)'s synopses
# (the heads of COMMANDS) and the command's --help (its usage lines), both
# ways; and of each command in hisgate --help and README's command table.
# -c FILE is everyone's; the summaries (hisgate --help, README) leave out
# the one-letter aliases.  A form is the words before the first argument
# or [option]: "queue purge --settled-before", "reconcile --detail".
# opts: the options in stdin, sorted, one line
opts() { grep -oE -- '(^|[^a-zA-Z0-9-])--?[a-z][a-z-]*' | sed 's/^[^-]*//' |
    grep -vx -- '-c' | sort -u | tr '\n' ' '; }
longopts() { tr ' ' '\n' | grep -- '^--' | tr '\n' ' '; }
# form: the form of the synopsis in stdin, one line per synopsis
form() { awk '{ f = ""; for (i = 1; i <= NF; i++) { if ($i !~ /^(--)?[a-z][a-z-]*$/) break;
    f = f (f == "" ? "" : " ") $i }; print f }'; }
declare -A man_f help_f top_o readme_o
while read -r line; do
	f=$(form <<<"$line")
	man_f[$f]="${man_f[$f]:-} $(opts <<<"$line")"
done < <(awk '/^\.SH COMMANDS/ { s = 1; next } /^\.SH/ { s = 0 }
    s && p { print } { p = s && $0 == ".TP" }' "$man8" | grep '^\.B' |
    sed -e 's/^\.B[IR]* //' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/"//g' \
    -e 's/\[/ [/g' -e 's/, *\([a-z]\)/\n\1/g')
cmds=$("$HISGATE" --help | sed -n 's/^  \([a-z-][a-z-]*\) .*/\1/p')
for cmd in $cmds; do
	# usage lines, a line going on (no "hisgate") joined to its own
	while read -r line; do
		f=$(form <<<"$line")
		help_f[$f]="${help_f[$f]:-} $(opts <<<"$line")"
	done < <("$HISGATE" "$cmd" --help | sed '/^$/q' | sed 's/^usage://' |
	    awk '/hisgate/ { if (l != "") print l; l = $0; next } { l = l " " $0 }
	    END { if (l != "") print l }' | sed 's/.*hisgate \[-c FILE\] //;s/.*hisgate //')
done
bad=""
for f in "${!man_f[@]}" "${!help_f[@]}"; do
	m=$(opts <<<"${man_f[$f]:-}") h=$(opts <<<"${help_f[$f]:-}")
	[ -n "${man_f[$f]+set}" ] && [ -n "${help_f[$f]+set}" ] && [ "$m" = "$h" ] ||
	    bad="$bad"$'\n'"[$f: hisgate(8) ${man_f[$f]-none}; --help ${help_f[$f]-none}]"
done
is "each form's options: hisgate(8) and its --help agree" "$(sort -u <<<"${bad#?}" | paste -sd ' ')" ""
# every form is run by some end-to-end test ("$HISGATE" FORM in t/*.sh)
untested=""
for f in "${!help_f[@]}"; do
	grep -qF -- "\"\$HISGATE\" $f" "$top_srcdir"/t/*.sh || untested="$untested [$f]"
done
is "every form of every command is run by a t/*.sh" "${untested# }" ""
# hisgate --help: a command's line and the lines under it that go on
top=$("$HISGATE" --help | awk '/^  [a-z]/ { c = $1 } /^   / && c { print c, $0; next }
    /^  [a-z]/ { print c, $0 }')
while read -r cmd rest; do
	top_o[$cmd]="${top_o[$cmd]:-} $rest"
done <<<"$top"
# README: "hisgate COMMAND ..." up to two spaces (then comes what it does)
while read -r cmd rest; do
	readme_o[$cmd]="${readme_o[$cmd]:-} $rest"
done < <(sed -n '/^## The command line/,/^## /p' "$top_srcdir/README.md" |
    sed -n 's/^hisgate \([a-z-]*\)\(.*\)/\1\2/p' | sed 's/   *.*//;s/^\([a-z-]*\)$/\1 /')
bad="" nobad=""
for cmd in $cmds; do
	h=$("$HISGATE" "$cmd" --help | sed '/^$/q' | opts | longopts)
	t=$(opts <<<"${top_o[$cmd]:-}" | longopts)
	r=$(opts <<<"${readme_o[$cmd]:-}" | longopts)
	[ "$t" = "$h" ] || bad="$bad [$cmd: hisgate --help $t; $cmd --help $h]"
	[ -n "${readme_o[$cmd]+set}" ] || nobad="$nobad $cmd"
	[ "$r" = "$h" ] || bad="$bad [$cmd: README $r; --help $h]"
done
is "each command's options: hisgate --help, its --help and README agree" "${bad# }" ""
is "every command is in README's command table" "${nobad# }" ""
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
# the simulator's options: its --help, its man page and what it parses
# agree (--catalog is an alias the man page names; --data-binary is
# curl's, in an example)
sim_help=$("$SIM" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
sim_man=$(sed 's/\\-/-/g' "$sim1" | grep -o -- '--[a-z][a-z-]*' |
    grep -vx -- '--help\|--catalog\|--data-binary' | sort -u)
sim_parsed=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", [a-z_]*_argument.*/--\1/p' \
    "$top_srcdir/sim/main.c" | grep -vx -- '--help\|--catalog' | sort -u)
is "hisgate-platform-sim: its man page lists the options of --help" \
    "$sim_man" "$sim_help"
is "and it parses those options, no other" "$sim_parsed" "$sim_help"
done_testing
