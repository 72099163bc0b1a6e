#!/bin/bash
# Bad input never stops the line: every malformed file of the corpus in
# t/data/bad is dropped, together with good exports and a 100 MB file,
# into one running agent.  Each bad file must land in rejected/ with its
# exact reason in NAME.err; every good file in done/; every good bill in
# the outbox; the agent still running.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D" 'stable_seconds = 0;'
sed -i '/^stable_seconds = 1;$/d' "$D/adapters.d/his.conf"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
BAD=$DATA/bad
stage=$T/stage
mkdir -p "$stage"

# good exports before, between and after the bad ones
"$PY" "$top_srcdir/t/gen-csv" -n 200 -m 10 -f 4 -s 7 -p good \
    --manifest "$T/good.manifest" "$stage" >/dev/null || bail "gen-csv"
"$PY" "$top_srcdir/t/gen-csv" --size-mb 100 -s 8 -p big \
    --manifest "$T/big.manifest" "$stage" >/dev/null || bail "gen-csv --size-mb"
good_bills=$(cat "$T/good.manifest" "$T/big.manifest" | wc -l)

start_agent "$D"
for f in "$stage"/good-0001.csv "$stage"/good-0002.csv; do mv "$f" "$D/in/"; done
nbad=0
while read -r name expect; do
	case "$name" in '#'*|'') continue ;; esac
	[ -f "$BAD/$name" ] || continue
	cp "$BAD/$name" "$D/in/.$name" && mv "$D/in/.$name" "$D/in/$name"
	nbad=$((nbad + 1))
done <"$BAD/EXPECTED"
for f in "$stage"/good-0003.csv "$stage"/good-0004.csv "$stage"/big*.csv; do
	mv "$f" "$D/in/"
done
check "at least 40 malformed files dropped ($nbad)" [ "$nbad" -ge 40 ]

left() { find "$D/in" -maxdepth 1 -type f \( -name '*.csv' -o -name '*.txt' \) | wc -l; }
check "every file is dealt with" wait_until 600 sh -c "[ \$(find '$D/in' -maxdepth 1 -type f \\( -name '*.csv' -o -name '*.txt' \\) | wc -l) -eq 0 ]"
check "the agent is still running" kill -0 "$agent_pid"

while read -r name expect; do
	case "$name" in '#'*|'') continue ;; esac
	[ -f "$BAD/$name" ] || continue
	case "$expect" in
	ok)
		check "$name: accepted into done/" test -f "$D/in/done/$name"
		;;
	*)
		if [ -f "$D/in/rejected/$name.err" ] &&
		    grep -qF -- "$expect" "$D/in/rejected/$name.err"; then
			ok "$name: $expect"
		else
			not_ok "$name: rejected with: $expect"
			sed 's/^/#   /' "$D/in/rejected/$name.err" 2>/dev/null | head -5
		fi
		;;
	esac
done <"$BAD/EXPECTED"

for f in good-0001.csv good-0002.csv good-0003.csv good-0004.csv; do
	check "$f (around the bad ones) accepted" test -f "$D/in/done/$f"
done
check "the 100 MB export accepted" sh -c "ls '$D/in/done/'big*.csv >/dev/null"
"$HISGATE" queue list --json -c "$D/hisgate.conf" >"$T/list.json"
got=$(cat "$T/good.manifest" "$T/big.manifest" | "$PY" -c '
import json, sys
have = {r["source_key"] for r in json.load(open(sys.argv[1])) if r["state"] == "ready"}
keys = [l.split("\t")[0] for l in sys.stdin]
print(sum(1 for k in keys if k in have))' "$T/list.json")
is "every good bill is in the outbox and ready" "$got" "$good_bills"
rss=$(awk '/VmHWM/ {print $2}' "/proc/$agent_pid/status")
echo "# agent peak RSS ${rss} kB"
stop_agent
check "the agent shut down cleanly" grep -q 'stopped' "$D/agent.log"
done_testing
