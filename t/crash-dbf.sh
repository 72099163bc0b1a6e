#!/bin/bash
# Kill test for the dbf adapter (nothing lost, nothing doubled): a writer
# process appends 150 bills to a live FoxPro table (header count before
# each record, records in two pieces) and 40 one-bill tables are dropped
# into an exchange folder, while the agent is killed with SIGKILL at
# random moments and restarted.  In the end every bill is in the outbox
# exactly once at version 1, equal to its source to the fen; no cursor
# was committed ahead of its bills (a restart after each kill would
# otherwise miss a bill); the SQLite file is intact.
#   HG_SEED=N t/crash-dbf.sh     replays one schedule
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

seed=${HG_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# seed $seed (HG_SEED=$seed replays this schedule)"
RANDOM=$seed
TBILLS=150 FBILLS=40 KILLS=${HG_KILLS:-12}
GEN="$PY $top_srcdir/t/gen-dbf"

D=$T/agent
mkconf "$D"
rm -f "$D/adapters.d/his.conf"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
cols=$(grep -v "^#" "$DATA/dbf-columns.conf")
mkdir -p "$D/ex" "$D/tb" "$T/src" "$T/csv1" "$T/csv2"
printf 'type = "dbf";\ndir = "%s";\nstable_seconds = 0;\n%s\n' \
    "$D/ex" "$cols" >"$D/adapters.d/ex.conf"
printf 'type = "dbf";\nmode = "table";\ndir = "%s";\ntable = "ZYFY.DBF";\nstable_seconds = 1;\nmax_records = 100;\n%s\n' \
    "$D/tb" "$cols" >"$D/adapters.d/tb.conf"

"$PY" "$top_srcdir/t/gen-csv" --utf8 -n $TBILLS -m 4 -s "$seed" \
    --manifest "$T/manifest" -p t "$T/csv1" >/dev/null || bail "gen-csv failed"
"$PY" "$top_srcdir/t/gen-csv" --utf8 -n $FBILLS -m 3 -s $((seed + 1)) \
    --manifest "$T/manifest2" -p f "$T/csv2" >/dev/null || bail "gen-csv failed"
cat "$T/manifest2" >>"$T/manifest"
$GEN bills "$T/csv1/t-0001.csv" "$T/src/ZYFY.DBF" >/dev/null ||
    bail "gen-dbf bills failed"
$GEN bills --per-bill "$T/stage" "$T/csv2/f-0001.csv" x >/dev/null ||
    bail "gen-dbf --per-bill failed"
is "the generator wrote $FBILLS tables" "$(count_files "$T/stage" '*.dbf')" $FBILLS

$GEN append --count-first --delay-ms 6 --seed "$seed" "$T/src/ZYFY.DBF" \
    "$D/tb/ZYFY.DBF" >"$T/writer.log" 2>&1 &
writer=$!
bg_pids="$bg_pids $writer"
# the kills: each round starts the agent, drops a share of the tables,
# and kills it at a random moment of its intake
left=$FBILLS
round=0
while [ $round -lt $KILLS ]; do
	round=$((round + 1))
	start_agent "$D"
	take=$(((left + KILLS - round) / (KILLS - round + 1)))
	for t in $(find "$T/stage" -name '*.dbf' | sort | head -n $take); do
		mv "${t%.dbf}.fpt" "$D/ex/" && mv "$t" "$D/ex/"
	done
	left=$((left - take))
	sleep "0.$((50 + RANDOM % 450))"
	kill -9 "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
done
ok "appended and dropped while killing the agent $KILLS times"
wait "$writer"
is "the writer appended every record" "$?" 0

start_agent "$D"
all=$((TBILLS + FBILLS))
check "every bill reaches the outbox" \
    wait_until 120 sh -c "[ \"\$(\"$HISGATE\" queue list --json -c '$D/hisgate.conf' 2>/dev/null | '$PY' -c 'import json,sys; print(len(json.load(sys.stdin)))')\" = $all ]"
check "every table ends in done/" \
    wait_until 60 sh -c "[ \$(find '$D/ex/done' -name '*.dbf' | wc -l) -eq $FBILLS ]"
stop_agent
is "nothing was rejected" "$(find "$D/ex" -path '*rejected*' -type f | wc -l)" 0

"$HISGATE" queue list --json -c "$D/hisgate.conf" >"$T/list.json"
is "the outbox holds every bill" "$(py 'len(d)' <"$T/list.json")" $all
is "each exactly once" \
    "$(py 'len(set(r["source_key"] for r in d))' <"$T/list.json")" $all
is "all at version 1 (no half record ever made a bill)" \
    "$(py 'sorted(set(r["version"] for r in d))' <"$T/list.json")" "[1]"
# key and total from both sides, sorted, must be the same lines
cut -f1,3 "$T/manifest" | sort >"$T/want"
py '"\n".join("%s\t%.2f" % (r["source_key"], r["total"]) for r in d)' \
    <"$T/list.json" | sort >"$T/got"
cmp=$(diff "$T/want" "$T/got" | grep -c '^[<>]')
is "source and outbox agree bill for bill, to the fen (lines differing)" "$cmp" 0
is "PRAGMA integrity_check" "$(sqlite3 "$D/outbox.db" 'PRAGMA integrity_check')" ok
done_testing
