#!/bin/bash
# systemd's watchdog without systemd: the test is the service manager.  It
# binds the notify socket itself, starts the agent with NOTIFY_SOCKET and
# WATCHDOG_USEC as systemd would, and reads what arrives.  A healthy agent
# says READY=1 and keeps pinging WATCHDOG=1; one whose settlement worker
# or adapter thread hangs (HISGATE_TEST_HANG, a hook for tests) stops
# pinging and says which loop hangs.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

# listen SOCK OUT: every datagram on SOCK, one line each in OUT
listen() {
	"$PY" - "$1" "$2" <<'EOP' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        out.write(msg.replace("\n", " ") + "\n")
EOP
	bg_pids="$bg_pids $!"
	wait_until 20 test -S "$1" || bail "the notify socket did not appear"
}
pings() { grep -c '^WATCHDOG=1' "$1" 2>/dev/null; }

start_sim

# run NAME WATCHDOG-SECONDS [HANG]: an agent in $T/NAME under a notify
# socket of its own; sets agent_pid
run() {
	local d=$T/$1
	mkconf "$d"
	printf 'platform: { url = "http://127.0.0.1:%s/"; };\n' "$port" \
	    >>"$d/hisgate.conf"
	listen "$d/notify.sock" "$d/notify.log"
	NOTIFY_SOCKET=$d/notify.sock WATCHDOG_USEC=$(($2 * 1000000)) \
	    HISGATE_TEST_HANG=${3:-} \
	    "$HISGATE" run -c "$d/hisgate.conf" >>"$d/agent.log" 2>&1 &
	agent_pid=$!
	bg_pids="$bg_pids $agent_pid"
}

# --- healthy: READY=1, then pings that go on --------------------------------
run ok 2
D=$T/ok
check "READY=1 once it runs" wait_until 30 grep -q '^READY=1' "$D/notify.log"
check "WATCHDOG=1 keeps coming (10 pings, WatchdogSec=2)" \
    wait_until 60 bash -c "[ \$(grep -c '^WATCHDOG=1' '$D/notify.log') -ge 10 ]"
# and it settles meanwhile: the beats do not get in the way
gbk "$DATA/sample-6a.csv" "$D/bills.csv" && drop "$D/bills.csv" "$D/in"
check "a bill settles while the watchdog is fed" \
    wait_until 60 bash -c "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
n=$(pings "$D/notify.log")
check "pings go on after the settlement" \
    wait_until 30 bash -c "[ \$(grep -c '^WATCHDOG=1' '$D/notify.log') -gt $n ]"
check "no loop was reported late" bash -c "! grep -q 'has not moved' '$D/agent.log'"
stop_agent "$D"
check "STOPPING=1 on the way out" grep -q '^STOPPING=1' "$D/notify.log"

# --- a hung loop stops the pings ---------------------------------------------
# hung NAME WHO: the thread named WHO hangs at its first beat; the pings
# that came before stop once it is WatchdogSec (3 s) late, for good
hung() {
	local d=$T/$1 n
	run "$1" 3 "$2"
	check "$2 hangs: READY=1 all the same" \
	    wait_until 30 grep -q '^READY=1' "$d/notify.log"
	check "$2 hangs: the agent names it and stops pinging" \
	    wait_until 60 grep -q "watchdog: $2 has not moved for [0-9]* s (WatchdogSec is 3 s): no more watchdog pings" "$d/agent.log"
	check "$2 hangs: systemd's status says so" \
	    grep -q "^STATUS=$2 hangs" "$d/notify.log"
	n=$(pings "$d/notify.log")
	check "$2 hangs: it had pinged before" [ "$n" -ge 1 ]
	# three ping intervals (0.75 s each) and more: none comes
	sleep 4
	is "$2 hangs: no ping after that" "$(pings "$d/notify.log")" "$n"
	kill -KILL "$agent_pid"
	wait "$agent_pid" 2>/dev/null
}
hung settle-hang settle
hung adapter-hang his

# --- no watchdog asked for: no pings, the agent runs as before --------------
D=$T/nowd
mkconf "$D"
printf 'platform: { url = "http://127.0.0.1:%s/"; };\n' "$port" >>"$D/hisgate.conf"
listen "$D/notify.sock" "$D/notify.log"
NOTIFY_SOCKET=$D/notify.sock "$HISGATE" run -c "$D/hisgate.conf" \
    >>"$D/agent.log" 2>&1 &
agent_pid=$!
bg_pids="$bg_pids $agent_pid"
check "without WATCHDOG_USEC: READY=1" wait_until 30 grep -q '^READY=1' "$D/notify.log"
stop_agent "$D"
is "without WATCHDOG_USEC: no pings" "$(pings "$D/notify.log")" 0
done_testing
