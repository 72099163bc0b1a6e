#!/bin/bash
# A source that cannot start (its drop directory cannot be created) is
# not healthy: each failed start counts as an error on /healthz and
# /metrics, like a failed poll, so a ward's exports that nobody reads
# do not sit behind "ok".  (A hospital engineer found the agent active,
# doctor and /healthz ok, while the log said "cannot start" every 20 s.)
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
: >"$T/notadir"
cat >"$D/adapters.d/ward3.conf" <<EOC
type = "csvdrop";
dir = "$T/notadir/ward3";
EOC
cat >>"$D/hisgate.conf" <<EOC
settle: { enabled = false; };
web: { enabled = true; listen = "127.0.0.1:0"; health_errors = 2; health_window_s = 600; };
EOC
start_agent "$D"
WPORT=$(listen_port "$D" web)
check "the log says the source cannot start" wait_until 20 \
    grep -q "ward3: cannot start: cannot create $T/notadir/ward3" "$D/agent.log"
check "/healthz turns unhealthy" wait_until 20 bash -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$WPORT/healthz)\" = 503 ]"
check "... naming the adapters' errors" bash -c \
    "curl -s http://127.0.0.1:$WPORT/healthz | grep -q '^unhealthy: [0-9]* errors'"
check "/metrics counts the failed starts" bash -c \
    "curl -s http://127.0.0.1:$WPORT/metrics | grep -qE '^hisgate_adapter_poll_errors_total\\{adapter=\"ward3\"\\} [1-9]'"
check "status: ward3 FAILING since, with its last error" wait_until 20 bash -c \
    "'$HISGATE' status -c '$D/hisgate.conf' | grep -A1 '^  ward3 (csvdrop)' | grep -q '^ *FAILING since 20.*: cannot create $T/notadir/ward3'"
check "status --json: ward3 failing, since and error" bash -c \
    "'$HISGATE' status --json -c '$D/hisgate.conf' | grep -q '\"name\":\"ward3\",\"type\":\"csvdrop\",\"state\":\"failing\",\"since_ms\":[1-9][0-9]*,\"error\":\"cannot create'"
stop_agent

# --- a loop that stopped, not failed ----------------------------------------
# A poll that never returns counts no error: /healthz must see that the
# adapter has been inside one turn longer than web.health_stuck_s (the
# watchdog's notion, agent/health.h).  No WATCHDOG_USEC here: this is
# /healthz's limit alone, systemd's restart is t/watchdog.sh's.
start_sim
# stuckconf DIR: his (csvdrop) and ward2 (csvdrop) and an idle HL7
# listener, web on, health_stuck_s 2, platform $2
stuckconf() {
	mkconf "$1"
	mkdir -p "$1/in2"
	printf 'type = "csvdrop";\ndir = "%s";\nstable_seconds = 1;\n' \
	    "$1/in2" >"$1/adapters.d/ward2.conf"
	printf 'type = "hl7";\nlisten = "127.0.0.1:0";\nstore = "%s";\n' \
	    "$1/hl7" >"$1/adapters.d/mllp.conf"
	cat >>"$1/hisgate.conf" <<EOC
platform: { url = "$2"; };
web: { enabled = true; listen = "127.0.0.1:0"; health_stuck_s = 2; };
EOC
}
status_json() { "$HISGATE" status --json -c "$D/hisgate.conf"; }
ad_field() { status_json | py "[a['$2'] for a in d['adapters'] if a['name'] == '$1'][0]"; }

# healthy: idle longer than the limit (the listener waits for a sender,
# the drops nap between polls), and a bill settles: 200, nothing stuck
D=$T/moving
stuckconf "$D" "http://127.0.0.1:$port/"
start_agent "$D"
WPORT=$(listen_port "$D" web)
gbk "$DATA/sample-6a.csv" "$D/bills.csv" && drop "$D/bills.csv" "$D/in2"
check "healthy: the bill settles" wait_until 60 bash -c \
    "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
sleep 4	# twice web.health_stuck_s
is "healthy: /healthz 200 after idling past the limit" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WPORT/healthz")" 200
check "healthy: ... ok" bash -c \
    "curl -s http://127.0.0.1:$WPORT/healthz | grep -q '^ok: 0 errors'"
check "healthy: /metrics has no adapter stuck" bash -c \
    "curl -s http://127.0.0.1:$WPORT/metrics | grep '^hisgate_adapter_stuck{' | grep -c ' 0\$' | grep -qx 3"
check "healthy: /metrics says when each last finished a turn" bash -c \
    "curl -s http://127.0.0.1:$WPORT/metrics | grep -qE '^hisgate_adapter_last_turn_seconds\\{adapter=\"mllp\"\\} [0-2]\$'"
check "healthy: status --json: each adapter running" wait_until 20 bash -c \
    "[ \"\$('$HISGATE' status --json -c '$D/hisgate.conf' | $PY -c 'import json,sys; print(sorted({a[\"state\"] for a in json.load(sys.stdin)[\"adapters\"]}))')\" = \"['running']\" ]"
is "healthy: status --json: ward2's last bill, this minute" \
    "$(status_json | py "[abs(a['last_bill_ms'] / 1000 - __import__('time').time()) < 60 for a in d['adapters'] if a['name'] == 'ward2'][0]")" True
is "healthy: status --json: his took none" "$(ad_field his last_bill_ms)" 0
is "healthy: status --json: signed in" \
    "$(status_json | py "d['platform']['signin']['state']")" ok
check "healthy: status says signed in at" bash -c \
    "'$HISGATE' status -c '$D/hisgate.conf' | grep -q '^ *signed in at 20'"
check "healthy: status: his running" bash -c \
    "'$HISGATE' status -c '$D/hisgate.conf' | grep -A1 '^  his (csvdrop)' | grep -q '^ *running\$'"
check "healthy: the health file is there" test -s "$D/outbox.db.health"
stop_agent "$D"
check "healthy: the health file goes with the daemon" test ! -e "$D/outbox.db.health"
is "stopped: status --json: adapter state unknown" "$(ad_field his state)" unknown
is "stopped: status --json: sign-in unknown" \
    "$(status_json | py "d['platform']['signin']['state']")" unknown

# his hangs in its first turn (the hook); the platform is not there
D=$T/stuck
stuckconf "$D" "http://127.0.0.1:1/"
HISGATE_TEST_HANG=his start_agent "$D"
WPORT=$(listen_port "$D" web)
check "stuck: the log says his hangs" wait_until 20 grep -q "his hangs here" "$D/agent.log"
check "stuck: /healthz 503 past web.health_stuck_s" wait_until 20 bash -c \
    "curl -s -w '%{http_code}' http://127.0.0.1:$WPORT/healthz | grep -q '503\$'"
check "stuck: /healthz names the adapter and since when" bash -c \
    "curl -s http://127.0.0.1:$WPORT/healthz | grep -qE '^unhealthy: adapter his: no poll finished for [0-9]+ s, inside one since 20[0-9-]+ [0-9:]+ \\(limit web.health_stuck_s 2, poll_ms 200\\)\$'"
check "stuck: ... and only his" bash -c \
    "[ \$(curl -s http://127.0.0.1:$WPORT/healthz | grep -c unhealthy) = 1 ]"
check "stuck: /metrics: his stuck, ward2 and mllp not" bash -c \
    "m=\$(curl -s http://127.0.0.1:$WPORT/metrics); echo \"\$m\" | grep -qx 'hisgate_adapter_stuck{adapter=\"his\"} 1' && echo \"\$m\" | grep -qx 'hisgate_adapter_stuck{adapter=\"ward2\"} 0' && echo \"\$m\" | grep -qx 'hisgate_adapter_stuck{adapter=\"mllp\"} 0'"
check "stuck: the log says so" wait_until 20 \
    grep -q 'his: stuck: no poll finished' "$D/agent.log"
check "stuck: ... once" bash -c \
    "[ \$(grep -c 'his: stuck: no poll finished' '$D/agent.log') = 1 ]"
check "stuck: status --json says stuck" wait_until 20 bash -c \
    "'$HISGATE' status --json -c '$D/hisgate.conf' | grep -q '\"name\":\"his\",\"type\":\"csvdrop\",\"state\":\"stuck\",\"since_ms\":[1-9]'"
is "stuck: status --json: ward2 still running" "$(ad_field ward2 state)" running
check "stuck: status says STUCK since" bash -c \
    "'$HISGATE' status -c '$D/hisgate.conf' | grep -A1 '^  his (csvdrop)' | grep -q '^ *STUCK in one poll since 20.* (limit web.health_stuck_s 2)'"
# a bill through ward2 makes the settlement worker sign in: it cannot
gbk "$DATA/sample-6a.csv" "$D/bills.csv" && drop "$D/bills.csv" "$D/in2"
check "no platform: status --json: sign-in failed, with why" wait_until 30 bash -c \
    "'$HISGATE' status --json -c '$D/hisgate.conf' | grep -q '\"signin\":{\"state\":\"failed\",\"at_ms\":[1-9][0-9]*,\"error\":\"sign-in (9001)'"
check "no platform: status says SIGN-IN FAILED" bash -c \
    "'$HISGATE' status -c '$D/hisgate.conf' | grep -q '^ *SIGN-IN FAILED at 20.*: sign-in (9001)'"
# his never returns: SIGTERM would wait for it for ever (systemd's
# TimeoutStopSec ends that in production)
kill -KILL "$agent_pid"
wait "$agent_pid" 2>/dev/null
done_testing
