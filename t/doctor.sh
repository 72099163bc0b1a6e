#!/bin/bash
# End to end: doctor says whether the daemon runs (pid and uptime, from
# OUTBOX.pid, locked while it runs), the mapping's codes and whether the
# daemon's copy is current, and for each drop directory its permissions,
# the files waiting, those stuck longer than the completion window, and
# those quarantined in rejected/ with the first line of their .err, and
# how long done/ keeps what was read; and the retention of personal data
# (off here; t/retention.sh has it on).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
cat >"$D/adapters.d/mk.conf" <<EOC
type = "csvdrop";
dir = "$D/mk";
complete = "marker";
rescan_seconds = 1;
done_keep_days = 0;
EOC
printf 'local_code,national_code\nYP000456,XJ01DCA040B002010100001\n' >"$D/mapping.csv"
doc() { out=$("$HISGATE" doctor -c "$D/hisgate.conf" 2>&1); rc=$?; }
has() {
	if grep -q -- "$2" <<<"$out"; then ok "$1"
	else not_ok "$1"; echo "$out" | sed 's/^/#   /'; fi
}

# --- before the first start ------------------------------------------------------
doc
has "not running, no pid file" "^warn  daemon     not running (no $D/outbox.db.pid): systemctl start hisgate"
has "a drop directory not created yet" "^warn  drop mk    $D/mk does not exist yet: the daemon creates it when it starts"
has "the mapping's codes" "^ok    mapping    $D/mapping.csv: 1 codes$"

# --- running ---------------------------------------------------------------------
start_agent "$D"
wait_until 20 test -d "$D/mk" -a -s "$D/outbox.db.pid" || bail "the agent did not start"
doc
has "running, with its pid" "^ok    daemon     running: pid $agent_pid, up [0-9]* s (since 20"
has "the daemon's mapping" "^ok    mapping    $D/mapping.csv: 1 codes; the daemon loaded 1 at 20"
has "a drop directory with its mode and owner" "^ok    drop his   $D/in (mode 0[0-7]*, owner [^)]*): no file waiting"
has "how long its done/ keeps files (the default)" "^ok    drop his   $D/in/done keeps what was read 90 days (done_keep_days): no file$"
has "a done/ that keeps them" "^ok    drop mk    $D/mk/done keeps what was read for ever (done_keep_days = 0): no file$"
has "retention off, no scrub yet" "^ok    retention  off (retention.personal_days = 0): names and certificate numbers stay in the outbox until hisgate queue purge removes whole bills; no scrub ran yet$"
out=$("$HISGATE" run --foreground -c "$D/hisgate.conf" 2>&1)
is "a second daemon on the same outbox is refused" "$?" 1
has "naming the first" "another hisgate (pid $agent_pid) runs on this outbox: stop it first"

# a file waiting for a marker that never comes: stuck
cp "$DATA/sample-6a.csv" "$D/mk/bills-0301.csv"
touch -d '-10 min' "$D/mk/bills-0301.csv"
cp "$DATA/sample-6a.csv" "$D/mk/bills-0302.csv"
doc
has "a stuck file, the oldest named" "^warn  drop mk    $D/mk: 1 file waiting longer than 14 s (complete = marker), oldest bills-0301.csv, 10 min old: is its marker file missing?"
rm "$D/mk/bills-0301.csv"
doc
has "a file waiting inside the window" "^ok    drop mk    $D/mk (mode 0750, owner [^)]*): 1 file waiting, oldest bills-0302.csv"
# its marker comes: read, and kept in done/
touch "$D/mk/bills-0302.csv.ok"
wait_until 20 test -f "$D/mk/done/bills-0302.csv" || bail "not read"
doc
has "done/ counts what it keeps" "^ok    drop mk    $D/mk/done keeps what was read for ever (done_keep_days = 0): 1 file, oldest bills-0302.csv ([0-9]* s)$"

# a file that cannot be read as bills: quarantined
printf '\000\001\002garbage\000' >"$T/garbage.csv"
drop "$T/garbage.csv" "$D/in"
wait_until 20 test -f "$D/in/rejected/garbage.csv.err" || bail "not quarantined"
doc
has "the quarantined file, with why" "^warn  drop his   1 file quarantined in $D/in/rejected (each NAME.err says why; fix and move it back into $D/in): newest garbage.csv.err: .*not a text file"
is "warnings only: exit 0" "$rc" 0
has "the free space beside the outbox, with the alarm's limit" "^[a-z]*  *disk       [0-9]* MB free beside the outbox (web.disk_min_mb 200)"

# web.disk_min_mb above the free space (its highest value, 1000000 MB):
# the daemon's disk alarm, a failure here
free_mb=$(df -Pm "$D" | awk 'NR == 2 { print $4 }')
if [ "$free_mb" -lt 1000000 ]; then
	cp "$D/hisgate.conf" "$T/saved.conf"
	echo 'web: { disk_min_mb = 1000000; };' >>"$D/hisgate.conf"
	doc
	has "free space below web.disk_min_mb fails, with the fix" "^fail  disk       [0-9]* MB free beside the outbox, below web.disk_min_mb 1000000 (the daemon's disk alarm, /healthz 503): free space on $D (hisgate queue purge removes old bills) or lower web.disk_min_mb$"
	is "and doctor exits 1" "$rc" 1
	cp "$T/saved.conf" "$D/hisgate.conf"
else
	tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP disk: $free_mb MB free, above web.disk_min_mb's highest value"
	tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP disk: exit 1"
fi

# the mapping changed after the daemon loaded it
sleep 1.2
printf 'local_code,national_code\nYP000456,XJ01DCA040B002010100001\nCW0001,001102000010000\n' >"$D/mapping.csv"
doc
has "a mapping newer than the daemon's" "^warn  mapping    $D/mapping.csv: 2 codes, changed since the daemon loaded it (1 codes at 20.*): systemctl reload hisgate"
kill -HUP "$agent_pid"
wait_until 20 grep -q "mapping $D/mapping.csv reloaded: 2 codes" "$D/agent.log"
doc
has "after SIGHUP the daemon's copy is current" "^ok    mapping    $D/mapping.csv: 2 codes; the daemon loaded 2 at 20"
# the file gone (mid-replace): the running daemon keeps its table
mv "$D/mapping.csv" "$T/mapping.away"
doc
has "a missing mapping: the daemon keeps its 2 codes" "^warn  mapping    $D/mapping.csv does not exist: the running daemon keeps the 2 codes it loaded at 20.* after a restart, and for hisgate replay, every fee .* would be 未对码: put the file back"
check "not that every fee is 未对码 now" bash -c "! grep -q 'every fee the export gives no national code is 未对码' <<<\"\$0\"" "$out"
mv "$T/mapping.away" "$D/mapping.csv"

# --- killed ------------------------------------------------------------------------
kill -9 "$agent_pid"
wait "$agent_pid" 2>/dev/null
doc
has "a killed daemon is told from a running one" "^warn  daemon     not running: $D/outbox.db.pid was left by pid $agent_pid, which has stopped"
start_agent "$D"
wait_until 20 grep -qs "hisgate\[$agent_pid\].*running" "$D/agent.log"
doc
has "a new start takes the pid file over" "^ok    daemon     running: pid $agent_pid"
stop_agent
check "a clean stop removes the pid file" test ! -e "$D/outbox.db.pid"

# --- as root: a waiting file the service user cannot read -----------------------
if [ "$(id -u)" -eq 0 ]; then
	sed -i 's|^  poll_ms = 200;|  poll_ms = 200;\n  service_user = "nobody";|' "$D/hisgate.conf"
	chmod 755 "$T" "$D"
	chmod 777 "$D/mk"
	printf 'x\n' >"$D/mk/his.csv"
	chown daemon:daemon "$D/mk/his.csv"
	chmod 640 "$D/mk/his.csv"
	doc
	has "a file the HIS wrote that the daemon cannot read fails, with the group to join" \
	    "^fail  drop mk    $D/mk/his.csv.*not readable by user nobody.*add nobody to the file's group (adduser nobody daemon; systemctl restart hisgate)"
	chmod 644 "$D/mk/his.csv"
	doc
	has "readable, it is only waiting" "^ok    drop mk    $D/mk (.*): 1 file waiting"
fi
done_testing
