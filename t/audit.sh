#!/bin/bash
# End to end, the pre-settlement audit: the real agent and simulator.  A
# bill with a duplicate charge (rule at block) is held as held_by_audit:
# no call reaches the platform, queue show lists the finding, and only
# `queue release ID --reason` lets it go; a bill with a warn finding is
# settled at once, the finding in its history.  The nurse list, the slip
# and the IT pages show both (screenshots in $top_builddir/t/
# audit-artefacts/); neither bill's stored JSON changes.  check-config
# names a bad rule line; hisgate audit lists the findings, --since by
# date and time.
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
web: { enabled = true; listen = "127.0.0.1:0"; refresh_seconds = 1; users_file = "$T/users"; };
EOC
users_file "$T/users"	# the IT queue needs its operator's login
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

# --- the audit never changes a bill ------------------------------------------
# The same two exports through an agent whose rules are all off (and whose
# platform is not there): what intake stored, before any audit.
P=$T/plain
mkconf "$P"
mkdir -p "$P/audit.d"
for r in duplicate_charge split_charging stay_quantity price_cap \
    phantom_stay restricted_item cost_surge; do
	echo "rule $r off"
done >"$P/audit.d/rules.conf"
sed -i "s|^  poll_ms = 200;|  poll_ms = 200;\n  audit_dir = \"$P/audit.d\";|" \
    "$P/hisgate.conf"
printf 'platform: { url = "http://127.0.0.1:9/"; };\n' >>"$P/hisgate.conf"
saved=$agent_pid
start_agent "$P"
drop "$T/bills-0301.csv" "$P/in"
drop "$T/bills-0302.csv" "$P/in"
json_of() { sqlite3 "$1/outbox.db" "SELECT bill_json FROM bills WHERE ipt_no = '$2'"; }
check "the plain agent stored both bills" wait_until 30 bash -c \
    "[ \"\$(sqlite3 '$P/outbox.db' 'SELECT count(*) FROM bills' 2>/dev/null)\" = 2 ]"
stop_agent "$P"
agent_pid=$saved
check "the held bill's stored JSON is byte for byte what intake stored" \
    cmp -s <(json_of "$D" ZY2024000124) <(json_of "$P" ZY2024000124)
check "... and the warned, settled bill's" \
    cmp -s <(json_of "$D" ZY2024000123) <(json_of "$P" ZY2024000123)
is "no bill_versions row for either (the audit wrote no new version)" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM bill_versions WHERE bill_id IN ($A, $B)")" 0
is "both still at version 1" \
    "$(sqlite3 "$D/outbox.db" "SELECT group_concat(version) FROM bills WHERE id IN ($A, $B)")" "1,1"

# --- the pages: the nurse list, the slip, the IT queue -----------------------
WPORT=$(listen_port "$D" web)
U=http://127.0.0.1:$WPORT
curl -s -u "$IT" "$U/?day=2024-03-05" >"$T/list.html"
row_of() { grep "<tr data-id=\"$1\">" "$T/list.html"; }
check "nurse list: the held bill says the audit holds it, with the rule in Chinese" \
    grep -q 'class="st person">审核暂停</span>：<span class="hold">重复收费</span>' <(row_of "$B")
check "... and who releases it" grep -q "请医保办核对，由信息科放行（hisgate queue release）" <(row_of "$B")
check "nurse list: the warned bill is marked, with the count in words" \
    grep -q '已结算</span> <span class="flag"[^>]*>审核提示 1 项</span>' <(row_of "$A")
check "nurse list: the held bill's own warning is counted too" \
    grep -q '审核提示 1 项' <(row_of "$B")
check "nurse list: no bill without findings is marked" bash -c \
    "! grep -v -e 'data-id=\"$A\"' -e 'data-id=\"$B\"' '$T/list.html' | grep -q 审核提示"
curl -s -u "$IT" "$U/?day=2024-03-05&part=rows" >"$T/rows.html"
check "the list's refresh carries them too" grep -q "审核暂停.*重复收费" "$T/rows.html"
curl -s -u "$IT" "$U/bill/$B" >"$T/slipB.html"
check "slip of the held bill: the hold's reason" grep -q \
    'id="reason">结算前审核暂停结算：重复收费' "$T/slipB.html"
check "... and the next step, with the command" grep -q \
    "下一步：请医保办核对审核发现的问题.*hisgate queue release $B --reason" "$T/slipB.html"
check "... its findings: severity, rule in Chinese, text, line" grep -q \
    '<tr data-sev="block">.*暂停结算</span> (block)</td><td>重复收费 <span class="note">duplicate_charge</span></td><td>lines 2 and 5: XJ01DCA040B002010100001 charged 2 times at 2024-03-01 09:10:00[^<]*</td><td>2</td>' \
    "$T/slipB.html"
check "... and the warning" grep -q \
    '<tr data-sev="warn">.*提示 (warn)</td><td>挂床住院 <span class="note">phantom_stay</span></td><td>no medication' \
    "$T/slipB.html"
check "... on the screen only, not on the printed slip" grep -q \
    '<div class="noprint" id="audit"><h2>结算前审核</h2>' "$T/slipB.html"
curl -s -u "$IT" "$U/bill/$A" >"$T/slipA.html"
check "slip of the settled bill: its warning listed" grep -q \
    '<tr data-sev="warn">.*挂床住院' "$T/slipA.html"
check "... beside the settlement" grep -q 'id="check"' "$T/slipA.html"
curl -s -u "$IT" "$U/queue" >"$T/queue.html"
check "/queue: why gives the held bill's hold" grep -q \
    "/bill/$B/history\">$B<.*held by the audit: 1 finding at block (duplicate_charge); settled once released: hisgate queue release $B" \
    "$T/queue.html"
check "... and counts its findings" grep -q \
    "/bill/$B/history\">$B<.*audit: 1 block, 1 warn" "$T/queue.html"
check "... and the settled bill's" grep -q \
    "/bill/$A/history\">$A<.*<td class=\"note\"><span class=\"flag\">audit: 0 block, 1 warn" "$T/queue.html"
is "/queue.json: the held bill's reason is its hold" \
    "$(curl -s -u "$IT" "$U/queue.json?state=held_by_audit" | py '[b["reason"] for b in d["bills"]]')" \
    "['held by the audit: 1 finding at block (duplicate_charge); settled once released: hisgate queue release $B --reason \"...\"']"
is "/queue?state=held_by_audit is a state of the page" \
    "$(curl -s -u "$IT" -o "$T/held.html" -w '%{http_code}' "$U/queue?state=held_by_audit")" 200
check "... listing the held bill" grep -q "/bill/$B/history" "$T/held.html"
curl -s -u "$IT" "$U/bill/$B/history" >"$T/histB.html"
check "the held bill's history page: the next step and the findings" bash -c \
    "grep -q 'id=\"held\".*hisgate queue release $B' '$T/histB.html' && grep -q 'id=\"findings\".*' '$T/histB.html' && grep -q '重复收费' '$T/histB.html'"
check "no name or ID number on them" bash -c \
    "! cat '$T/list.html' '$T/slipB.html' '$T/queue.html' '$T/histB.html' | grep -q -e 张伟 -e 41010219650312231X"
# in the ward's browser (as t/web.sh drives it): the held row fits 1366 px
ART=$top_builddir/t/audit-artefacts
rm -rf "$ART"
mkdir -p "$ART"
start_browser
if [ $have_browser = 0 ]; then
	no_browser "the held and the warned bill"
else
	# logged in by the address: Chromium keeps the login for the origin
	cdp open "http://$IT@127.0.0.1:$WPORT/?day=2024-03-05" >/dev/null
	is "browser: the held bill's row, its rule and the warning mark fit 1366 px" \
	    "$(cdp eval "document.querySelector('#rows tr[data-id=\"$B\"] .hold').textContent + ' ' + document.querySelector('#rows tr[data-id=\"$A\"] .flag').textContent + ' ' + (document.documentElement.scrollWidth <= 1366)")" \
	    "重复收费 审核提示 1 项 true"
	cdp shot "$ART/list-held.png"
	cdp open "$U/bill/$B" >/dev/null
	is "browser: the held bill's findings are not printed" \
	    "$(cdp printeval "getComputedStyle(document.getElementById('audit')).display")" none
	cdp shot "$ART/slip-held.png"
	kill "$chr_pid" 2>/dev/null
fi

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
# --since: tomorrow lists none; a time between the first bills' findings
# and this one's leaves the earlier out
C=$(id_of ZY2024000125)
js=$("$HISGATE" audit --json -c "$D/hisgate.conf" --since "$(date -d tomorrow +%F)")
is "audit --since tomorrow: no finding" "$(py 'len(d["findings"])' <<<"$js")" 0
first=$(sqlite3 "$D/outbox.db" "SELECT max(at_ms) FROM audit_findings WHERE bill_id IN ($A, $B)")
last=$(sqlite3 "$D/outbox.db" "SELECT min(at_ms) FROM audit_findings WHERE bill_id = $C")
is "the later finding is a second or more after the first ones" \
    "$([ $((last / 1000)) -gt $((first / 1000)) ] && echo yes)" yes
between=$(date -d "@$((first / 1000 + 1))" '+%F %T')
js=$("$HISGATE" audit --json -c "$D/hisgate.conf" --since "$between")
is "audit --since $between: only the later bill's findings, its phantom_stay among them" \
    "$(py 'sorted(set(f["bill"] for f in d["findings"])), "phantom_stay" in [f["rule"] for f in d["findings"]]' <<<"$js")" \
    "[$C] True"
"$HISGATE" audit -c "$D/hisgate.conf" --since "$between" >"$T/since.out"
check "... said with its time" grep -q "^findings since $between:" "$T/since.out"
check "... the earlier bills left out" bash -c \
    "grep -q 'bill $C ' '$T/since.out' && ! grep -q -e 'bill $A ' -e 'bill $B ' '$T/since.out'"
all=$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM audit_findings")
js=$("$HISGATE" audit --json -c "$D/hisgate.conf" --since "$(date -d yesterday +%F)")
is "audit --since yesterday: all $all" "$(py 'len(d["findings"])' <<<"$js")" "$all"
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
sqlite3 "$db" 'ALTER TABLE steps DROP COLUMN lost; DROP TABLE metric_carry; DROP TABLE retention_run; PRAGMA user_version = 4'
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
sqlite3 "$db" 'ALTER TABLE steps DROP COLUMN lost; DROP TABLE metric_carry; DROP TABLE retention_run; DROP TABLE audit_findings; DROP TABLE audit_runs;
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
    "audit_findings audit_findings_at audit_findings_bill audit_runs audit_runs_bill"
out=$("$HISGATE" audit -c "$D/hisgate.conf" --since 2000-01-01)
check "hisgate audit lists its finding" grep -q "bill $(id_of ZY2024000126) .*block duplicate_charge" <<<"$out"
done_testing
