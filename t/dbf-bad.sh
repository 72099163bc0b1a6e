#!/bin/bash
# The dbf bad-input corpus: damaged exchange-folder tables written by
# t/gen-dbf bad (python3-dbf, then one defect each) go into a running
# agent's dbf folder.  Each must end where t/data/dbf-bad/EXPECTED says
# (rejected/, or done/ with what could be committed) with the exact
# reason in its .err file, and the agent keeps running and reads the
# good table dropped after them.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

GEN="$PY $top_srcdir/t/gen-dbf"
EXP=$DATA/dbf-bad/EXPECTED
D=$T/agent
mkconf "$D"
mkdir -p "$D/ex"
cat >"$D/adapters.d/ex.conf" <<EOC
type = "dbf";
dir = "$D/ex";
stable_seconds = 0;
$(grep -v "^#" "$DATA/dbf-columns.conf")
EOC
$GEN bad "$DATA/sample-6a.csv" "$T/bad" >/dev/null || bail "gen-dbf bad failed"
$GEN bills --per-bill "$T/good" "$DATA/sample-6a.csv" x >/dev/null ||
    bail "gen-dbf --per-bill failed"
n=0
while IFS=$'\t' read -r f _ _ _; do
	case $f in '#'*|'') continue ;; esac
	n=$((n + 1))
	[ -e "$T/bad/$f" ] || not_ok "$f: t/gen-dbf bad wrote it"
done <"$EXP"
check "every table gen-dbf wrote is in EXPECTED ($n)" \
    [ "$(find "$T/bad" -name '*.dbf' | wc -l)" -eq "$n" ]
start_agent "$D"
wait_until 20 grep -qs "hisgate: running" "$D/agent.log"
# memo files first, then the tables, as the HIS's copy would
for f in "$T"/bad/*.fpt; do drop "$f" "$D/ex"; done
for f in "$T"/bad/*.dbf; do drop "$f" "$D/ex"; done
check "every bad table is taken out of the folder" wait_until 60 sh -c \
    "[ \$(find '$D/ex' -maxdepth 1 -name '*.dbf' | wc -l) -eq 0 ]"
for f in "$T"/good/*.fpt "$T"/good/*.dbf; do drop "$f" "$D/ex"; done
good=$(basename "$(ls "$T"/good/*.dbf | head -1)")
check "the good table after them is read" wait_until 60 test -e "$D/ex/done/$good"
while IFS=$'\t' read -r f dest nprob want; do
	case $f in '#'*|'') continue ;; esac
	err="$D/ex/$dest/$f.err"
	if [ ! -e "$D/ex/$dest/$f" ] || [ ! -e "$err" ]; then
		not_ok "$f: to $dest/ with a .err"
		continue
	fi
	text=$(tr -d '\r' <"$err")
	# the reason as the first problem, and no problem that follows from it
	first=$(grep -v '^#' <<<"$text" | head -1 | sed -e 's/^[0-9]*:[0-9]*: //' \
	    -e "s|^file: $D/ex/$f: ||")
	got=$(grep -vc '^#' <<<"$text")
	if [ "$first" = "$want" ] && [ "$got" = "$nprob" ]; then
		ok "$f: $dest/, $want"
	else
		not_ok "$f: $dest/ with $nprob problem(s), the first the reason"
		echo "#   want: $want"
		sed 's/^/#   got:  /' <<<"$text" | head -5
	fi
done <"$EXP"
check "the agent is still running" kill -0 "$agent_pid"
stop_agent "$D"
done_testing
