#!/bin/bash
# The disk fails the journal's sync: fdatasync(2) of the outbox's WAL
# returns EIO (t/failsync.so, preloaded).  The agent must send nothing
# that changes the platform, stop and exit 1 (so that systemd starts it
# again); started again on a healthy disk it settles the bill exactly
# once.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

SHIM=$top_builddir/t/failsync.so
[ -f "$SHIM" ] || bail "$SHIM is missing (make check builds it)"

D=$T/agent
start_sim
settle_conf() {
	mkconf "$D"
	cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; timeout_ms = 4000; connect_timeout_ms = 1000; };
settle: { enabled = $1; backoff_base_ms = 100; backoff_cap_ms = 500; };
EOC
}

# the bill waits as ready (settlement off)
settle_conf false
start_agent "$D"
gbk "$DATA/sample-6a.csv" "$T/bills.csv"
drop "$T/bills.csv" "$D/in"
check "the bill is taken in" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = ready ]"
stop_agent

# settlement on, and the disk fails every sync of the WAL
settle_conf true
: >"$T/disk-fails"
asan=${ASAN_OPTIONS:-}
ASAN_OPTIONS=${asan:+$asan:}verify_asan_link_order=0 LD_PRELOAD=$SHIM \
    HG_FAILSYNC_FILE=$T/disk-fails HG_FAILSYNC_SUFFIX=outbox.db-wal \
    "$HISGATE" run --foreground -c "$D/hisgate.conf" >>"$D/agent.log" 2>&1 &
apid=$!
bg_pids="$bg_pids $apid"
if wait_until 30 bash -c "! kill -0 $apid 2>/dev/null"; then
	ok "the agent stops by itself"
	wait "$apid"
	is "and exits 1 (systemd starts it again)" "$?" 1
else
	not_ok "the agent stops by itself"
	kill -9 "$apid"
	wait "$apid"
	not_ok "and exits 1 (systemd starts it again)"
fi
check "it says why" \
    grep -q 'a sync of the outbox to disk failed (.*I/O.*); stopping the agent (exit 1)' "$D/agent.log"
led=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "nothing that changes the platform was sent (no visit)" \
    "$(py 'len(d["visits"])' <<<"$led")" 0

# a healthy disk again: the same bill, settled once
rm -f "$T/disk-fails"
start_agent "$D"
check "started again, the bill settles" wait_until 60 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
stop_agent
led=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "the ledger: one visit, settled once" \
    "$(py '[(v["setl_cnt"], v["settled"]) for v in d["visits"]]' <<<"$led")" "[(1, 1)]"
check "integrity_check is ok" [ "$(sqlite3 "$D/outbox.db" 'PRAGMA integrity_check')" = ok ]

# The same through the workers' own sync (queue/group.c): the disk fails
# while a bill is at 1101 (a query, answered slowly), so the first sync
# that fails is the one 2401 waits for before it may leave.
"$SIM" --listen 127.0.0.1:0 --policy "$top_srcdir/etc/sim/policy.ini" \
    --catalogue "$top_srcdir/etc/sim/catalogue.csv" \
    --registry "$top_srcdir/etc/sim/registry.csv" --ledger "$T/ledger2.db" \
    --fault 'infno=1101,kind=latency,ms=1500' >>"$T/sim2.log" 2>&1 &
bg_pids="$bg_pids $!"
wait_until 20 grep -qs 'listening on 127.0.0.1:' "$T/sim2.log" ||
    bail "the second simulator did not start: $(cat "$T/sim2.log")"
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/sim2.log")
D=$T/agent2
settle_conf true
ASAN_OPTIONS=${asan:+$asan:}verify_asan_link_order=0 LD_PRELOAD=$SHIM \
    HG_FAILSYNC_FILE=$T/disk-fails HG_FAILSYNC_SUFFIX=outbox.db-wal \
    "$HISGATE" run --foreground -c "$D/hisgate.conf" >>"$D/agent.log" 2>&1 &
apid=$!
bg_pids="$bg_pids $apid"
drop "$T/bills.csv" "$D/in"
check "group: the bill is at 1101" wait_until 30 bash -c \
    "'$HISGATE' queue list -c '$D/hisgate.conf' 2>/dev/null | grep -q 'in_progress(1101)'"
: >"$T/disk-fails"
if wait_until 30 bash -c "! kill -0 $apid 2>/dev/null"; then
	ok "group: the agent stops by itself"
	wait "$apid"
	is "group: and exits 1" "$?" 1
else
	not_ok "group: the agent stops by itself"
	kill -9 "$apid"
	wait "$apid"
	not_ok "group: and exits 1"
fi
check "group: the failed sync was the workers' own" \
    grep -q 'a sync of the outbox to disk failed (outbox: syncing the write-ahead log to disk failed' "$D/agent.log"
is "group: 2401 never left (no visit)" \
    "$("$SIM" ledger --ledger "$T/ledger2.db" --json | py 'len(d["visits"])')" 0
rm -f "$T/disk-fails"
start_agent "$D"
check "group: started again, the bill settles" wait_until 60 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
stop_agent
is "group: the ledger: one visit, settled once" \
    "$("$SIM" ledger --ledger "$T/ledger2.db" --json | py '[(v["setl_cnt"], v["settled"]) for v in d["visits"]]')" "[(1, 1)]"
done_testing
