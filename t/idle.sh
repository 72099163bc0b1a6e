#!/bin/bash
# An idle agent wakes up rarely (settlement workers sleep until a kick
# from the intake or the next bill due, not a poll), and a bill that
# arrives while they sleep is still claimed at once.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

# --- wake-ups (bench/idle: the shipped poll_ms, four workers, the web page)
out=$(HG_BUILD=$top_builddir MAX_WAKEUPS=5 WARM=3 \
    bash "$top_srcdir/bench/idle" 10 2>&1)
rc=$?
check "idle: fewer than 5 wake-ups a second ($(echo "$out" | tail -1))" \
    [ $rc -eq 0 ]
[ $rc -eq 0 ] || echo "$out" | sed 's/^/#   /'

# --- a bill dropped after a long idle spell is claimed as soon as it is in
D=$T/agent
mkconf "$D"
start_sim
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; };
settle: { workers = 2; };
EOC
worked_csv "$T/worked.csv"
gbk "$T/worked.csv" "$T/bills.csv"
start_agent "$D"
wait_until 20 grep -qs "hisgate: running" "$D/agent.log"
sleep 4		# longer than the first worker's own look (3 s)
drop "$T/bills.csv" "$D/in"
wait_until 30 sh -c "sqlite3 '$D/outbox.db' \"SELECT state FROM bills\" \
    2>/dev/null | grep -qx settled"
check "the bill is settled" [ $? -eq 0 ]
gap=$(sqlite3 "$D/outbox.db" "SELECT c.at_ms - r.at_ms FROM history r, \
    history c WHERE r.bill_id = c.bill_id AND r.to_state = 'ready' AND \
    r.from_state IS NULL AND c.to_state = 'in_progress' ORDER BY c.id LIMIT 1")
check "claimed within 500 ms of its commit (${gap:-?} ms): the intake woke a worker" \
    [ "${gap:-99999}" -lt 500 ]
stop_agent "$D"
done_testing
