# shellcheck shell=bash
# Shared by the end-to-end tests: TAP output, a scratch directory removed
# on exit, every background process killed on exit (even on failure),
# bounded waits instead of fixed sleeps.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir/_build}"
HISGATE=$top_builddir/hisgate
SIM=$top_builddir/hisgate-platform-sim
PY=/usr/bin/python3
DATA=$top_srcdir/t/data
T=$(mktemp -d /tmp/hgt.XXXXXX)
tap_n=0
tap_failed=0
bg_pids=""

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}
# check DESCRIPTION COMMAND...: one TAP line for the command's status
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then ok "$1"
	else not_ok "$1"; echo "#   got:  '$2'"; echo "#   want: '$3'"; fi
}
bail() { echo "Bail out! $*"; exit 1; }
done_testing() {
	echo "1..$tap_n"
	[ $tap_failed -eq 0 ]
}

cleanup() {
	local p
	for p in $bg_pids; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "${HG_KEEP:-0}" = 1 ] || [ $tap_failed -gt 0 ]; then
		echo "# scratch directory kept: $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_until SECONDS COMMAND...: poll (10 Hz) until the command succeeds
wait_until() {
	local limit=$1 end
	shift
	end=$(($(date +%s) + limit))
	until "$@"; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.1
	done
}

# mkconf DIR [EXTRA-ADAPTER-LINES]: an agent config under DIR with one
# csvdrop adapter "his" watching DIR/in.
mkconf() {
	local d=$1
	mkdir -p "$d/in" "$d/adapters.d"
	cat >"$d/hisgate.conf" <<EOC
agent: {
  fixmedins_code = "H32010000001";
  fixmedins_name = "示例市第一人民医院";
  admdvs = "320100";
  outbox = "$d/outbox.db";
  adapters_dir = "$d/adapters.d";
  mapping_file = "$d/mapping.csv";
  log_level = "info";
  poll_ms = 200;
};
EOC
	# an empty table (header only): check-config wants the file
	[ -e "$d/mapping.csv" ] ||
	    printf 'local_code,national_code,name\n' >"$d/mapping.csv"
	cat >"$d/adapters.d/his.conf" <<EOC
type = "csvdrop";
dir = "$d/in";
stable_seconds = 1;
${2:-}
EOC
}

# start_agent DIR: run the agent in the background, log in DIR/agent.log
start_agent() {
	"$HISGATE" run --foreground -c "$1/hisgate.conf" >>"$1/agent.log" 2>&1 &
	agent_pid=$!
	bg_pids="$bg_pids $agent_pid"
}
# stop_agent: SIGTERM, and one TAP line: it must exit 0 (under the
# sanitizers a leak or undefined behaviour makes that fail)
stop_agent() {
	local rc
	# a sanitized build takes a moment to reach main(): let it start
	wait_until 20 grep -qs "hisgate\[$agent_pid\].*hisgate: running" \
	    "${1:-$D}/agent.log"
	kill -TERM "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "the agent exits 0 on SIGTERM"
	else
		not_ok "the agent exits 0 on SIGTERM (status $rc)"
		grep -A12 'Sanitizer\|runtime error' "${1:-$D}/agent.log" 2>/dev/null |
		    head -30 | sed 's/^/#   /'
	fi
}

# start_sim [SIM-ARGS...]: the platform simulator on a free port with the
# etc/sim policy and catalogue, registry $SIM_REGISTRY (default etc/sim),
# ledger $T/ledger.db, log $T/sim.log; sets sim_pid and port.
start_sim() {
	"$SIM" --listen 127.0.0.1:0 --policy "$top_srcdir/etc/sim/policy.ini" \
	    --catalogue "$top_srcdir/etc/sim/catalogue.csv" \
	    --registry "${SIM_REGISTRY:-$top_srcdir/etc/sim/registry.csv}" \
	    --ledger "$T/ledger.db" "$@" >>"$T/sim.log" 2>&1 &
	sim_pid=$!
	bg_pids="$bg_pids $sim_pid"
	wait_until 20 grep -qs 'listening on 127.0.0.1:' "$T/sim.log" ||
	    bail "the simulator did not start: $(cat "$T/sim.log")"
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
	    "$T/sim.log" | tail -1)
}

# mkcerts: in $T a test CA (ca.pem), a server certificate for 127.0.0.1
# (srv.pem, srv.key), a client certificate of the test hospital signed by
# the CA (cli.pem, cli.key, mode 600) and a self-signed stranger
# (stranger.pem, stranger.key); bails out when openssl fails.
mkcerts() {
	(
		cd "$T" &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		    -subj /CN=test-ca -keyout ca.key -out ca.pem &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
		    -keyout srv.key -out srv.csr &&
		printf 'subjectAltName=IP:127.0.0.1\n' >srv.ext &&
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile srv.ext -out srv.pem &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=H32010000001 \
		    -keyout cli.key -out cli.csr &&
		openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 2 -out cli.pem &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		    -subj /CN=stranger -keyout stranger.key -out stranger.pem &&
		chmod 600 cli.key
	) >"$T/openssl.log" 2>&1 || bail "openssl: $(tail -3 "$T/openssl.log")"
}

# gbk SRC DST: write a UTF-8 file as GBK (the legacy export encoding)
gbk() { iconv -f UTF-8 -t GB18030 "$1" >"$2"; }

# drop FILE DIR: move a finished file into the drop directory atomically
drop() { cp "$1" "$2/.tmp.$(basename "$1")" && mv "$2/.tmp.$(basename "$1")" "$2/$(basename "$1")"; }

# jq-like helper: py EXPR reads JSON from stdin as `d` and prints EXPR
py() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# show_layout: read `hisgate queue show ID` output on stdin; fail (naming
# the first bad line) unless it is "bill N: ..." then only lines two spaces
# in (a "label: value", or a "label:" whose lines follow) and, under a
# "label:", lines four spaces in (history, calls, problems, the bill)
show_layout() {
	awk 'NR == 1 { if ($0 !~ /^bill [0-9]+: /) { print "#   line 1: " $0; exit 1 } next }
	    /^  [a-z][a-z_ -]*:$/ { blk = 1; next }
	    /^  [a-z][a-z_ -]*: / || /^  (amendment|personal data) / { blk = 0; next }
	    /^    [^ ]/ && blk { next }
	    { print "#   line " NR ": " $0; exit 1 }' | cut -c1-100
	[ "${PIPESTATUS[0]}" -eq 0 ]
}

count_files() { find "$1" -maxdepth 1 -type f -name "${2:-*}" | wc -l; }

# listen_port DIR WHAT: wait for the agent's "WHAT listening on
# 127.0.0.1:PORT" log line (adapters that listen on port 0) and print PORT
listen_port() {
	wait_until 20 grep -qs "$2 listening on 127.0.0.1:" "$1/agent.log" ||
	    bail "the $2 adapter did not listen: $(tail -5 "$1/agent.log")"
	sed -n "s/.*$2 listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p" \
	    "$1/agent.log" | tail -1
}

# users_file FILE [LINE...]: a web.users_file, mode 0600, with the
# operator "it" (no ward; curl -u "$IT" logs in as it) and LINEs after
# it (name:hash:ward for a nurse).  The IT pages need such a login.
IT=it:it-pass
users_file() {
	local f=$1
	shift
	(umask 077 && printf 'it:%s\n' \
	    "$(openssl passwd -6 -salt 0therSlt it-pass)" >"$f" &&
	    if [ $# -gt 0 ]; then printf '%s\n' "$@" >>"$f"; fi)
}

# start_browser: Debian's Chromium, headless at a ward PC's 1366x768,
# driven over the DevTools protocol (t/webcdp.py); user data in
# $T/chromium (CHR).  have_browser=1 once it listens (chr_pid), with
# cdp ARGS... to drive it; 0 when it is not installed or cannot start
# ($T/chromium.log says why).
start_browser() {
	CHR=$T/chromium
	have_browser=0
	command -v chromium >/dev/null 2>&1 || return 0
	chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
	    --no-first-run --user-data-dir="$CHR" --remote-debugging-port=0 \
	    --window-size=1366,768 about:blank >"$T/chromium.log" 2>&1 &
	chr_pid=$!
	bg_pids="$bg_pids $chr_pid"
	wait_until 60 test -s "$CHR/DevToolsActivePort" && have_browser=1
	return 0
}
cdp() { $PY "$top_srcdir/t/webcdp.py" "$CHR" "$@"; }
# no_browser WHAT: the browser checks of WHAT cannot run (have_browser=0):
# skipped, or failed under HG_REQUIRE_BROWSER=1 (script/test, which
# installs Chromium: a browser that cannot start there is a defect)
no_browser() {
	local why
	why="chromium cannot start: $(command -v chromium >/dev/null ||
	    echo 'not installed (script/bootstrap installs it)'; tail -2 \
	    "$T/chromium.log" 2>/dev/null | tr '\n' ' ')"
	if [ "${HG_REQUIRE_BROWSER:-0}" = 1 ]; then
		not_ok "browser: $1: $why"
	else
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP browser: $1: $why"
	fi
}

# queue_of DIR: `queue list --json` of the agent config in DIR;
# bills_of DIR IPT_NO: how many bills have that ipt_no
queue_of() { "$HISGATE" queue list --json -c "$1/hisgate.conf" 2>/dev/null; }
bills_of() { queue_of "$1" | py "len([b for b in d if b['ipt_no'] == '$2'])"; }
# with $conf set to an agent config: state_of IPT_NO (or ""), field_of
# IPT_NO FIELD, and settled IPT_NO (true once it is), by inpatient number
conf_queue() { "$HISGATE" queue list --json -c "$conf" 2>/dev/null; }
state_of() { conf_queue | py "([b['state'] for b in d if b['ipt_no'] == '$1'] or [''])[0]"; }
field_of() { conf_queue | py "[b['$2'] for b in d if b['ipt_no'] == '$1'][0]"; }
settled() { [ "$(state_of "$1")" = settled ]; }

# lock_outbox DIR SECONDS: hold an exclusive lock on DIR/outbox.db in the
# background (so commits fail with "busy"); sets locker to its pid
lock_outbox() {
	"$PY" - "$1/outbox.db" "$2" <<'EOP' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
time.sleep(float(sys.argv[2]))
c.execute("COMMIT")
EOP
	locker=$!
	bg_pids="$bg_pids $locker"
	sleep 0.5
}

# worked_csv FILE: the worked example (51423.22; the simulator engineer's
# 2301 fixture) as a UTF-8 HIS export, 王芳 in 胸外科
worked_csv() {
"$PY" - "$DATA/worked-example-2301.json" "$top_srcdir/etc/sim/catalogue.csv" \
    >"$1" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
lv = {}
for line in open(sys.argv[2], encoding="utf-8"):
    if line.startswith("#") or line.startswith("code,"):
        continue
    f = line.rstrip("\n").split(",")
    lv[f[0]] = f[2]
print("住院号,姓名,性别,身份证号,医保卡号,入院时间,出院时间,主要诊断编码,"
      "主要诊断名称,科室编码,科室名称,明细序号,费用时间,院内项目编码,项目名称,"
      "规格,单位,数量,单价,金额,医保目录编码,收费类别,甲乙类")
for i, f in enumerate(d["feedetail"], 1):
    print(",".join([
        "ZY2024000777", "王芳", "女", "11010519491231002X", "A12345678",
        "2024-03-01 08:00:00", "2024-03-05 10:00:00", "C34.100",
        "肺恶性肿瘤", "0312", "胸外科", str(i), f["fee_ocur_time"],
        f["medins_list_codg"], f["memo"], "", "",
        "%.4f" % f["cnt"], "%.6f" % f["pric"],
        "%.2f" % f["det_item_fee_sumamt"], f["med_list_codg"], "",
        lv.get(f["med_list_codg"], "")]))
EOP
}
