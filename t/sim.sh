#!/bin/bash
# End-to-end: the real hisgate-platform-sim on ports chosen at run time,
# driven with curl through 9001 -> 1101 -> 2401 -> 2301 -> 2402 -> 2303 ->
# 2304 -> 5203 -> 2305 -> 3201; the worked example's slip to the fen,
# platform errors in the platform's words, and the faults that matter: a
# settlement committed whose answer never arrives (reset after commit),
# HTTP 503, infcode -1, a reset before processing, an outage, and HTTPS
# with client certificates.  TAP output; every simulator is killed on exit
# (t/lib.sh traps EXIT).
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib.sh"

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

# --- 1. the whole sequence, happy and unhappy ----------------------------
start_sim main
ok "simulator listens on 127.0.0.1:$port (chosen at run time)"

call 1101 "" <<EOF
{"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "$CERTNO"}}
EOF
is "a call before sign-in is refused (-2)" "$(infcode)" "-2"
is "... saying the sign-in is not valid" \
    "$(errmsg | sed 's/(.*//')" "签到已失效,请重新签到"

signin
is "9001 sign-in" "$(infcode)" "0"
check "9001 returns a sign_no" [ -n "$sign_no" -a "$sign_no" != "<missing>" ]
is "inf_refmsgid is region 6 + time 14 + serial 10" \
    "$(j 'len(d["inf_refmsgid"]) == 30 and d["inf_refmsgid"][:6]')" "320100"
is "respond_time has 17 digits" "$(j 'len(d["respond_time"])')" "17"

call 1101 "" <<EOF
{"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "$CERTNO",
  "card_sn": "", "begntime": "", "psn_cert_type": "01",
  "certno": "$CERTNO", "psn_name": "王芳"}}
EOF
is "1101 finds the person" "$(j 'd["output"]["baseinfo"]["psn_no"]')" "$PSN"
is "1101 insured place 410100" \
    "$(j 'd["output"]["insuinfo"][0]["insuplc_admdvs"]')" "410100"

call 1101 "" <<EOF
{"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "110105194912310021"}}
EOF
is "1101 of an unknown ID number: -2 with the number" "$(errmsg)" \
    "证件号码[110105194912310021]未查询到参保人员信息"

call 2401 410100 <<EOF
{"mdtrtinfo": {"psn_no": "41000000000000009999999999", "insutype": "390",
  "begntime": "2024-03-01 08:30:00", "mdtrt_cert_type": "02",
  "mdtrt_cert_no": "x", "med_type": "21", "ipt_no": "ZY1"}}
EOF
is "2401 of an unknown psn_no: -2" "$(infcode)" "-2"
is "... 人员编号[...]不存在" "$(errmsg)" \
    "人员编号[41000000000000009999999999]不存在"

call 2401 "" <<EOF
{"mdtrtinfo": {"psn_no": "$PSN", "insutype": "390"}}
EOF
is "psn_no without insuplc_admdvs is refused" "$(errmsg)" \
    "参保地医保区划[insuplc_admdvs]不能为空"

# two requests on one connection (HTTP/1.1 keep-alive)
echo '{"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "'$CERTNO'"}}' |
    envelope 1101 "" >"$T/ka1.json"
echo '{"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "'$CERTNO'"}}' |
    envelope 1101 "" >"$T/ka2.json"
curl -sS -v -o /dev/null -X POST --data-binary @"$T/ka1.json" "$url" \
    --next -sS -o "$T/resp" -X POST --data-binary @"$T/ka2.json" "$url" \
    2>"$T/ka.err"
check "keep-alive: the second request reuses the connection" \
    grep -qi 're-using existing connection' "$T/ka.err"
is "... and is answered" "$(infcode)" "0"

admit ZY2024000123
is "2401 admission" "$(infcode)" "0"
check "2401 returns a mdtrt_id" [ "${#mdtrt_id}" -gt 6 ]

sed "s/@MDTRT_ID@/$mdtrt_id/; s/001102000010000/001102000019999/" \
    "$DATA/worked-example-2301.json" | call 2301 410100
is "2301 with a code missing from the catalogue: -2" "$(errmsg)" \
    "目录编码[001102000019999]不在本地目录中"

# the batch again, gzip-compressed, as a gateway might receive it
sed "s/@MDTRT_ID@/$mdtrt_id/" "$DATA/worked-example-2301.json" |
    envelope 2301 410100 | gzip -c >"$T/req.json.gz"
curl -sS -o "$T/resp" -X POST -H 'Content-Encoding: gzip' \
    --data-binary @"$T/req.json.gz" "$url" 2>"$T/curl.err"
is "2301 of the worked example, gzip body" "$(infcode)" "0"
is "2301 answers one row per item" "$(j 'len(d["output"]["result"])')" "22"
is "2301 splits a 乙 item: 10 % self-first" \
    "$(j '[r["preselfpay_amt"] for r in d["output"]["result"]
        if r["feedetl_sn"] == "FD000015"][0]')" "50.00"
is "2301 marks 丙 as chrgitm_lv 03" \
    "$(j '[r["chrgitm_lv"] for r in d["output"]["result"]
        if r["feedetl_sn"] == "FD000021"][0]')" "03"

discharge
is "2402 discharge" "$(infcode)" "0"

settle 2303 51398.22
is "2303 with a total that does not match: -2 with both figures" \
    "$(errmsg)" "医疗费总额[51398.22]与已上传费用明细合计[51423.22]不一致"

settle 2303 51423.22
is "2303 pre-settlement" "$(infcode)" "0"
is "2303 has no setl_id" "$(setl setl_id)" "<missing>"
is "2303 basic fund 34550.22" "$(setl hifp_pay)" "34550.22"

settle 2304 51423.22
setl_msgid=$msgid
is "2304 settlement" "$(infcode)" "0"
setl_id=$(setl setl_id)
is "slip: total 51423.22" "$(setl medfee_sumamt)" "51423.22"
is "slip: fully self-paid (丙) 2979.00" "$(setl fulamt_ownpay_amt)" "2979.00"
is "slip: 乙 self-first 1377.26" "$(setl preselfpay_amt)" "1377.26"
is "slip: in scope 47066.96" "$(setl inscp_scp_amt)" "47066.96"
is "slip: deductible 1000.00" "$(setl act_pay_dedc)" "1000.00"
is "slip: basic fund 34550.22" "$(setl hifp_pay)" "34550.22"
is "slip: ratio 0.7500" "$(setl pool_prop_selfpay)" "0.7500"
is "slip: critical illness 4125.80" "$(setl hifmi_pay)" "4125.80"
is "slip: assistance 0.00" "$(setl maf_pay)" "0.00"
is "slip: funds 38676.02" "$(setl fund_pay_sumamt)" "38676.02"
is "slip: cash 12747.20" "$(setl psn_cash_pay)" "12747.20"
is "slip: medins_setl_id is the request msgid" "$(setl medins_setl_id)" \
    "$setl_msgid"
is "slip: clearing agency is the insured place" "$(setl clr_optins)" "410100"
is "setldetail: 390100 + 390200" \
    "$(j '",".join(r["fund_pay_type"] for r in d["output"]["setldetail"])')" \
    "390100,390200"

resend
is "the same msgid again: -2 duplicate" "$(errmsg)" \
    "发送方报文ID msgid[$setl_msgid]重复"

settle 2304 51423.22
is "a second 2304 for the visit: -2" "$(errmsg)" "该就诊已结算,不能重复结算"

call 5203 410100 <<EOF
{"data": {"psn_no": "$PSN", "setl_id": "$setl_id", "mdtrt_id": "$mdtrt_id"}}
EOF
is "5203 by setl_id" "$(setl setl_id)" "$setl_id"
is "5203 amounts as settled" "$(setl hifmi_pay)/$(setl psn_cash_pay)" \
    "4125.80/12747.20"

is "ledger: the visit settled exactly once" \
    "$(ledger_field "$mdtrt_id" settled)" "1"

reconcile 51423.22 38676.02 1 ""
is "3201 after the settlement: match" "$(j 'd["output"]["stmtinfo"]["stmt_rslt"]')" "0"

call 2305 410100 <<EOF
{"data": {"mdtrt_id": "$mdtrt_id", "setl_id": "$setl_id", "psn_no": "$PSN"}}
EOF
is "2305 cancel" "$(infcode)" "0"
is "2305 negates the total" "$(setl medfee_sumamt)" "-51423.22"
is "2305 negates the funds" "$(setl hifp_pay)/$(setl hifmi_pay)" \
    "-34550.22/-4125.80"
check "2305 gives a new setl_id" [ "$(setl setl_id)" != "$setl_id" ]
is "ledger: after the cancel, nothing in force" \
    "$(ledger_field "$mdtrt_id" settled)" "0"

reconcile 51423.22 38676.02 1 ""
is "3201 with stale totals: mismatch" \
    "$(j 'd["output"]["stmtinfo"]["stmt_rslt"]')" "1"
check "3201 says what differs" grep -q '医疗费总额:医药机构\[51423.22\],中心\[0.00\]' "$T/resp"
reconcile 0.00 0.00 0 ""
is "3201 net after the cancel: match" \
    "$(j 'd["output"]["stmtinfo"]["stmt_rslt"]')" "0"
reconcile 51423.22 38676.02 1 0
is "3201 settlements only (refd_setl_flag 0): match" \
    "$(j 'd["output"]["stmtinfo"]["stmt_rslt"]')" "0"

stop_sim
is "the simulator stops on SIGTERM" "$(kill -0 "$sim_pid" 2>/dev/null;
    echo $?)" "1"
check "ledger prints as a table" \
    sh -c "'$SIM' ledger --ledger '$ledger' | grep -q '^1 visits, 0 settled exactly once'"

# --- 2. reset after commit: settled, but the answer never came ---------
start_sim rac --fault infno=2304,kind=reset-after-commit,nth=1 --seed 7
signin
admit ZY2024000200
upload
discharge
settle 2304 51423.22
rc=$?
lost=$msgid
check "2304 under reset-after-commit: curl sees an empty reply or a reset (rc=$rc)" \
    [ $rc -eq 52 -o $rc -eq 56 ]
check "... and no answer at all" [ ! -s "$T/resp" ]
is "... yet the ledger has the settlement" \
    "$(ledger_field "$mdtrt_id" settled)" "1"
query_by_msgid "$lost"
is "5203 by medins_setl_id = the lost msgid finds it" \
    "$(setl medins_setl_id)" "$lost"
is "... with the worked example's amounts" \
    "$(setl hifp_pay)/$(setl hifmi_pay)/$(setl psn_cash_pay)" \
    "34550.22/4125.80/12747.20"
query_by_msgid H32010000001202001010000000001
is "5203 by a msgid never settled: -2" "$(infcode)" "-2"
settle 2304 51423.22
is "a blind resend would be refused, not settled twice" "$(errmsg)" \
    "该就诊已结算,不能重复结算"
is "ledger: still exactly once" "$(ledger_field "$mdtrt_id" settled)" "1"
check "the fault is logged with its seed" grep -q 'seed 7' "$T/rac.log"
stop_sim

# --- 3. other faults ------------------------------------------------------
start_sim faults --seed 1 \
    --fault infno=1101,kind=http503,nth=1 \
    --fault infno=5203,kind=infcode-1,nth=1 \
    --fault infno=2401,kind=reset,nth=1 \
    --fault infno=3201,kind=latency,ms=200
signin
call 1101 "" <<EOF
{"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "$CERTNO"}}
EOF
is "http503: the first 1101 gets HTTP 503" "$(cat "$T/status")" "503"
resend
is "... the next one 200" "$(cat "$T/status")/$(infcode)" "200/0"
admit ZY2024000300
rc=$?
check "reset before processing: curl fails (rc=$rc)" [ $rc -ne 0 ]
is "... and nothing was admitted" \
    "$("$SIM" ledger --ledger "$ledger" --json | "$PY" -c \
    'import json,sys; print(json.load(sys.stdin)["totals"]["visits"])')" "0"
resend
is "... so the same msgid is accepted afterwards" "$(infcode)" "0"
mdtrt_id=$(j 'd["output"]["result"]["mdtrt_id"]')
query_by_msgid "$msgid"
is "infcode-1: a -1 system error" "$(infcode)" "-1"
check "... with a reason" [ -n "$(errmsg)" ]
query_by_msgid "$msgid"
is "... then the platform answers again (-2: no such settlement)" \
    "$(infcode)" "-2"
reconcile 0.00 0.00 0 ""
is "latency: slow but answered" "$(infcode)" "0"
stop_sim

# outage: after 2 requests, every connection refused for 2 seconds
start_sim outage --fault kind=outage,after=2,secs=2
signin
call 1101 "" <<EOF
{"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "$CERTNO"}}
EOF
is "outage: requests before it are answered" "$(infcode)" "0"
resend
check "outage: the third request is refused" [ ! -s "$T/resp" ]
resend
check "outage: still refused during the window" [ ! -s "$T/resp" ]
try_again() { resend && [ "$(cat "$T/status")" = 200 ]; }
check "outage: answered again after it" wait_until 10 try_again
stop_sim

# --- 4. bad options --------------------------------------------------------
"$SIM" --listen 127.0.0.1:0 --policy "$ETC/policy.ini" \
    --catalogue "$ETC/catalogue.csv" --ledger "$T/x.db" \
    --fault kind=meltdown >/dev/null 2>"$T/bad.err"
rc=$?
check "an unknown fault kind stops the simulator (rc=$rc)" [ $rc -ne 0 ]
check "... naming it" grep -q 'unknown kind "meltdown"' "$T/bad.err"
"$SIM" --check --policy "$ETC/policy.ini" --catalogue "$ETC/catalogue.csv" \
    >"$T/check.out" 2>&1
check "--check loads the shipped files" grep -q '4 policies' "$T/check.out"

# --- 5. HTTPS with client certificates ----------------------------------
if command -v openssl >/dev/null; then
	mkcerts
	start_sim tls --tls-cert "$T/srv.pem" --tls-key "$T/srv.key" \
	    --tls-client-ca "$T/ca.pem"
	url=https://127.0.0.1:$port/
	sign_no=""
	echo '{"signIn": {"opter_no": "0231", "mac": "", "ip": "127.0.0.1"}}' |
	    call 9001 "" --cacert "$T/ca.pem" --cert "$T/cli.pem" \
	    --key "$T/cli.key"
	is "HTTPS with a client certificate from the CA" "$(infcode)" "0"
	echo '{"signIn": {"opter_no": "0231", "mac": "", "ip": "127.0.0.1"}}' |
	    call 9001 "" --cacert "$T/ca.pem"
	rc=$?
	check "HTTPS without a client certificate is refused (rc=$rc, HTTP $(cat "$T/status"))" \
	    [ $rc -ne 0 -o "$(cat "$T/status")" = 403 ]
	echo '{"signIn": {"opter_no": "0231", "mac": "", "ip": "127.0.0.1"}}' |
	    call 9001 "" --cacert "$T/ca.pem" --cert "$T/stranger.pem" \
	    --key "$T/stranger.key"
	rc=$?
	check "HTTPS with a certificate from another CA is refused (rc=$rc, HTTP $(cat "$T/status"))" \
	    [ $rc -ne 0 -o "$(cat "$T/status")" = 403 ]
	stop_sim
else
	ok "# SKIP openssl not installed: no HTTPS test"
fi

done_testing
