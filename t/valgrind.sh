#!/bin/bash
# Valgrind-clean: the agent ingests a GBK export and settles the worked
# example against the simulator under memcheck; no error, no definite or
# indirect leak, exit 0 on SIGTERM.  (Skipped in the sanitizer build,
# where ASan does this job, and where valgrind is missing.)
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

if [ -n "${HG_SANITIZED:-}" ] || ! command -v valgrind >/dev/null; then
	echo "1..0 # SKIP valgrind not wanted (sanitizer build) or missing"
	exit 0
fi
D=$T/agent
mkconf "$D" 'stable_seconds = 0;'
sed -i '/^stable_seconds = 1;$/d' "$D/adapters.d/his.conf"
start_sim
echo "platform: { url = \"http://127.0.0.1:$port/\"; };" >>"$D/hisgate.conf"
gbk "$top_srcdir/etc/demo/worked-example.csv" "$D/in/worked.csv"
gbk "$top_srcdir/etc/demo/sample-bill.csv" "$D/in/sample.csv"

valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=9 "$HISGATE" run --foreground -c "$D/hisgate.conf" \
    >"$D/agent.log" 2>&1 &
agent_pid=$!
bg_pids="$bg_pids $agent_pid"
settled() {
	[ "$("$HISGATE" queue list --state settled --json -c "$D/hisgate.conf" \
	    2>/dev/null | py 'len(d)' 2>/dev/null)" = 2 ]
}
check "both bills settle under valgrind" wait_until 180 settled
kill -TERM "$agent_pid"
wait "$agent_pid"
is "valgrind: no error, no leak (exit status)" "$?" 0
check "no memcheck report in the log" bash -c "! grep -q '==[0-9]*==' '$D/agent.log'"
out=$("$HISGATE" slip 1 -c "$D/hisgate.conf")
check "the worked example's slip is exact" grep -q '51423.22' <<<"$out"
done_testing
