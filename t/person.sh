#!/bin/bash
# needs_person end to end: a settlement (2304) whose answer is lost after
# the platform committed it, and every answer to its reversal (2601) lost
# too.  The agent must not loop silently nor settle again blindly: after
# HG_SETTLE_MAX_LOST_RUN (5) lost 2601 answers in a row the bill waits as
# needs_person, and queue show lists every call with its answer.  Then the
# platform answers again and queue retry lets the agent finish: the second
# reversal is refused (the first did reverse it), which means nothing of
# that 2304 is in force, and the bill is settled once.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
start_sim --seed 3 --fault 'infno=2304,kind=reset-after-commit,nth=1' \
    --fault 'infno=2601,kind=drop-after-commit,prob=1'
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; timeout_ms = 1000; connect_timeout_ms = 300; };
settle: { workers = 1; backoff_base_ms = 100; backoff_cap_ms = 400; lease_ms = 5000; };
EOC
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1) || bail "bad config: $out"
gbk "$DATA/sample-6a.csv" "$T/bills.csv"
start_agent "$D"
drop "$T/bills.csv" "$D/in"
state() { sqlite3 "$D/outbox.db" "SELECT state FROM bills LIMIT 1" 2>/dev/null; }
check "the bill waits for a person once its reversals keep getting lost" \
    wait_until 60 bash -c "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = needs_person ]"
stop_agent
ID=$(sqlite3 "$D/outbox.db" "SELECT id FROM bills")
is "exactly 5 reversals were sent, then nothing" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2601'")" 5
is "no second 2304 was sent" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2304'")" 1
show=$("$HISGATE" queue show "$ID" -c "$D/hisgate.conf")
check "queue show says why, and what to do" grep -q 'platform: the answers to 5 calls in a row .* were lost; every call and its answer: hisgate queue show' <<<"$show"
is "queue show lists every call with its msgid and state" \
    "$(grep -cE '  2601 H32010000001[0-9]{18} unknown ' <<<"$show") $(grep -cE '  2304 H32010000001[0-9]{18} unknown ' <<<"$show")" "5 1"
js=$("$HISGATE" queue show "$ID" --json -c "$D/hisgate.conf")
is "queue show --json has the calls too" "$(py '[c["infno"] for c in d["calls"]].count("2601")' <<<"$js")" 5
check "queue list shows the state" bash -c "\"$HISGATE\" queue list --state needs_person -c '$D/hisgate.conf' | grep -q needs_person"
out=$("$HISGATE" doctor -c "$D/hisgate.conf" 2>&1)
check "doctor warns about it" grep -q 'needs_person' <<<"$out"

# the platform answers again
kill "$sim_pid"; wait "$sim_pid" 2>/dev/null
: >"$T/sim.log"
start_sim --seed 3
sed -i "s|http://127.0.0.1:[0-9]*/|http://127.0.0.1:$port/|" "$D/hisgate.conf"
out=$("$HISGATE" queue retry "$ID" -c "$D/hisgate.conf" 2>&1)
is "queue retry takes a needs_person bill" "$?" 0
start_agent "$D"
check "then the bill is settled" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills')\" = settled ]"
stop_agent
check "after one more reversal, refused: the first one did reverse it" \
    bash -c "sqlite3 '$D/outbox.db' \"SELECT state || ':' || coalesce(err_msg, '') FROM steps WHERE infno = '2304' ORDER BY id\" | head -1 | grep -q '^failed:not in force: 2601 .* refused'"
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: in force once, one reversal" \
    "$(py '[(v["settled"], v["revs_cnt"]) for v in d["visits"]]' <<<"$ledger")" "[(1, 1)]"
done_testing
