#!/bin/bash
# End to end, settlement: the real agent against the real simulator.
# The worked example (51423.22 = 34550.22 + 4125.80 + 12747.20) through
# csvdrop -> outbox -> 1101 2401 2301 2402 2303 2304 with the first 2304's
# answer lost after the platform committed (reset-after-commit): the bill
# must end settled exactly once, resolved by 5203.  Then the sample bill,
# a -2 rejection, a cancellation (2305) reversed in the ledger, a retry,
# the slip, reconciliation (3201), and secret-file checks.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

ETC=$top_srcdir/etc/sim
D=$T/agent
mkconf "$D"

# --- the simulator ---------------------------------------------------------
start_sim --fault 'infno=2304,kind=reset-after-commit,nth=1' --seed 7
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; timeouts = { t2304 = 3000; }; gzip = true; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 2000; rate_per_sec = 100; };
web: { enabled = true; listen = "127.0.0.1:0"; };
EOC
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
check "check-config accepts the platform and settle sections" [ $? -eq 0 ]

# --- secrets -----------------------------------------------------------------
cp "$D/hisgate.conf" "$T/secret.conf"
printf 'k3y\n' >"$T/apikey"
chmod 644 "$T/apikey"
sed -i "s|^platform: {|platform: { auth = \"apikey\"; apikey_file = \"$T/apikey\";|" \
    "$T/secret.conf"
out=$("$HISGATE" check-config -c "$T/secret.conf" 2>&1)
is "a world-readable apikey file is refused" "$?" 1
check "naming the file and the fix" grep -q "apikey_file: $T/apikey: mode 0644.*chmod 600" <<<"$out"
chmod 600 "$T/apikey"
out=$("$HISGATE" check-config -c "$T/secret.conf" 2>&1)
is "an owner-only apikey file is fine" "$?" 0
check "the secret is never printed" bash -c "! grep -q k3y <<<'$out'"

# --- bills -----------------------------------------------------------------
# The worked example: the simulator engineer's 2301 fixture as a HIS export.
worked_csv "$T/worked.csv"
gbk "$T/worked.csv" "$T/bills-0305.csv"
gbk "$DATA/sample-6a.csv" "$T/bills-0301.csv"
# 张伟 with a code the platform's catalogue does not have: refused (-2)
sed -e 's/ZY2024000123/ZY2024000900/' -e 's/王芳/张伟/' \
    -e 's/11010519491231002X/41010219650312231X/' \
    -e 's/,001102000010000,床位费/,001102000019999,床位费/' \
    "$DATA/sample-6a.csv" >"$T/reject.csv"
gbk "$T/reject.csv" "$T/bills-0900.csv"
# a name the registry does not have for that ID number: refused at 1101,
# and the platform's message quotes the name
sed -e 's/ZY2024000123/ZY2024000901/' -e 's/王芳/王小芳/' \
    "$DATA/sample-6a.csv" >"$T/name.csv"
gbk "$T/name.csv" "$T/bills-0901.csv"

# bill state by ipt_no; "" when absent
state_of() {
	"$HISGATE" queue list --json -c "$D/hisgate.conf" 2>/dev/null |
	    py "[b['state'] for b in d if b['ipt_no'] == '$1'] or ['']" \
	    2>/dev/null | tr -d "[]'"
}
field_of() {
	"$HISGATE" queue list --json -c "$D/hisgate.conf" 2>/dev/null |
	    py "[b['$2'] for b in d if b['ipt_no'] == '$1'][0]"
}
id_of() { field_of "$1" id; }
final() { case "$(state_of "$1")" in settled|rejected|cancelled|amended) true;; *) false;; esac; }

start_agent "$D"
# the worked example first: nothing accumulated this year for 王芳
drop "$T/bills-0305.csv" "$D/in"
check "the worked example is settled" wait_until 60 final ZY2024000777
is "its state" "$(state_of ZY2024000777)" settled
drop "$T/bills-0301.csv" "$D/in"
drop "$T/bills-0900.csv" "$D/in"
drop "$T/bills-0901.csv" "$D/in"
check "the sample bill is settled" wait_until 60 final ZY2024000123
check "the bad bill is finished" wait_until 60 final ZY2024000900
is "the sample bill's state" "$(state_of ZY2024000123)" settled
is "the bill the platform refuses is rejected" "$(state_of ZY2024000900)" rejected
check "with the platform's reason" grep -q '不在本地目录中' \
    <<<"$(field_of ZY2024000900 err_msg)"
check "the name mismatch is rejected at 1101" wait_until 60 final ZY2024000901
check "with the platform's words" grep -q '登记的姓名不一致' \
    <<<"$(field_of ZY2024000901 err_msg)"
check "a name quoted by the platform is masked in the log" bash -c \
    "grep -q 'rejected: 人员姓名\[王\*\*\]' '$D/agent.log' && ! grep -q '王小芳' '$D/agent.log'"

# --- the slip ------------------------------------------------------------
W=$(id_of ZY2024000777)
slip=$("$HISGATE" slip "$W" -c "$D/hisgate.conf")
check "slip: total 51423.22" grep -q '医疗费总额 *51423\.22$' <<<"$slip"
check "slip: basic fund 34550.22" grep -q '基本医疗保险统筹基金支付 *34550\.22$' <<<"$slip"
check "slip: critical illness 4125.80" grep -q '大病保险 *4125\.80$' <<<"$slip"
check "slip: cash 12747.20" grep -q '个人现金支付 *12747\.20$' <<<"$slip"
check "slip: assistance 0.00" grep -q '医疗救助 *0\.00$' <<<"$slip"
check "slip: the certificate number is masked" grep -q '110105\*\{8\}002X' <<<"$slip"
check "slip: ID number never in full" bash -c "! grep -q 11010519491231002X <<<'$slip'"
# the amounts end in one column (CJK labels are two columns wide)
cols=$("$PY" -c '
import sys, unicodedata
ends = set()
for l in sys.stdin.read().splitlines():
    if l.rstrip() and l.rstrip()[-1].isdigit() and "." in l.split()[-1]:
        ends.add(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l.rstrip()))
print(len(ends))' <<<"$slip")
is "slip: the amounts are right-aligned in one column" "$cols" 1
js=$("$HISGATE" slip "$W" --json -c "$D/hisgate.conf")
is "slip --json: exact total" "$(py 'd["medfee_sumamt"]' <<<"$js")" 51423.22
is "slip --json: cash" "$(py 'd["psn_cash_pay"]' <<<"$js")" 12747.2

# --- exactly once, from both sides -------------------------------------------
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
M=$(field_of ZY2024000777 mdtrt_id)
visit() { py "[v['$2'] for v in d['visits'] if v['mdtrt_id'] == '$1'][0]"; }
is "ledger: the worked example settled once" "$(visit "$M" setl_cnt <<<"$ledger")" 1
is "ledger: in force once" "$(visit "$M" settled <<<"$ledger")" 1
is "ledger: its total" "$(visit "$M" medfee_sumamt <<<"$ledger")" 51423.22
is "ledger: no visit settled more than once" \
    "$(py '[v["mdtrt_id"] for v in d["visits"] if v["setl_cnt"] > 1]' <<<"$ledger")" "[]"
check "the 2304 answer really was lost (sim log)" \
    grep -q 'connection dropped without an answer' "$T/sim.log"
steps=$(sqlite3 "$D/outbox.db" "SELECT infno || ':' || state || ':' || coalesce(err_msg, '') FROM steps WHERE bill_id = $W ORDER BY id")
n2304=$(grep -c '^2304:' <<<"$steps")
# the lost 2304 is reversed by its msgid (2601), never looked up by msgid:
# the interface's 5203 needs a setl_id the agent does not have then
is "two 2304 were sent: the lost one and a new one" "$n2304" 2
check "the lost one is recorded as reversed by 2601" \
    grep -q '^2304:failed:reversed by 2601 ' <<<"$steps"
check "the journal shows the 2601 reversal of it" grep -q '^2601:ok:' <<<"$steps"
check "2601 came before anything else was sent" bash -c \
    "sed -n '/^2304:/,\$p' <<<'$steps' | sed -n 2p | grep -q '^2601:'"
check "then 2303 again before the new 2304" bash -c \
    "sed -n '/^2601:/,\$p' <<<'$steps' | sed -n 2,3p | tr '\n' ' ' | grep -q '^2303:ok:.* 2304:ok:'"
check "no 5203 was asked" bash -c "! grep -q '^5203:' <<<'$steps'"
hist=$("$HISGATE" queue show "$W" -c "$D/hisgate.conf")
check "history: in_doubt, in_progress again, then settled" bash -c \
    "grep -q 'in_progress *-> in_doubt' <<<'$hist' && grep -q 'in_doubt *-> in_progress' <<<'$hist' && grep -q 'in_progress *-> settled' <<<'$hist'"
is "every step has an answer" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE state = 'sent'")" 0

# --- reconcile, cancel, retry ---------------------------------------------
out=$("$HISGATE" reconcile -c "$D/hisgate.conf" 2>&1)
rc=$?
is "reconcile: exit 0" "$rc" 0
check "reconcile: the group matches" grep -q '390 *21 *410100 *2 *51580\.42 .* match$' <<<"$out"

S=$(id_of ZY2024000123)
MS=$(field_of ZY2024000123 mdtrt_id)
out=$(echo n | "$HISGATE" queue cancel "$S" -c "$D/hisgate.conf" 2>&1)
is "declining exits 1 (nothing done)" "$?" 1
check "cancel asks first, with the masked name" grep -q "cancel settlement .* of 王\*, 157.20? \[y/N\]" <<<"$out"
is "answering no cancels nothing" "$(state_of ZY2024000123)" settled
out=$("$HISGATE" queue cancel "$S" --yes -c "$D/hisgate.conf" 2>&1)
is "queue cancel --yes: exit 0" "$?" 0
is "the bill is cancelled" "$(state_of ZY2024000123)" cancelled
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: 0 settlements in force for that visit" "$(visit "$MS" settled <<<"$ledger")" 0
is "ledger: one cancellation" "$(visit "$MS" canc_cnt <<<"$ledger")" 1
check "the cancellation is journalled" bash -c "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT state FROM steps WHERE bill_id = $S AND infno = '2305'\")\" = ok ]"
out=$("$HISGATE" queue cancel "$S" --yes -c "$D/hisgate.conf" 2>&1)
is "a cancelled bill cannot be cancelled again" "$?" 1
slip=$("$HISGATE" slip "$S" -c "$D/hisgate.conf")
check "the slip of a cancelled bill says so" grep -q '已撤销' <<<"$slip"

out=$("$HISGATE" queue retry "$W" -c "$D/hisgate.conf" 2>&1)
is "a settled bill is not retried" "$?" 1
check "it says to cancel first" grep -q 'queue cancel' <<<"$out"
R=$(id_of ZY2024000900)
out=$("$HISGATE" queue retry "$R" -c "$D/hisgate.conf" 2>&1)
is "a rejected bill goes back to ready" "$?" 0
check "and is refused again" wait_until 30 bash -c "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT count(*) FROM history WHERE bill_id = $R AND to_state = 'rejected'\")\" -ge 2 ]"
out=$("$HISGATE" queue retry "$S" -c "$D/hisgate.conf" 2>&1)
check "the cancelled bill is settled again" wait_until 30 bash -c "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT state FROM bills WHERE id = $S\")\" = settled ]"
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: once in force again" "$(visit "$MS" settled <<<"$ledger")" 1

# a correction from the HIS after settlement: held as an amendment; cancel,
# retry: the amendment is settled (items deleted and uploaded again)
sed 's/,2,3.6000,7.20,/,3,3.6000,10.80,/' "$DATA/sample-6a.csv" >"$T/fixed.csv"
gbk "$T/fixed.csv" "$T/bills-0301b.csv"
drop "$T/bills-0301b.csv" "$D/in"
check "a correction of a settled bill makes it amended" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT state FROM bills WHERE id = $S\")\" = amended ]"
out=$("$HISGATE" queue retry "$S" --json -c "$D/hisgate.conf" 2>"$T/err")
is "an amended bill is not retried before it is cancelled" "$?" 1
is "with --json: nothing on stdout, why on stderr" "$out $(grep -c 'queue cancel' "$T/err")" " 1"
AS=$(field_of ZY2024000123 setl_id)
out=$(echo y | "$HISGATE" queue cancel "$S" --json -c "$D/hisgate.conf" 2>"$T/err")
is "queue cancel --json without --yes is refused: it cannot ask (exit 2)" "$?" 2
check "stderr says to add --yes" grep -q 'queue cancel --json cannot ask: add --yes' "$T/err"
is "nothing on stdout, nothing cancelled" "$out $(state_of ZY2024000123)" " amended"
out=$("$HISGATE" queue cancel "$S" --yes --json -c "$D/hisgate.conf" 2>&1)
is "the amended bill's settlement is cancelled" "$?" 0
is "queue cancel --json: the bill, its state, the settlement and the 2305" \
    "$(py '(d["bill"], d["state"], d["changed"], d["setl_id"], len(d["msgid"]), d["message"].startswith("cancelled: settlement " + d["setl_id"]))' <<<"$out")" \
    "($S, 'cancelled', True, '$AS', 30, True)"
is "the 2305 is the journal's" "$(py 'd["msgid"]' <<<"$out")" \
    "$(sqlite3 "$D/outbox.db" "SELECT msgid FROM steps WHERE bill_id = $S AND infno = '2305' ORDER BY id DESC LIMIT 1")"
out=$("$HISGATE" queue retry "$S" --json -c "$D/hisgate.conf" 2>&1)
is "then retried" "$?" 0
is "queue retry --json: ready again" "$(py '(d["bill"], d["state"], d["changed"], d["message"])' <<<"$out")" \
    "($S, 'ready', True, 'ready; the agent settles it again')"
check "and settled with the corrected content" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT state || ' ' || total || ' ' || version FROM bills WHERE id = $S\")\" = 'settled 16080 2' ]"
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: the visit is in force once" "$(visit "$MS" settled <<<"$ledger")" 1
is "ledger: with the corrected total" "$(visit "$MS" medfee_sumamt <<<"$ledger")" 160.8
is "ledger: three settlements, two cancellations" \
    "$(visit "$MS" setl_cnt <<<"$ledger") $(visit "$MS" canc_cnt <<<"$ledger")" "3 2"
check "the visit was reopened (2405) and its old items deleted before the upload (2302 0000)" bash -c \
    "sqlite3 '$D/outbox.db' \"SELECT infno FROM steps WHERE bill_id = $S ORDER BY id\" | tr '\n' ' ' | grep -q '2305 2405 2302 2301 2402 2303 2304 \$'"
# the day again: four settlements (one of them the worked example) and
# two cancellations (refunds, refd_setl_flag 1), both passes match
out=$("$HISGATE" reconcile -c "$D/hisgate.conf" 2>&1)
is "reconcile after cancellations: exit 0" "$?" 0
check "reconcile: settlements, cancelled ones included" \
    grep -q '^setl *390 *21 *410100 *4 *51898\.42 .* match$' <<<"$out"
check "reconcile: the cancellations as refunds" \
    grep -q '^refund *390 *21 *410100 *2 *-314\.40 .* match$' <<<"$out"
out=$("$HISGATE" reconcile --json -c "$D/hisgate.conf" 2>&1)
is "reconcile --json: exit 0" "$?" 0
is "reconcile --json: the day, both groups matched, exact amounts" \
    "$(py '(d["date"] == "'"$(date +%F)"'", d["match"], d["uncounted_refunds"], [(g["kind"], g["insutype"], g["clr_type"], g["clr_optins"], g["count"], str(g["medfee_sumamt"]), g["result"], g["text"]) for g in d["groups"]])' <<<"$out")" \
    "(True, True, 0, [('setl', '390', '21', '410100', 4, '51898.42', 'match', None), ('refund', '390', '21', '410100', 2, '-314.4', 'match', None)])"
check "the amounts as exact decimal text" grep -q '"medfee_sumamt":51898.42,' <<<"$out"

# --- a refund line ---------------------------------------------------------
# The HIS lists the refund (明细序号 4: all 4 of line 1 given back) before
# its original; the agent uploads the original first, the platform splits
# the refund as the negation of its original, and the bill settles to the
# fen: 157.20 - 50.00 = 107.20.
"$PY" - "$DATA/sample-6a.csv" >"$T/refund.csv" <<'EOP'
import sys
rows = [l.rstrip("\n").split(",") for l in open(sys.argv[1], encoding="utf-8")]
head, lines = rows[0], [r for r in rows[1:] if r[0] == "ZY2024000123"]
print(",".join(head + ["原明细序号"]))
ref = list(lines[0])
ref[0] = "ZY2024000124"
ref[11], ref[12] = "4", "2024-03-04 09:00:00"
ref[17], ref[19] = "-4", "-50.00"
print(",".join(ref + ["1"]))
for r in lines:
    r = list(r)
    r[0] = "ZY2024000124"
    print(",".join(r + [""]))
EOP
gbk "$T/refund.csv" "$T/bills-0124.csv"
drop "$T/bills-0124.csv" "$D/in"
check "the bill with a refund line is settled" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT state FROM bills WHERE ipt_no = 'ZY2024000124'\")\" = settled ]"
RF=$(id_of ZY2024000124)
is "its total: 157.20 - 50.00" "$("$HISGATE" slip "$RF" --json -c "$D/hisgate.conf" | py 'd["medfee_sumamt"]')" 107.2
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: settled once, to the fen" \
    "$(visit "$(field_of ZY2024000124 mdtrt_id)" medfee_sumamt <<<"$ledger") $(visit "$(field_of ZY2024000124 mdtrt_id)" setl_cnt <<<"$ledger")" "107.2 1"
up=$(sqlite3 "$D/outbox.db" "SELECT request FROM steps WHERE bill_id = $RF AND infno = '2301' AND state = 'ok'")
is "the upload carries the original before the refund line" \
    "$(py '",".join(f["feedetl_sn"] for f in d["input"]["feedetail"])' <<<"$up")" "1,2,3,4"
ans=$(sqlite3 "$D/outbox.db" "SELECT response FROM steps WHERE bill_id = $RF AND infno = '2301' AND state = 'ok'")
is "the platform's split of the refund is its original's, negated" \
    "$(py '[(r["det_item_fee_sumamt"], r["preselfpay_amt"], r["inscp_scp_amt"], r["fulamt_ownpay_amt"]) for r in d["output"]["result"] if r["feedetl_sn"] in ("1", "4")]' <<<"$ans" |
    "$PY" -c 'import ast,sys; a,b=ast.literal_eval(sys.stdin.read()); print(all(float(x)==-float(y) for x,y in zip(a,b)))')" True
setl=$(sqlite3 "$D/outbox.db" "SELECT setl_json FROM bills WHERE id = $RF")
is "the settlement adds up: fund + patient + hospital = total" \
    "$(py 'round(sum(float(d["setlinfo"].get(k, 0)) for k in ("fund_pay_sumamt", "psn_part_amt", "hosp_part_amt")), 2)' <<<"$setl")" 107.2

# --- the counters on /metrics survive queue purge ------------------------------
# The worked example's lost 2304 went in doubt and was sent again; then
# every finished bill is purged with its journal and history.  Prometheus
# takes a counter that goes down for a restart (rate() and increase()
# would be wrong): every counter and histogram series must still be there,
# none lower.
MU=http://127.0.0.1:$(listen_port "$D" web)/metrics
curl -s "$MU" >"$T/m1"
check "metrics: the lost 2304 answer counts in doubt" grep -qx 'hisgate_in_doubt_total [1-9][0-9]*' "$T/m1"
check "metrics: the 2304 sent again counts as a retry" \
    grep -qx 'hisgate_platform_call_retries_total{infno="2304"} [1-9][0-9]*' "$T/m1"
check "metrics: ... and as a lost answer, though 2601 resolved it since" \
    grep -qx 'hisgate_platform_answers_lost_total{infno="2304"} [1-9][0-9]*' "$T/m1"
check "metrics: settlements counted" grep -qx 'hisgate_settlements_total [1-9][0-9]*' "$T/m1"
nsteps=$(sqlite3 "$D/outbox.db" 'SELECT count(*) FROM steps')
out=$("$HISGATE" queue purge --settled-before "$(date -d tomorrow +%F)" --yes --json -c "$D/hisgate.conf" 2>&1)
is "queue purge of every finished bill: exit 0" "$?" 0
is "... which took bills" "$(py 'd["count"] > 0' <<<"$out")" True
check "... and their journal" [ "$(sqlite3 "$D/outbox.db" 'SELECT count(*) FROM steps')" -lt "$nsteps" ]
curl -s "$MU" >"$T/m2"
cmp_counters() {
	"$PY" - "$T/m1" "$T/m2" <<'EOP'
import re, sys
def series(path):
    types, out = {}, {}
    for l in open(path):
        m = re.match(r"# TYPE (\S+) (\S+)", l)
        if m:
            types[m.group(1)] = m.group(2)
        elif l.strip() and not l.startswith("#"):
            name, value = l.rsplit(None, 1)
            out[name] = float(value)
    return types, out
types, a = series(sys.argv[1])
_, b = series(sys.argv[2])
def counter(s):
    fam = s.split("{")[0]
    base = re.sub(r"_(bucket|sum|count)$", "", fam)
    return types.get(fam) == "counter" or types.get(base) == "histogram"
bad = ["%s: %s then %s" % (s, a[s], b.get(s, "gone")) for s in a
       if counter(s) and (s not in b or b[s] < a[s])]
n = sum(1 for s in a if counter(s))
print("# %d counter series compared" % n)
for l in bad:
    print("# " + l)
sys.exit(1 if bad or n < 20 else 0)
EOP
}
check "metrics: after the purge no counter went down or disappeared" cmp_counters
check "... the settlements among them" bash -c \
    "[ \"\$(grep '^hisgate_settlements_total ' '$T/m2')\" = \"\$(grep '^hisgate_settlements_total ' '$T/m1')\" ]"

stop_agent
check "SIGTERM stops the agent and its workers" grep -q 'stopped' "$D/agent.log"
check "no ID number in the log" bash -c "! grep -q '11010519491231002X' '$D/agent.log'"
check "no patient name in the log" bash -c "! grep -q '王芳' '$D/agent.log'"
check "integrity_check is ok" [ "$(sqlite3 "$D/outbox.db" 'PRAGMA integrity_check')" = ok ]

# --- HTTPS with a client certificate (mutual TLS) --------------------------
if command -v openssl >/dev/null; then
	mkcerts
	"$SIM" --listen 127.0.0.1:0 --policy "$ETC/policy.ini" \
	    --catalogue "$ETC/catalogue.csv" --registry "$ETC/registry.csv" \
	    --ledger "$T/ledger-tls.db" --tls-cert "$T/srv.pem" \
	    --tls-key "$T/srv.key" --tls-client-ca "$T/ca.pem" \
	    >>"$T/sim-tls.log" 2>&1 &
	bg_pids="$bg_pids $!"
	wait_until 20 grep -qs 'listening on 127.0.0.1:' "$T/sim-tls.log" ||
	    bail "the TLS simulator did not start: $(cat "$T/sim-tls.log")"
	tport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
	    "$T/sim-tls.log")
	D=$T/tls
	mkconf "$D"
	# first trusting the wrong CA: the handshake fails, nothing is sent
	cat >>"$D/hisgate.conf" <<EOC
platform: { url = "https://127.0.0.1:$tport/"; ca_file = "$T/stranger.pem";
  cert_file = "$T/cli.pem"; key_file = "$T/cli.key"; };
settle: { backoff_base_ms = 100; backoff_cap_ms = 500; };
EOC
	chmod 644 "$T/cli.key"
	out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
	check "a readable TLS key is refused" grep -q 'key_file: .*cli.key: mode 0644' <<<"$out"
	chmod 600 "$T/cli.key"
	start_agent "$D"
	drop "$T/bills-0301.csv" "$D/in"
	check "TLS: an untrusted platform certificate stops the call" \
	    wait_until 30 bash -c "[ -n \"\$(sqlite3 '$D/outbox.db' \"SELECT err_msg FROM bills WHERE err_msg LIKE '%not sent%certificate%'\" 2>/dev/null)\" ]"
	# between its retries a worker holds it (in_progress) for a moment
	check "TLS: the bill waits as ready (nothing reached the platform)" \
	    wait_until 10 bash -c "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = ready ]"
	is "TLS: the journal says the call never left" \
	    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE state <> 'failed'")" 0
	stop_agent
	sed -i "s|ca_file = \"$T/stranger.pem\"|ca_file = \"$T/ca.pem\"|" "$D/hisgate.conf"
	start_agent "$D"
	check "HTTPS with a client certificate: settled" wait_until 60 bash -c \
	    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills')\" = settled ]"
	stop_agent
else
	ok "# SKIP openssl not installed: no HTTPS test"
fi

# --- sign-in expiry ------------------------------------------------------
# A platform whose sign-ins last 2 seconds: the second bill's first call
# finds the sign-in expired; the agent signs in again (9001) and sends the
# call once more, and the bill settles.
sed 's/^sign_ttl = .*/sign_ttl = 2/' "$ETC/policy.ini" >"$T/policy-ttl.ini"
"$SIM" --listen 127.0.0.1:0 --policy "$T/policy-ttl.ini" \
    --catalogue "$ETC/catalogue.csv" --registry "$ETC/registry.csv" \
    --ledger "$T/ledger-ttl.db" >>"$T/sim-ttl.log" 2>&1 &
bg_pids="$bg_pids $!"
wait_until 20 grep -qs 'listening on 127.0.0.1:' "$T/sim-ttl.log" ||
    bail "the sign-in simulator did not start: $(cat "$T/sim-ttl.log")"
sport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/sim-ttl.log")
D=$T/ttl
mkconf "$D"
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$sport/"; };
settle: { backoff_base_ms = 100; backoff_cap_ms = 500; };
EOC
start_agent "$D"
drop "$T/bills-0301.csv" "$D/in"
check "sign-in: the first bill settles" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT group_concat(state) FROM bills\" 2>/dev/null)\" = settled ]"
sleep 3
drop "$T/bills-0305.csv" "$D/in"
check "sign-in: the bill after the sign-in expired settles too" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' \"SELECT count(*) FROM bills WHERE state = 'settled'\")\" = 2 ]"
check "sign-in: the agent saw it expire and signed in again" \
    grep -q 'refused (infcode -2); signing in again and trying once more' "$D/agent.log"
is "sign-in: the call it refused is journalled as failed, and sent again" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE err_msg LIKE '%签到已失效%' AND state = 'failed'")" 1
is "sign-in: the simulator saw two sign-ins" \
    "$(sqlite3 "$T/ledger-ttl.db" 'SELECT count(*) FROM signins')" 2
stop_agent

# --- the step in progress --------------------------------------------------
# A platform slow to discharge (2402 takes 3 s): meanwhile `queue list`
# shows the bill at that step.
"$SIM" --listen 127.0.0.1:0 --policy "$ETC/policy.ini" \
    --catalogue "$ETC/catalogue.csv" --registry "$ETC/registry.csv" \
    --ledger "$T/ledger-slow.db" --fault 'infno=2402,kind=latency,ms=3000' \
    >>"$T/sim-slow.log" 2>&1 &
bg_pids="$bg_pids $!"
wait_until 20 grep -qs 'listening on 127.0.0.1:' "$T/sim-slow.log" ||
    bail "the slow simulator did not start: $(cat "$T/sim-slow.log")"
lport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/sim-slow.log")
D=$T/slow
mkconf "$D"
printf 'platform: { url = "http://127.0.0.1:%s/"; };\n' "$lport" >>"$D/hisgate.conf"
start_agent "$D"
drop "$T/bills-0301.csv" "$D/in"
check "queue list shows the step a bill is at: in_progress(2402)" wait_until 30 \
    bash -c "'$HISGATE' queue list -c '$D/hisgate.conf' 2>/dev/null | grep -q '^[0-9]* *in_progress(2402) '"
check "and queue list --json its step" wait_until 2 bash -c \
    "'$HISGATE' queue list --json -c '$D/hisgate.conf' | grep -q '\"state\":\"in_progress\",.*\"step\":\"2402\"'"
check "the slow bill settles" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
stop_agent
done_testing
