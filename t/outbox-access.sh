#!/bin/bash
# End to end: every command that opens the outbox, with its directory
# missing, not writable by the user running the command, and with an
# outbox file that user cannot read.  Each must exit 1 (never 139, the old
# crash) and say which path, why, and what to do.  The unwritable cases
# run as nobody (root bypasses file modes).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
chmod 755 "$T" "$D"

# as_other CMD...: run as a user the outbox directory does not belong to
if [ "$(id -u)" -eq 0 ]; then
	id nobody >/dev/null 2>&1 || bail "no user nobody"
	command -v setpriv >/dev/null || bail "setpriv (util-linux) missing"
	as_other() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	other=nobody
	# The build tree may sit where nobody cannot reach it (a clone in
	# /root): run a copy of the binary from the scratch directory.
	mkdir -p "$T/bin" && cp "$HISGATE" "$T/bin/hisgate" &&
	    chmod 755 "$T/bin" "$T/bin/hisgate" || bail "cannot copy $HISGATE"
	HISGATE=$T/bin/hisgate
else
	as_other() { "$@"; }
	other=$(id -un)
fi

# Writers need the directory, readers only the file.
writers=("run --foreground" "replay" "queue replay" "queue retry 1"
    "queue cancel 1 --yes" "queue purge 2020-01-01 --yes")
readers=("queue list" "queue list --json" "queue show 1" "status" "slip 1"
    "reconcile 2026-01-01")

# expect_fail HOW PATTERN DESC CMD...: CMD exits 1 and its output
# (stderr and stdout) matches PATTERN
expect_fail() {
	local how=$1 pat=$2 desc=$3 out rc
	shift 3
	out=$($how timeout 30 "$HISGATE" -c "$D/hisgate.conf" "$@" 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && grep -q -- "$pat" <<<"$out"; then
		ok "$desc: hisgate $*"
	else
		not_ok "$desc: hisgate $* (status $rc)"
		echo "$out" | head -5 | sed 's/^/#   /'
	fi
}
as_self() { "$@"; }

# --- 1. the directory does not exist ----------------------------------------
sed -i "s|outbox = \"$D/outbox.db\"|outbox = \"$D/state/outbox.db\"|" \
    "$D/hisgate.conf"
missing="outbox $D/state/outbox.db: .*$D/state does not exist: create it for the service user (install -d -m 0750 -o hisgate -g hisgate $D/state)"
for c in "${writers[@]}" "${readers[@]}"; do
	# shellcheck disable=SC2086
	expect_fail as_self "$missing" "missing directory" $c
done
expect_fail as_self "fail  outbox .*install -d -m 0750 -o hisgate" \
    "missing directory" doctor
check "nothing was created" test ! -e "$D/state"

# the service user named in the advice is agent.service_user
sed -i 's|^  poll_ms = 200;|  poll_ms = 200;\n  service_user = "hisagent";|' \
    "$D/hisgate.conf"
expect_fail as_self "install -d -m 0750 -o hisagent -g hisagent $D/state" \
    "the advice names agent.service_user" queue retry 1
sed -i '/service_user = "hisagent";/d' "$D/hisgate.conf"

# --- 2. a directory this user cannot write, a file it cannot read -----------
mkdir "$D/state"
"$HISGATE" -c "$D/hisgate.conf" replay >/dev/null 2>&1 ||
    bail "replay as $(id -un) could not create the outbox"
test -f "$D/state/outbox.db" || bail "no outbox was created"
if [ "$(id -u)" -ne 0 ]; then
	chmod 555 "$D/state"
	chmod 000 "$D/state/outbox.db"
fi
unwritable="outbox $D/state/outbox.db: $D/state (mode 0[0-7]*, owner [^)]*) is not writable by user $other .*chown hisgate:hisgate $D/state.*runuser -u hisgate"
unreadable="outbox $D/state/outbox.db: $D/state/outbox.db (mode 0[0-7]*, owner [^)]*) is not readable by user $other: chown it to the service user (chown hisgate:hisgate $D/state/outbox.db"
for c in "${writers[@]}"; do
	# shellcheck disable=SC2086
	expect_fail as_other "$unwritable" "unwritable directory" $c
done
for c in "${readers[@]}"; do
	# shellcheck disable=SC2086
	expect_fail as_other "$unreadable" "unreadable outbox" $c
done
expect_fail as_other "fail  outbox .*is not readable by user $other" \
    "unreadable outbox" doctor
[ "$(id -u)" -ne 0 ] && chmod 755 "$D/state" && chmod 600 "$D/state/outbox.db"

# --- 2b. a readable outbox in a directory this user cannot write -------------
# With the daemon stopped there is no -shm file, and a reader would have
# SQLite create it: "attempt to write a readonly database" without this.
if [ "$(id -u)" -eq 0 ]; then
	chmod 755 "$D/state"; chmod 644 "$D/state/outbox.db"
	rm -f "$D/state/outbox.db-shm" "$D/state/outbox.db-wal"
	noshm="outbox $D/state/outbox.db: $D/state (mode 0755, owner root:root) is not writable by user nobody.*$D/state/outbox.db-shm does not exist (the daemon is not running).*runuser -u hisgate -- hisgate"
	for c in "queue list" "queue show 1"; do
		# shellcheck disable=SC2086
		expect_fail as_other "$noshm" "readable outbox, unwritable directory" $c
	done
	expect_fail as_other "fail  outbox .*outbox.db-shm does not exist (the daemon is not running)" \
	    "readable outbox, unwritable directory" doctor
	out=$(as_other "$HISGATE" -c "$D/hisgate.conf" queue list 2>&1)
	check "not SQLite's words" bash -c "! grep -q 'readonly database' <<<\"\$0\"" "$out"
	chmod 600 "$D/state/outbox.db"
fi

# --- 3. and with access, the same commands work -------------------------------
out=$("$HISGATE" -c "$D/hisgate.conf" queue list 2>&1)
check "with access, queue list works ($out)" [ $? -eq 0 ]
out=$("$HISGATE" -c "$D/hisgate.conf" status 2>&1)
check "with access, status works" [ $? -eq 0 ]

# --- 4. an outbox others may read (an older version made it so) --------------
chmod 644 "$D/state/outbox.db"
out=$("$HISGATE" -c "$D/hisgate.conf" queue list 2>&1)
is "a reader leaves the mode alone" "$(stat -c %a "$D/state/outbox.db")" 644
out=$("$HISGATE" -c "$D/hisgate.conf" replay 2>&1)
is "a writer narrows it to 0600 ($out)" "$(stat -c %a "$D/state/outbox.db")" 600
check "... and says so" grep -q "outbox.db was mode 0644, readable by others: now 0600 (it holds patient data)" <<<"$out"
out=$("$HISGATE" -c "$D/hisgate.conf" replay 2>&1)
check "... once" bash -c "! grep -q 'readable by others' <<<\"\$1\"" _ "$out"
done_testing
