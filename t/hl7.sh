#!/bin/bash
# End to end, hl7: HL7 v2 over MLLP from a sender built on python-hl7
# (t/hl7send.py) through the real agent to bills settled on the simulator.
# Duplicate control ids, a connection dropped before its ACK, GB2312 and
# an empty MSH-18, the bad-input corpus with its exact reasons, a half
# message that must not block anyone, the connection limit, charges that
# survive a SIGKILL before the discharge, AE while the outbox is locked,
# and the crash test: SIGKILL during intake, every bill exactly once, and
# no AA for a discharge the outbox did not have.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

"$PY" -c 'import hl7' 2>/dev/null ||
    bail "python3-hl7 is missing (script/bootstrap installs it)"
D=$T/agent
mkconf "$D"
rm "$D/adapters.d/his.conf"
SEND=$top_srcdir/t/hl7send.py
CSV=$DATA/sample-6a.csv
start_sim
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 2000; rate_per_sec = 100; };
EOC
cat >"$D/adapters.d/hl7.conf" <<EOC
type = "hl7";
listen = "127.0.0.1:0";
store = "$D/hl7";
read_timeout_seconds = 1;
max_connections = 4;
EOC
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
is "check-config accepts the hl7 adapter" "$?" 0

start_agent "$D"
P=$(listen_port "$D" hl7)
# restarts take the same port again
sed -i "s/127\.0\.0\.1:0/127.0.0.1:$P/" "$D/adapters.d/hl7.conf"

q() { queue_of "$D"; }
state_of() { q | py "[b['state'] for b in d if b['ipt_no'] == '$1'] or ['']" | tr -d "[]'"; }
nbills() { bills_of "$D" "$1"; }
total_of() { q | py "[b['total'] for b in d if b['ipt_no'] == '$1'][0]"; }
settled() { [ "$(state_of "$1")" = settled ]; }
has_bill() { [ "$(nbills "$1")" -ge 1 ]; }
acks() { awk -v c="$2" '$1 == c { print $2 }' "$1" | tr '\n' ' ' | sed 's/ $//'; }

# --- the sample bill, every message sent twice -------------------------------
"$PY" "$SEND" "$P" "$CSV" "$T/acks1" --dup
is "two DFT^P03 and the ADT^A03, each sent twice: all AA" \
    "$(awk '{print $2}' "$T/acks1" | tr '\n' ' ')" "AA AA AA AA AA AA "
check "the bill is settled" wait_until 60 settled ZY2024000123
is "one bill for the visit" "$(nbills ZY2024000123)" 1
is "with every charge" "$(total_of ZY2024000123)" 157.2
check "the repeats are logged as such" grep -q 'message ZY2024000123-D1 (DFT^P03, visit ZY2024000123) was taken before' "$D/agent.log"
ledger=$("$SIM" ledger --ledger "$T/ledger.db" --json)
is "ledger: no visit settled more than once" \
    "$(py "max([v['setl_cnt'] for v in d['visits']] or [0])" <<<"$ledger")" 1

# --- character sets, a dropped connection --------------------------------------
"$PY" "$SEND" "$P" "$CSV" "$T/acks2" --charset gb2312 --ipt ZY2024000124
"$PY" "$SEND" "$P" "$CSV" "$T/acks3" --charset empty --ipt ZY2024000125
"$PY" "$SEND" "$P" "$CSV" "$T/acks4" --drop-first --ipt ZY2024000126
check "MSH-18 GB2312 (GBK bytes): settled, the name read right" wait_until 60 settled ZY2024000124
check "empty MSH-18 with GB18030 bytes: settled" wait_until 60 settled ZY2024000125
check "a connection dropped before the ACK, then re-sent: settled" wait_until 60 settled ZY2024000126
is "... as one bill" "$(nbills ZY2024000126)" 1
is "... with every charge" "$(total_of ZY2024000126)" 157.2

# --- bad input: the exact reasons ------------------------------------------------
BAD=$DATA/hl7-bad
got=$("$PY" "$SEND" "$P" --raw $(grep -v '^#' "$BAD/EXPECTED" | cut -f1 | sed "s|^|$BAD/|"))
want=$(grep -v '^#' "$BAD/EXPECTED")
is "every bad message gets AR with its exact reason ($(wc -l <<<"$want") cases)" "$got" "$want"
check "the agent is still running" kill -0 "$agent_pid"
check "the rejection is logged with the control id" grep -q 'message C1 (DFT^P03) from 127.0.0.1:[0-9]* rejected (AR): segment 4 (FT1 #1): FT1-11 line amount' "$D/agent.log"

# --- a half message blocks nobody; the connection limit ------------------------
"$PY" - "$P" >"$T/half.out" 2>&1 <<'EOP' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\x0bMSH|^~\\&|HIS|H0001|HISGATE|H0001|2024")
t = time.time()
s.settimeout(20)
print("eof" if s.recv(100) == b"" else "data", round(time.time() - t))
EOP
half=$!
sleep 0.3
"$PY" "$SEND" "$P" "$CSV" "$T/acks5" --ipt ZY2024000127
is "a sender is answered while another sits on half a message" \
    "$(awk '{print $2}' "$T/acks5" | tr '\n' ' ')" "AA AA AA "
wait $half
check "the half message's connection is closed after read_timeout_seconds" grep -q '^eof [12]$' "$T/half.out"
check "saying why" grep -q 'closed: a message begun and not ended within read_timeout_seconds' "$D/agent.log"
"$PY" - "$P" >"$T/limit.out" 2>&1 <<'EOP'
import socket, sys, time
p = int(sys.argv[1])
keep = [socket.create_connection(("127.0.0.1", p)) for _ in range(4)]
time.sleep(0.5)
extra = socket.create_connection(("127.0.0.1", p))
extra.settimeout(10)
print("closed" if extra.recv(100) == b"" else "open")
EOP
is "a fifth connection over max_connections = 4 is closed" "$(cat "$T/limit.out")" closed
check "and logged" grep -q 'refused: max_connections (4) are open' "$D/agent.log"

# --- charges survive a SIGKILL before the discharge ----------------------------
"$PY" "$SEND" "$P" "$CSV" "$T/acks6" --ipt ZY2024000128 --no-discharge
is "the charges are acknowledged before any bill exists" "$(nbills ZY2024000128)" 0
out=$("$HISGATE" adapter test hl7 -c "$D/hisgate.conf" 2>&1)
check "adapter test shows the open visit's bill as it stands" \
    grep -q '"ipt_no": *"ZY2024000128"' <<<"$out"
check "and commits nothing" [ "$(nbills ZY2024000128)" = 0 ]
kill -9 "$agent_pid"
wait "$agent_pid" 2>/dev/null
start_agent "$D"
"$PY" "$SEND" "$P" "$CSV" "$T/acks6" --ipt ZY2024000128 --only-discharge --retry
is "after the restart the discharge alone gives the whole bill" "$(total_of ZY2024000128)" 157.2
check "and it is settled" wait_until 60 settled ZY2024000128

# --- AE while the outbox cannot commit ------------------------------------------
"$PY" "$SEND" "$P" "$CSV" "$T/acks7" --ipt ZY2024000129 --no-discharge
lock_outbox "$D" 8
"$PY" "$SEND" "$P" "$CSV" "$T/acks7" --ipt ZY2024000129 --only-discharge --retry --deadline 60
wait $locker
check "the discharge got AE while the outbox was locked" grep -q '^ZY2024000129-A03 AE ' "$T/acks7"
check "with the reason" grep -q 'message ZY2024000129-A03 (ADT^A03, visit ZY2024000129) not taken now (AE' "$D/agent.log"
is "then AA once it could commit" "$(tail -1 "$T/acks7" | cut -d' ' -f1-2)" "ZY2024000129-A03 AA"
is "one bill" "$(nbills ZY2024000129)" 1

# --- a discharge journalled but not committed (AE, then a crash) -------------
"$PY" "$SEND" "$P" "$CSV" "$T/acks8" --ipt ZY2024000130 --no-discharge
lock_outbox "$D" 7
"$PY" "$SEND" "$P" "$CSV" "$T/acks8" --ipt ZY2024000130 --only-discharge
is "the discharge got AE" "$(tail -1 "$T/acks8" | cut -d' ' -f1-2)" "ZY2024000130-A03 AE"
kill -9 "$agent_pid"
wait "$agent_pid" 2>/dev/null
wait $locker
start_agent "$D"
check "on start the journalled discharge is committed, nothing re-sent" \
    wait_until 30 has_bill ZY2024000130
is "as one bill with every charge" "$(nbills ZY2024000130) $(total_of ZY2024000130)" "1 157.2"

# --- crash test: SIGKILL during intake ------------------------------------------
# The sender goes on (at least 20 visits, at most 200) until the three
# kills are done, so that every kill falls while it is sending, however
# fast the machine.
(
	n=0
	while [ $n -lt 20 ] || [ ! -e "$T/crash.stop" ]; do
		n=$((n + 1))
		i=$(printf %04d $n)
		"$PY" "$SEND" "$P" "$CSV" "$T/crash.acks" --ipt "ZYC$i" --split 1 \
		    --retry --deadline 120 2>>"$T/crash.err" || echo "ZYC$i failed" >>"$T/crash.err"
		echo $n >"$T/crash.n"
		[ $n -ge 200 ] && break
	done
) &
sender=$!
bad_aa=0
mid=0
for k in 1 2 3; do
	sleep 0.$((RANDOM % 5 + 1))
	kill -0 "$sender" 2>/dev/null && mid=$((mid + 1))
	kill -9 "$agent_pid"
	wait "$agent_pid" 2>/dev/null
	# every discharge acknowledged AA so far must be in the outbox
	for v in $(awk '$2 == "AA" && $1 ~ /-A03$/ { sub(/-A03$/, "", $1); print $1 }' "$T/crash.acks" 2>/dev/null); do
		[ "$(nbills "$v")" = 1 ] || { bad_aa=$((bad_aa + 1)); echo "# AA for $v without its bill"; }
	done
	start_agent "$D"
done
touch "$T/crash.stop"
wait $sender
N=$(cat "$T/crash.n")
is "the agent was killed three times while the sender was sending" "$mid" 3
is "the sender got through every visit" "$(cat "$T/crash.err" 2>/dev/null | grep -c failed)" 0
is "no AA for a discharge the outbox did not have" "$bad_aa" 0
crash_ok=$(q | py "len([b for b in d if b['ipt_no'].startswith('ZYC') and b['total'] == 157.2])")
is "every crash-test visit is one bill with every charge" "$crash_ok" $N
is "and no more" "$(q | py "len([b for b in d if b['ipt_no'].startswith('ZYC')])")" $N

check "visit journals are kept ($(find "$D/hl7" -type f | wc -l))" [ "$(find "$D/hl7" -type f | wc -l)" -gt 0 ]
is "... each readable by the agent only (0600)" "$(find "$D/hl7" -type f ! -perm 0600 | wc -l)" 0
stop_agent "$D"
done_testing
