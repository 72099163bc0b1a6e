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
# certificate number.
#
# The operators' actions: a bill the platform rejected (the person's
# insurance paused in the registry) is retried from its history page once
# the registry says active again, and settles; two bills waiting on an
# unmapped bed-fee code are fixed by the 未对码 form, which appends the row
# to the mapping file in its own encoding (GBK) and mode, reloads and
# replays them, and they settle; a third, still waiting on another code
# after that, settles after its own replay button.  A GET of an action
# URL, a POST without the confirmation's token, with a wrong or used one,
# with one for another bill or row, by the ward nurse or without a login
# each change nothing; the log and the bills' history name the user.
# TAP output.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/simcalls.sh"

D=$T/agent
mkconf "$D"
echo 5000 >"$T/seq"	# the direct calls' msgids: apart from the agent's
# 李娜's insurance is paused (psn_insu_stas 0): the platform refuses her
cp "$ETC/registry.csv" "$T/registry.csv"
echo '110101198001010029,41000000000000001234567899,李娜,2,1980-01-01,390,1501,410100,no,0,' >>"$T/registry.csv"
start_sim rec --registry "$T/registry.csv"
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
masked() { ! grep -Eq "11010519491231002X|41010219650312231X|110101198001010029|王芳|张伟|李娜|$PSN|41000000000000001234567891|41000000000000001234567899" "$@"; }

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

# --- retry from the page ----------------------------------------------------------
token() { sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' "$T/body"; }
rejected() { [ "$(state_of "$1")" = rejected ]; }
sed -e 's/ZY2024000123/ZY2024000404/' -e 's/王芳/李娜/' \
    -e 's/11010519491231002X/110101198001010029/' "$DATA/sample-6a.csv" >"$T/b404.csv"
gbk "$T/b404.csv" "$T/bills-404.csv"
drop "$T/bills-404.csv" "$D/in"
check "李娜's bill is rejected (insurance paused)" wait_until 60 rejected ZY2024000404
R=$(field_of ZY2024000404 id)
is "its history: 200" "$(get -u it:it-pass "$U/bill/$R/history")" 200
check "... with a retry button that opens the confirmation (a GET)" grep -q "<form method=\"get\" action=\"/bill/$R/retry\" id=\"act\">" "$T/body"
check "... and no replay button" bash -c "! grep -q '/bill/$R/replay' '$T/body'"
is "GET /bill/R/retry: the confirmation, 200" "$(get -u it:it-pass "$U/bill/$R/retry")" 200
check "... a POST form to the same URL" grep -q "<form method=\"post\" action=\"/bill/$R/retry\" id=\"confirm\">" "$T/body"
check "... naming who does it" grep -q '以 <b>it</b> 的名义执行' "$T/body"
check "... masked" masked "$T/body"
TOK=$(token)
is "... with a 32-character token" "${#TOK}" 32
is "the GET changed nothing" "$(state_of ZY2024000404)" rejected
# the platform takes her again: the registry says active, same port
oport=$port
stop_sim
sed -i 's/^\(110101198001010029,.*\),0,$/\1,1,/' "$T/registry.csv"
start_sim rec --registry "$T/registry.csv" --listen "127.0.0.1:$oport"
is "the simulator is back on its port" "$port" "$oport"
is "POST without a token: 403" "$(get -u it:it-pass -d '' "$U/bill/$R/retry")" 403
check "... saying nothing was done" grep -q '什么也没有做' "$T/body"
is "POST with a wrong token: 403" "$(get -u it:it-pass -d "token=0123456789abcdef0123456789abcdef" "$U/bill/$R/retry")" 403
is "POST of its token to another bill's retry: 403" "$(get -u it:it-pass -d "token=$TOK" "$U/bill/$A/retry")" 403
is "POST of its token to its replay: 403" "$(get -u it:it-pass -d "token=$TOK" "$U/bill/$R/replay")" 403
is "POST by the ward nurse, with the token: 403" "$(get -u nurse3:ward-pass -d "token=$TOK" "$U/bill/$R/retry")" 403
is "the ward nurse may not open the confirmation: 403" "$(get -u nurse3:ward-pass "$U/bill/$R/retry")" 403
NT=$(token)
is "... so she has no token of her own" "$NT" ""
is "... nor POST with one: 403" "$(get -u nurse3:ward-pass -d "token=$NT" "$U/bill/$R/retry")" 403
is "POST without a login: 401" "$(get -d "token=$TOK" "$U/bill/$R/retry")" 401
is "PUT: 405" "$(get -u it:it-pass -X PUT -d "token=$TOK" "$U/bill/$R/retry")" 405
sleep 1
is "none of them changed the bill" "$(state_of ZY2024000404)" rejected
check "... nor its history" bash -c "! sqlite3 '$D/outbox.db' \"SELECT reason FROM history WHERE bill_id = $R\" | grep -q 'queue retry'"
is "POST with its token: 200" "$(get -u it:it-pass -d "token=$TOK" "$U/bill/$R/retry")" 200
check "... the agent settles it again" grep -q "<p id=\"result\">bill $R: ready; the agent settles it again</p>" "$T/body"
check "the retried bill settles" wait_until 60 settled ZY2024000404
is "the same token again: 403 (used once)" "$(get -u it:it-pass -d "token=$TOK" "$U/bill/$R/retry")" 403
get -u it:it-pass "$U/bill/$R/history" >/dev/null
check "its history on the page names the user" grep -q 'rejected → ready</td><td>queue retry (by hand, web user it)</td>' "$T/body"
is "/bill/R/history.json: 200" "$(get -u it:it-pass "$U/bill/$R/history.json")" 200
is "... JSON naming the user" "$(py '[h["reason"] for h in d["history"] if h["from"] == "rejected"]' <"$T/body")" "['queue retry (by hand, web user it)']"
is "... with its calls, 2304 answered" "$(py '[c["infno"] for c in d["calls"] if c["state"] == "ok"].count("2304")' <"$T/body")" 1
check "... masked" masked "$T/body"
is "/queue.json?state=settled: 200" "$(get -u it:it-pass "$U/queue.json?state=settled")" 200
is "... the bills queue list has" "$(py 'sorted(b["id"] for b in d["bills"])' <"$T/body")" "$(conf_queue | py 'sorted(b["id"] for b in d if b["state"] == "settled")')"
is "... and their count" "$(py 'd["counts"]["settled"] == d["matched"] == len(d["bills"])' <"$T/body")" True
is "/queue.json?q=ZY2024000404: that bill, masked" "$(get -u it:it-pass "$U/queue.json?q=ZY2024000404" >/dev/null; py '[(b["id"], b["psn_name"], b["state"], b["total"]) for b in d["bills"]]' <"$T/body")" "[($R, '李*', 'settled', 157.2)]"
check "... no full name or certificate number" masked "$T/body"
is "/queue.json?state=nope: 400" "$(get -u it:it-pass "$U/queue.json?state=nope")" 400
is "the ward nurse may not read /queue.json" "$(get -u nurse3:ward-pass "$U/queue.json")" 403
is "... nor a history.json" "$(get -u nurse3:ward-pass "$U/bill/$R/history.json")" 403
"$HISGATE" queue show "$R" -c "$conf" >"$T/show.out" 2>&1
check "... and in queue show" grep -q 'rejected *-> ready *queue retry (by hand, web user it)' "$T/show.out"
check "the log says who retried it (notice)" grep -q "notice.*bill $R: retried by web user it" "$D/agent.log"

# --- the 未对码 form ----------------------------------------------------------------
# 405 and 406 come without the bed fee's national code (CW0001); 407
# without the drug's (YP000456) too
for n in 405 406; do
	sed -e "s/ZY2024000123/ZY2024000$n/" -e 's/,001102000010000,床位费/,,床位费/' \
	    "$DATA/sample-6a.csv" >"$T/b$n.csv"
done
sed -e "s/ZY2024000123/ZY2024000407/" -e 's/,001102000010000,床位费/,,床位费/' \
    -e 's/,XJ01DCA040B002010100001,/,,/' "$DATA/sample-6a.csv" >"$T/b407.csv"
for n in 405 406 407; do gbk "$T/b$n.csv" "$T/bills-$n.csv"; drop "$T/bills-$n.csv" "$D/in"; done
for n in 405 406 407; do
	check "bill ZY2024000$n is invalid" wait_until 30 invalid ZY2024000$n
done
is "/unmapped.json: 200" "$(get -u it:it-pass "$U/unmapped.json")" 200
is "... CW0001 on 3 bills, YP000456 on 1" "$(py '[(c["code"], c["name"], c["bills"], len(c["ids"])) for c in d["codes"]]' <"$T/body")" "[('CW0001', '普通床位费', 3, 3), ('YP000456', '注射用头孢呋辛钠', 1, 1)]"
is "the ward nurse may not read /unmapped.json" "$(get -u nurse3:ward-pass "$U/unmapped.json")" 403
# the insurance office's file: GBK, its owner's, group-readable only
iconv -f UTF-8 -t GB18030 "$D/mapping.csv" >"$T/m.gbk" && cat "$T/m.gbk" >"$D/mapping.csv"
chmod 640 "$D/mapping.csv"
chown nobody:nogroup "$D/mapping.csv"
cp "$D/mapping.csv" "$T/mapping.before"
unchanged() { cmp -s "$D/mapping.csv" "$T/mapping.before"; }
get -u it:it-pass "$U/unmapped" >/dev/null
check "/unmapped: a form for CW0001" grep -q '<form method="get" action="/unmapped/add" class="map"><input type="hidden" name="code" value="CW0001">' "$T/body"
check "... its name filled in" grep -q '<input name="name" value="普通床位费">' "$T/body"
is "a national code of the wrong shape: 400" "$(get -u it:it-pass -G --data-urlencode code=CW0001 --data-urlencode nat=1.10105E+17 "$U/unmapped/add")" 400
check "... saying why" grep -q 'national code &quot;1.10105E+17&quot; is not a catalogue code shape' "$T/body"
is "the confirmation of the row: 200" "$(get -u it:it-pass -G --data-urlencode code=CW0001 --data-urlencode nat=001102000010000 --data-urlencode name=普通床位费 "$U/unmapped/add")" 200
check "... shows the row" grep -q '<code id="row">CW0001,001102000010000,普通床位费</code>' "$T/body"
MT=$(token)
check "the GETs wrote nothing" unchanged
is "POST without a token: 403" "$(get -u it:it-pass --data-urlencode code=CW0001 --data-urlencode nat=001102000010000 --data-urlencode name=普通床位费 "$U/unmapped/add")" 403
is "POST of the token with another national code: 403" "$(get -u it:it-pass --data-urlencode "token=$MT" --data-urlencode code=CW0001 --data-urlencode nat=001102000010001 --data-urlencode name=普通床位费 "$U/unmapped/add")" 403
is "POST by the ward nurse: 403" "$(get -u nurse3:ward-pass --data-urlencode "token=$MT" --data-urlencode code=CW0001 --data-urlencode nat=001102000010000 --data-urlencode name=普通床位费 "$U/unmapped/add")" 403
is "the ward nurse may not open the confirmation: 403" "$(get -u nurse3:ward-pass -G --data-urlencode code=CW0001 --data-urlencode nat=001102000010000 --data-urlencode name=普通床位费 "$U/unmapped/add")" 403
NT=$(token)
is "... nor POST a token she got: 403" "$(get -u nurse3:ward-pass --data-urlencode "token=$NT" --data-urlencode code=CW0001 --data-urlencode nat=001102000010000 --data-urlencode name=普通床位费 "$U/unmapped/add")" 403
check "none of them wrote the file" unchanged
is "bill 405 still waits" "$(state_of ZY2024000405)" invalid
is "POST with the token: 200" "$(get -u it:it-pass --data-urlencode "token=$MT" --data-urlencode code=CW0001 --data-urlencode nat=001102000010000 --data-urlencode name=普通床位费 "$U/unmapped/add")" 200
check "... 2 bills now ready, 1 still invalid" grep -q "<p id=\"result\">CW0001,001102000010000 added to $D/mapping.csv; reloaded; 2 bills now ready, 1 still invalid</p>" "$T/body"
check "the file got the row, in GBK" bash -c "iconv -f GB18030 -t UTF-8 '$D/mapping.csv' | tail -1 | grep -qx 'CW0001,001102000010000,普通床位费'"
check "... and is still not UTF-8" bash -c "! iconv -f UTF-8 -t UTF-8 '$D/mapping.csv' >/dev/null 2>&1"
check "... the old rows kept as they were" bash -c "head -c $(stat -c %s "$T/mapping.before") '$D/mapping.csv' | cmp -s - '$T/mapping.before'"
is "... its mode and owner kept" "$(stat -c '%a %U:%G' "$D/mapping.csv")" "640 nobody:nogroup"
check "... no temporary file left" bash -c "! ls -a '$D' | grep -q '^\.mapping'"
"$HISGATE" check-config -c "$conf" >"$T/cc.out" 2>&1
is "check-config takes the file" "$?" 0
check "the agent reloaded it" grep -q 'mapping .* reloaded: 2 codes' "$D/agent.log"
for n in 405 406; do
	check "bill ZY2024000$n settles" wait_until 60 settled ZY2024000$n
done
is "bill 407 still waits (on YP000456)" "$(state_of ZY2024000407)" invalid
B5=$(field_of ZY2024000405 id)
"$HISGATE" queue show "$B5" -c "$conf" >"$T/show5.out" 2>&1
check "its history names the user" grep -q 'invalid *-> ready *replay: now valid (web user it)' "$T/show5.out"
check "the log says who added the row (notice)" grep -q "notice.*mapping $D/mapping.csv: CW0001 -> 001102000010000 added by web user it" "$D/agent.log"
is "the used token again: 403" "$(get -u it:it-pass --data-urlencode "token=$MT" --data-urlencode code=CW0001 --data-urlencode nat=001102000010000 --data-urlencode name=普通床位费 "$U/unmapped/add")" 403

# --- replay from the page ---------------------------------------------------------
V7=$(field_of ZY2024000407 id)
printf 'YP000456,XJ01DCA040B002010100001,注射用头孢呋辛钠\n' | iconv -f UTF-8 -t GB18030 >>"$D/mapping.csv"
kill -HUP "$agent_pid"
check "the agent reloads the hand-edited mapping" wait_until 20 grep -q 'mapping .* reloaded: 3 codes' "$D/agent.log"
get -u it:it-pass "$U/bill/$V7/history" >/dev/null
check "bill 407's history has a replay button" grep -q "<form method=\"get\" action=\"/bill/$V7/replay\" id=\"act\">" "$T/body"
is "its confirmation: 200" "$(get -u it:it-pass "$U/bill/$V7/replay")" 200
RT=$(token)
is "the GET changed nothing" "$(state_of ZY2024000407)" invalid
is "POST with a wrong token: 403" "$(get -u it:it-pass -d "token=${RT%?}x" "$U/bill/$V7/replay")" 403
check "neither replayed it" bash -c "! sqlite3 '$D/outbox.db' \"SELECT reason FROM history WHERE bill_id = $V7\" | grep -q 'replay: now valid'"
is "POST with the token: 200" "$(get -u it:it-pass -d "token=$RT" "$U/bill/$V7/replay")" 200
check "... 1 bill now ready" grep -q '<p id="result">replay: 1 bill now ready, 0 still invalid</p>' "$T/body"
check "bill 407 settles" wait_until 60 settled ZY2024000407
"$HISGATE" queue show "$V7" -c "$conf" >"$T/show7.out" 2>&1
check "its history: still invalid after the form, ready after the button, both by it" bash -c \
    "grep -q 'invalid *-> invalid *replay: still invalid (web user it)' '$T/show7.out' && grep -q 'invalid *-> ready *replay: now valid (web user it)' '$T/show7.out'"
check "the log says who replayed it (notice)" grep -q "notice.*bill $V7: replayed by web user it: now ready" "$D/agent.log"
check "no full name or certificate number on the action pages" masked "$T/body"

stop_agent "$D"
check "no log line holds a full certificate number" bash -c \
    "! grep -Eq '11010519491231002X|41010219650312231X|110101198001010029' '$D'/agent.log"
stop_sim
done_testing
