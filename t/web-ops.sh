#!/bin/bash
# End to end, the IT engineer's pages of the agent's web server:
# /unmapped (未对码) lists the local code a real bill waits on, with the
# fee's name, how many bills and the fix, and the fix printed there works
# (the mapping row, SIGHUP, hisgate replay); /unbalanced (单边账) shows
# what the last `hisgate reconcile --detail` found against the real
# simulator (a settlement reversed at the platform behind the agent's
# back, as t/reconcile.sh makes it), with its time and the fix, and keeps
# showing that run, not the platform's live state, until reconcile runs
# again.  Both pages are for operators only, mask names and never show a
# certificate number.  TAP output.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/simcalls.sh"

D=$T/agent
mkconf "$D"
echo 5000 >"$T/seq"	# the direct calls' msgids: apart from the agent's
start_sim rec
PASS1=$(openssl passwd -6 -salt s4ltS4lt 'ward-pass')
PASS2=$(openssl passwd -6 -salt 0therSlt 'it-pass')
printf 'nurse3:%s:呼吸内科\nit:%s\n' "$PASS1" "$PASS2" >"$T/users"
chmod 600 "$T/users"
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "$url"; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 2000; };
web: { enabled = true; listen = "127.0.0.1:0"; users_file = "$T/users"; };
EOC
conf=$D/hisgate.conf
today=$(date +%Y-%m-%d)
# two bills of 王芳 that settle; one of 张伟 whose 一次性使用输液器
# (HC0789) comes without its national code and is in no mapping row
for n in 401 402; do
	sed "s/ZY2024000123/ZY2024000$n/" "$DATA/sample-6a.csv" >"$T/b$n.csv"
	gbk "$T/b$n.csv" "$T/bills-$n.csv"
done
sed -e 's/ZY2024000123/ZY2024000403/' -e 's/王芳/张伟/' \
    -e 's/11010519491231002X/41010219650312231X/' \
    -e 's/,C0301010010000100001,/,,/' "$DATA/sample-6a.csv" >"$T/b403.csv"
gbk "$T/b403.csv" "$T/bills-403.csv"

start_agent "$D"
U=http://127.0.0.1:$(listen_port "$D" web)
for n in 401 402 403; do drop "$T/bills-$n.csv" "$D/in"; done
for n in 401 402; do
	check "bill ZY2024000$n is settled" wait_until 60 settled ZY2024000$n
done
invalid() { [ "$(state_of "$1")" = invalid ]; }
check "bill ZY2024000403 is invalid" wait_until 30 invalid ZY2024000403
A=$(field_of ZY2024000401 id)
V=$(field_of ZY2024000403 id)
get() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
# no full certificate number, no full name, no psn_no: on every page kept
masked() { ! grep -Eq "11010519491231002X|41010219650312231X|王芳|张伟|$PSN|41000000000000001234567891" "$@"; }

# --- who may see them -------------------------------------------------------------
is "/unmapped without a login: 401" "$(get "$U/unmapped")" 401
is "/unbalanced without a login: 401" "$(get "$U/unbalanced")" 401
is "the ward nurse may not see /unmapped" "$(get -u nurse3:ward-pass "$U/unmapped")" 403
is "nor /unbalanced" "$(get -u nurse3:ward-pass "$U/unbalanced")" 403
is "the queue page links them" "$(get -u it:it-pass "$U/queue")" 200
check "... 未对码 and 单边账 in its navigation" bash -c \
    "grep -q '<a href=\"/unmapped\">未对码</a>' '$T/body' && grep -q '<a href=\"/unbalanced\">单边账</a>' '$T/body'"

# --- 未对码 ---------------------------------------------------------------------------
is "/unmapped: 200" "$(get -u it:it-pass "$U/unmapped")" 200
cp "$T/body" "$T/unmapped.html"
is "one code waits" "$(grep -c '<tr data-code=' "$T/unmapped.html")" 1
check "HC0789, its name, 1 bill, that bill" grep -q "<tr data-code=\"HC0789\"><td class=\"code\">HC0789</td><td>一次性使用输液器</td><td class=\"amt count\">1</td><td><a href=\"/bill/$V/history\">$V</a></td>" "$T/unmapped.html"
check "the fix: the row for the mapping file the config names" grep -q "在 <code>$D/mapping.csv</code> 加一行 <code>HC0789,&lt;国家医保目录编码&gt;,一次性使用输液器</code>" "$T/unmapped.html"
check "... then reload and replay" grep -q '然后 <code>systemctl reload hisgate</code>，<code>hisgate replay</code>' "$T/unmapped.html"
check "no full name or certificate number on /unmapped" masked "$T/unmapped.html"
# the fix, as the page says it (SIGHUP is what systemctl reload sends)
printf 'HC0789,C0301010010000100001,一次性使用输液器\n' >>"$D/mapping.csv"
kill -HUP "$agent_pid"
check "the agent reloads the mapping" wait_until 20 grep -q 'mapping .* reloaded: 1 codes' "$D/agent.log"
"$HISGATE" replay -c "$conf" >"$T/replay.out" 2>&1
is "hisgate replay: exit 0" "$?" 0
check "the bill that waited settles" wait_until 60 settled ZY2024000403
get -u it:it-pass "$U/unmapped" >/dev/null
is "and /unmapped is empty" "$(grep -c '<tr data-code=' "$T/body")" 0
check "... saying 0 codes" grep -q '<p id="summary">0 个本地编码' "$T/body"

# --- 单边账 ---------------------------------------------------------------------------
is "/unbalanced before any reconcile --detail: 200" "$(get -u it:it-pass "$U/unbalanced")" 200
check "... says to run it" grep -q '还没有对过明细账：运行 <code>hisgate reconcile --detail' "$T/body"
# the platform reverses bill A's settlement behind the agent's back
msgA=$(sqlite3 "$D/outbox.db" "SELECT msgid FROM steps WHERE bill_id = $A AND infno = '2304' AND state = 'ok'")
reverse_2304 "$msgA"
is "a direct 2601 of bill A's 2304" "$(infcode)" "0"
"$HISGATE" reconcile --detail "$today" -c "$conf" >"$T/one.out" 2>&1
is "reconcile --detail finds it: exit 1" "$?" 1
check "... and prints the fix" grep -q "^  fix: hisgate reconcile resettle $A " "$T/one.out"
is "/unbalanced: 200" "$(get -u it:it-pass "$U/unbalanced")" 200
cp "$T/body" "$T/unbalanced.html"
check "the run: its day, its time, 2 matched, 1 to handle" grep -q "<p id=\"summary\">上次对明细账（<code>hisgate reconcile --detail $today</code>）运行于 <time>$today [0-9:]*</time>：2 笔相符，1 笔要处理。" "$T/unbalanced.html"
is "one row" "$(grep -c '<tr data-kind=' "$T/unbalanced.html")" 1
check "bill A: settled in the outbox, not in force at the platform" grep -q "<tr data-kind=\"only_outbox\"><td class=\"kind\">单边账：本地已结算，医保平台没有有效结算</td><td class=\"bill\"><a href=\"/bill/$A/history\">$A</a></td><td>王\*</td><td>4100\*\{18\}7890</td>" "$T/unbalanced.html"
check "... with msgid, the platform's note and the fix the CLI proposed" bash -c \
    "grep -q '<td>$msgA</td><td class=\"amt\">[0-9.]*</td><td class=\"note\">.*中心已冲正.*</td><td class=\"fix\"><code>hisgate reconcile resettle $A   (records' '$T/unbalanced.html'"
check "no full name, certificate number or psn_no on /unbalanced" masked "$T/unbalanced.html"
# the fix; the page still shows the run, not the platform's state now
"$HISGATE" reconcile resettle "$A" -c "$conf" >"$T/fix.out" 2>&1
is "the fix runs: exit 0" "$?" 0
check "bill A settles again" wait_until 60 settled ZY2024000401
get -u it:it-pass "$U/unbalanced" >/dev/null
is "the page keeps the last run until reconcile runs again" "$(grep -c '<tr data-kind=' "$T/body")" 1
"$HISGATE" reconcile --detail "$today" -c "$conf" >"$T/two.out" 2>&1
is "reconcile --detail after the fix: exit 0" "$?" 0
get -u it:it-pass "$U/unbalanced" >/dev/null
is "/unbalanced now shows no row" "$(grep -c '<tr data-kind=' "$T/body")" 0
check "... and 3 matched" grep -q '：3 笔相符，0 笔要处理。' "$T/body"
stop_agent "$D"
check "no log line holds a full certificate number" bash -c \
    "! grep -Eq '11010519491231002X|41010219650312231X' '$D'/agent.log"
stop_sim
done_testing
