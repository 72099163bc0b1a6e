#!/bin/bash
# End to end, the alert hook (alert section of hisgate.conf): the real
# agent against the real simulator, with thresholds of seconds.  A bill
# the platform refuses stays rejected: the hook runs once with what it
# is (and never the patient's name or ID number), and not again within
# repeat_seconds.  The simulator killed: "unreachable" once bills wait,
# "reachable" when it is back.  A lost 2304 answer that cannot be
# resolved: "indoubt".  A hook that hangs is killed after timeout_seconds
# while intake goes on.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

# hook DIR [BODY]: an executable DIR/hook that writes its argument and
# the HISGATE_* variables it got to DIR/alerts/N.KIND, then runs BODY
hook() {
	mkdir -p "$1/alerts"
	cat >"$1/hook" <<EOS
#!/bin/sh
ls -l /proc/\$\$/fd >"$1/alerts/fds.\$\$" 2>&1
f=\$(mktemp "$1/alerts/XXXXXX")
{ echo "ARG=\$1"; env | grep '^HISGATE_' | sort; } >"\$f"
mv "\$f" "\$f.\$1"
${2:-}
EOS
	chmod 755 "$1/hook"
}
runs() { count_files "$1/alerts" "*.$2"; }
ran() { [ "$(runs "$1" "$2")" -ge 1 ]; }
bills_in() { [ "$(queue_of "$1" | py 'len(d)')" = "$2" ]; }
# var DIR KIND NAME: NAME's value in the first run of KIND
var() { sed -n "s/^$3=//p" "$(ls "$1"/alerts/*."$2" | head -1)"; }

D=$T/agent
mkconf "$D"
hook "$D"
start_sim --seed 7
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; };
settle: { workers = 1; backoff_base_ms = 200; backoff_cap_ms = 1000; };
alert: {
  command = "$D/hook";
  check_seconds = 1;
  rejected_seconds = 2;
  unreachable_seconds = 3;
  repeat_seconds = 600;
  timeout_seconds = 5;
};
EOC

# --- check-config ------------------------------------------------------------
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
is "check-config accepts the alert section" "$?" 0
sed "s|command = \"$D/hook\";|command = \"page-it\";|" "$D/hisgate.conf" >"$T/rel.conf"
out=$("$HISGATE" check-config -c "$T/rel.conf" 2>&1)
is "a command that is not an absolute path is refused" "$?" 1
check "naming file, line and field" grep -q \
    "rel.conf:[0-9]*: alert.command: \"page-it\" is not an absolute path" <<<"$out"
sed "s|command = \"$D/hook\";|command = \"$T/nohook\";|" "$D/hisgate.conf" >"$T/missing.conf"
out=$("$HISGATE" check-config -c "$T/missing.conf" 2>&1)
is "a command that does not exist is refused" "$?" 1
check "saying so at its line" grep -q \
    "missing.conf:[0-9]*: alert.command: $T/nohook: No such file or directory" <<<"$out"
printf '#!/bin/sh\n' >"$T/noexec"
chmod 644 "$T/noexec"
sed "s|command = \"$D/hook\";|command = \"$T/noexec\";|" "$D/hisgate.conf" >"$T/noexec.conf"
out=$("$HISGATE" check-config -c "$T/noexec.conf" 2>&1)
is "a command that is not executable is refused" "$?" 1
check "with the chmod" grep -q "noexec.conf:[0-9]*: alert.command: .*chmod 755 $T/noexec" <<<"$out"
sed 's|repeat_seconds = 600;|repeat_seconds = 0;|' "$D/hisgate.conf" >"$T/zero.conf"
out=$("$HISGATE" check-config -c "$T/zero.conf" 2>&1)
is "repeat_seconds 0 is refused" "$?" 1
check "naming the bounds" grep -q "zero.conf:[0-9]*: .*repeat_seconds" <<<"$out"

# --- rejected ------------------------------------------------------------------
# 张伟 with a code the platform's catalogue does not have: refused (-2)
sed -e 's/ZY2024000123/ZY2024000900/' -e 's/王芳/张伟/' \
    -e 's/11010519491231002X/41010219650312231X/' \
    -e 's/,001102000010000,床位费/,001102000019999,床位费/' \
    "$DATA/sample-6a.csv" >"$T/reject.csv"
gbk "$T/reject.csv" "$T/bills-0900.csv"
start_agent "$D"
drop "$T/bills-0900.csv" "$D/in"
check "the rejected bill is alerted" wait_until 30 ran "$D" rejected
id=$("$HISGATE" queue list --json -c "$D/hisgate.conf" | py "[b['id'] for b in d if b['ipt_no'] == 'ZY2024000900'][0]")
is "the hook's argument is the kind" "$(var "$D" rejected ARG)" rejected
is "HISGATE_ALERT" "$(var "$D" rejected HISGATE_ALERT)" rejected
is "HISGATE_BILL" "$(var "$D" rejected HISGATE_BILL)" "$id"
is "HISGATE_STATE" "$(var "$D" rejected HISGATE_STATE)" rejected
is "HISGATE_IPT_NO" "$(var "$D" rejected HISGATE_IPT_NO)" ZY2024000900
is "HISGATE_COUNT" "$(var "$D" rejected HISGATE_COUNT)" 1
check "HISGATE_SINCE is a local time" grep -qE \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' <<<"$(var "$D" rejected HISGATE_SINCE)"
check "HISGATE_SECONDS is past the threshold" [ "$(var "$D" rejected HISGATE_SECONDS)" -ge 2 ]
check "HISGATE_TEXT has the platform's reason" grep -q \
    "bill $id (住院号 ZY2024000900) rejected for .*不在本地目录中" <<<"$(var "$D" rejected HISGATE_TEXT)"
check "the alert is logged" grep -q "alert: rejected: bill $id (住院号 ZY2024000900)" "$D/agent.log"
check "the hook's exit is logged" grep -q "alert: $D/hook (rejected) exited 0" "$D/agent.log"
check "the hook's environment is clean (no systemd, no HOME)" \
    bash -c "! grep -qv '^ARG=\|^HISGATE_' $D/alerts/*.rejected"
check "no descriptor of the agent reached the hook" bash -c \
    "! grep -h -e socket: -e outbox -e inotify -e pipe: $D/alerts/fds.*"
sleep 4	# four checks more
is "not alerted again within repeat_seconds" "$(runs "$D" rejected)" 1

# --- unreachable, and reachable again --------------------------------------------
kill "$sim_pid"
wait "$sim_pid" 2>/dev/null
mv "$T/sim.log" "$T/sim-0.log"
sed -e 's/ZY2024000123/ZY2024000901/' "$DATA/sample-6a.csv" >"$T/wait.csv"
gbk "$T/wait.csv" "$T/bills-0901.csv"
drop "$T/bills-0901.csv" "$D/in"
check "the platform unreachable is alerted" wait_until 30 ran "$D" unreachable
check "with since when" grep -qE '^[0-9]{4}-' <<<"$(var "$D" unreachable HISGATE_SINCE)"
check "and what waits" grep -q "the platform (http://127.0.0.1:$port/) has answered no exchange for" \
    <<<"$(var "$D" unreachable HISGATE_TEXT)"
sleep 3
is "once" "$(runs "$D" unreachable)" 1
start_sim --seed 7 --listen "127.0.0.1:$port"
check "its return is signalled" wait_until 30 ran "$D" reachable
check "saying it answers again" grep -q "answers again" <<<"$(var "$D" reachable HISGATE_TEXT)"
is "the rejected bill was still not alerted again" "$(runs "$D" rejected)" 1
stop_agent "$D"
check "no name or ID number reached a hook" bash -c \
    "! grep -rq -e 41010219650312231X -e 张伟 -e 11010519491231002X -e 王芳 '$D/alerts'"
check "nor the log" bash -c \
    "! grep -q -e 41010219650312231X -e 张伟 -e 11010519491231002X '$D/agent.log'"

# --- a hook that hangs is killed; intake goes on ----------------------------------
H=$T/hang
mkconf "$H"
hook "$H" "sleep 60 & echo \$! >$H/child; echo \$\$ >$H/pid; wait"
cat >>"$H/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:1/"; };
settle: { workers = 1; backoff_base_ms = 200; backoff_cap_ms = 500; };
alert: { command = "$H/hook"; check_seconds = 1; unreachable_seconds = 1;
  repeat_seconds = 600; timeout_seconds = 4; };
EOC
start_agent "$H"
drop "$T/bills-0901.csv" "$H/in"
check "the hook runs (and hangs)" wait_until 30 test -s "$H/child"
gbk "$DATA/sample-6a.csv" "$T/bills-0301.csv"
drop "$T/bills-0301.csv" "$H/in"
check "intake goes on while the hook hangs" wait_until 3 bills_in "$H" 2
check "the hook is killed after timeout_seconds" wait_until 15 grep -q \
    "alert: $H/hook (unreachable) did not finish within alert.timeout_seconds 4: killed" "$H/agent.log"
check "its own children with it" wait_until 5 bash -c \
    "! kill -0 $(cat "$H/child") 2>/dev/null && ! kill -0 $(cat "$H/pid") 2>/dev/null"
stop_agent "$H"
# started again (what was alerted is forgotten: the platform is still
# unreachable) with a hook that may run a minute: stopping the agent
# kills it, the agent does not wait
rm -f "$H/child" "$H/pid"
sed -i 's/timeout_seconds = 4;/timeout_seconds = 60;/' "$H/hisgate.conf"
mv "$H/agent.log" "$H/agent-1.log"
start_agent "$H"
check "alerted again after a restart" wait_until 30 test -s "$H/child"
t0=$(date +%s)
stop_agent "$H"
check "the agent stops without waiting for the hook" [ $(($(date +%s) - t0)) -lt 10 ]
check "it kills the hook" grep -q "alert: $H/hook (unreachable) killed: the agent stops" "$H/agent.log"
check "and its children" wait_until 5 bash -c "! kill -0 $(cat "$H/child") 2>/dev/null"

# --- in doubt ------------------------------------------------------------------
# the first 2304's answer lost, and the 2601 that reverses it slow: the
# bill is in doubt for 6 s
I=$T/doubt
mkconf "$I"
hook "$I"
kill "$sim_pid"
wait "$sim_pid" 2>/dev/null
mv "$T/sim.log" "$T/sim-1.log"	# start_sim reads the port from the new one
rm -f "$T/ledger.db"
start_sim --seed 7 --fault 'infno=2304,kind=reset-after-commit,nth=1' \
    --fault 'infno=2601,kind=latency,ms=6000,count=1'
cat >>"$I/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; timeouts = { t2304 = 3000; }; };
settle: { workers = 1; backoff_base_ms = 200; backoff_cap_ms = 1000; };
alert: { command = "$I/hook"; check_seconds = 1; indoubt_seconds = 2;
  unreachable_seconds = 600; };
EOC
start_agent "$I"
drop "$T/bills-0301.csv" "$I/in"
check "a bill long in doubt is alerted" wait_until 60 ran "$I" indoubt
is "its state" "$(var "$I" indoubt HISGATE_STATE)" in_doubt
stop_agent "$I"
done_testing
