#!/bin/bash
# End to end, detail reconciliation (3202): the real agent settles three
# bills against the real simulator; `hisgate reconcile --detail` finds 0
# 单边账 on a clean day.  Then each kind is made on purpose behind the
# agent's back: a settlement the platform reversed (a direct 2601 of the
# agent's 2304), and a settlement the outbox does not have (the bill
# cancelled by the agent, then settled again by a direct 2304).  reconcile
# --detail must report each with the bill, the person masked and the
# command that fixes it, exit 1; the printed fixes are run, and the day is
# clean again.  Last, 3201 must fail loudly when a journalled answer lacks
# a field it groups by.  TAP output.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
. "$top_srcdir/t/simcalls.sh"

D=$T/agent
mkconf "$D"
# the direct calls' msgids count from 5000: apart from the agent's
echo 5000 >"$T/seq"
start_sim rec
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "$url"; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 2000; };
EOC
conf=$D/hisgate.conf
today=$(date +%Y-%m-%d)
for n in 301 302 303; do
	sed "s/ZY2024000123/ZY2024000$n/" "$DATA/sample-6a.csv" >"$T/b$n.csv"
	gbk "$T/b$n.csv" "$T/bills-$n.csv"
done

start_agent "$D"
for n in 301 302 303; do drop "$T/bills-$n.csv" "$D/in"; done
for n in 301 302 303; do
	check "bill ZY2024000$n is settled" wait_until 60 settled ZY2024000$n
done
A=$(field_of ZY2024000301 id)
B=$(field_of ZY2024000302 id)
MB=$(field_of ZY2024000302 mdtrt_id)

"$HISGATE" reconcile --detail "$today" -c "$conf" >"$T/clean.out" 2>&1
is "a clean day: reconcile --detail exits 0" "$?" "0"
check "... 3 matched, 0 单边账 ($(tail -1 "$T/clean.out"))" \
    grep -q '^3 in force at the platform matched, 0 单边账' "$T/clean.out"

# --- kind 1: the platform reversed bill A's settlement behind our back --------
msgA=$(sqlite3 "$D/outbox.db" "SELECT msgid FROM steps WHERE bill_id = $A AND infno = '2304' AND state = 'ok'")
reverse_2304 "$msgA"
is "a direct 2601 of bill A's 2304" "$(infcode)" "0"

# --- kind 2: bill B cancelled by the agent, then settled by a direct 2304 -----
"$HISGATE" queue cancel "$B" --yes -c "$conf" >"$T/cancel.out" 2>&1
is "bill B cancelled by the agent (2305)" "$(state_of ZY2024000302)" cancelled
mdtrt_id=$MB
settle 2304 "$(ledger_field "$MB" items_sumamt)"
msgB=$msgid
is "a direct 2304 settles bill B's visit behind the outbox's back" \
    "$(infcode)" "0"

"$HISGATE" reconcile --detail "$today" -c "$conf" >"$T/one.out" 2>&1
is "reconcile --detail with 单边账 exits 1" "$?" "1"
check "bill A: settled in the outbox, not in force at the platform" \
    grep -q "^单边账 settled in the outbox, not in force at the platform: bill $A, .*msgid $msgA.*中心已冲正" "$T/one.out"
check "... fix: reconcile resettle A" \
    grep -q "^  fix: hisgate reconcile resettle $A " "$T/one.out"
check "bill B: settled at the platform, not in the outbox" \
    grep -q "^单边账 settled at the platform, not in the outbox: bill $B, .*visit $MB, .*msgid $msgB" "$T/one.out"
check "... fix: reconcile reverse MSGID B" \
    grep -q "^  fix: hisgate reconcile reverse $msgB $B " "$T/one.out"
check "the person is masked" bash -c "grep -q '4100\*\{18\}7890' '$T/one.out' && ! grep -q '$PSN' '$T/one.out'"
check "the count line: 1 matched, 2 单边账" \
    grep -q '^1 in force at the platform matched, 2 单边账 (1 only at the platform, 1 only in the outbox), 0 amounts differ' "$T/one.out"
"$HISGATE" reconcile --detail "$today" --json -c "$conf" >"$T/one.json" 2>"$T/one.err"
is "reconcile --detail --json with 单边账: exit 1 too" "$?" "1"
is "--json: the day, 3 in the file, 1 matched, not balanced" \
    "$(py '(d["date"], d["settlements"], d["matched"], d["balanced"], d["unasked"])' <"$T/one.json")" \
    "('$today', 3, 1, False, 0)"
is "--json: each 单边账 with its bill, msgid and fix" \
    "$(py 'sorted((r["kind"], r["bill"], r["msgid"], r["fix"].split("   ")[0]) for r in d["rows"])' <"$T/one.json")" \
    "$(printf "[('only_outbox', %s, '%s', 'hisgate reconcile resettle %s'), ('only_platform', %s, '%s', 'hisgate reconcile reverse %s %s')]" "$A" "$msgA" "$A" "$B" "$msgB" "$msgB" "$B")"
check "--json: the person masked there too" bash -c \
    "grep -q '\"person\":\"4100\*\{18\}7890\"' '$T/one.json' && ! grep -q '$PSN' '$T/one.json'"
check "--json: exact amounts" grep -q '"medfee_sumamt":[0-9]*\.[0-9][0-9],' "$T/one.json"

# --- the printed fixes ------------------------------------------------------------
eval "$(sed -n 's/^  fix: \(hisgate reconcile [a-z]* [^ ]*\( [0-9][0-9]*\)\?\) .*/\1/p' "$T/one.out" |
    sed "s|^hisgate|\"\$HISGATE\"|; s|\$| --json -c \"\$conf\" >>\"\$T/fix.out\" 2>\&1 \&\& echo ok >>\"\$T/fix.rc\";|")"
is "both fixes run (with --json) and succeed" "$(grep -c ok "$T/fix.rc" 2>/dev/null)" "2"
SA=$(sqlite3 "$D/outbox.db" "SELECT response FROM steps WHERE msgid = '$msgA'" | py 'd["output"]["setlinfo"]["setl_id"]')
is "resettle --json: bill A ready, its settlement named" \
    "$(grep '"infno"' -v "$T/fix.out" | py '(d["bill"], d["state"], d["changed"], d["setl_id"])')" \
    "($A, 'ready', True, '$SA')"
is "reverse --json: bill B as it was, the 2601 made, not refused" \
    "$(grep '"infno"' "$T/fix.out" | py '(d["bill"], d["state"], d["changed"], d["msgid"], d["infno"], len(d["call_msgid"]), d["refused"])')" \
    "($B, 'cancelled', False, '$msgB', '2601', 30, None)"
check "bill A settles again" wait_until 60 settled ZY2024000301
is "bill B stays cancelled" "$(state_of ZY2024000302)" cancelled
"$HISGATE" reconcile --detail "$today" -c "$conf" >"$T/two.out" 2>&1
is "after the fixes: reconcile --detail exits 0" "$?" "0"
check "... 0 单边账 ($(tail -1 "$T/two.out"))" \
    grep -q '^2 in force at the platform matched, 0 单边账' "$T/two.out"
"$HISGATE" reconcile --detail "$today" --json -c "$conf" >"$T/two.json" 2>&1
is "reconcile --detail --json of the clean day: exit 0, balanced, no rows" \
    "$? $(py '(d["matched"], d["balanced"], d["rows"])' <"$T/two.json")" "0 (2, True, [])"
"$HISGATE" reconcile reverse "$msgB" "$B" -c "$conf" >"$T/again.out" 2>&1
is "reverse again: the platform holds nothing of it (exit 0)" "$?" "0"
check "... saying so" grep -q 'the platform holds nothing of 2304' "$T/again.out"
"$HISGATE" reconcile reverse "$msgB" "$B" --json -c "$conf" >"$T/again.json" 2>&1
is "reverse --json again: exit 0, the refusal given" \
    "$? $(py '(d["bill"], d["changed"], d["refused"] is not None, d["message"].startswith("the platform holds nothing of 2304 '"$msgB"'"))' <"$T/again.json")" \
    "0 ($B, False, True, True)"
"$HISGATE" reconcile resettle "$B" -c "$conf" >"$T/bad.out" 2>&1
is "resettle of a bill not settled: exit 1" "$?" "1"
check "... naming its state" grep -q "bill $B is cancelled: only a settled bill" "$T/bad.out"
"$HISGATE" reconcile resettle "$B" --json -c "$conf" >"$T/bad.json" 2>"$T/bad.err"
is "resettle --json of a bill not settled: exit 1, nothing on stdout" "$? $(cat "$T/bad.json")" "1 "
check "... why on stderr" grep -q "bill $B is cancelled: only a settled bill" "$T/bad.err"
stop_agent
"$SIM" ledger --ledger "$ledger" --json >"$T/ledger.json"
# bill B is cancelled in the outbox: its visit waits, discharged, for a
# queue retry; nothing else is left open and no stay was admitted twice
is "ledger: the only open visit is cancelled bill B's, no double admission" \
    "$(py '" ".join(d["orphan_open_visits"]) + "/" + str(d["totals"]["double_admissions"])' <"$T/ledger.json")" \
    "$MB/0"

# --- 3201 fails loudly on answers it cannot group -------------------------------
"$HISGATE" reconcile "$today" -c "$conf" >"$T/r.out" 2>&1
is "reconcile (3201) of the day: exit 0" "$?" "0"
"$HISGATE" reconcile "$today" --json -c "$conf" >"$T/r.json" 2>&1
is "reconcile --json of the day: exit 0, each group matched" \
    "$? $(py '(d["date"], d["match"], sorted(set((g["kind"], g["result"]) for g in d["groups"])))' <"$T/r.json")" \
    "0 ('$today', True, [('refund', 'match'), ('setl', 'match')])"
sqlite3 "$D/outbox.db" "CREATE TABLE keep AS SELECT id, response FROM steps WHERE infno = '2304' AND state = 'ok'"
for f in clr_type insutype clr_optins setl_time; do
	sqlite3 "$D/outbox.db" "UPDATE steps SET response = (SELECT k.response FROM keep k WHERE k.id = steps.id) WHERE id IN (SELECT id FROM keep);
	    UPDATE steps SET response = replace(response, '\"$f\"', '\"${f}_gone\"') WHERE id IN (SELECT id FROM keep)"
	"$HISGATE" reconcile "$today" -c "$conf" >"$T/r.out" 2>&1
	is "answers without $f: reconcile exits 1" "$?" "1"
	check "... naming the field $f" grep -q "the journalled answer has no $f" "$T/r.out"
	check "... and never 'nothing to reconcile'" bash -c "! grep -q 'nothing to reconcile' '$T/r.out'"
	out=$("$HISGATE" reconcile "$today" --json -c "$conf" 2>"$T/r.err")
	is "... with --json too: exit 1, nothing on stdout" "$? $out$(grep -q "the journalled answer has no $f" "$T/r.err" && echo named)" "1 named"
done
sqlite3 "$D/outbox.db" "DROP TABLE keep"
stop_sim

done_testing
