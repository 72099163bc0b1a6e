#!/bin/bash
# The odbc adapter against a real PostgreSQL server started here (initdb
# and pg_ctl from Debian's postgresql, as an unprivileged user, on a free
# port of 127.0.0.1) through psqlODBC's ANSI driver with the client
# encoding GBK (encoding = "GB18030").  The restart test: in the middle of
# a run the server is stopped for 30 s; meanwhile the HIS commits bills
# (on the server brought up on its unix socket only, out of the agent's
# reach), one of them with the same watermark as the last one seen.  The
# adapter must log one alarm and one recovery, reconnect by itself with
# backoff, and miss none of them.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/odbc-lib.sh"

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] ||
    skip_all "PostgreSQL is not installed (install the Debian package postgresql)"
odbc_drivers
grep -q '^\[PostgreSQL ANSI\]' "$T/odbc/odbcinst.ini" ||
    skip_all "psqlODBC is not installed (install the Debian package odbc-postgresql)"

# PostgreSQL refuses to run as root
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 ||
	    skip_all "running as root and there is no postgres user to run the server as"
	as_pg() { runuser -u postgres -- "$@"; }
	chmod 755 "$T"
else
	as_pg() { "$@"; }
fi
PGD=$T/pg
mkdir -p "$PGD"
[ "$(id -u)" = 0 ] && chown postgres "$PGD"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$PGBIN/initdb" -D "$PGD/data" -U hisgate --auth=trust -E UTF8 \
    --locale=C >"$T/initdb.log" 2>&1 || bail "initdb failed: $(tail -3 "$T/initdb.log")"
# pg_start [LISTEN]: the server on $port (LISTEN '' = unix socket only)
pg_start() {
	as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/server.log" -w -t 60 \
	    -o "-p $port -k $PGD -c listen_addresses='${1-127.0.0.1}' -c fsync=off" \
	    start >>"$T/pg_ctl.log" 2>&1
}
pg_stop() {
	as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -m fast -w -t 60 stop >>"$T/pg_ctl.log" 2>&1
}
pg_started=0
pg_cleanup() {
	[ $pg_started = 1 ] && pg_stop
	cleanup
}
trap pg_cleanup EXIT
pg_start || bail "the PostgreSQL server did not start: $(tail -5 "$PGD/server.log")"
pg_started=1
ok "a PostgreSQL server runs on 127.0.0.1:$port"
# psql over the unix socket, which works in both modes
PSQL=$PGBIN/psql
psql_his() { as_pg "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$PGD" -p "$port" -U hisgate -d postgres "$@"; }
# pg_bill ZYH READY [LINES]: one bill's fee lines in one transaction
pg_bill() {
	local i sql="BEGIN;"
	for ((i = 1; i <= ${3:-2}; i++)); do
		sql="$sql INSERT INTO fee VALUES ('$1', '欧阳娜娜', '女', '11010519491231002X',
		  '2024-03-01 08:30:00', '2024-03-05 10:00:00', 'J18.900', '肺炎', '0312',
		  '呼吸内科', $i, '2024-03-01 09:10:00', 'CW0001', '普通床位费', '', '日',
		  1, 25, 25, '001102000010000', '床位费', '$2');"
	done
	psql_his -c "$sql COMMIT;"
}
psql_his -c "CREATE TABLE fee (zyh varchar(20), xm varchar(40), xb varchar(4),
  sfzh varchar(18), rysj timestamp, cysj timestamp, zdbm varchar(20),
  zdmc varchar(100), ksbm varchar(20), ksmc varchar(100), xh integer,
  fysj timestamp, xmbm varchar(30), xmmc varchar(100), gg varchar(40),
  dw varchar(10), sl numeric(16,4), dj numeric(16,6), je numeric(16,2),
  ybbm varchar(30), sflb varchar(20), ready timestamp)" ||
    bail "cannot create the HIS table"
pg_bill ZY1001 "2024-03-05 10:00:00" 3
pg_bill ZY1002 "2024-03-05 10:00:00"
pg_bill ZY1003 "2024-03-05 11:00:00"

D=$T/agent
mkconf_odbc "$D" "Driver=PostgreSQL ANSI;Servername=127.0.0.1;Port=$port;Database=postgres;UID=hisgate;ConnSettings=SET client_encoding TO 'GBK'" \
    'encoding = "GB18030"; retry_max = 4; login_timeout = 5;'
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"

out=$("$HISGATE" adapter test his --json -c "$D/hisgate.conf" 2>&1)
check "adapter test reads the three bills through psqlODBC" \
    [ "$(grep -o '"ipt_no"' <<<"$out" | wc -l)" = 3 ]
check "GBK from the server is converted to UTF-8" \
    grep -q '"psn_name":"欧\*\*\*".*"name":"普通床位费".*"det_item_fee_sumamt":25.00' <<<"$out"

start_agent "$D"
check "the bills reach the outbox" wait_until 30 sh -c "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT count(*) FROM bills' 2>/dev/null)\" = 3 ]"
check "with the watermark" wait_until 10 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT cursor FROM cursors WHERE adapter='his'\")\" = '2024-03-05 11:00:00' ]"

# --- the restart ----------------------------------------------------------------
pg_stop || bail "pg_ctl stop failed"
down_at=$(date +%s)
ok "the server is stopped"
check "the adapter alarms" wait_until 20 grep -q 'his: the HIS database fails' "$D/agent.log"
# the HIS goes on committing, out of the agent's reach
pg_start '' || bail "the server did not start on its socket: $(tail -5 "$PGD/server.log")"
pg_bill ZY1004 "2024-03-05 11:00:00"	# the same watermark as the last one seen
pg_bill ZY1005 "2024-03-05 12:00:00" 4
pg_stop || bail "pg_ctl stop failed"
sleep $((30 - ($(date +%s) - down_at)))
pg_start || bail "the server did not start again: $(tail -5 "$PGD/server.log")"
ok "the server is back after 30 s"
check "the bills committed while it was down arrive" wait_until 60 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT count(*) FROM bills')\" = 5 ]"
is "including the one with the same watermark as the last one seen" \
    "$(outbox_q "$D" "SELECT count(*) FROM bills WHERE ipt_no = 'ZY1004'")" 1
is "and ZY1005 whole" "$(outbox_q "$D" "SELECT json_array_length(bill_json, '\$.feedetail') FROM bills WHERE ipt_no = 'ZY1005'")" 4
pg_bill ZY1006 "2024-03-05 13:00:00"
check "and it goes on reading after the restart" wait_until 30 sh -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT cursor FROM cursors WHERE adapter='his'\")\" = '2024-03-05 13:00:00' ]"
is "one alarm for the whole outage" "$(grep -c 'the HIS database fails' "$D/agent.log")" 1
is "one recovery" "$(grep -c 'recovered: the HIS database works again' "$D/agent.log")" 1
is "nothing doubled" "$(outbox_q "$D" 'SELECT count(*), max(version) FROM bills')" "6|1"
stop_agent "$D"
done_testing
