#!/bin/bash
# End to end through the odbc adapter: fee lines in a HIS database
# (SQLite through the SQLite ODBC driver) become a bill the real agent
# settles on the real simulator, once, to the fen in outbox and ledger;
# the writeback statement puts each result into the HIS's own table,
# once, also when the agent is stopped while a write-back is blocked.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/odbc-lib.sh"

odbc_drivers
D=$T/agent
HIS=$T/his.db
start_sim
mkconf_odbc "$D" "Driver=SQLite3;Database=$HIS" \
    'writeback = "UPDATE ZY_BILL SET YB_STATE = :state, YB_SETL_ID = :setl_id, YB_CASH = :psn_cash_pay WHERE ZYH = :ipt_no";'
echo "platform: { url = \"http://127.0.0.1:$port/\"; };" >>"$D/hisgate.conf"
echo 'settle: { backoff_base_ms = 200; backoff_cap_ms = 2000; };' >>"$D/hisgate.conf"
# the §6a sample's patient and bed-fee line, three days of it
his_py "$HIS" <<'EOP'
bill("ZY2024000123", "2024-03-05 10:05:00", lines=3)
# the HIS's own bill table the write-back fills; WB_LOG counts the updates
db.execute("CREATE TABLE ZY_BILL (ZYH TEXT PRIMARY KEY, YB_STATE TEXT, YB_SETL_ID TEXT, YB_CASH TEXT)")
db.execute("CREATE TABLE WB_LOG (ZYH TEXT, STATE TEXT)")
db.execute("CREATE TRIGGER wb AFTER UPDATE ON ZY_BILL BEGIN INSERT INTO WB_LOG VALUES (NEW.ZYH, NEW.YB_STATE); END")
db.execute("INSERT INTO ZY_BILL (ZYH) VALUES ('ZY2024000123')")
EOP
his_q() { sqlite3 "$HIS" "$1" 2>/dev/null; }
state() { outbox_q "$D" "SELECT state FROM bills WHERE ipt_no = 'ZY2024000123'" 2>/dev/null; }
start_agent "$D"
check "the bill read from the database is settled" wait_until 90 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT state FROM bills WHERE ipt_no='ZY2024000123'\" 2>/dev/null)\" = settled ]" ||
    { grep -i 'bill\|error' "$D/agent.log" | tail -5 | sed 's/^/#   /'; }
is "its state" "$(state)" settled
total=$(outbox_q "$D" "SELECT total FROM bills WHERE ipt_no = 'ZY2024000123'")
is "the outbox total is the three lines, in fen" "$total" 7500
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
M=$(outbox_q "$D" "SELECT mdtrt_id FROM bills WHERE ipt_no = 'ZY2024000123'")
visit() { py "[v['$2'] for v in d['visits'] if v['mdtrt_id'] == '$1'][0]"; }
is "ledger: settled once" "$(visit "$M" setl_cnt <<<"$ledger")" 1
is "ledger: the same total to the fen" "$("$PY" -c "import json, sys, decimal
d = json.load(sys.stdin, parse_float=decimal.Decimal)
print([v['medfee_sumamt'] for v in d['visits'] if v['mdtrt_id'] == '$M'][0])" <<<"$ledger")" 75.00
out=$("$HISGATE" slip "$(outbox_q "$D" "SELECT id FROM bills WHERE ipt_no = 'ZY2024000123'")" -c "$D/hisgate.conf" 2>&1)
check "the slip shows the settlement (75.00 in all)" grep -q '75\.00' <<<"$out"

# write-back: the statement ran with the bill's result
check "write-back: the HIS's bill row says settled" wait_until 30 sh -c \
    "[ \"\$(sqlite3 '$HIS' \"SELECT YB_STATE FROM ZY_BILL WHERE ZYH='ZY2024000123'\" 2>/dev/null)\" = settled ]"
is "write-back: with the outbox's setl_id" "$(his_q "SELECT YB_SETL_ID FROM ZY_BILL WHERE ZYH = 'ZY2024000123'")" \
    "$(outbox_q "$D" "SELECT setl_id FROM bills WHERE ipt_no = 'ZY2024000123'")"
cash=$(outbox_q "$D" "SELECT setl_json FROM bills WHERE ipt_no = 'ZY2024000123'" | "$PY" -c "import json, sys, decimal
print('%.2f' % json.load(sys.stdin, parse_float=decimal.Decimal)['setlinfo']['psn_cash_pay'])")
is "write-back: and its cash to pay, in yuan" "$(his_q "SELECT YB_CASH FROM ZY_BILL WHERE ZYH = 'ZY2024000123'")" "$cash"
id1=$(outbox_q "$D" "SELECT id FROM bills WHERE ipt_no = 'ZY2024000123'")
check "queue show: the result was written to the HIS database" grep -q \
    'write-back: settled result written to the HIS database' \
    <<<"$("$HISGATE" queue show "$id1" -c "$D/hisgate.conf" 2>&1)"

# a bill whose row the HIS has not written yet: the statement changes no
# row, which is a failure, shown and retried until the row is there
his_py "$HIS" <<'EOP'
bill("ZY2024000124", "2024-03-05 10:06:00", lines=2)
EOP
wait_until 90 sh -c "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT state FROM bills WHERE ipt_no='ZY2024000124'\" 2>/dev/null)\" = settled ]"
id2=$(outbox_q "$D" "SELECT id FROM bills WHERE ipt_no = 'ZY2024000124'")
check "queue show: a statement that changed no row is a failure, retried" wait_until 30 sh -c \
    "'$HISGATE' queue show $id2 -c '$D/hisgate.conf' 2>&1 | grep -q 'write-back: settled result not written.*changed no row'"
check "logged once" grep -q "write-back of bill $id2 failed (retried" "$D/agent.log"
his_q "INSERT INTO ZY_BILL (ZYH) VALUES ('ZY2024000124')"
check "once the HIS has the row, the result is written" wait_until 60 sh -c \
    "[ \"\$(sqlite3 '$HIS' \"SELECT YB_STATE FROM ZY_BILL WHERE ZYH='ZY2024000124'\" 2>/dev/null)\" = settled ]"

# the agent stopped while a write-back waits on a lock the HIS holds:
# the stop waits for that one statement, and the result is written once
his_py "$HIS" <<'EOP'
bill("ZY2024000125", "2024-03-05 10:07:00", lines=2)
db.execute("INSERT INTO ZY_BILL (ZYH) VALUES ('ZY2024000125')")
EOP
"$PY" -c "import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute('BEGIN IMMEDIATE')   # readers go on, writers wait
open(sys.argv[2], 'w').close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
db.execute('ROLLBACK')" "$HIS" "$T/locked" "$T/unlock" &
holder=$!
bg_pids="$bg_pids $holder"
wait_until 30 test -e "$T/locked"
check "a bill settled while the HIS holds its table locked" wait_until 90 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT state FROM bills WHERE ipt_no='ZY2024000125'\" 2>/dev/null)\" = settled ]"
sleep 2		# the write-back (every second) is now waiting on the lock
kill -TERM "$agent_pid"
sleep 1
touch "$T/unlock"
wait "$holder"
wait "$agent_pid"
is "stopped mid write-back, the agent exits 0" "$?" 0
start_agent "$D"
check "after the restart the result is there" wait_until 60 sh -c \
    "[ \"\$(sqlite3 '$HIS' \"SELECT YB_STATE FROM ZY_BILL WHERE ZYH='ZY2024000125'\" 2>/dev/null)\" = settled ]"
sleep 3		# three more write-back passes: nothing is written twice
is "each result was written once" "$(his_q "SELECT group_concat(ZYH || ':' || n, ' ') FROM (SELECT ZYH, count(*) AS n FROM WB_LOG GROUP BY ZYH ORDER BY ZYH)")" \
    "ZY2024000123:1 ZY2024000124:1 ZY2024000125:1"
stop_agent "$D"
wbrows() { outbox_q "$D" "SELECT count(*) FROM writeback"; }
is "the write-back records are in the outbox" "$(wbrows)" 3
"$HISGATE" queue purge "$(date -d tomorrow +%F)" --yes -c "$D/hisgate.conf" >/dev/null 2>&1
is "queue purge takes them with the settled bills" "$(wbrows)" 0
done_testing
