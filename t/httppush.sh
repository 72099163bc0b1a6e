#!/bin/bash
# End to end, httppush: the HIS posts bills as JSON (curl here) to the
# real agent, which settles them on the simulator.  202 after commit with
# the bill's id and verdict, the same answer for a retry with the same
# Idempotency-Key (one bill), 422 for the key reused with another body,
# 400 listing every field error (the t/data/push-bad corpus, exact), a
# bill with an unmapped code committed as invalid with its reason, 503
# with Retry-After while the outbox cannot commit, 404/405/413/415; after
# a restart the key is answered as before (kept in the outbox: 422 again
# for the other body, the same bill for the same), until queue purge; and
# so it is after the agent is killed right after the bill's commit.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
rm "$D/adapters.d/his.conf"
start_sim
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 2000; rate_per_sec = 100; };
EOC
cat >"$D/adapters.d/push.conf" <<EOC
type = "httppush";
listen = "127.0.0.1:0";
max_body_kb = 64;
EOC
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
is "check-config accepts the httppush adapter" "$?" 0
start_agent "$D"
P=$(listen_port "$D" httppush)
URL=http://127.0.0.1:$P/bills

# post FILE [CURL-ARGS...]: prints the status line "NNN" then the body
post() {
	local f=$1
	shift
	curl -s -o "$T/body" -w '%{http_code}\n' -H 'Content-Type: application/json' \
	    --data-binary "@$f" "$@" "$URL"
	cat "$T/body"
}
q() { queue_of "$D"; }
state_of() { q | py "[b['state'] for b in d if b['ipt_no'] == '$1'] or ['']" | tr -d "[]'"; }
nbills() { bills_of "$D" "$1"; }
settled() { [ "$(state_of "$1")" = settled ]; }

# the sample bill from the CSV fixture, amounts as JSON numbers
"$PY" - "$DATA/sample-6a.csv" >"$T/bill.json" <<'EOP'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
r = rows[0]
bill = {"ipt_no": r["住院号"], "psn_name": r["姓名"], "gend": "2",
        "certno": r["身份证号"], "begntime": r["入院时间"],
        "endtime": r["出院时间"], "dept_codg": r["科室编码"],
        "dept_name": r["科室名称"],
        "diseinfo": [{"diag_code": r["主要诊断编码"],
                      "diag_name": r["主要诊断名称"], "maindiag_flag": "1"}],
        "feedetail": []}
for f in rows:
    bill["feedetail"].append({
        "feedetl_sn": f["明细序号"], "medins_list_codg": f["院内项目编码"],
        "med_list_codg": f["医保目录编码"], "name": f["项目名称"],
        "cnt": float(f["数量"]), "pric": float(f["单价"]),
        "det_item_fee_sumamt": float(f["金额"]),
        "fee_ocur_time": f["费用时间"]})
print(json.dumps(bill, ensure_ascii=False))
EOP
res=$(post "$T/bill.json" -H 'Idempotency-Key: his-2024-000123')
is "a bill: 202" "$(head -1 <<<"$res")" 202
is "with its verdict" "$(tail -1 <<<"$res" | py 'd["state"]')" ready
id=$(tail -1 <<<"$res" | py 'd["bill_id"]')
check "it is settled" wait_until 60 settled ZY2024000123
res=$(post "$T/bill.json" -H 'Idempotency-Key: his-2024-000123')
is "the retry with the same key: 202" "$(head -1 <<<"$res")" 202
is "the same bill" "$(tail -1 <<<"$res" | py 'd["bill_id"], d["state"]')" "$id same"
is "one bill" "$(nbills ZY2024000123)" 1
sed 's/"cnt": 4.0/"cnt": 5.0/' "$T/bill.json" >"$T/bill2.json"
res=$(post "$T/bill2.json" -H 'Idempotency-Key: his-2024-000123')
is "the key reused with another body: 422" "$(head -1 <<<"$res")" 422
is "still one bill" "$(nbills ZY2024000123)" 1
tot=$(q | py "[b['total'] for b in d if b['ipt_no'] == 'ZY2024000123'][0]")
is "amounts are exact" "$tot" 157.2

# --- every field error in one 400 ------------------------------------------------
BAD=$DATA/push-bad
while IFS=$'\t' read -r name want_status want; do
	case "$name" in '#'*|'') continue ;; esac
	res=$(post "$BAD/$name")
	got=$(tail -n +2 <<<"$res" | py '" | ".join("%d:%s: %s" % (p["line"], p["field"], p["message"]) for p in d.get("problems", []))')
	is "$name: $want_status" "$(head -1 <<<"$res")" "$want_status"
	is "$name: every problem" "$got" "$want"
done <"$BAD/EXPECTED"
is "nothing of them is in the outbox" "$(nbills ZY1)" 0

# --- invalid, but committed: an unmapped code ----------------------------------
sed -e 's/ZY2024000123/ZY2024000200/' -e 's/"med_list_codg": "XJ01DCA040B002010100001", //' \
    "$T/bill.json" >"$T/unmapped.json"
res=$(post "$T/unmapped.json")
is "an unmapped code: 202" "$(head -1 <<<"$res")" 202
is "committed as invalid, saying why" "$(tail -1 <<<"$res" | py 'd["state"], d["problems"][0]["message"]')" \
    'invalid 未对码: YP000456 注射用头孢呋辛钠'

# --- 503 while the outbox cannot commit ------------------------------------------
lock_outbox "$D" 8
sed 's/ZY2024000123/ZY2024000201/' "$T/bill.json" >"$T/b201.json"
res=$(post "$T/b201.json" -D "$T/headers")
is "the outbox locked: 503" "$(head -1 <<<"$res")" 503
check "with Retry-After" grep -qi '^Retry-After: 5' "$T/headers"
wait $locker
is "nothing was committed" "$(nbills ZY2024000201)" 0
res=$(post "$T/b201.json")
is "the retry: 202" "$(head -1 <<<"$res")" 202

# --- not a bill push ---------------------------------------------------------------
is "another path: 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/x")" 404
is "GET: 405" "$(curl -s -o /dev/null -w '%{http_code}' "$URL")" 405
is "text/plain: 415" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary @"$T/bill.json" "$URL")" 415
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big.json"
is "a body over max_body_kb: 413" "$(post "$T/big.json" | head -1)" 413
check "the agent is still running" kill -0 "$agent_pid"
stop_agent "$D"

# --- after a restart: the keys are in the outbox ---------------------------------
sed -i "s/127\.0\.0\.1:0/127.0.0.1:$P/" "$D/adapters.d/push.conf"
start_agent "$D"
wait_until 20 grep -qs "hisgate\[$agent_pid\].*httppush listening" "$D/agent.log"
res=$(post "$T/bill2.json" -H 'Idempotency-Key: his-2024-000123')
is "after a restart, the key with the other body: 422 again" "$(head -1 <<<"$res")" 422
res=$(post "$T/bill.json" -H 'Idempotency-Key: his-2024-000123')
is "and with its own body: 202, the same bill" "$(head -1 <<<"$res") $(tail -1 <<<"$res" | py 'd["bill_id"], d["state"]')" "202 $id same"
is "still one bill, unchanged" "$(nbills ZY2024000123) $(q | py "[b['total'] for b in d if b['ipt_no'] == 'ZY2024000123'][0]")" "1 157.2"
stop_agent "$D"

# --- killed right after the bill's commit (t/killcommit.so, preloaded) ----------
# The key is written in the bill's transaction: after the crash the same
# key with another body is still 422, not taken as a replacement.
SHIM=$top_builddir/t/killcommit.so
[ -f "$SHIM" ] || bail "$SHIM is missing (make check builds it)"
sed 's/ZY2024000123/ZY2024000300/' "$T/bill.json" >"$T/b300.json"
sed 's/"cnt": 4.0/"cnt": 5.0/' "$T/b300.json" >"$T/b300x.json"
: >"$T/kill-at-commit"
asan=${ASAN_OPTIONS:-}
ASAN_OPTIONS=${asan:+$asan:}verify_asan_link_order=0 LD_PRELOAD=$SHIM \
    HG_KILLCOMMIT_FILE=$T/kill-at-commit \
    "$HISGATE" run --foreground -c "$D/hisgate.conf" >>"$D/agent.log" 2>&1 &
agent_pid=$!
bg_pids="$bg_pids $agent_pid"
wait_until 20 grep -qs "hisgate\[$agent_pid\].*httppush listening" "$D/agent.log"
res=$(post "$T/b300.json" -H 'Idempotency-Key: his-crash-300')
is "killed at the commit: no answer" "$(head -1 <<<"$res")" 000
wait "$agent_pid" 2>/dev/null
is "the agent died by SIGKILL" "$?" 137
rm -f "$T/kill-at-commit"
is "the bill was committed" "$(nbills ZY2024000300)" 1
start_agent "$D"
wait_until 20 grep -qs "hisgate\[$agent_pid\].*httppush listening" "$D/agent.log"
res=$(post "$T/b300x.json" -H 'Idempotency-Key: his-crash-300')
is "after the crash, the key with another body: 422" "$(head -1 <<<"$res")" 422
res=$(post "$T/b300.json" -H 'Idempotency-Key: his-crash-300')
is "and with its own body: 202, the same bill" "$(head -1 <<<"$res") $(tail -1 <<<"$res" | py 'd["state"]')" "202 same"
is "one bill, its first body" "$(nbills ZY2024000300) $(q | py "[b['total'] for b in d if b['ipt_no'] == 'ZY2024000300'][0]")" "1 157.2"
stop_agent "$D"
keys() { sqlite3 "$D/outbox.db" "SELECT count(*) FROM push_keys WHERE key = 'his-2024-000123'"; }
is "the key is in the outbox" "$(keys)" 1
"$HISGATE" queue purge "$(date -d tomorrow +%F)" --yes -c "$D/hisgate.conf" >/dev/null 2>&1
is "queue purge takes the settled bill's key with it" "$(keys)" 0
done_testing
