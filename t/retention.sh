#!/bin/bash
# End to end, retention.personal_days: the real agent settles two bills of
# 王芳 against the real simulator (one is then cancelled with 2305) and
# takes in a third, invalid bill of another patient; result files are
# 0600.  The bills are made old by editing their timestamps in the SQLite
# file, and the outbox is put back to the schema before retention (2).
# `queue scrub` migrates it and takes her personal data out of the first,
# the daemon's own pass at start out of the second; the invalid bill is
# never touched.  Then no name or certificate number of hers is left
# anywhere in the outbox's files (grep on the raw bytes, strings), while
# queue show, slip and reconcile (3201, 3202) still work.  doctor and
# /metrics show the setting, the last scrub and what is due.  TAP output.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D" "results_dir = \"$D/results\";"
mkdir -p "$D/results"
start_sim
url="http://127.0.0.1:$port"
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "$url"; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 2000; };
EOC
conf=$D/hisgate.conf
db=$D/outbox.db
NAME=王芳
CERT=11010519491231002X
q() { "$HISGATE" queue list --json -c "$conf" 2>/dev/null; }
state_of() { q | py "([b['state'] for b in d if b['ipt_no'] == '$1'] or [''])[0]"; }
id_of() { q | py "[b['id'] for b in d if b['ipt_no'] == '$1'][0]"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
today=$(date +%Y-%m-%d)
for n in 301 302; do
	sed "s/ZY2024000123/ZY2024000$n/" "$DATA/sample-6a.csv" >"$T/b$n.csv"
	gbk "$T/b$n.csv" "$T/bills-$n.csv"
done
# another patient, an amount that is not quantity x price: invalid
sed 's/ZY2024000123/ZY2024000399/; s/王芳/赵六/; s/11010519491231002X/110105195001011234/; s/,50\.00,/,55.00,/' \
    "$DATA/sample-6a.csv" >"$T/b399.csv"
gbk "$T/b399.csv" "$T/bills-399.csv"

umask 022
start_agent "$D"
for n in 301 302 399; do drop "$T/bills-$n.csv" "$D/in"; done
check "bill ZY2024000301 is settled" wait_until 60 is_state ZY2024000301 settled
check "bill ZY2024000302 is settled" wait_until 60 is_state ZY2024000302 settled
check "bill ZY2024000399 is invalid" wait_until 30 is_state ZY2024000399 invalid
A=$(id_of ZY2024000301)
B=$(id_of ZY2024000302)
C=$(id_of ZY2024000399)
"$HISGATE" queue cancel "$B" --yes -c "$conf" >"$T/cancel.out" 2>&1
is "bill B cancelled (2305)" "$(state_of ZY2024000302)" cancelled

# --- files at rest: result files 0600 whatever the umask ------------------
# one file a bill, named after its source file; the cancellation
# rewrites bill B's
results() { [ "$(find "$D/results" -type f | wc -l)" -eq 2 ] &&
    grep -qs state=cancelled "$D/results/bills-302-ZY2024000302.txt"; }
check "result files written for both bills, B's rewritten as cancelled" \
    wait_until 30 results
is "every result file is 0600 (umask 022)" \
    "$(find "$D/results" -type f -exec stat -c %a {} + | sort -u | tr '\n' ' ')" "600 "
is "the outbox is 0600" "$(stat -c %a "$db")" 600
is "the msgid state is 0600" "$(stat -c %a "$db.msgid")" 600
is "the simulator's ledger is 0600" "$(stat -c %a "$T/ledger.db")" 600

"$HISGATE" reconcile "$today" -c "$conf" >"$T/rec-before.out" 2>&1
rec_before=$?
"$HISGATE" reconcile --detail "$today" -c "$conf" >"$T/det-before.out" 2>&1
det_before=$?
stop_agent "$D"
check "before: her name is in the outbox" grep -qaF "$NAME" "$db"
check "... and her certificate number" grep -qaF "$CERT" "$db"

# --- old bills in an outbox of the schema before retention -------------------
old=$((41 * 86400 * 1000))
sqlite3 "$db" "UPDATE bills SET updated_ms = updated_ms - $old WHERE id IN ($A, $C);
    ALTER TABLE bills DROP COLUMN scrubbed_ms; DROP TABLE recon_rows;
    DROP TABLE recon_run; DROP TABLE IF EXISTS audit_findings;
    DROP TABLE IF EXISTS audit_runs; DROP TABLE retention_run; ALTER TABLE steps DROP COLUMN lost; DROP TABLE metric_carry;
    PRAGMA user_version = 2"
is "the outbox is at schema 2" "$(sqlite3 "$db" 'PRAGMA user_version')" 2
echo 'retention: { personal_days = 40; };' >>"$conf"

"$HISGATE" queue scrub --dry-run -c "$conf" >"$T/dry0.out" 2>&1
is "a dry run (a reader) does not migrate: exit 1" "$?" 1
check "... and says how to" grep -q 'start the daemon once to migrate it' "$T/dry0.out"

out=$("$HISGATE" queue scrub --json -c "$conf" 2>&1)
is "queue scrub: exit 0" "$?" 0
is "... migrated the outbox to schema 9" "$(sqlite3 "$db" 'PRAGMA user_version')" 9
is "... took bill A only (not the invalid one, not the recent one)" \
    "$(py '"%d %s %s" % (d["count"], d["bills"], d["dry_run"])' <<<"$out")" "1 [$A] False"
out=$("$HISGATE" queue scrub --dry-run --json -c "$conf")
is "nothing left to scrub" "$(py 'd["count"]' <<<"$out")" 0

doctor() { "$HISGATE" doctor -c "$conf" 2>&1 | grep '^[a-z]*  *retention '; }
is "doctor: the setting, the scrub that took bill A, nothing due" "$(doctor)" \
    "ok    retention  personal data out of bills settled or cancelled more than 40 days ago (retention.personal_days; the daemon at start and hourly); last scrub $today $(date -d @$(($(sqlite3 "$db" 'SELECT run_ms FROM retention_run') / 1000)) +%H:%M:%S): 1 bill; 0 bills due now"

sqlite3 "$db" "UPDATE bills SET updated_ms = updated_ms - $old WHERE id = $B"
out=$("$HISGATE" queue scrub --dry-run --json -c "$conf")
is "bill B is old now: a dry run names it" "$(py 'd["bills"]' <<<"$out")" "[$B]"
check "doctor: 1 bill due, the last scrub recent: ok" bash -c \
    "grep -q '^ok    retention .*: 1 bill; 1 bill due now$' <<<'$(doctor)'"
sqlite3 "$db" "UPDATE retention_run SET run_ms = run_ms - 3 * 3600 * 1000"
check "doctor: due, and no scrub for 3 hours: a warning" bash -c \
    "grep -q '^warn  retention .*; 1 bill due now: is the daemon running? (hisgate queue scrub takes them now)$' <<<'$(doctor)'"
"$HISGATE" queue scrub --dry-run -c "$conf" >"$T/dry.out"
check "... also in words" grep -q "^personal data would be removed from 1 bill settled or cancelled before " "$T/dry.out"
is "... and writes nothing" \
    "$(sqlite3 "$db" "SELECT instr(bill_json, '$NAME') > 0 FROM bills WHERE id = $B")" 1

# --- the daemon's pass at start ---------------------------------------------
echo 'web: { enabled = true; listen = "127.0.0.1:0"; };' >>"$conf"
start_agent "$D"
scrubbed() { [ "$(sqlite3 "$db" "SELECT scrubbed_ms IS NOT NULL FROM bills WHERE id = $B" 2>/dev/null)" = 1 ]; }
check "the daemon scrubs bill B when it starts" wait_until 30 scrubbed
check "... and logs it" wait_until 10 grep -q 'personal data removed from 1 bill settled or cancelled more than 40 days ago' "$D/agent.log"
curl -s "http://127.0.0.1:$(listen_port "$D" web)/metrics" >"$T/metrics"
is "metrics: retention.personal_days" \
    "$(grep '^hisgate_retention_personal_days ' "$T/metrics")" "hisgate_retention_personal_days 40"
is "metrics: when the last scrub ran (the daemon's, which took bill B)" \
    "$(grep '^hisgate_retention_last_scrub_timestamp_seconds ' "$T/metrics")" \
    "hisgate_retention_last_scrub_timestamp_seconds $(($(sqlite3 "$db" "SELECT scrubbed_ms FROM bills WHERE id = $B") / 1000))"
is "metrics: the bills it took" \
    "$(grep '^hisgate_retention_last_scrub_bills ' "$T/metrics")" "hisgate_retention_last_scrub_bills 1"
is "metrics: done/ of the drop directory" \
    "$(grep '^hisgate_retention_done_keep_days' "$T/metrics")" 'hisgate_retention_done_keep_days{adapter="his"} 90'
check "metrics: each has its HELP and TYPE" bash -c \
    "[ \$(grep -c '^# TYPE hisgate_retention_[a-z_]* gauge$' '$T/metrics') = 4 ]"
# the daemon still runs: the scrubbed pages must have reached the file
# (its own checkpoint; SQLite's automatic one waits for 16384 pages) and
# the -wal must not keep the old ones
is "while it runs: her certificate number is gone from the file" "$(grep -caF "$CERT" "$db")" 0
is "... and from the -wal" "$(cat "$db-wal" 2>/dev/null | grep -caF "$CERT")" 0
stop_agent "$D"

# --- nothing of hers is left ------------------------------------------------
for f in "$db" "$db-wal"; do
	[ -e "$f" ] || continue
	is "no byte of her name in $(basename "$f")" "$(grep -caF "$NAME" "$f")" 0
	is "no certificate number in $(basename "$f")" "$(grep -caF "$CERT" "$f")" 0
	is "strings $(basename "$f"): no certificate number" "$(strings "$f" | grep -c "$CERT")" 0
done
is "sqlite3 .dump: neither" "$(sqlite3 "$db" .dump | grep -cF -e "$NAME" -e "$CERT")" 0
is "no patient key, no certificate type or birth date in her bills" \
    "$(sqlite3 "$db" "SELECT count(*) FROM bills WHERE id IN ($A, $B) AND (patient_key IS NOT NULL OR instr(bill_json, 'psn_cert_type') OR instr(bill_json, 'gend'))") / $(sqlite3 "$db" "SELECT count(*) FROM steps WHERE bill_id IN ($A, $B) AND (instr(response, 'brdy') OR instr(response, 'certno'))")" "0 / 0"
is "the invalid bill is untouched" \
    "$(sqlite3 "$db" "SELECT scrubbed_ms IS NULL, instr(bill_json, '赵六') > 0, patient_key FROM bills WHERE id = $C")" \
    "1|1|110105195001011234"
is "both scrubbed bills marked" "$(sqlite3 "$db" "SELECT count(*) FROM bills WHERE scrubbed_ms IS NOT NULL")" 2

# --- what stays works -------------------------------------------------------
"$HISGATE" queue show "$A" -c "$conf" >"$T/show.out" 2>&1
is "queue show of a scrubbed bill: exit 0" "$?" 0
check "... says when and why" grep -q "^  personal data removed on $today under retention.personal_days" "$T/show.out"
"$HISGATE" queue show "$A" --json -c "$conf" >"$T/show.json"
is "queue show --json: marked, ids and amounts kept" \
    "$(py '"%s %s %s %s %s %s" % (d["personal_data_removed_ms"] > 0, "psn_name" in d["bill"], d["ipt_no"], d["setl_id"] is not None, d["psn_no"] is not None, d["settlement"]["setlinfo"]["medfee_sumamt"])' <"$T/show.json")" \
    "True False ZY2024000301 True True 157.2"
"$HISGATE" slip "$A" -c "$conf" >"$T/slip.out" 2>&1
is "slip of a scrubbed bill: exit 0" "$?" 0
"$HISGATE" reconcile "$today" -c "$conf" >"$T/rec-after.out" 2>&1
is "reconcile (3201): the same exit as before" "$?" "$rec_before"
is "... the same report" "$(diff "$T/rec-before.out" "$T/rec-after.out")" ""
"$HISGATE" reconcile --detail "$today" -c "$conf" >"$T/det-after.out" 2>&1
is "reconcile --detail (3202): the same exit as before ($det_before)" "$?" "$det_before"
is "... the same count line" "$(tail -1 "$T/det-after.out")" "$(tail -1 "$T/det-before.out")"
"$HISGATE" queue retry "$B" -c "$conf" >"$T/retry.out" 2>&1
is "queue retry of the scrubbed cancelled bill: refused (exit 1)" "$?" 1
check "... saying why" grep -q "bill $B: its personal data was removed under retention.personal_days" "$T/retry.out"
is "... it stays cancelled" "$(state_of ZY2024000302)" cancelled
kill -TERM "$sim_pid" 2>/dev/null
wait "$sim_pid" 2>/dev/null

done_testing
