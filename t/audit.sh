#!/bin/bash
# End to end, the pre-settlement audit: the real agent and simulator.  A
# bill with a duplicate charge (rule at block) is held as held_by_audit:
# no call reaches the platform, queue show lists the finding, and only
# `queue release ID --reason` lets it go; a bill with a warn finding is
# settled at once, the finding in its history.  check-config names a bad
# rule line; hisgate audit lists the findings.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
sed -i "s|^  poll_ms = 200;|  poll_ms = 200;\n  audit_dir = \"$D/audit.d\";|" \
    "$D/hisgate.conf"
mkdir -p "$D/audit.d"
cat >"$D/audit.d/rules.conf" <<'EOR'
# the test's rules
rule duplicate_charge block
rule phantom_stay warn days=3
EOR
start_sim --seed 3
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 2000; rate_per_sec = 100; };
EOC
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
is "check-config accepts the rules" "$?" 0

# a bad line: FILE:LINE and what was expected
cp -r "$D/audit.d" "$T/bad.d"
printf 'rule price_cap stop\n' >>"$T/bad.d/rules.conf"
sed "s|$D/audit.d|$T/bad.d|" "$D/hisgate.conf" >"$T/bad.conf"
out=$("$HISGATE" check-config -c "$T/bad.conf" 2>&1)
is "check-config fails on a bad rule line" "$?" 1
check "naming the file, the line and what was expected" grep -qF \
    "$T/bad.d/rules.conf:4: rule price_cap: severity \"stop\": expected off, warn or block" <<<"$out"

# 王芳's sample bill (no care on 03-03 to 03-05: a warning) and 张伟's,
# whose first charge is there twice under two serials
gbk "$DATA/sample-6a.csv" "$T/bills-0301.csv"
{
	sed -e 's/ZY2024000123/ZY2024000124/' -e 's/王芳/张伟/' \
	    -e 's/11010519491231002X/41010219650312231X/' "$DATA/sample-6a.csv"
	sed -n 2p "$DATA/sample-6a.csv" | sed -e 's/ZY2024000123/ZY2024000124/' \
	    -e 's/王芳/张伟/' -e 's/11010519491231002X/41010219650312231X/' \
	    -e 's/,呼吸内科,1,/,呼吸内科,9,/'
} >"$T/dup.csv"
gbk "$T/dup.csv" "$T/bills-0302.csv"

state_of() {
	"$HISGATE" queue list --json -c "$D/hisgate.conf" 2>/dev/null |
	    py "[b['state'] for b in d if b['ipt_no'] == '$1'] or ['']" \
	    2>/dev/null | tr -d "[]'"
}
id_of() {
	"$HISGATE" queue list --json -c "$D/hisgate.conf" 2>/dev/null |
	    py "[b['id'] for b in d if b['ipt_no'] == '$1'][0]"
}
is_state() { [ "$(state_of "$1")" = "$2" ]; }

start_agent "$D"
drop "$T/bills-0301.csv" "$D/in"
drop "$T/bills-0302.csv" "$D/in"
check "the warned bill is settled" wait_until 60 is_state ZY2024000123 settled
check "the duplicate is held by the audit" wait_until 60 is_state ZY2024000124 held_by_audit
A=$(id_of ZY2024000123)
B=$(id_of ZY2024000124)
show=$("$HISGATE" queue show "$A" -c "$D/hisgate.conf")
check "queue show: the warning is in the settled bill's history" grep -q \
    "audit warn phantom_stay: no medication, examination or treatment from 2024-03-03 to 2024-03-05" <<<"$show"
check "queue show: a settled bill with a finding and calls, two spaces a level" \
    show_layout <<<"$show"
check "queue show: the calls are under calls:, one level in" \
    grep -q '^    [0-9-]* [0-9:]*  2304 [0-9A-Z]* ok ' <<<"$show"
check "queue show: the finding under history:, one level in" \
    grep -q '^    [0-9-]* [0-9:]*  in_progress   -> in_progress   audit warn phantom_stay' <<<"$show"
show=$("$HISGATE" queue show "$B" -c "$D/hisgate.conf")
check "queue show: a held bill, two spaces a level" show_layout <<<"$show"
check "queue show: the duplicate's finding" grep -q \
    "audit block duplicate_charge: lines 2 and 5: XJ01DCA040B002010100001 charged 2 times at 2024-03-01 09:10:00" <<<"$show"
check "queue show: held, and how to release it" grep -q \
    "held_by_audit.*held by the audit: 1 finding at block (duplicate_charge).*queue release $B" <<<"$show"
js=$("$HISGATE" queue show "$B" --json -c "$D/hisgate.conf")
is "no call of the held bill reached the platform" \
    "$(py 'len(d.get("calls", []))' <<<"$js")" 0
check "the hold is logged" grep -q "audit: bill $B: held by the audit" "$D/agent.log"
# it stays held: the workers' claim skips it
sleep 1
is "still held a moment later" "$(state_of ZY2024000124)" held_by_audit

out=$("$HISGATE" audit -c "$D/hisgate.conf" --since 2000-01-01)
check "hisgate audit lists the block finding" grep -q "bill $B .*block duplicate_charge" <<<"$out"
check "and the warning" grep -q "bill $A .*warn  phantom_stay" <<<"$out"
check "and counts the held bill" grep -q "bills held by the audit: 1" <<<"$out"
js=$("$HISGATE" audit --json -c "$D/hisgate.conf" --since 2000-01-01)
is "audit --json: findings" "$(py 'sorted(f["rule"] for f in d["findings"])' <<<"$js")" \
    "['duplicate_charge', 'phantom_stay', 'phantom_stay']"
is "audit --json: held" "$(py 'd["held"]' <<<"$js")" 1
check "no name or ID number in the audit's output" bash -c \
    "! grep -q -e 张伟 -e 41010219650312231X <<<'$out$js'"

out=$("$HISGATE" queue release "$B" -c "$D/hisgate.conf" 2>&1)
is "release without a reason is refused" "$?" 2
out=$("$HISGATE" queue release "$A" --reason "x" -c "$D/hisgate.conf" 2>&1)
is "a bill that is not held cannot be released" "$?" 1
check "saying so" grep -q "bill $A is settled, not held_by_audit" <<<"$out"
out=$("$HISGATE" queue release "$A" --reason "x" --json -c "$D/hisgate.conf" 2>"$T/err")
is "with --json too, nothing on stdout, why on stderr" "$? $out$(grep -c 'not held_by_audit' "$T/err")" "1 1"
out=$("$HISGATE" queue release "$B" --reason "two doses that day, order 4711" --json -c "$D/hisgate.conf" 2>&1)
is "release with a reason" "$?" 0
is "queue release --json: the bill, ready" "$(py '(d["bill"], d["state"], d["changed"], d["message"])' <<<"$out")" \
    "($B, 'ready', True, 'released, ready to be settled')"
check "the released bill is settled" wait_until 60 is_state ZY2024000124 settled
show=$("$HISGATE" queue show "$B" -c "$D/hisgate.conf")
check "its history says who released it and why" grep -q \
    "held_by_audit -> ready .*released from the audit by .*: two doses that day, order 4711" <<<"$show"
is "audited once: one finding row" \
    "$(grep -c 'audit block duplicate_charge' <<<"$show")" 1

# SIGHUP reads the rules again: phantom_stay at block holds the next such
# bill; a table with a bad line keeps the rules in force
sed -e 's/ZY2024000123/ZY2024000125/' "$DATA/sample-6a.csv" >"$T/again.csv"
gbk "$T/again.csv" "$T/bills-0303.csv"
sed -i 's/^rule phantom_stay warn days=3$/rule phantom_stay block days=3/' \
    "$D/audit.d/rules.conf"
kill -HUP "$agent_pid"
check "SIGHUP: the rules are read again" wait_until 20 grep -q \
    "rule tables read again from $D/audit.d" "$D/agent.log"
drop "$T/bills-0303.csv" "$D/in"
check "SIGHUP: a rule raised to block holds the next such bill" \
    wait_until 60 is_state ZY2024000125 held_by_audit
cp "$D/audit.d/rules.conf" "$T/rules.good"
printf 'rule price_cap stop\n' >>"$D/audit.d/rules.conf"
kill -HUP "$agent_pid"
check "SIGHUP with a bad line: the rules in force stay, said at warning level" \
    wait_until 20 grep -q "warning.*the audit's rule tables were not read again, those in force stay: $D/audit.d/rules.conf:4: rule price_cap" "$D/agent.log"
cp "$T/rules.good" "$D/audit.d/rules.conf"
"$HISGATE" queue release "$(id_of ZY2024000125)" --reason "care on those days, see ward log" \
    -c "$D/hisgate.conf" >/dev/null 2>&1
check "the bill held under the reloaded rules is settled once released" \
    wait_until 60 is_state ZY2024000125 settled
stop_agent
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: three visits settled, each once" \
    "$(py 'sorted(v["setl_cnt"] for v in d["visits"])' <<<"$ledger")" "[1, 1, 1]"

# --- an outbox of schema 4, before the audit's tables were a migration ------
# One whose agent had audited: the old audit store had made the tables
# itself.  A reader waits for the daemon; the daemon migrates it on
# open, the findings kept.
db=$D/outbox.db
schema=$(sqlite3 "$db" 'PRAGMA user_version')
findings() { sqlite3 "$db" 'SELECT count(*) FROM audit_findings' 2>&1; }
n4=$(findings)
sqlite3 "$db" 'DROP TABLE retention_run; PRAGMA user_version = 4'
out=$("$HISGATE" audit -c "$D/hisgate.conf" --since 2000-01-01 2>&1)
is "schema 4: hisgate audit (a reader) does not migrate: exit 1" "$?" 1
check "... and says how to" grep -q "schema version 4, this hisgate needs $schema: start the daemon once" <<<"$out"
start_agent "$D"
stop_agent
is "the daemon migrated it to the schema it knows ($schema)" "$(sqlite3 "$db" 'PRAGMA user_version')" "$schema"
is "... keeping every finding ($n4)" "$(findings)" "$n4"
out=$("$HISGATE" audit -c "$D/hisgate.conf" --since 2000-01-01)
check "hisgate audit lists them" grep -q "bill $B .*block duplicate_charge" <<<"$out"
# the audit's rows go with their bill (foreign keys are on)
out=$("$HISGATE" queue purge "$(date -d tomorrow +%F)" --yes -c "$D/hisgate.conf" 2>&1)
is "queue purge removes audited bills" "$?" 0
is "none is left" "$("$HISGATE" status --json -c "$D/hisgate.conf" | py 'd["total"]')" 0

# One whose agent never audited, as the schema-4 DDL left it: no audit
# tables.  The daemon makes them when it migrates, and audits on them.
sqlite3 "$db" 'DROP TABLE retention_run; DROP TABLE audit_findings; DROP TABLE audit_runs;
    PRAGMA user_version = 4'
is "schema 4 without the audit's tables" \
    "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'audit%'")" 0
sed -e 's/ZY2024000124/ZY2024000126/' "$T/dup.csv" >"$T/dup2.csv"
gbk "$T/dup2.csv" "$T/bills-0304.csv"
start_agent "$D"
drop "$T/bills-0304.csv" "$D/in"
check "after the migration the audit holds a duplicate again" \
    wait_until 60 is_state ZY2024000126 held_by_audit
stop_agent
is "the outbox is at schema $schema" "$(sqlite3 "$db" 'PRAGMA user_version')" "$schema"
is "with the audit's two tables and their indexes" \
    "$(sqlite3 "$db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE name LIKE 'audit%' ORDER BY name)")" \
    "audit_findings audit_findings_at audit_runs audit_runs_bill"
out=$("$HISGATE" audit -c "$D/hisgate.conf" --since 2000-01-01)
check "hisgate audit lists its finding" grep -q "bill $(id_of ZY2024000126) .*block duplicate_charge" <<<"$out"
done_testing
