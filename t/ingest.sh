#!/bin/bash
# End to end: config check, dry run, a GBK export through the real agent
# into a real SQLite outbox, idempotent re-drop, a changed record, an
# unmapped code fixed by a mapping file and replayed, clean shutdown.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
# no platform here: bills stay ready
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
gbk "$DATA/sample-6a.csv" "$T/bills-0301.csv"

# --- configuration -----------------------------------------------------
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
check "check-config accepts a good config" [ $? -eq 0 ]
cp -r "$D" "$T/bad"
sed -i 's/^  poll_ms = 200;/  poll_ms = 200;\n  pol_ms = 5;/' "$T/bad/hisgate.conf"
echo 'stable_secs = 3;' >>"$T/bad/adapters.d/his.conf"
sed -i "s|$D|$T/bad|g" "$T/bad/hisgate.conf"
out=$("$HISGATE" check-config -c "$T/bad/hisgate.conf" 2>&1)
rc=$?
is "check-config fails on unknown keys" "$rc" 1
check "names FILE:LINE of the main file" grep -q "hisgate.conf:10: unknown key \"pol_ms\"" <<<"$out"
check "names FILE:LINE of the adapter file" grep -q "adapters.d/his.conf:5: unknown key \"stable_secs\"" <<<"$out"
out=$("$HISGATE" check-config -c "$T/nonexistent.conf" 2>&1)
check "a missing named config is an error" [ $? -eq 1 ]
printf 'local_code,national_code\nYP1,XJ01DCA040B002010100001\nYP2,1.10105E+17\n' \
    >"$T/bad/mapping.csv"
sed -i -e '/pol_ms/d' "$T/bad/hisgate.conf"
sed -i -e '/stable_secs/d' "$T/bad/adapters.d/his.conf"
out=$("$HISGATE" check-config -c "$T/bad/hisgate.conf" 2>&1)
is "check-config checks the mapping file too" "$?" 1
check "naming its FILE:LINE" grep -q "mapping.csv:3: national code \"1.10105E+17\"" <<<"$out"

# --- dry run -------------------------------------------------------------
cp "$T/bills-0301.csv" "$D/in/"
touch -d '-1 min' "$D/in/bills-0301.csv"
out=$("$HISGATE" adapter test his -c "$D/hisgate.conf" 2>&1)
check "adapter test reads the export" grep -q '# 1 bill read, 0 invalid; nothing committed' <<<"$out"
check "adapter test prints exact amounts" grep -q '"det_item_fee_sumamt":50.00' <<<"$out"
check "adapter test leaves the file in place" [ -f "$D/in/bills-0301.csv" ]
check "adapter test creates no outbox" [ ! -e "$D/outbox.db" ]
out=$("$HISGATE" adapter test his --json -c "$D/hisgate.conf" 2>/dev/null)
is "adapter test --json: one object, the bill with its verdict" \
    "$(py '(d["adapter"], d["read"], d["invalid"], d["committed"], len(d["bills"]), d["bills"][0]["verdict"], d["bills"][0]["problems"])' <<<"$out")" \
    "('his', 1, 0, False, 1, 'ready', [])"
check "adapter test --json keeps the amounts exact" grep -q '"det_item_fee_sumamt":50.00' <<<"$out"
check "and masks the patient" bash -c '! grep -q -e 王芳 -e 11010519491231002X <<<"$0"' "$out"
rm "$D/in/bills-0301.csv"
is "adapter list names the adapter, its type and file" \
    "$("$HISGATE" adapter list -c "$D/hisgate.conf" | grep -c "^his  *csvdrop  *$D/adapters.d/his.conf$")" 1
is "adapter list --json: the same as an array" \
    "$("$HISGATE" adapter list --json -c "$D/hisgate.conf" | py 'd')" \
    "[{'name': 'his', 'type': 'csvdrop', 'file': '$D/adapters.d/his.conf'}]"

# --- the real path -------------------------------------------------------
start_agent "$D"
drop "$T/bills-0301.csv" "$D/in"
check "the file is acknowledged (moved to done/)" \
    wait_until 20 test -f "$D/in/done/bills-0301.csv"
list=$("$HISGATE" queue list --json -c "$D/hisgate.conf")
is "one bill in the outbox" "$(py 'len(d)' <<<"$list")" 1
is "it is ready" "$(py 'd[0]["state"]' <<<"$list")" ready
is "its total is exact" "$(py 'd[0]["total"]' <<<"$list")" 157.2
is "keyed by 住院号 and admission" "$(py 'd[0]["source_key"]' <<<"$list")" \
    "ZY2024000123|2024-03-01 08:30:00"
mode=$(stat -c %a "$D/outbox.db")
is "the outbox file is private (0600)" "$mode" 600

# the same export again: a no-op
drop "$T/bills-0301.csv" "$D/in"
check "a re-dropped file is acknowledged too" \
    wait_until 20 sh -c "[ \$(find '$D/in/done' -type f | wc -l) -eq 2 ]"
list=$("$HISGATE" queue list --json -c "$D/hisgate.conf")
is "still one bill" "$(py 'len(d)' <<<"$list")" 1
is "still version 1" "$(py 'd[0]["version"]' <<<"$list")" 1

# a corrected export before settlement replaces the bill
sed 's/,2,3.6000,7.20,/,3,3.6000,10.80,/' "$DATA/sample-6a.csv" >"$T/fixed.csv"
gbk "$T/fixed.csv" "$T/bills-0301b.csv"
drop "$T/bills-0301b.csv" "$D/in"
check "the corrected file is acknowledged" \
    wait_until 20 test -f "$D/in/done/bills-0301b.csv"
list=$("$HISGATE" queue list --json -c "$D/hisgate.conf")
is "still one bill after a correction" "$(py 'len(d)' <<<"$list")" 1
is "now version 2" "$(py 'd[0]["version"]' <<<"$list")" 2
is "with the corrected total" "$(py 'd[0]["total"]' <<<"$list")" 160.8
show=$("$HISGATE" queue show 1 --json -c "$D/hisgate.conf")
check "history records the replacement" grep -q 'version 2' <<<"$show"

# an unmapped local code: accepted, invalid with the reason; the file's
# bills are all in the outbox, so it goes to done/ with its .err beside it
sed -e 's/ZY2024000123/ZY2024000200/' -e 's/,XJ01DCA040B002010100001,/,,/' \
    "$DATA/sample-6a.csv" >"$T/unmapped.csv"
gbk "$T/unmapped.csv" "$T/bills-0302.csv"
drop "$T/bills-0302.csv" "$D/in"
check "a file whose invalid bill is committed goes to done/" \
    wait_until 20 test -f "$D/in/done/bills-0302.csv"
check "its .err names line, the file's column, the field and 未对码" \
    grep -q '^2:14: 院内项目编码 (medins_list_codg): 未对码: YP000456 注射用头孢呋辛钠' \
    "$D/in/done/bills-0302.csv.err"
check "nothing in rejected/" [ ! -e "$D/in/rejected/bills-0302.csv" ]
list=$("$HISGATE" queue list --state invalid --json -c "$D/hisgate.conf")
is "the bill waits as invalid" "$(py 'len(d)' <<<"$list")" 1
check "with its reason" grep -q '未对码: YP000456' <<<"$list"
show=$("$HISGATE" queue show "$(py 'd[0]["id"]' <<<"$list")" -c "$D/hisgate.conf")
check "queue show names the file's column too" \
    grep -q 'line 2: 院内项目编码 (medins_list_codg): 未对码: YP000456' <<<"$show"

out=$("$HISGATE" doctor -c "$D/hisgate.conf" 2>&1)
is "doctor: no problem, only warnings" "$?" 0
check "doctor points at the invalid bill" grep -q '^warn  invalid    1 bill wait for a fix' <<<"$out"
check "doctor checks the outbox" grep -q '^ok    outbox .*integrity and foreign keys ok' <<<"$out"

out=$("$HISGATE" replay 2 --json -c "$D/hisgate.conf" 2>&1)
is "replay ID --json before the fix: that bill, still invalid" "$(py 'd' <<<"$out")" \
    "{'bill': 2, 'ready': 0, 'invalid': 1}"

# fix the mapping, replay
printf 'local_code,national_code,name\nYP000456,XJ01DCA040B002010100001,注射用头孢呋辛钠\n' |
    iconv -f UTF-8 -t GB18030 >"$D/mapping.csv"
kill -HUP "$agent_pid"
out=$("$HISGATE" replay -c "$D/hisgate.conf" 2>&1)
check "replay reports the fixed bill" grep -q 'replay: 1 bill now ready, 0 still invalid' <<<"$out"
out=$("$HISGATE" queue replay -c "$D/hisgate.conf" 2>&1)
check "queue replay is the same command: nothing left to fix" \
    grep -q 'replay: 0 bills now ready, 0 still invalid' <<<"$out"
out=$("$HISGATE" queue replay --json -c "$D/hisgate.conf" 2>&1)
is "queue replay --json: the same counts" "$(py 'd' <<<"$out")" \
    "{'bill': None, 'ready': 0, 'invalid': 0}"
list=$("$HISGATE" queue list --state ready --json -c "$D/hisgate.conf")
is "both bills are ready" "$(py 'len(d)' <<<"$list")" 2
check "the agent survived SIGHUP" kill -0 "$agent_pid"

stop_agent
check "SIGTERM stops the agent cleanly" grep -q 'stopped' "$D/agent.log"
check "no ID number in the log" bash -c "! grep -q '11010519491231002X' '$D/agent.log'"
check "no patient name in the log" bash -c "! grep -q '王芳' '$D/agent.log'"
out=$("$HISGATE" status -c "$D/hisgate.conf")
check "status counts bills per state" grep -q 'ready *2' <<<"$out"
check "integrity_check is ok" [ "$(sqlite3 "$D/outbox.db" 'PRAGMA integrity_check')" = ok ]

# purge: only settled or cancelled bills go, and only when asked
sqlite3 "$D/outbox.db" "UPDATE bills SET state = 'settled', updated_ms = 1000 WHERE id = 1"
nbills() { sqlite3 "$D/outbox.db" 'SELECT count(*) FROM bills'; }
out=$(echo n | "$HISGATE" queue purge --settled-before 2000-01-01 -c "$D/hisgate.conf" 2>&1)
is "queue purge asks, and no means nothing (exit 1)" "$?" 1
check "it says how many would go" grep -q 'purge 1 settled or cancelled bill last changed before 2000-01-01' <<<"$out"
out=$(echo n | "$HISGATE" queue purge 2000-01-01 -c "$D/hisgate.conf" 2>&1)
is "queue purge DATE, the older spelling, asks the same (exit 1)" "$?" 1
check "with the same question" grep -q 'purge 1 settled or cancelled bill last changed before 2000-01-01' <<<"$out"
out=$(echo y | "$HISGATE" queue purge --settled-before 2000-01-01 --json -c "$D/hisgate.conf" 2>"$T/err")
is "queue purge --json without --yes is refused: it cannot ask (exit 2)" "$?" 2
is "nothing on stdout" "$out" ""
check "stderr says to add --yes" grep -q 'queue purge --json cannot ask: add --yes' "$T/err"
is "and nothing went" "$(nbills)" 2
out=$("$HISGATE" queue purge --settled-before 2000-01-01 2000-01-01 --yes -c "$D/hisgate.conf" 2>&1)
is "both spellings at once are a usage error" "$?" 2
out=$("$HISGATE" queue purge --settled-before 2000-01-01 --dry-run --json -c "$D/hisgate.conf" 2>&1)
is "--dry-run --json: the count that would go, not done" "$(py 'd' <<<"$out")" \
    "{'settled_before': '2000-01-01', 'count': 1, 'done': False}"
out=$("$HISGATE" queue purge --settled-before 2000-01-01 --dry-run -c "$D/hisgate.conf" </dev/null 2>&1)
check "--dry-run says how many would go, without asking" \
    grep -q '^1 settled or cancelled bill last changed before 2000-01-01 would be purged; nothing done' <<<"$out"
is "and nothing went" "$(nbills)" 2
out=$("$HISGATE" queue purge --settled-before 2000-01-01 --yes --json -c "$D/hisgate.conf" 2>&1)
is "--yes --json purges the settled bill and says so" "$(py 'd' <<<"$out")" \
    "{'settled_before': '2000-01-01', 'count': 1, 'done': True}"
out=$("$HISGATE" queue purge --settled-before 2000-01-01 --yes --json -c "$D/hisgate.conf" 2>&1)
is "again: nothing left to purge" "$(py 'd' <<<"$out")" \
    "{'settled_before': '2000-01-01', 'count': 0, 'done': False}"
is "the ready bill stays" "$("$HISGATE" queue list --json -c "$D/hisgate.conf" | py '[r["state"] for r in d]')" "['ready']"
is "its history went with it" "$(sqlite3 "$D/outbox.db" 'SELECT count(*) FROM history WHERE bill_id = 1')" 0
out=$("$HISGATE" queue purge 2031-02-30 -c "$D/hisgate.conf" 2>&1)
is "a bad date is a usage error" "$?" 2
out=$("$HISGATE" queue purge --settled-before 2031-02-30 --yes -c "$D/hisgate.conf" 2>&1)
is "also with --settled-before" "$?" 2
out=$("$HISGATE" queue purge --yes -c "$D/hisgate.conf" 2>&1)
is "no date at all is a usage error" "$?" 2
sqlite3 "$D/outbox.db" "UPDATE bills SET state = 'cancelled', updated_ms = 1000"
out=$("$HISGATE" queue purge 2000-01-01 --yes -c "$D/hisgate.conf" 2>&1)
check "queue purge DATE --yes, the older spelling, purges too" grep -q 'purged 1 bill' <<<"$out"
is "nothing is left" "$(nbills)" 0

done_testing
