#!/bin/bash
# queue cancel (2305) whose answer is lost, resolved by asking, never by a
# second blind 2305 and never by reading a text:
#   - committed, answer dropped: after the in-flight window 5203 (with the
#     setl_id the outbox holds) shows the settlement cancelled: done, one
#     cancellation;
#   - reset before the platform processed it: 5203 shows it in force, so
#     the lost 2305 is reversed by its msgid (2601, oinfno 2305; refused:
#     never committed, which also means not in force); the command says
#     nothing was cancelled, and run again it cancels once.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

# settled NAME FAULT: a settled bill in $D, the simulator with FAULT on 2305
settled() {
	D=$T/$1
	mkconf "$D"
	: >"$T/sim.log"
	rm -f "$T/ledger.db"
	start_sim --seed 7 --fault "$2"
	cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; timeout_ms = 1000; connect_timeout_ms = 300; };
settle: { workers = 1; backoff_base_ms = 100; backoff_cap_ms = 400; lease_ms = 5000; };
EOC
	gbk "$DATA/sample-6a.csv" "$T/bills.csv"
	start_agent "$D"
	drop "$T/bills.csv" "$D/in"
	check "$1: the bill is settled" wait_until 30 bash -c \
	    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
	stop_agent
	ID=$(sqlite3 "$D/outbox.db" "SELECT id FROM bills")
}
canc_cnt() { "$SIM" ledger --ledger "$T/ledger.db" --json | py 'sum(v["canc_cnt"] for v in d["visits"])'; }
steps() { sqlite3 "$D/outbox.db" "SELECT group_concat(infno || ':' || state, ' ') FROM (SELECT infno, state FROM steps WHERE infno IN ('2305', '5203', '2601') ORDER BY id)"; }

settled dropped 'infno=2305,kind=drop-after-commit,nth=1'
out=$("$HISGATE" queue cancel "$ID" --yes -c "$D/hisgate.conf" 2>&1)
is "dropped: queue cancel exits 0 ($out)" "$?" 0
check "dropped: it waited until the lost 2305 could no longer be under way" \
    grep -q 'waiting .* s until it can no longer be under way' <<<"$out"
is "dropped: the bill is cancelled" "$(sqlite3 "$D/outbox.db" "SELECT state FROM bills")" cancelled
is "dropped: 5203 confirmed it, nothing reversed, no second 2305" "$(steps)" "2305:ok 5203:ok"
is "dropped: one cancellation in the ledger" "$(canc_cnt)" 1
kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null

settled reset 'infno=2305,kind=reset,nth=1'
out=$("$HISGATE" queue cancel "$ID" --yes -c "$D/hisgate.conf" 2>&1)
is "reset: queue cancel exits 1: nothing cancelled ($out)" "$?" 1
check "reset: it says nothing was cancelled and to run it again" \
    grep -q 'nothing was cancelled; run the same command again' <<<"$out"
is "reset: the bill is still settled" "$(sqlite3 "$D/outbox.db" "SELECT state FROM bills")" settled
# (the platform layer signs in again after a refusal and tries once more)
check "reset: 5203 said in force, 2601 (refused: never committed) made sure ($(steps))" \
    grep -Eq '^2305:failed 5203:ok 2601:failed( 2601:failed)?$' <<<"$(steps)"
check "reset: the 2601 named the lost 2305 (omsgid, oinfno 2305)" bash -c \
    "sqlite3 '$D/outbox.db' \"SELECT request FROM steps WHERE infno = '2601'\" | grep -q '\"oinfno\":\"2305\"'"
is "reset: no cancellation yet" "$(canc_cnt)" 0
out=$("$HISGATE" queue cancel "$ID" --yes -c "$D/hisgate.conf" 2>&1)
is "reset: run again, it cancels ($out)" "$?" 0
is "reset: the bill is cancelled" "$(sqlite3 "$D/outbox.db" "SELECT state FROM bills")" cancelled
is "reset: one cancellation in the ledger" "$(canc_cnt)" 1
done_testing
