#!/bin/bash
# Intake never acknowledges a file it has not read whole, whatever the
# writer does: writers that pause with the file open (under each
# completion rule, and writers that rename or leave their marker too
# early), a file created empty and written later, a file renamed in and
# then truncated.  Several adapters start at once and their directories
# get mode 0750 whatever another thread does to the umask.  `adapter
# test` creates nothing.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
for a in mk:marker rn:rename ghost:stable; do
	cat >"$D/adapters.d/${a%%:*}.conf" <<EOC
type = "csvdrop";
dir = "$D/${a%%:*}/drop";
complete = "${a#*:}";
stable_seconds = 1;
EOC
done
SRC=$T/src
mkdir -p "$SRC"
gen() {	# gen NAME SEED: 10 bills of 5 lines in $SRC/NAME.csv
	"$PY" "$top_srcdir/t/gen-csv" -n 10 -m 5 -s "$2" -p "$1" \
	    --manifest "$SRC/$1.manifest" "$SRC" >/dev/null &&
	    mv "$SRC/$1-0001.csv" "$SRC/$1.csv" || bail "gen-csv"
}
gen stable 101; gen marker 102; gen rename 103; gen empty 104
gen touched 105; gen mstable 106
W="$PY $top_srcdir/t/slow-writer"

# --- adapter test creates nothing ----------------------------------------
out=$("$HISGATE" adapter test ghost -c "$D/hisgate.conf" 2>&1)
check "adapter test on a missing drop directory fails" [ $? -ne 0 ]
check "and says which directory" grep -q "$D/ghost/drop" <<<"$out"
check "adapter test creates no directory" [ ! -e "$D/ghost" ]
check "nor an outbox" [ ! -e "$D/outbox.db" ]
# what adapter test prints is pasted into tickets: names and certificate
# numbers masked as in the log
cp "$DATA/sample-6a.csv" "$D/in/sample.csv"
out=$("$HISGATE" adapter test his -c "$D/hisgate.conf" 2>&1)
check "adapter test reads the bill" grep -q '^# bill ZY2024000123' <<<"$out"
check "and prints no full certificate number" bash -c \
    "! grep -q 11010519491231002X <<<\"\$0\"" "$out"
check "nor a full name" bash -c "! grep -q 王芳 <<<\"\$0\"" "$out"
check "but both masked" grep -q '"certno":"110105\*\*\*\*\*\*\*\*002X".*"psn_name":"王\*"\|"psn_name":"王\*".*"certno":"110105\*\*\*\*\*\*\*\*002X"' <<<"$out"
out=$("$HISGATE" adapter test his --json -c "$D/hisgate.conf" 2>&1)
check "adapter test --json masks them too" bash -c \
    "! grep -q -e 11010519491231002X -e 王芳 <<<\"\$0\"" "$out"
check "and still gives the verdict" grep -q '"verdict":"ready"' <<<"$out"
rm "$D/in/sample.csv"

# The agent starts under umask 077: every directory it creates must
# still be 0750, its mode set on the directory itself (a mode left to
# the umask, which another thread may narrow, comes out 0700)
umask 077
start_agent "$D"
umask 022
check "the agent creates the drop directories" \
    wait_until 20 test -d "$D/mk/drop/rejected" -a -d "$D/rn/drop/rejected" \
    -a -d "$D/ghost/drop/rejected" -a -d "$D/in/done"
modes=$(for d in mk rn ghost; do for s in "" /done /rejected; do
	stat -c "$d/drop$s %a" "$D/$d/drop$s"; done; done
	stat -c "in/done %a" "$D/in/done"; stat -c "in/rejected %a" "$D/in/rejected")
bad=$(awk '$2 != 750' <<<"$modes" | tr '\n' ' ')
is "four adapters under umask 077: every directory they create is 0750" "$bad" ""

# --- writers that pause --------------------------------------------------
$W --pause 3 "$SRC/stable.csv" "$D/in/stable.csv" &
p1=$!
$W --pause 3 --early marker "$SRC/marker.csv" "$D/mk/drop/marker.csv" &
p2=$!
$W --pause 3 --early rename "$SRC/rename.csv" "$D/rn/drop/rename.csv" &
p3=$!
$W --pause 3 "$SRC/mstable.csv" "$D/ghost/drop/mstable.csv" &
p4=$!
$W --empty 5 --parts 1 "$SRC/empty.csv" "$D/in/empty.csv" &
p5=$!
: >"$D/in/touched.csv"
bg_pids="$bg_pids $p1 $p2 $p3 $p4 $p5"
sleep 5
cat "$SRC/touched.csv" >"$D/in/touched.csv"
wait $p1 $p2 $p3 $p4 $p5

# every bill of a file once in the outbox, its bytes whole in done/
whole() {	# whole ADAPTER-DIR NAME
	local f
	f=$(grep -lF -- "$(tail -c 200 "$SRC/$2.csv" | tail -1)" \
	    "$1"/done/*.csv 2>/dev/null | head -1)
	[ -n "$f" ] && cmp -s "$f" "$SRC/$2.csv"
}
for c in "in stable stable (the writer pauses 3 s, stable_seconds = 1)" \
    "mk/drop marker marker (the marker comes before the last part)" \
    "rn/drop rename rename (renamed in before the last part)" \
    "ghost/drop mstable stable (a second stable adapter)" \
    "in empty stable (created empty, written 5 s later)" \
    "in touched stable (touched, written 5 s later by another open)"; do
	set -- $c
	dir=$1 name=$2
	shift 2
	check "$*: read whole, in done/" wait_until 40 whole "$D/$dir" "$name"
done
check "nothing is left in the drop directories" wait_until 20 sh -c \
    "[ \$(find '$D' -path '*/done' -prune -o -path '*/rejected' -prune -o -name '*.csv' ! -name mapping.csv -print | grep -v '$SRC' | wc -l) -eq 0 ]"
is "nothing was rejected" "$(find "$D" -path '*/rejected/*' -type f | wc -l)" 0

"$HISGATE" queue list --json -c "$D/hisgate.conf" >"$T/list.json"
cmp=$("$PY" - "$T/list.json" "$SRC"/*.manifest <<'PYEOF'
import json, sys
rows = json.load(open(sys.argv[1]))
keys = [r["source_key"] for r in rows]
want = set()
for m in sys.argv[2:]:
    want |= {l.split("\t")[0] for l in open(m, encoding="utf-8")}
missing = len(want - set(keys))
print(f"{len(keys)} bills, {len(set(keys))} distinct, {missing} missing, "
      f"versions {sorted(set(r['version'] for r in rows))}")
PYEOF
)
is "the outbox holds every bill exactly once" "$cmp" \
    "60 bills, 60 distinct, 0 missing, versions [1]"
# Which safety layer caught each writer, so that a test fails when one
# layer is gone even though another would save the bills:
# - stable: the open file (inotify: still open for writing) is never
#   read before its writer closes it: one read, all 10 bills;
# - marker and rename arriving early: read too soon by design, so the
#   watch on done/ must see the late write and bring the file back.
is "stable, writer open 3 s: read once, whole (the open-file rule, not a re-read)" \
    "$(grep -c 'his: stable.csv: .* bills committed' "$D/agent.log") \
$(grep -o 'his: stable.csv: [0-9]* bills committed' "$D/agent.log" | head -1)" \
    "1 his: stable.csv: 10 bills committed"
is "stable: nothing of it was taken back from done/" \
    "$(grep -c 'in/done/stable.csv was written to after' "$D/agent.log")" 0
for a in mk:marker rn:rename; do
	check "$a early: the late write to the acknowledged file is seen, the file read again" \
	    grep -q "${a%%:*}/drop/done/${a#*:}.csv was written to after it was acknowledged" \
	    "$D/agent.log"
done

# --- renamed in, then truncated ------------------------------------------
"$PY" "$top_srcdir/t/gen-csv" --size-mb 30 -s 107 -p big \
    --manifest "$SRC/big.manifest.x" "$T/big" >/dev/null || bail "gen-csv"
mv "$T/big/big-0001.csv" "$D/rn/drop/big.csv"
sleep 0.3
truncate -s 0 "$D/rn/drop/big.csv" 2>/dev/null
check "a truncated file does not stay in the drop directory" \
    wait_until 60 test ! -e "$D/rn/drop/big.csv"
if [ -f "$D/rn/drop/done/big.csv" ]; then
	ok "# SKIP it was read before the truncation"
	ok "# SKIP (its .err)"
else
	check "it is quarantined in rejected/" test -f "$D/rn/drop/rejected/big.csv"
	check "with its reason" grep -q "0:0: file: empty" \
	    "$D/rn/drop/rejected/big.csv.err"
fi
m=$(find "$D/rn/drop/rejected" -name '*.err' -exec stat -c %a {} \; | sort -u)
is "a .err file is 0640" "$m" "640"

# written to in rejected/ (the writer went on, or a person fixed it there):
# back into the drop directory and read again, the stale .err gone
if [ -f "$D/rn/drop/rejected/big.csv" ]; then
	cat "$SRC/touched.csv" >"$D/rn/drop/rejected/big.csv"
	check "a file written to in rejected/ is read again" \
	    wait_until 30 test -f "$D/rn/drop/done/big.csv"
	check "its old .err is gone" [ ! -e "$D/rn/drop/rejected/big.csv.err" ]
else
	ok "# SKIP nothing in rejected/ to write to"
	ok "# SKIP (its .err)"
fi

stop_agent
done_testing
