#!/bin/bash
# End to end, the dbf adapter: tables written by python3-dbf (t/gen-dbf)
# through the real agent to bills settled on the real simulator, in both
# modes: an exchange folder (one table per bill, moved to done/) and a
# live table that a writer process appends to while the agent reads it
# (header count updated before each record, each record written in two
# pieces).  Each bill is settled exactly once (the ledger agrees to the
# fen); each one's result is written back (GBK) into a results folder
# that is missing at first (the failure is shown by queue show and
# retried), for the dbf adapters and a csvdrop one; a restart reads on from the committed cursor and ingests nothing
# twice; the shipped example configuration is valid.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

GEN="$PY $top_srcdir/t/gen-dbf"
ETC=$top_srcdir/etc/sim
D=$T/agent
mkconf "$D"
# a csvdrop adapter too, for its write-back
echo "results_dir = \"$D/results\";" >>"$D/adapters.d/his.conf"
cols=$(grep -v "^#" "$DATA/dbf-columns.conf")
mkdir -p "$D/ex" "$D/tb"
cat >"$D/adapters.d/ex.conf" <<EOC
type = "dbf";
dir = "$D/ex";
stable_seconds = 1;
results_dir = "../results";
$cols
EOC
cat >"$D/adapters.d/tb.conf" <<EOC
type = "dbf";
mode = "table";
dir = "$D/tb";
table = "ZYFY.DBF";
stable_seconds = 2;
results_dir = "$D/results";
$cols
EOC

# --- the shipped example -----------------------------------------------------
mkdir -p "$T/ex/adapters.d" "$T/ex/spool"
sed "s|/var/spool/hisgate/dbf|$T/ex/spool|" \
    "$top_srcdir/etc/adapters.d/dbf.conf.example" >"$T/ex/adapters.d/dbf.conf"
sed "s|$D/adapters.d|$T/ex/adapters.d|" "$D/hisgate.conf" >"$T/ex/hisgate.conf"
out=$("$HISGATE" check-config -c "$T/ex/hisgate.conf" 2>&1)
is "etc/adapters.d/dbf.conf.example is valid" "$?" 0
[ -n "$out" ] && echo "$out" | sed 's/^/#   /'
cat >"$T/ex/adapters.d/dbf.conf" <<EOC
type = "dbf";
mode = "table";
dir = "$T/ex/spool";
EOC
out=$("$HISGATE" check-config -c "$T/ex/hisgate.conf" 2>&1)
is "mode = table without a table is refused" "$?" 1
check "saying what to set" grep -q "dbf.conf:[0-9]*: table: \"\" (mode = table needs the table's file name in dir" <<<"$out"

# --- the simulator -----------------------------------------------------------
start_sim --seed 9
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 2000; rate_per_sec = 100; };
EOC
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
is "check-config accepts both dbf adapters" "$?" 0

# --- the bills ---------------------------------------------------------------
# the worked example (51423.22, etc/demo) as the live table's bill, and
# the sample bill as an exchange-folder table
cut -d, -f1-22 "$top_srcdir/etc/demo/worked-example.csv" >"$T/worked.csv"
# a second patient after it, so the worked example is complete before
# the table goes quiet; 张伟's code is not in the platform's catalogue
sed -e 's/ZY2024000123/ZY2024000900/' -e 's/王芳/张伟/' \
    -e 's/11010519491231002X/41010219650312231X/' \
    -e 's/,001102000010000,床位费/,001102000019999,床位费/' \
    "$DATA/sample-6a.csv" | tail -n +2 | cut -d, -f1-22 >>"$T/worked.csv"
mkdir -p "$T/src"
$GEN bills "$T/worked.csv" "$T/src/ZYFY.DBF" >/dev/null ||
    bail "gen-dbf bills failed"
$GEN bills --per-bill "$T/exq" "$DATA/sample-6a.csv" x >/dev/null ||
    bail "gen-dbf --per-bill failed"

state_of() {
	"$HISGATE" queue list --json -c "$D/hisgate.conf" 2>/dev/null |
	    py "[b['state'] for b in d if b['ipt_no'] == '$1'] or ['']" \
	    2>/dev/null | tr -d "[]'"
}
final() { case "$(state_of "$1")" in settled|rejected) true;; *) false;; esac; }
nbills() {
	"$HISGATE" queue list --json -c "$D/hisgate.conf" 2>/dev/null |
	    py 'len(d)'
}

start_agent "$D"
wait_until 20 grep -qs "hisgate: running" "$D/agent.log" ||
    bail "the agent did not start: $(tail -5 "$D/agent.log")"
# the HIS appends to its live table while the agent follows it
$GEN append --count-first --delay-ms 30 --seed 3 "$T/src/ZYFY.DBF" \
    "$D/tb/ZYFY.DBF" >"$T/writer.log" 2>&1 &
writer=$!
bg_pids="$bg_pids $writer"
wait "$writer"
is "the writer appended every record" "$?" 0
check "the live table's worked example is settled" wait_until 90 final ZY2024000777
is "its state" "$(state_of ZY2024000777)" settled
check "the second bill of the table is finished" wait_until 90 final ZY2024000900
is "the bill the platform refuses is rejected" "$(state_of ZY2024000900)" rejected
# then the exchange folder (after the worked example: 王芳's yearly
# accumulation would change its cash otherwise)
mv "$T/exq/YZZY2024000123.fpt" "$D/ex/"
mv "$T/exq/YZZY2024000123.dbf" "$D/ex/"
check "the exchange-folder bill is settled" wait_until 90 final ZY2024000123
is "its state" "$(state_of ZY2024000123)" settled
check "its table is moved to done/" wait_until 10 test -e "$D/ex/done/YZZY2024000123.dbf"
# --- write-back ------------------------------------------------------------------
R=$D/results
id_of() {
	"$HISGATE" queue list --json -c "$D/hisgate.conf" |
	    py "[b['id'] for b in d if b['ipt_no'] == '$1'][0]"
}
show=$("$HISGATE" queue show "$(id_of ZY2024000777)" -c "$D/hisgate.conf")
check "queue show: the write-back failed, naming the folder, retried" \
    grep -q "write-back: settled result not written ([0-9]* attempts\?, retried): $R/.tmp-ZYFY-ZY2024000777.txt: No such file or directory" <<<"$show"
mkdir "$R"
check "once the folder is there, the retry writes the result" \
    wait_until 30 test -e "$R/ZYFY-ZY2024000777.txt"
res() { iconv -f GBK -t UTF-8 "$R/$1" | tr -d '\r'; }
check "the result is GBK text with the state" grep -qx 'state=settled' <<<"$(res ZYFY-ZY2024000777.txt)"
check "the result has the setl_id" grep -qx "setl_id=$("$HISGATE" queue list --json -c "$D/hisgate.conf" | py "[b['setl_id'] for b in d if b['ipt_no'] == 'ZY2024000777'][0]")" <<<"$(res ZYFY-ZY2024000777.txt)"
check "the result has the total" grep -qx 'medfee_sumamt=51423.22' <<<"$(res ZYFY-ZY2024000777.txt)"
check "the result has the basic fund" grep -qx 'hifp_pay=34550.22' <<<"$(res ZYFY-ZY2024000777.txt)"
check "the result has the critical-illness fund" grep -qx 'hifmi_pay=4125.80' <<<"$(res ZYFY-ZY2024000777.txt)"
check "the result has the cash to pay" grep -qx 'psn_cash_pay=12747.20' <<<"$(res ZYFY-ZY2024000777.txt)"
check "the rejected bill's result is written" wait_until 30 test -e "$R/ZYFY-ZY2024000900.txt"
check "with state=rejected" grep -qx 'state=rejected' <<<"$(res ZYFY-ZY2024000900.txt)"
check "and the platform's reason" grep -q '^reason=.*不在本地目录中' <<<"$(res ZYFY-ZY2024000900.txt)"
check "the folder bill's result is named after its table" \
    wait_until 30 test -e "$R/YZZY2024000123-ZY2024000123.txt"
show=$("$HISGATE" queue show "$(id_of ZY2024000777)" -c "$D/hisgate.conf")
check "queue show: written, with the path" grep -q "write-back: settled result written to $R/ZYFY-ZY2024000777.txt" <<<"$show"
check "the write-back did not change the bill" grep -q '^bill [0-9]*: settled (version 1)' <<<"$show"
# csvdrop: a second stay of the sample patient as a CSV export
sed -e 's/ZY2024000123/ZY2024000124/' -e 's/2024-03-0\([1-5]\)/2024-04-0\1/g' \
    "$DATA/sample-6a.csv" >"$T/csv.csv"
gbk "$T/csv.csv" "$T/bills-0124.csv"
drop "$T/bills-0124.csv" "$D/in"
check "the csvdrop bill is settled" wait_until 90 final ZY2024000124
check "and its result written back, named after its file" \
    wait_until 30 test -e "$R/bills-0124-ZY2024000124.txt"
check "with state=settled" grep -qx 'state=settled' <<<"$(res bills-0124-ZY2024000124.txt)"
W=$("$HISGATE" queue list --json -c "$D/hisgate.conf" |
    py "[b['id'] for b in d if b['ipt_no'] == 'ZY2024000777'][0]")
slip=$("$HISGATE" slip "$W" -c "$D/hisgate.conf")
check "slip: total 51423.22 from the DBF's N(18,4) amounts" grep -q '医疗费总额 *51423\.22$' <<<"$slip"
check "slip: cash 12747.20" grep -q '个人现金支付 *12747\.20$' <<<"$slip"
is "four bills in the outbox" "$(nbills)" 4
check "the table's cursor is committed" bash -c \
    "sqlite3 '$D/outbox.db' \"SELECT cursor FROM cursors WHERE adapter = 'tb'\" | grep -q '^dbf1 ino=[0-9]* rec=[0-9]* len=[0-9]* sum=[0-9a-f]*$'"
stop_agent "$D"

# --- a restart reads on from the cursor ------------------------------------------
start_agent "$D"
wait_until 20 grep -qs "hisgate\[$agent_pid\].*hisgate: running" "$D/agent.log"
sleep 1
is "after a restart: still four bills" "$(nbills)" 4
is "no bill has a second version" \
    "$(sqlite3 "$D/outbox.db" 'SELECT count(*) FROM bill_versions GROUP BY bill_id HAVING count(*) > 1' | wc -l)" 0
stop_agent "$D"

# --- both sides ----------------------------------------------------------------
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: no visit settled more than once" \
    "$(py '[v["mdtrt_id"] for v in d["visits"] if v["setl_cnt"] > 1]' <<<"$ledger")" "[]"
is "ledger: three settlements in force" \
    "$(py 'sum(v["settled"] for v in d["visits"])' <<<"$ledger")" 3
check "the live table is byte for byte what the HIS wrote (never written)" \
    cmp -s "$T/src/ZYFY.DBF" "$D/tb/ZYFY.DBF"
check "integrity_check" bash -c "sqlite3 '$D/outbox.db' 'PRAGMA integrity_check' | grep -qx ok"
done_testing
