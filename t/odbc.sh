#!/bin/bash
# The odbc adapter through unixODBC and the SQLite ODBC driver
# (libsqliteodbc), with the real agent: bills grouped from fee lines, the
# watermark committed with them, rows whose watermark equals the last one
# seen and rows committed late (inside the overlap) still picked up, a bad
# row withholding its bill and holding the watermark back until it is
# fixed (logged once, not every pass), a GBK database read with
# encoding = "GB18030", a database locked by another process for a while
# (one alarm, one recovery), and the configuration checks.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/odbc-lib.sh"

odbc_drivers
odbc_need SQLite3 libsqliteodbc

D=$T/agent
HIS=$T/his.db
mkconf_odbc "$D" "Driver=SQLite3;Database=$HIS;Timeout=300" "overlap = 300; retry_max = 2;"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
his_py "$HIS" <<'EOP'
bill("ZY0001", "2024-03-05 10:00:00")
bill("ZY0002", "2024-03-05 10:00:00", lines=3)
bill("ZY0003", "2024-03-05 11:00:00")
EOP

# --- configuration checks ------------------------------------------------------
cp -r "$D" "$T/badconf"
sed -i "s|$D|$T/badconf|g" "$T/badconf/hisgate.conf"
sed -i 's|^query = .*|query = "SELECT * FROM fee WHERE READY >= :since AND XH > 0";|' \
    "$T/badconf/adapters.d/his.conf"
out=$("$HISGATE" check-config -c "$T/badconf/hisgate.conf" 2>&1)
is "check-config refuses a query without :watermark" "$?" 1
check "naming the file, the unknown parameter and what is expected" \
    grep -q "his.conf:[0-9]*: query: unknown parameter :since (the query has only :watermark" <<<"$out"
check "and the missing :watermark" grep -q 'query: no :watermark parameter' <<<"$out"
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
check "the good configuration passes ($out)" [ $? -eq 0 ]

check_example "$D" his-db.conf.example

# --- adapter test reads, commits nothing ---------------------------------------
out=$("$HISGATE" adapter test his -c "$D/hisgate.conf" 2>&1)
check "adapter test shows the three bills" grep -q '^# 3 bills read, 0 invalid' <<<"$out"
check "grouped by the key columns" grep -q 'bill ZY0002|2024-03-01 08:30:00 (.*): ready, 3 lines' <<<"$out"
is "and commits nothing" "$(outbox_q "$D" 'SELECT count(*) FROM bills' 2>/dev/null || echo 0)" 0

# --- the agent ----------------------------------------------------------------
start_agent "$D"
check "the three bills reach the outbox" wait_until 30 sh -c "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT count(*) FROM bills' 2>/dev/null)\" = 3 ]"
check "the watermark is committed with them" wait_until 10 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT cursor FROM cursors WHERE adapter='his'\")\" = '2024-03-05 11:00:00' ]"
is "ZY0002 has its 3 lines" "$(outbox_q "$D" "SELECT json_array_length(bill_json, '\$.feedetail') FROM bills WHERE ipt_no = 'ZY0002'")" 3

# a bill with the same watermark as the last one seen, committed later
his_py "$HIS" <<<'bill("ZY0004", "2024-03-05 11:00:00")'
check "a row whose watermark equals the last one seen is picked up" \
    wait_until 20 sh -c "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT count(*) FROM bills')\" = 4 ]"
# a bill committed late with an earlier watermark, inside the overlap
his_py "$HIS" <<<'bill("ZY0005", "2024-03-05 10:56:00")'
check "a row committed late inside the overlap window is picked up" \
    wait_until 20 sh -c "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT count(*) FROM bills')\" = 5 ]"
is "re-reading the overlap doubles nothing" \
    "$(outbox_q "$D" 'SELECT count(*), max(version) FROM bills')" "5|1"

# a bad amount withholds its bill and holds the watermark at it
his_py "$HIS" <<'EOP'
bill("ZY0006", "2024-03-05 12:00:00", je="12,5")
bill("ZY0007", "2024-03-05 13:00:00")
EOP
check "the good bill after the bad one arrives" \
    wait_until 20 sh -c "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT count(*) FROM bills WHERE ipt_no='ZY0007'\")\" = 1 ]"
is "the bad bill does not" "$(outbox_q "$D" "SELECT count(*) FROM bills WHERE ipt_no='ZY0006'")" 0
is "the watermark stays at the withheld bill" "$(cursor_of "$D")" "2024-03-05 12:00:00"
check "the problem names the row, the column and what was expected" \
    grep -q 'his: row [0-9]* of the query (READY 2024-03-05 12:00:00), column 19 (JE), det_item_fee_sumamt: "12,5" is not a plain decimal' "$D/agent.log"
sleep 1	# a few more passes re-read it
is "it is logged once, not every pass" "$(grep -c '"12,5" is not a plain decimal' "$D/agent.log")" 1
sqlite3 "$HIS" "UPDATE fee SET JE = '25.00' WHERE ZYH = 'ZY0006'"
check "once fixed in the HIS, the bill arrives" \
    wait_until 20 sh -c "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT count(*) FROM bills WHERE ipt_no='ZY0006'\")\" = 1 ]"
check "and the watermark moves on" wait_until 10 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT cursor FROM cursors WHERE adapter='his'\")\" = '2024-03-05 13:00:00' ]"

# the database goes away: another process holds it locked (as a HIS
# backup or a long transaction does) while it writes a bill, then lets go
his_py "$HIS" <<'EOP' &
import time
db.execute("BEGIN EXCLUSIVE")
bill("ZY0008", "2024-03-05 14:00:00")
time.sleep(5)
EOP
locker=$!
bg_pids="$bg_pids $locker"
check "the outage is alarmed" wait_until 20 grep -q 'his: the HIS database fails: .*reconnecting by itself' "$D/agent.log"
wait "$locker"
check "the bill written meanwhile arrives after it" \
    wait_until 30 sh -c "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT count(*) FROM bills WHERE ipt_no='ZY0008'\")\" = 1 ]"
is "one alarm for the whole outage" "$(grep -c 'the HIS database fails' "$D/agent.log")" 1
is "one recovery" "$(grep -c 'recovered: the HIS database works again' "$D/agent.log")" 1
stop_agent "$D"

# --- a GBK database, encoding = "GB18030" ----------------------------------------
G=$T/gbk
mkconf_odbc "$G" "Driver=SQLite3;Database=$T/gbk.db" 'encoding = "GB18030";'
echo 'settle: { enabled = false; };' >>"$G/hisgate.conf"
his_py "$T/gbk.db" <<<'bill("ZY0101", "2024-03-06 09:00:00", name="欧阳娜娜", enc="gbk")'
check "the raw bytes are GBK" sh -c "sqlite3 '$T/gbk.db' \"SELECT hex(XMMC) FROM fee LIMIT 1\" | grep -q '^C6D5CDA8B4B2CEBBB7D1\$'"
out=$("$HISGATE" adapter test his --json -c "$G/hisgate.conf" 2>&1)
check "converted to UTF-8 at the edge" grep -q '"psn_name":"欧\*\*\*".*"name":"普通床位费"' <<<"$out"
sed -i 's/encoding = "GB18030";//' "$G/adapters.d/his.conf"
out=$("$HISGATE" adapter test his -c "$G/hisgate.conf" 2>&1)
check "read as UTF-8 the same bytes are named as invalid" \
    grep -q 'invalid UTF-8 byte sequence' <<<"$out$(cat "$G/agent.log" 2>/dev/null)"

done_testing
