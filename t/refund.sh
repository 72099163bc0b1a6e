#!/bin/bash
# End to end, a refund line (退费): a bill whose export has a negative line
# naming an earlier 明细序号 (原明细序号) goes through csvdrop, the agent and
# the simulator in one 2301 batch, original first, and settles to the fen:
# the ledger holds the refund as an item of its own and the settlement's
# total is the bill's net total.  TAP output.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
start_sim
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; };
settle: { workers = 1; backoff_base_ms = 200; backoff_cap_ms = 2000; };
EOC
# the sample bill (157.20) with 2 of its 4 注射用头孢呋辛钠 (line 1, 乙,
# 12.50 each) given back: -25.00, so 132.20
"$PY" - "$DATA/sample-6a.csv" >"$T/refund.csv" <<'EOP'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(rows[0] + ["原明细序号"])
for r in rows[1:]:
    r[0] = "ZY2024000401"
    w.writerow(r + [""])
r = list(rows[1])
r[0], r[11], r[12], r[17], r[19] = "ZY2024000401", "9", "2024-03-03 09:00:00", "-2", "-25.00"
w.writerow(r + [rows[1][11]])
EOP
gbk "$T/refund.csv" "$T/bills-refund.csv"
start_agent "$D"
drop "$T/bills-refund.csv" "$D/in"
q() { "$HISGATE" queue list --json -c "$D/hisgate.conf" 2>/dev/null; }
st() { q | py "([b['state'] for b in d if b['ipt_no'] == 'ZY2024000401'] or [''])[0]"; }
final() { case "$(st)" in settled|rejected|needs_person) true;; *) false;; esac; }
check "the bill with a refund line reaches a final state" wait_until 60 final
is "it is settled" "$(st)" settled
is "its total is net of the refund" \
    "$(q | py "[b['total'] for b in d if b['ipt_no'] == 'ZY2024000401'][0]")" \
    "132.2"
stop_agent
"$SIM" ledger --ledger "$T/ledger.db" --json >"$T/ledger.json"
is "ledger: 4 items (3 and the refund), 132.20 uploaded, settled once" \
    "$(py '"%s %s %s %s" % (d["visits"][0]["items"], d["visits"][0]["items_sumamt"], d["visits"][0]["settled"], d["visits"][0]["medfee_sumamt"])' <"$T/ledger.json")" \
    "4 132.2 1 132.2"
sqlite3 "$T/ledger.db" "SELECT feedetl_sn, init_feedetl_sn, amount, presel, inscp FROM items WHERE init_feedetl_sn IS NOT NULL" >"$T/refund.row"
check "the refund item names its original and takes back its split ($(cat "$T/refund.row"))" \
    grep -qE '^[^|]+\|[^|]+\|-2500\|-250\|-2250$' "$T/refund.row"
check "the slip shows the net total" bash -c \
    "'$HISGATE' slip \$('$HISGATE' queue list --json -c '$D/hisgate.conf' | $PY -c 'import json,sys; print(json.load(sys.stdin)[0][\"id\"])') -c '$D/hisgate.conf' | grep -q '医疗费总额 *132\.20$'"
stop_sim() { kill -TERM "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; }
stop_sim

done_testing
