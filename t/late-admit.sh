#!/bin/bash
# A 2401 that the platform processes long after the agent stopped waiting
# for it (a request queued behind a gateway or a lock).  The agent resolved
# the lost answer by 5201 (nothing open yet) and admitted again; then the
# late one lands:
#   - on a platform that refuses a repeated admission, it lands first and
#     the second 2401 is refused: the agent asks 5201 again (never reads
#     the refusal) and adopts the visit that landed late;
#   - on one that admits again, two visits are open: before the bill is
#     settled the agent lists the visits again, once the late one can no
#     longer land (four timeouts after it was sent), and closes it (2404).
# Either way: one visit settled once, no orphan open visit, no double
# admission left in the simulator's ledger.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

# run NAME DIALECT FAULTS...: one bill through the agent
run() {
	local name=$1 dialect=$2
	shift 2
	D=$T/$name
	mkconf "$D"
	: >"$T/sim.log"
	rm -f "$T/ledger.db"
	start_sim --seed 5 ${dialect:+--dialect "$top_srcdir/etc/sim/dialect-$dialect.conf"} "$@"
	cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; timeout_ms = 1500; connect_timeout_ms = 300; };
settle: { workers = 1; backoff_base_ms = 100; backoff_cap_ms = 400; lease_ms = 5000; };
EOC
	out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1) || bail "bad config: $out"
	gbk "$DATA/sample-6a.csv" "$T/bills.csv"
	start_agent "$D"
	drop "$T/bills.csv" "$D/in"
	check "$name: the bill is settled" wait_until 60 bash -c \
	    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
	stop_agent
	# every 2401 sent has landed (the late one too) before the ledger is read
	sent=$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2401'")
	check "$name: the simulator processed all $sent 2401 requests" \
	    wait_until 20 bash -c "[ \$(grep -c ' sim: 2401 ' '$T/sim.log') -ge $sent ]"
	sqlite3 "$D/outbox.db" "SELECT infno || ' ' || state || ' ' || coalesce(err_msg, '') FROM steps ORDER BY id" | sed 's/^/# /'
	health=$("$SIM" ledger --ledger "$T/ledger.db" | tail -1)
	check "$name: no orphan open visit, no double admission ($health)" \
	    grep -q '^orphan_open_visits 0 double_admissions 0 ' <<<"$health"
	ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
	is "$name: one visit in force, settled once" \
	    "$(py '[(v["settled"], v["setl_cnt"]) for v in d["visits"] if v["settled"]]' <<<"$ledger")" "[(1, 1)]"
	is "$name: the outbox holds the visit the ledger settled" \
	    "$(sqlite3 "$D/outbox.db" 'SELECT mdtrt_id FROM bills')" \
	    "$(py '[v["mdtrt_id"] for v in d["visits"] if v["settled"]][0]' <<<"$ledger")"
	kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null
}

# admit_one NAME FAULT: one bill through the agent on the admitting
# dialect, left running
admit_one() {
	D=$T/$1
	mkconf "$D"
	: >"$T/sim.log"
	rm -f "$T/ledger.db"
	start_sim --seed 5 --dialect "$top_srcdir/etc/sim/dialect-admit.conf" \
	    --fault "$2"
	cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; timeout_ms = 1500; connect_timeout_ms = 300; };
settle: { workers = 1; backoff_base_ms = 100; backoff_cap_ms = 400; lease_ms = 5000; };
EOC
	gbk "$DATA/sample-6a.csv" "$T/bills.csv"
	start_agent "$D"
	drop "$T/bills.csv" "$D/in"
}

# refuse: the first 2401 lands 2.5 s after it was sent (the agent gave up
# at 1.5 s and asked 5201 at 1.8 s), the second one 1 s after it was sent,
# after the first: refused.
run refuse "" --fault 'infno=2401,kind=latency,nth=1,ms=2500' \
    --fault 'infno=2401,kind=latency,nth=2,ms=1000'
# (the platform layer signs in again after a refusal and tries once more:
# one or two refusals)
check "refuse: the second 2401 was refused" [ "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2401' AND state = 'failed' AND response IS NOT NULL")" -ge 1 ]
is "refuse: 5201 asked three times (the lost answer, the refusal, the late look)" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '5201' AND state = 'ok'" )" 3

# admit: the first 2401 lands 3 s after it was sent, after the second
# opened another visit.
run admit admit --fault 'infno=2401,kind=latency,nth=1,ms=3000'
is "admit: the late visit was closed (2404)" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2404' AND state = 'ok'")" 1
first=$(sqlite3 "$D/outbox.db" "SELECT min(sent_ms) FROM steps WHERE infno = '2401'")
last5201=$(sqlite3 "$D/outbox.db" "SELECT max(sent_ms) FROM steps WHERE infno = '5201'")
check "admit: the last look was no earlier than four timeouts after the lost 2401 ($((last5201 - first)) ms)" \
    [ $((last5201 - first)) -ge 7200 ]
show=$("$HISGATE" queue show "$(sqlite3 "$D/outbox.db" 'SELECT id FROM bills')" -c "$D/hisgate.conf")
check "admit: queue show says what each answered call said (5201: the visits)" \
    grep -qE '  5201 [0-9A-Z]+ ok +2 visits: [0-9A-Z]+ ZY2024000123 \((open|discharged)\), [0-9A-Z]+ ZY2024000123 \((open|discharged)\)' <<<"$show"
check "admit: ... (2401: the visit, 2304: the settlement)" bash -c \
    "grep -qE ' 2401 [0-9A-Z]+ ok +admitted: mdtrt_id [0-9A-Z]+' <<<'$show' && grep -qE ' 2304 [0-9A-Z]+ ok +setl_id [0-9A-Z]+: 总额 [0-9.]+, 基金 [0-9.]+, 现金 [0-9.]+' <<<'$show'"

# later still: the first 2401 lands 10 s after it was sent, after the
# agent's last look (four timeouts, 7.2 s) and after the bill was
# settled.  The agent cannot see it any more; the day's detail
# reconciliation asks again (5201) and names the visit with its fix.
admit_one later 'infno=2401,kind=latency,nth=1,ms=10000'
check "later: the bill is settled" wait_until 60 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
stop_agent
check "later: the simulator processed both 2401 requests" \
    wait_until 20 bash -c "[ \$(grep -c ' sim: 2401 ' '$T/sim.log') -ge 2 ]"
health=$("$SIM" ledger --ledger "$T/ledger.db" | tail -1)
check "later: the late visit is open at the platform ($health)" \
    grep -q '^orphan_open_visits 1 ' <<<"$health"
bill=$(sqlite3 "$D/outbox.db" 'SELECT id FROM bills')
own=$(sqlite3 "$D/outbox.db" 'SELECT mdtrt_id FROM bills')
late=$("$SIM" ledger --ledger "$T/ledger.db" --json | py '[v["mdtrt_id"] for v in d["visits"] if not v["settled"]][0]')
day=$(date +%F)
out=$("$HISGATE" reconcile --detail "$day" -c "$D/hisgate.conf" 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "later: reconcile --detail exits 1 on the open visit" "$rc" 1
check "later: ... names the bill, the visit and the fix" \
    grep -q "^open visit left at the platform by a lost 2401: bill $bill (settled), person .*, visit $late\$" <<<"$out"
check "later: ... with the command that closes it" \
    grep -qF "fix: hisgate reconcile close $late $bill " <<<"$out"
is "later: ... and never the bill's own visit" "$(grep -c "visit $own\$" <<<"$out")" 0
is "later: ... the person masked" \
    "$(grep '^open visit' <<<"$out" | grep -cE 'person [0-9]{5}')" 0
out=$("$HISGATE" reconcile --detail "$day" --json -c "$D/hisgate.conf" 2>/dev/null); rc=$?
is "later: reconcile --detail --json: exit 1, the open visit with its fix" \
    "$rc $(py '[(r["kind"], r["bill"], r["mdtrt_id"], r["fix"].split("   ")[0]) for r in d["rows"]]' <<<"$out")" \
    "1 [('open_visit', $bill, '$late', 'hisgate reconcile close $late $bill')]"
check "later: ... the person masked there too" \
    bash -c '! grep -qE "\"person\":\"[0-9]{5}" <<<"$0"' "$out"
out=$("$HISGATE" reconcile close "$own" "$bill" -c "$D/hisgate.conf" 2>&1); rc=$?
is "later: reconcile close refuses the bill's own visit ($out)" "$rc" 1
check "later: ... and says why" grep -q "is bill $bill's own" <<<"$out"
out=$("$HISGATE" reconcile close "$own" "$bill" --json -c "$D/hisgate.conf" 2>/dev/null); rc=$?
is "later: reconcile close --json of it: exit 1, nothing on stdout" "$rc $out" "1 "
out=$("$HISGATE" reconcile close "$late" "$bill" --json -c "$D/hisgate.conf" 2>&1); rc=$?
is "later: reconcile close closes the late visit ($out)" "$rc" 0
is "later: ... --json: the bill as it was, the visit, the 2404" \
    "$(py '(d["bill"], d["state"], d["changed"], d["mdtrt_id"], d["infno"], d["refused"])' <<<"$out")" \
    "($bill, 'settled', False, '$late', '2404', None)"
is "later: ... the 2404 named is the journal's" "$(py 'd["call_msgid"]' <<<"$out")" \
    "$(sqlite3 "$D/outbox.db" "SELECT msgid FROM steps WHERE infno = '2404' AND state = 'ok'")"
health=$("$SIM" ledger --ledger "$T/ledger.db" | tail -1)
check "later: no orphan open visit left ($health)" \
    grep -q '^orphan_open_visits 0 ' <<<"$health"
is "later: the 2404 is journalled with the bill" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2404' AND state = 'ok' AND bill_id = $bill")" 1
is "later: the bill is still settled" "$(sqlite3 "$D/outbox.db" 'SELECT state FROM bills')" settled
out=$("$HISGATE" reconcile --detail "$day" -c "$D/hisgate.conf" 2>&1); rc=$?
is "later: reconcile --detail is clean afterwards" "$rc" 0
check "later: ... 0 open visits" grep -q '^0 open visits left by a lost 2401$' <<<"$out"
is "later: ... and no open visit reported" "$(grep -c '^open visit' <<<"$out")" 0
kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null

# the agent killed after a 2401's answer was journalled, before the bill's
# row took its visit: the visit is taken from the journal, never admitted
# again (a platform that admits again would open a second one)
admit_one killed 'infno=2301,kind=latency,nth=1,ms=4000'
check "killed: the 2401 is answered" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT count(*) FROM steps WHERE infno = '2401' AND state = 'ok'\" 2>/dev/null)\" = 1 ]"
kill -9 "$agent_pid"; wait "$agent_pid" 2>/dev/null
# as if it had died between the two writes
sqlite3 "$D/outbox.db" "UPDATE bills SET mdtrt_id = NULL"
start_agent "$D"
check "killed: the bill is settled" wait_until 60 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
stop_agent
is "killed: one 2401, never a second" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2401'")" 1
check "killed: it says where the visit came from" grep -q 'admitted as .* answered before the agent stopped' "$D/agent.log"
health=$("$SIM" ledger --ledger "$T/ledger.db" | tail -1)
check "killed: no orphan open visit, no double admission ($health)" \
    grep -q '^orphan_open_visits 0 double_admissions 0 ' <<<"$health"
done_testing
