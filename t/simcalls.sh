# Helpers for the simulator tests (t/sim.sh, t/sim-visits.sh, ...):
# start a simulator, build envelopes, POST them with curl and read the
# answers.  Sourced after t/lib.sh.
command -v curl >/dev/null || bail "curl is not installed (script/bootstrap)"
[ -x "$SIM" ] || bail "$SIM not built"
ETC=$top_srcdir/etc/sim
PSN=41000000000000001234567890
CERTNO=11010519491231002X
sign_no=""

# start_sim NAME [SIM-ARGS...]: run a simulator with ledger $T/NAME.db;
# sets url and sim_pid.
start_sim() {
	local name=$1
	shift
	"$SIM" --listen 127.0.0.1:0 --policy "$ETC/policy.ini" \
	    --catalogue "$ETC/catalogue.csv" --ledger "$T/$name.db" "$@" \
	    >"$T/$name.out" 2>"$T/$name.log" &
	sim_pid=$!
	bg_pids="$bg_pids $sim_pid"
	ledger=$T/$name.db
	wait_until 10 grep -q '^listening on ' "$T/$name.out" ||
	    bail "simulator $name did not start: $(cat "$T/$name.log")"
	port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
	    "$T/$name.out")
	[ -n "$port" ] || bail "no port in: $(cat "$T/$name.out")"
	url=http://127.0.0.1:$port/
}

stop_sim() {
	kill -TERM "$sim_pid" 2>/dev/null
	wait "$sim_pid" 2>/dev/null
}

# envelope INFNO [INSUPLC] < INPUT-JSON > ENVELOPE: the input is spliced
# in as text so amounts keep their exact decimals.  Sets msgid (file).
envelope() {
	local seq
	# a file, not a variable: envelope also runs in pipelines (subshells)
	seq=$(($(cat "$T/seq" 2>/dev/null || echo 0) + 1))
	echo "$seq" >"$T/seq"
	msgid=H32010000001$(date +%Y%m%d%H%M%S)$(printf %04d $((seq % 10000)))
	echo "$msgid" >"$T/msgid"
	"$PY" -c '
import json, sys, time
infno, msgid, sign, insuplc = sys.argv[1:5]
hdr = {"infno": infno, "msgid": msgid, "mdtrtarea_admvs": "320100",
  "insuplc_admdvs": insuplc, "recer_sys_code": "YBXT", "dev_no": "",
  "dev_safe_info": "", "cainfo": "", "signtype": "", "infver": "V1.0",
  "opter_type": "1", "opter": "0231", "opter_name": "收费员甲",
  "inf_time": time.strftime("%Y-%m-%d %H:%M:%S"),
  "fixmedins_code": "H32010000001", "fixmedins_name": "示例市第一人民医院",
  "sign_no": sign}
head = json.dumps(hdr, ensure_ascii=False)
sys.stdout.write(head[:-1] + ", \"input\": " + sys.stdin.read() + "}")
' "$1" "$msgid" "$sign_no" "${2-410100}"
}

# call INFNO INSUPLC [CURL-ARGS...] < INPUT: POST it; the answer goes to
# $T/resp, the HTTP status to $T/status; returns curl's exit code.
call() {
	local infno=$1 insuplc=$2 rc
	shift 2
	envelope "$infno" "$insuplc" >"$T/req.json"
	msgid=$(cat "$T/msgid")
	rm -f "$T/resp"
	curl -sS -o "$T/resp" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json;charset=utf-8' \
	    --data-binary @"$T/req.json" "$@" "$url" >"$T/status" \
	    2>"$T/curl.err"
	rc=$?
	return $rc
}

# resend: the last request again, same msgid
resend() {
	rm -f "$T/resp"
	curl -sS -o "$T/resp" -w '%{http_code}' -X POST \
	    --data-binary @"$T/req.json" "$@" "$url" >"$T/status" \
	    2>"$T/curl.err"
}

# j EXPR: evaluate EXPR on the last answer (d), numbers as their text
j() {
	"$PY" -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]), parse_float=str, parse_int=str)
except (OSError, ValueError):
    print("<no answer>")
    sys.exit(0)
try:
    v = eval(sys.argv[2])
except (KeyError, IndexError, TypeError):
    v = "<missing>"
print("null" if v is None else v)
' "$T/resp" "$1"
}
infcode() { j 'd["infcode"]'; }
errmsg() { j 'd["err_msg"]'; }
setl() { j "d['output']['setlinfo']['$1']"; }

# ledger_field MDTRT_ID FIELD: from `hisgate-platform-sim ledger --json`
ledger_field() {
	"$SIM" ledger --ledger "$ledger" --json | "$PY" -c '
import json, sys
d = json.load(sys.stdin, parse_float=str)
m = [v for v in d["visits"] if v["mdtrt_id"] == sys.argv[1]]
print(m[0][sys.argv[2]] if m else "<no visit>")
' "$1" "$2"
}

signin() {
	sign_no=""
	echo '{"signIn": {"opter_no": "0231", "mac": "", "ip": "127.0.0.1"}}' |
	    call 9001 ""
	sign_no=$(j 'd["output"]["signinoutb"]["sign_no"]')
}

# reverse_2304 MSGID: the platform reverses that 2304 of $PSN behind the
# agent's back (signs in, then a direct 2601); infcode says how it went
reverse_2304() {
	signin
	call 2601 410100 <<EOF
{"data": {"psn_no": "$PSN", "omsgid": "$1", "oinfno": "2304"}}
EOF
}

admit() {
	local rc
	call 2401 410100 <<EOF
{"mdtrtinfo": {"psn_no": "$PSN", "insutype": "390",
  "begntime": "2024-03-01 08:30:00", "mdtrt_cert_type": "02",
  "mdtrt_cert_no": "$CERTNO", "med_type": "21", "ipt_no": "$1",
  "adm_dept_codg": "0312", "adm_dept_name": "胸外科"},
 "diseinfo": [{"psn_no": "$PSN", "diag_type": "1", "maindiag_flag": "1",
  "diag_srt_no": "1", "diag_code": "C34.900", "diag_name": "肺恶性肿瘤"}]}
EOF
	rc=$?
	mdtrt_id=$(j 'd["output"]["result"]["mdtrt_id"]')
	return $rc
}

upload() {
	sed "s/@MDTRT_ID@/$mdtrt_id/" "$DATA/worked-example-2301.json" |
	    call 2301 410100 "$@"
}

discharge() {
	call 2402 410100 <<EOF
{"dscginfo": {"mdtrt_id": "$mdtrt_id", "psn_no": "$PSN", "insutype": "390",
  "endtime": "2024-03-15 10:00:00", "dscg_way": "1"}, "diseinfo": []}
EOF
}

settle() {
	call "$1" 410100 <<EOF
{"data": {"psn_no": "$PSN", "mdtrt_cert_type": "02",
  "mdtrt_cert_no": "$CERTNO", "medfee_sumamt": $2, "psn_setlway": "01",
  "mdtrt_id": "$mdtrt_id", "insutype": "390", "acct_used_flag": "0",
  "invono": "", "mid_setl_flag": "0"}}
EOF
}

query_by_msgid() {
	call 5203 410100 <<EOF
{"data": {"psn_no": "$PSN", "setl_id": "", "mdtrt_id": "$mdtrt_id",
  "medins_setl_id": "$1"}}
EOF
}

reconcile() {
	call 3201 410100 <<EOF
{"data": {"insutype": "390", "clr_type": "21", "setl_optins": "410100",
  "stmt_begndate": "$(date +%Y-%m-%d)", "stmt_enddate": "$(date +%Y-%m-%d)",
  "medfee_sumamt": $1, "fund_pay_sumamt": $2, "acct_pay": 0.00,
  "fixmedins_setl_cnt": $3, "refd_setl_flag": "$4"}}
EOF
}

