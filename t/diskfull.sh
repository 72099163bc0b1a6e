#!/bin/bash
# Outages of the disk are boring: with the outbox on a full file system,
# and then on a read-only one, the agent acknowledges nothing (files stay
# in the drop directory), logs the alarm, keeps running, and recovers by
# itself when space (or write access) comes back.  Needs root to mount a
# small tmpfs; skipped otherwise.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D" 'stable_seconds = 0;'
sed -i '/^stable_seconds = 1;$/d' "$D/adapters.d/his.conf"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
mkdir -p "$D/state"
sed -i "s|outbox = \"$D/outbox.db\"|outbox = \"$D/state/outbox.db\"|" "$D/hisgate.conf"
if ! mount -t tmpfs -o size=600k tmpfs "$D/state" 2>/dev/null; then
	echo "1..0 # SKIP cannot mount a tmpfs here (not root?)"
	trap - EXIT
	rm -rf "$T"
	exit 0
fi
umount_state() { umount "$D/state" 2>/dev/null; cleanup; }
trap umount_state EXIT

"$PY" "$top_srcdir/t/gen-csv" -n 400 -m 20 -s 11 -p big "$T/stage" >/dev/null
"$PY" "$top_srcdir/t/gen-csv" -n 5 -m 5 -s 12 -p small "$T/stage" >/dev/null

start_agent "$D"
check "the agent starts on a small file system" \
    wait_until 10 test -f "$D/state/outbox.db"
mv "$T/stage/big-0001.csv" "$D/in/"
check "the alarm is logged" wait_until 30 grep -q 'full' "$D/agent.log"
sleep 1
check "the export is not acknowledged while the disk is full" \
    test -f "$D/in/big-0001.csv"
check "nor rejected" test ! -e "$D/in/rejected/big-0001.csv"
check "the agent keeps running" kill -0 "$agent_pid"

mount -o remount,size=64m "$D/state"
check "space comes back: the export is committed by itself" \
    wait_until 120 test -f "$D/in/done/big-0001.csv"
n=$("$HISGATE" queue list --json -c "$D/hisgate.conf" | py 'len(d)')
is "every bill of it is in the outbox" "$n" 400

# a file system cannot turn read-only under open files: restart onto it
stop_agent
mount -o remount,ro "$D/state" || bail "remount ro"
start_agent "$D"
mv "$T/stage/small-0001.csv" "$D/in/"
check "a read-only outbox is an alarm too" \
    wait_until 30 grep -q 'Read-only file system' "$D/agent.log"
sleep 1
check "the export waits in the drop directory" test -f "$D/in/small-0001.csv"
mount -o remount,rw "$D/state"
check "write access comes back: committed by itself" \
    wait_until 120 test -f "$D/in/done/small-0001.csv"
n=$("$HISGATE" queue list --json -c "$D/hisgate.conf" | py 'len(d)')
is "nothing lost, nothing doubled" "$n" 405
check "the agent never stopped" kill -0 "$agent_pid"
stop_agent
is "PRAGMA integrity_check" "$(sqlite3 "$D/state/outbox.db" 'PRAGMA integrity_check')" ok
done_testing
