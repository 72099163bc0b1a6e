#!/bin/bash
# End-to-end: the simulator's visit and reversal calls and the detail
# reconciliation, as the agent resolves a lost answer with them: 5201
# visit query, 2404 admission cancel, 2405 discharge cancel, 2601
# reversal of 2304/2305/2401 (and its refusals), 9101 upload, 3202
# detail reconciliation, 9102 download.  TAP output.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib.sh"
. "$top_srcdir/t/simcalls.sh"

visits() {
	call 5201 410100 <<EOF
{"data": {"psn_no": "$PSN", "begntime": "${1-}", "endtime": "${2-}"}}
EOF
}
# rows: "mdtrt_id:ipt_otp_no:inhosp_stas" of the last 5201, space-separated
rows() {
	j '" ".join(v["mdtrt_id"] + ":" + v["ipt_otp_no"] + ":" +
	    v["inhosp_stas"] for v in d["output"]["mdtrtinfo"])'
}
vcancel() {
	call "$1" 410100 <<EOF
{"data": {"mdtrt_id": "$2", "psn_no": "$PSN"}}
EOF
}
reverse() {
	call 2601 410100 "${@:3}" <<EOF
{"data": {"psn_no": "$PSN", "omsgid": "$1", "oinfno": "$2"}}
EOF
}
# upload_file FILE: 9101 of its text
upload_file() {
	"$PY" -c '
import json, os, sys
print(json.dumps({"fsUploadIn": {"filename": os.path.basename(sys.argv[1]),
    "in": open(sys.argv[1]).read()}}))' "$1" | call 9101 ""
}
# detail FILE_QURY_NO: 3202 for today, totals zero
detail() {
	call 3202 "" <<EOF
{"data": {"file_qury_no": "$1", "stmt_begndate": "$(date +%Y-%m-%d)",
  "stmt_enddate": "$(date +%Y-%m-%d)", "medfee_sumamt": 0,
  "fund_pay_sumamt": 0, "fixmedins_setl_cnt": 0}}
EOF
}
state() {
	"$SIM" ledger --ledger "$ledger" --json | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print([v["state"] for v in d["visits"] if v["mdtrt_id"] == sys.argv[1]][0])
' "$1"
}

start_sim visits
signin

# --- 5201 / 2404 -----------------------------------------------------------
admit ZY7001
m1=$mdtrt_id
adm1=$msgid
visits
is "5201 lists the open visit, in hospital" "$(rows)" "$m1:ZY7001:1"
is "5201 row: begntime, endtime empty while in hospital" \
    "$(j 'd["output"]["mdtrtinfo"][0]["begntime"] + "|" + d["output"]["mdtrtinfo"][0]["endtime"]')" \
    "2024-03-01 08:30:00|"
is "5201 row: insutype, med_type, fixmedins_code" \
    "$(j '"/".join(d["output"]["mdtrtinfo"][0][k] for k in ("insutype", "med_type", "fixmedins_code", "psn_no"))')" \
    "390/21/H32010000001/$PSN"
visits 2024-03-02 ""
is "5201 with begntime after the admission: nothing" "$(rows)" ""
visits 2024-02-01 2024-03-01
is "5201 with a bare end date covers that whole day" "$(rows)" \
    "$m1:ZY7001:1"
visits "2024/03/01" ""
is "5201 with a bad begntime: -2 naming the field" "$(errmsg)" \
    "开始时间[begntime]格式错误,应为yyyy-MM-dd HH:mm:ss"
call 5201 410100 <<EOF
{"data": {"begntime": ""}}
EOF
is "5201 without psn_no: -2" "$(infcode)" "-2"

upload
vcancel 2404 "$m1"
is "2404 cancels an open visit with fees uploaded" "$(infcode)" "0"
is "... the ledger says cancelled" "$(state "$m1")" "cancelled"
is "... and its fees went with it" "$(ledger_field "$m1" items)" "0"
visits
is "5201 no longer lists a cancelled visit" "$(rows)" ""
vcancel 2404 "$m1"
is "2404 of a cancelled visit: -2" "$(errmsg)" "就诊ID[$m1]已撤销"
vcancel 2404 "${m1}X"
is "2404 of an unknown visit: -2" "$(errmsg)" "就诊ID[${m1}X]不存在"
reverse "$adm1" 2401
is "2601 of the 2401 of a visit 2404 cancelled: -2" "$(infcode)" "-2"

# --- 2405 --------------------------------------------------------------------
admit ZY7002
m2=$mdtrt_id
upload
discharge
visits
is "5201: a discharged visit is listed, not in hospital" "$(rows)" \
    "$m2:ZY7002:0"
is "... with its endtime" "$(j 'd["output"]["mdtrtinfo"][0]["endtime"]')" \
    "2024-03-15 10:00:00"
vcancel 2405 "$m2"
is "2405 reopens a discharged, unsettled visit" "$(infcode)" "0"
visits
is "... in hospital again" "$(rows)" "$m2:ZY7002:1"
vcancel 2405 "$m2"
is "2405 of a visit in hospital: -2" "$(errmsg)" \
    "就诊ID[$m2]未办理出院,不能撤销出院"
discharge
is "the visit can be discharged again" "$(infcode)" "0"

# --- 2601 --------------------------------------------------------------------
settle 2304 51398.22
refused=$msgid
is "a 2304 refused (wrong total)" "$(infcode)" "-2"
reverse "$refused" 2304
is "2601 of a refused 2304: -2, nothing to reverse" "$(errmsg)" \
    "原交易[$refused]未生效,无需冲正"
settle 2304 51423.22
s1_msgid=$msgid
s1=$(setl setl_id)
is "2304 settles" "$(infcode)" "0"
vcancel 2404 "$m2"
is "2404 of a settled visit: -2" "$(errmsg)" "该就诊已结算,不能撤销入院"
vcancel 2405 "$m2"
is "2405 of a settled visit: -2" "$(errmsg)" "该就诊已结算,不能撤销出院"
visits
is "5201 lists a settled visit (discharged)" "$(rows)" "$m2:ZY7002:0"
reverse "$s1_msgid" 2304
is "2601 of the 2304" "$(infcode)/$(j 'd["output"]["data"]["revs_rslt"]')" \
    "0/1"
is "... nothing in force any more" "$(ledger_field "$m2" settled)" "0"
is "... the visit stays discharged" "$(state "$m2")" "discharged"
reverse "$s1_msgid" 2304
is "a second 2601 of it: -2" "$(errmsg)" "原交易[$s1_msgid]已冲正,不能重复冲正"
reverse H32010000001202001010000000001 2304
is "2601 of a msgid never received: -2" "$(infcode)" "-2"
reverse "$s1_msgid" 2305
is "2601 with the wrong oinfno: -2" "$(infcode)" "-2"
settle 2304 51423.22
s2_msgid=$msgid
s2=$(setl setl_id)
is "settled again after the reversal" "$(ledger_field "$m2" settled)" "1"
call 2305 410100 <<EOF
{"data": {"mdtrt_id": "$m2", "setl_id": "$s2", "psn_no": "$PSN"}}
EOF
canc_msgid=$msgid
is "2305 cancels it" "$(ledger_field "$m2" settled)" "0"
reverse "$canc_msgid" 2305
is "2601 of the 2305" "$(infcode)" "0"
is "... the settlement is in force again" "$(ledger_field "$m2" settled)" "1"
discharge_msgid=$(sqlite3 "$ledger" "SELECT dscg_msgid FROM visits WHERE mdtrt_id = '$m2'")
reverse "$discharge_msgid" 2402
is "2601 of a 2402: -2, not reversible" "$(errmsg)" "交易[2402]不支持冲正"

admit ZY7003
m3=$mdtrt_id
adm3=$msgid
upload
reverse "$adm3" 2401
is "2601 of a 2401: the admission is cancelled" "$(infcode)" "0"
is "... in the ledger" "$(state "$m3")" "cancelled"
visits
is "... and 5201 no longer lists it" "$(rows)" "$m2:ZY7002:0"
is "every reversal is in the ledger" \
    "$(sqlite3 "$ledger" "SELECT count(*) FROM msgs WHERE reversed_by IS NOT NULL")" \
    "3"

# --- 9101 / 3202 / 9102 -------------------------------------------------------
admit ZY7004
m4=$mdtrt_id
upload
discharge
settle 2304 51423.22
s4=$(setl setl_id)
s4_msgid=$msgid
f4=$(setl fund_pay_sumamt)
admit ZY7005
m5=$mdtrt_id
upload
discharge
settle 2304 51423.22
s5=$(setl setl_id)
today=$(date +%Y-%m-%d)

# the hospital's file: s2 right, s4 with a wrong fund total, s5 missing,
# s1 (reversed) and one the platform never made
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$s2" "$s2_msgid" "$m2" "$PSN" 51423.22 38676.02 0.00 0 \
    "$s4" "$s4_msgid" "$m4" "$PSN" 51423.22 1.00 0.00 0 \
    "$s1" "$s1_msgid" "$m2" "$PSN" 51423.22 38676.02 0.00 0 \
    "" H32010000001202001010000000009 "$m4" "$PSN" 1.00 0.00 0.00 0 \
    >"$T/setl.txt"
upload_file "$T/setl.txt"
is "9101 stores the file" "$(infcode)" "0"
fq=$(j 'd["output"]["file_qury_no"]')
check "9101 returns a file_qury_no" [ "${#fq}" -gt 8 ]
call 3202 "" <<EOF
{"data": {"setl_optins": "", "clr_type": "", "file_qury_no": "$fq",
  "stmt_begndate": "$today", "stmt_enddate": "$today",
  "medfee_sumamt": 205692.88, "fund_pay_sumamt": 154704.06,
  "cash_payamt": 0.00, "fixmedins_setl_cnt": 4}}
EOF
is "3202 answers" "$(infcode)" "0"
rq=$(j 'd["output"]["fileinfo"]["file_qury_no"]')
check "3202 names the result file" [ -n "$(j 'd["output"]["fileinfo"]["filename"]')" ]
call 9102 "" <<EOF
{"fsDownloadIn": {"file_qury_no": "$rq", "filename": "", "fixmedins_code": "H32010000001"}}
EOF
is "9102 downloads it" "$(infcode)" "0"
j 'd["output"]["out"]' | sed '/^$/d' >"$T/result.txt"
res() { awk -F'\t' -v k="$1" '$1 == k || ($1 == "" && $2 == k) { print $9 }' "$T/result.txt"; }
is "result: s2 matches (stmt_rslt 0)" "$(res "$s2")" "0"
is "result: s4 amounts differ (3)" "$(res "$s4")" "3"
check "... the memo names the figure" \
    grep -qF "基金支付总额:医药机构[1.00],中心[$f4]" "$T/result.txt"
is "result: s5 only at the platform (1)" "$(res "$s5")" "1"
is "... with its msgid" "$(awk -F'\t' -v k="$s5" '$1 == k { print $2 }' "$T/result.txt")" \
    "$(sqlite3 "$ledger" "SELECT msgid FROM setls WHERE setl_id = '$s5'")"
is "result: the reversed s1 only at the hospital (2)" "$(res "$s1")" "2"
check "... the memo says it was reversed" grep -q "中心已冲正" "$T/result.txt"
is "result: one never made only at the hospital (2)" \
    "$(res H32010000001202001010000000009)" "2"
is "result: 5 rows" "$(wc -l <"$T/result.txt")" "5"

printf 'S1\tM\tV\tP\tabc\t0\t0\t0\n' >"$T/bad.txt"
upload_file "$T/bad.txt"
fq=$(j 'd["output"]["file_qury_no"]')
detail "$fq"
is "3202 of a bad file: -2" "$(infcode)" "-2"
check "... naming the file, line and field ($(errmsg))" \
    sh -c "grep -q 'bad.txt line 1, field 5' '$T/resp'"
detail nope
is "3202 of an unknown file: -2" "$(errmsg)" "文件查询号[nope]不存在"
stop_sim
"$SIM" ledger --ledger "$ledger" >"$T/ledger.txt"
check "ledger: no orphan open visit, no double admission, 3 reversals" \
    grep -qx 'orphan_open_visits 0 double_admissions 0 reversals 3' \
    "$T/ledger.txt"

# --- drop-after-commit on the calls that change the platform ----------------
start_sim drops --seed 3 \
    --fault infno=2401,kind=drop-after-commit,nth=1 \
    --fault infno=2402/2404,kind=http503-after-commit,nth=1 \
    --fault infno=2601,kind=timeout-after-commit,ms=3000,nth=1 \
    --fault infno=writes,kind=infcode-1-after-commit,nth=8
signin
admit ZY7101
rc=$?
check "2401 under drop-after-commit: no answer (curl rc=$rc)" \
    [ $rc -eq 52 -o $rc -eq 56 ]
visits
is "... yet 5201 shows the visit admitted" "$(j 'len(d["output"]["mdtrtinfo"])')/$(j 'd["output"]["mdtrtinfo"][0]["ipt_otp_no"]')" \
    "1/ZY7101"
m6=$(j 'd["output"]["mdtrtinfo"][0]["mdtrt_id"]')
mdtrt_id=$m6
upload
discharge
is "2402 under http503-after-commit: HTTP 503" "$(cat "$T/status")" "503"
visits
is "... yet the visit is discharged" "$(rows)" "$m6:ZY7101:0"
settle 2304 51423.22
sm=$msgid
reverse "$sm" 2304 --max-time 1
rc=$?
is "2601 under timeout-after-commit: the client times out (curl rc)" \
    "$rc" "28"
is "... yet the reversal is committed" "$(ledger_field "$m6" settled)" "0"
reverse "$sm" 2304
is "... and a second 2601 says so (-2: already reversed)" "$(errmsg)" \
    "原交易[$sm]已冲正,不能重复冲正"
admit ZY7102
vcancel 2404 "$mdtrt_id"
is "2404 (the 8th write) under infcode-1-after-commit: -1" "$(infcode)" "-1"
is "... yet the visit is cancelled" "$(state "$mdtrt_id")" "cancelled"
check "the faults are logged" grep -q 'answer held 3000 ms' "$T/drops.log"
stop_sim
"$SIM" ledger --ledger "$ledger" --json >"$T/ledger.json"
is "ledger --json: the visit whose settlement was reversed is an orphan" \
    "$(py '" ".join(d["orphan_open_visits"]) + "/" + str(d["totals"]["orphan_open_visits"]) + "/" + str(d["totals"]["reversals"])' <"$T/ledger.json")" \
    "$m6/1/1"
"$SIM" --listen 127.0.0.1:0 --policy "$ETC/policy.ini" \
    --catalogue "$ETC/catalogue.csv" --ledger "$T/x.db" \
    --fault infno=2401/24x2,kind=reset >/dev/null 2>"$T/bad.err"
check "a bad infno list is refused, naming it" \
    grep -q 'infno "2401/24x2" is not 4 digits, codes joined by /' "$T/bad.err"
"$SIM" --listen 127.0.0.1:0 --policy "$ETC/policy.ini" \
    --catalogue "$ETC/catalogue.csv" --ledger "$T/x.db" \
    --fault infno=2304,kind=timeout-after-commit >/dev/null 2>"$T/bad.err"
check "timeout-after-commit without ms= is refused" \
    grep -q 'timeout-after-commit needs ms=' "$T/bad.err"

done_testing
