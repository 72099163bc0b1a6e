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
stop_agent
done_testing
