# shellcheck shell=bash
# Shared by the odbc tests (after t/lib.sh): a test-local odbcinst.ini
# (ODBCSYSINI; /etc/odbcinst.ini is never read or edited), an odbc adapter
# config, a HIS fee table written by Python's own sqlite3 module (an
# independent writer), and the outbox read back.

# odbc_drivers: register the Debian drivers the tests use in $T/odbc.
odbc_drivers() {
	local lib
	mkdir -p "$T/odbc"
	: >"$T/odbc/odbcinst.ini"
	for lib in SQLite3:libsqlite3odbc.so "PostgreSQL ANSI:psqlodbca.so" \
	    MDBTools:libmdbodbc.so; do
		set -- /usr/lib/*/odbc/"${lib#*:}"
		[ -e "$1" ] || continue
		printf '[%s]\nDriver=%s\n\n' "${lib%%:*}" "$1" >>"$T/odbc/odbcinst.ini"
	done
	: >"$T/odbc/odbc.ini"
	ODBCSYSINI=$T/odbc ODBCINI=$T/odbc/odbc.ini
	export ODBCSYSINI ODBCINI
	# the drivers' own leaks are theirs (t/lsan-odbc.supp)
	LSAN_OPTIONS="suppressions=$top_srcdir/t/lsan-odbc.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export LSAN_OPTIONS
}

# odbc_need NAME PACKAGE: bail unless odbc_drivers registered driver NAME.
odbc_need() {
	grep -q "^\[$1\]" "$T/odbc/odbcinst.ini" ||
	    bail "the ODBC driver $1 is missing: install $2 (script/bootstrap)"
}

# check_example DIR EXAMPLE: one TAP line, etc/adapters.d/EXAMPLE alone
# in the adapters.d of a copy of DIR's config passes check-config.
check_example() {
	local out
	mkdir -p "$T/ex/adapters.d"
	rm -f "$T/ex/adapters.d/"*
	sed "s|$1/adapters.d|$T/ex/adapters.d|" "$1/hisgate.conf" >"$T/ex/hisgate.conf"
	cp "$top_srcdir/etc/adapters.d/$2" "$T/ex/adapters.d/${2%.example}"
	out=$("$HISGATE" check-config -c "$T/ex/hisgate.conf" 2>&1)
	check "the shipped example $2 passes check-config ($out)" [ $? -eq 0 ]
}

# The column map of the pinyin-initial fee table (his-side.md §1).
ODBC_COLUMNS='columns = { ipt_no = "ZYH"; psn_name = "XM"; gend = "XB";
  certno = "SFZH"; begntime = "RYSJ"; endtime = "CYSJ"; diag_code = "ZDBM";
  diag_name = "ZDMC"; dept_codg = "KSBM"; dept_name = "KSMC";
  feedetl_sn = "XH"; fee_ocur_time = "FYSJ"; medins_list_codg = "XMBM";
  name = "XMMC"; spec = "GG"; unit = "DW"; cnt = "SL"; pric = "DJ";
  det_item_fee_sumamt = "JE"; med_list_codg = "YBBM"; category = "SFLB"; };'

# mkconf_odbc DIR CONNECTION [EXTRA-ADAPTER-LINES]: an agent config under
# DIR with one odbc adapter "his".
mkconf_odbc() {
	mkconf "$1"
	cat >"$1/adapters.d/his.conf" <<EOC
type = "odbc";
connection = "$2";
query = "SELECT * FROM fee WHERE READY >= :watermark ORDER BY READY, ZYH, XH";
watermark = "READY";
$ODBC_COLUMNS
${3:-}
EOC
}

# his_py DB: run Python on stdin with `db` open on the SQLite file DB and
# bill(zyh, ready, lines, ...) to add a bill's fee lines.
his_py() {
	local db=$1
	shift
	{ cat <<'EOP'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute("""CREATE TABLE IF NOT EXISTS fee (ZYH TEXT, XM TEXT, XB TEXT,
 SFZH TEXT, RYSJ TEXT, CYSJ TEXT, ZDBM TEXT, ZDMC TEXT, KSBM TEXT,
 KSMC TEXT, XH INTEGER, FYSJ TEXT, XMBM TEXT, XMMC TEXT, GG TEXT, DW TEXT,
 SL TEXT, DJ TEXT, JE TEXT, YBBM TEXT, SFLB TEXT, READY TEXT)""")
def bill(zyh, ready, lines=2, je="25.00", name="王芳", enc=None,
         certno="11010519491231002X"):
    for i in range(1, lines + 1):
        row = [zyh, name, "女", certno, "2024-03-01 08:30:00",
               "2024-03-05 10:00:00", "J18.900", "肺炎", "0312", "呼吸内科", i,
               "2024-03-01 09:10:00", "CW0001", "普通床位费", "", "日", "1",
               "25.0000", je if i == 1 else "25.00", "001102000010000",
               "床位费", ready]
        if enc:
            # text in the client's encoding, as a GBK database holds it
            row = [v.encode(enc) if isinstance(v, str) else v for v in row]
            db.execute("INSERT INTO fee VALUES (" + ",".join(
                "CAST(? AS TEXT)" if isinstance(v, bytes) else "?"
                for v in row) + ")", row)
        else:
            db.execute("INSERT INTO fee VALUES (%s)" % ",".join("?" * 22), row)
EOP
	cat
	echo 'db.commit()'; } | "$PY" - "$db" "$@"
}

# outbox_q DIR SQL: a query on the agent's outbox
outbox_q() { sqlite3 -cmd '.timeout 5000' "$1/outbox.db" "$2"; }
nbills() { outbox_q "$1" "SELECT count(*) FROM bills"; }
cursor_of() { outbox_q "$1" "SELECT cursor FROM cursors WHERE adapter = '${2:-his}'"; }
