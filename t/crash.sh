#!/bin/bash
# Kill test (nothing lost, nothing doubled): 1,000 GBK bills of 50 lines
# each are dropped while the agent is killed with SIGKILL at random
# moments and restarted.  Every fifth file is not renamed in but written
# in place by a writer that pauses mid-file with the file open (so the
# agent may read it, or be killed and restarted, while it is half
# written).  In the end every bill is in the outbox exactly once, every
# file is in done/ whole (nothing in it left unread), and the SQLite file
# is intact.
#   HG_SEED=N t/crash.sh     replays one schedule
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

seed=${HG_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# seed $seed (HG_SEED=$seed replays this schedule)"
RANDOM=$seed
BILLS=1000 LINES=50 FILES=100 KILLS=${HG_KILLS:-25}

D=$T/agent
mkconf "$D" 'stable_seconds = 0;'
sed -i '/^stable_seconds = 1;$/d' "$D/adapters.d/his.conf"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
stage=$T/stage
mkdir -p "$stage"
"$PY" "$top_srcdir/t/gen-csv" -n $BILLS -m $LINES -f $FILES -s "$seed" \
    --manifest "$T/manifest" "$stage" >/dev/null || bail "gen-csv failed"
is "the generator wrote $FILES files" "$(count_files "$stage" '*.csv')" $FILES

files=("$stage"/*.csv)
next=0 nslow=0 writers=""
per=$(((FILES + KILLS - 1) / KILLS))
for ((k = 1; k <= KILLS; k++)); do
	start_agent "$D"
	for ((j = 0; j < per && next < FILES; j++, next++)); do
		if [ $((next % 5)) -eq 4 ]; then
			"$PY" "$top_srcdir/t/slow-writer" --parts 3 \
			    --pause "0.$((3 + RANDOM % 7))" "${files[$next]}" \
			    "$D/in/$(basename "${files[$next]}")" &
			writers="$writers $!"
			nslow=$((nslow + 1))
		else
			cp "${files[$next]}" "$D/in/.tmp" &&
			    mv "$D/in/.tmp" "$D/in/$(basename "${files[$next]}")"
		fi
	done
	sleep "0.$((50 + RANDOM % 450))"
	kill -9 "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
done
bg_pids="$bg_pids $writers"
# shellcheck disable=SC2086
wait $writers
ok "dropped $FILES files ($nslow written with pauses) while killing the agent $KILLS times"

start_agent "$D"
check "every file ends in done/" \
    wait_until 300 sh -c "[ \$(find '$D/in/done' -name '*.csv' | wc -l) -eq $FILES ]"
stop_agent
unread=0
for f in "${files[@]}"; do
	cmp -s "$f" "$D/in/done/$(basename "$f")" || unread=$((unread + 1))
done
is "every file in done/ is whole, as its writer left it" "$unread" 0
is "nothing is left in the drop directory" "$(count_files "$D/in" '*.csv')" 0
is "nothing was rejected" "$(find "$D/in" -path '*rejected*' -type f | wc -l)" 0

"$HISGATE" queue list --json -c "$D/hisgate.conf" >"$T/list.json"
is "the outbox holds every bill" "$(py 'len(d)' <"$T/list.json")" $BILLS
is "each exactly once" \
    "$(py 'len(set(r["source_key"] for r in d))' <"$T/list.json")" $BILLS
is "all at version 1 (no duplicate versions)" \
    "$(py 'sorted(set(r["version"] for r in d))' <"$T/list.json")" "[1]"
is "all valid" "$(py 'sorted(set(r["state"] for r in d))' <"$T/list.json")" \
    "['ready']"
cmp=$("$PY" - "$T/manifest" "$T/list.json" <<'PYEOF'
import json, sys
from decimal import Decimal
want = {}
for line in open(sys.argv[1], encoding="utf-8"):
    key, lines, total = line.rstrip("\n").split("\t")
    want[key] = Decimal(total)
got = {r["source_key"]: Decimal(str(r["total"])) for r in json.load(open(sys.argv[2]))}
bad = [k for k in want if got.get(k) != want[k]]
extra = [k for k in got if k not in want]
print(f"{len(bad)} differ, {len(extra)} unexpected")
PYEOF
)
is "source and outbox agree bill for bill, to the fen" "$cmp" "0 differ, 0 unexpected"
is "PRAGMA integrity_check" "$(sqlite3 "$D/outbox.db" 'PRAGMA integrity_check')" ok
n=$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM history WHERE from_state IS NULL")
is "one \"received\" history row per bill" "$n" $BILLS
done_testing
