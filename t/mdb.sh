#!/bin/bash
# An Access (.mdb) file as an odbc source, through mdbtools' ODBC driver
# (odbc-mdbtools), end to end: a Jet 4 file written by t/mkmdb.py (text
# in UCS-2 with Chinese, an integer line number, Date/Time and Currency
# columns) read with parameters = "inline" and sort = true (the driver
# has neither bound parameters nor ORDER BY, and compares dates wrongly),
# settled on the simulator to the fen; the file is never written; after
# the file is written again with more bills, only the new ones are taken,
# each once.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/odbc-lib.sh"

odbc_drivers
odbc_need MDBTools odbc-mdbtools

D=$T/agent
MDB=$T/his.mdb
start_sim
mkconf_odbc "$D" "Driver=MDBTools;DBQ=$MDB" 'parameters = "inline"; sort = true; reconnect = true;'
sed -i 's|^query = .*|query = "SELECT * FROM fee WHERE READY >= :watermark";|' \
    "$D/adapters.d/his.conf"
echo "platform: { url = \"http://127.0.0.1:$port/\"; };" >>"$D/hisgate.conf"
echo 'settle: { backoff_base_ms = 200; backoff_cap_ms = 2000; };' >>"$D/hisgate.conf"

# mkmdb BILL... : the .mdb with the fee lines of these bills, each
# "ZYH:READY:LINES"; written to a new file renamed over the old one, as
# a HIS program saving a copy would (mdbtools reads a file, not a live
# Jet lock)
mkmdb() {
	"$PY" - "$@" <<'EOP' | "$PY" "$top_srcdir/t/mkmdb.py" "$MDB.new"
import json, sys
cols = [("ZYH", "text"), ("XM", "text"), ("XB", "text"), ("SFZH", "text"),
        ("RYSJ", "datetime"), ("CYSJ", "datetime"), ("ZDBM", "text"),
        ("ZDMC", "text"), ("KSBM", "text"), ("KSMC", "text"),
        ("XH", "long"), ("FYSJ", "datetime"), ("XMBM", "text"),
        ("XMMC", "text"), ("GG", "text"), ("DW", "text"), ("SL", "double"),
        ("DJ", "money"), ("JE", "money"), ("YBBM", "text"),
        ("SFLB", "text"), ("READY", "datetime")]
rows = []
for arg in sys.argv[1:]:
    zyh, ready, lines = arg.split("|")
    for i in range(1, int(lines) + 1):
        rows.append([zyh, "王芳", "女", "11010519491231002X",
                     "2024-03-01 08:30:00", "2024-03-05 10:00:00", "J18.900",
                     "肺炎", "0312", "呼吸内科", i, "2024-03-01 09:10:00",
                     "CW0001", "普通床位费", None, "日", 1.0, "25.5",
                     "25.5", "001102000010000", "床位费", ready])
print(json.dumps({"name": "fee", "columns": cols, "rows": rows},
                 ensure_ascii=False))
EOP
	mv "$MDB.new" "$MDB"
}
mkmdb "ZY2024000123|2024-03-05 10:05:00|3" "ZY2024000124|2024-03-05 10:06:00|2"

# --- the file, as mdbtools reads it --------------------------------------------
is "mdb-tables lists the table" "$(mdb-tables -1 "$MDB")" fee
check "mdb-schema gives its columns and types" sh -c \
    "mdb-schema '$MDB' | grep -q '\[READY\].*DateTime' && mdb-schema '$MDB' | grep -q '\[JE\].*Currency'"
is "mdb-export reads the Chinese text and the amounts" \
    "$(mdb-export -H -d '|' -T '%F %T' "$MDB" fee | head -1 | cut -d'|' -f1,2,10,11,17-19,22)" \
    '"ZY2024000123"|"王芳"|"呼吸内科"|1|1|25.5000|25.5000|"2024-03-05 10:05:00"'
stamp() { stat -c '%s %Y %i' "$MDB"; sha256sum <"$MDB"; }
before=$(stamp)

# --- through the agent -----------------------------------------------------------
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
check "check-config accepts the configuration ($out)" [ $? -eq 0 ]
check_example "$D" access.conf.example
out=$("$HISGATE" adapter test his -c "$D/hisgate.conf" 2>&1)
check "adapter test reads the two bills" grep -q '^# 2 bills read, 0 invalid' <<<"$out" ||
    sed 's/^/#   /' <<<"$out" | tail -5
start_agent "$D"
settled_n() { outbox_q "$D" "SELECT count(*) FROM bills WHERE state = 'settled'" 2>/dev/null; }
check "both bills are settled" wait_until 90 sh -c "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT count(*) FROM bills WHERE state='settled'\" 2>/dev/null)\" = 2 ]" ||
    { grep -i 'his\|error' "$D/agent.log" | tail -5 | sed 's/^/#   /'; }
is "the totals, in fen" "$(outbox_q "$D" "SELECT group_concat(ipt_no || ':' || total, ' ') FROM (SELECT ipt_no, total FROM bills ORDER BY ipt_no)")" \
    "ZY2024000123:7650 ZY2024000124:5100"
is "the text arrived as UTF-8" "$(outbox_q "$D" "SELECT json_extract(bill_json, '\$.dept_name') FROM bills WHERE ipt_no = 'ZY2024000123'")" 呼吸内科
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: each settled once, the same totals to the fen" "$("$PY" -c "import json, sys, decimal
d = json.load(sys.stdin, parse_float=decimal.Decimal)
print(' '.join(sorted('%s:%s' % (v['medfee_sumamt'], v['setl_cnt']) for v in d['visits'])))" <<<"$ledger")" "51.00:1 76.50:1"
check "the watermark is committed with them" wait_until 10 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT cursor FROM cursors WHERE adapter='his'\")\" = '2024-03-05 10:06:00' ]"
sleep 1		# a few more passes over the file
is "read only: the file is unchanged (size, mtime, inode, content)" "$(stamp)" "$before"

# --- the file written again, with two more bills ---------------------------------
# ZY2024000125 is later than the watermark; ZY2024000126 was saved late
# with an earlier time (inside the overlap): both are new, the old ones
# are read again (the overlap) and change nothing
mkmdb "ZY2024000123|2024-03-05 10:05:00|3" "ZY2024000124|2024-03-05 10:06:00|2" \
    "ZY2024000126|2024-03-05 10:04:00|1" "ZY2024000125|2024-03-05 10:07:00|2"
check "the two new bills are settled" wait_until 90 sh -c "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT count(*) FROM bills WHERE state='settled'\" 2>/dev/null)\" = 4 ]"
is "each bill once, none replaced" "$(outbox_q "$D" 'SELECT count(*), count(DISTINCT ipt_no), max(version) FROM bills')" "4|4|1"
is "the new totals" "$(outbox_q "$D" "SELECT group_concat(ipt_no || ':' || total, ' ') FROM (SELECT ipt_no, total FROM bills WHERE ipt_no > 'ZY2024000124' ORDER BY ipt_no)")" \
    "ZY2024000125:5100 ZY2024000126:2550"
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: four visits, each settled once" "$(py "sorted(set(v['setl_cnt'] for v in d['visits'])), len(d['visits'])" <<<"$ledger")" "[1] 4"
check "the watermark moved on" wait_until 10 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT cursor FROM cursors WHERE adapter='his'\")\" = '2024-03-05 10:07:00' ]"
stop_agent "$D"
done_testing
