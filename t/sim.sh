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

. "$top_srcdir/t/simcalls.sh"

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
is "5203 by medins_setl_id (setl_id empty) is refused: the interface has no lookup by msgid" \
    "$(infcode)/$(errmsg)" "-2/结算ID[setl_id]不能为空"
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
