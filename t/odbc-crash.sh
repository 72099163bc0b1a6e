#!/bin/bash
# Kill test for the odbc adapter: the HIS database (SQLite through the
# SQLite ODBC driver) holds 300 bills of 10 lines and a writer adds 300
# more while the agent is killed with SIGKILL at random moments and
# restarted.  max_rows makes each pass hand bills over in several batches,
# so the watermark must ride only with the last one.  After every kill no
# watermark is committed ahead of its bills (every bill at or below it is
# in the outbox, whole); in the end every bill is there exactly once.
#   HG_SEED=N t/odbc-crash.sh     replays one schedule
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/odbc-lib.sh"

seed=${HG_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# seed $seed (HG_SEED=$seed replays this schedule)"
RANDOM=$seed
KILLS=${HG_KILLS:-12}

odbc_drivers
D=$T/agent
HIS=$T/his.db
mkconf_odbc "$D" "Driver=SQLite3;Database=$HIS;Timeout=5000" 'max_rows = 4000;'
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"

# 10 bills per watermark (a minute apart), each watermark in one
# transaction, so a watermark is never added to after it is seen
his_py "$HIS" <<'EOP'
import datetime
t0 = datetime.datetime(2024, 3, 5, 8, 0, 0)
for g in range(30):
    ready = (t0 + datetime.timedelta(minutes=g)).strftime("%Y-%m-%d %H:%M:%S")
    for b in range(10):
        bill("ZY%03d%02d" % (g, b), ready, lines=10)
EOP
his_py "$HIS" <<'EOP' &
import datetime, time
t0 = datetime.datetime(2024, 3, 5, 8, 0, 0)
for g in range(30, 60):
    ready = (t0 + datetime.timedelta(minutes=g)).strftime("%Y-%m-%d %H:%M:%S")
    for b in range(10):
        bill("ZY%03d%02d" % (g, b), ready, lines=10)
    db.commit()
    time.sleep(0.1)
EOP
writer=$!
bg_pids="$bg_pids $writer"

# ahead: the bills at or below the committed watermark missing from the
# outbox (or not whole); empty when the guarantee holds
ahead() {
	"$PY" - "$HIS" "$D/outbox.db" <<'EOP'
import sqlite3, sys, json
his = sqlite3.connect(sys.argv[1], timeout=30)
try:
    ob = sqlite3.connect("file:%s?mode=ro" % sys.argv[2], uri=True, timeout=30)
    cur = ob.execute("SELECT cursor FROM cursors WHERE adapter='his'").fetchone()
except sqlite3.OperationalError:
    cur = None
if cur is None:
    sys.exit(0)
have = {r[0]: len(json.loads(r[1])["feedetail"])
        for r in ob.execute("SELECT ipt_no, bill_json FROM bills")}
bad = [z for (z, n) in his.execute(
    "SELECT ZYH, count(*) FROM fee WHERE READY <= ? GROUP BY ZYH", cur)
    if have.get(z) != n]
if bad:
    print("cursor %s but %d bills at or below it missing or partial, e.g. %s"
          % (cur[0], len(bad), bad[:3]))
EOP
}

violations=""
for ((k = 1; k <= KILLS; k++)); do
	start_agent "$D"
	sleep "0.$((20 + RANDOM % 80))"
	[ $((RANDOM % 2)) = 0 ] && sleep "0.$((RANDOM % 400))"
	kill -9 "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
	v=$(ahead)
	[ -n "$v" ] && violations="$violations kill $k: $v;"
done
wait "$writer"
is "after each of $KILLS kills, no watermark was committed ahead of its bills" "$violations" ""

start_agent "$D"
check "in the end all 600 bills are in the outbox" wait_until 120 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT count(*) FROM bills' 2>/dev/null)\" = 600 ]"
check "and the watermark reaches the last one" wait_until 20 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT cursor FROM cursors WHERE adapter='his'\")\" = '2024-03-05 08:59:00' ]"
stop_agent "$D"
is "each exactly once, at version 1" \
    "$(outbox_q "$D" 'SELECT count(DISTINCT source_key), max(version), min(version) FROM bills')" "600|1|1"
is "each whole (10 lines)" \
    "$(outbox_q "$D" "SELECT count(*) FROM bills WHERE json_array_length(bill_json, '\$.feedetail') = 10")" 600
is "the ledger of states: all ready" "$(outbox_q "$D" 'SELECT group_concat(DISTINCT state) FROM bills')" ready
is "nothing ahead at the end either" "$(ahead)" ""
is "the outbox is intact" "$(outbox_q "$D" 'PRAGMA integrity_check')" ok
done_testing
