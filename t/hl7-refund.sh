#!/bin/bash
# End to end, hl7 refunds and BAR^P01: charges sent as BAR^P01, and
# refund lines sent as FT1 of type CR naming the charge they refund in
# FT1-31 (with negative numbers, or without the sign as some engines
# write them), through the real agent to bills settled on the simulator,
# net of the refund to the fen in outbox and ledger.  Messages are built
# by python-hl7 (t/hl7send.py).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
SEND=$top_srcdir/t/hl7send.py
start_sim
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 2000; };
EOC
cat >"$D/adapters.d/hl7.conf" <<EOC
type = "hl7";
listen = "127.0.0.1:0";
store = "$D/hl7";
EOC
# t/data/refund-6a.csv: the sample bill (157.20) with 2 of its 4
# 注射用头孢呋辛钠 (line 1, 12.50 each) given back in line 9 (原明细序号 1):
# -25.00, so 132.20
start_agent "$D"
P=$(listen_port "$D" hl7)
q() { queue_of "$D"; }
state_of() { q | py "([b['state'] for b in d if b['ipt_no'] == '$1'] or [''])[0]"; }
total_of() { q | py "[b['total'] for b in d if b['ipt_no'] == '$1'][0]"; }
final() { case "$(state_of "$1")" in settled|rejected|invalid|needs_person) true;; *) false;; esac; }
all_aa() { [ -s "$1" ] && ! awk '{print $2}' "$1" | grep -qv AA; }

"$PY" "$SEND" "$P" "$DATA/sample-6a.csv" "$T/acks-bar" --bar --ipt ZY2024000501
check "BAR^P01 charges and the A03: all AA" all_aa "$T/acks-bar"
"$PY" "$SEND" "$P" "$DATA/refund-6a.csv" "$T/acks-cr" --ipt ZY2024000502 --split 3
check "charges, then a CR credit with negative numbers: all AA" all_aa "$T/acks-cr"
"$PY" "$SEND" "$P" "$DATA/refund-6a.csv" "$T/acks-cru" --bar --credit-unsigned \
    --ipt ZY2024000503 --split 3
check "BAR^P01 with a CR credit written without the sign: all AA" all_aa "$T/acks-cru"
for v in ZY2024000501 ZY2024000502 ZY2024000503; do
	wait_until 90 final "$v"
	is "$v: settled" "$(state_of "$v")" settled
done
is "the BAR^P01 bill: every charge" "$(total_of ZY2024000501)" 157.2
is "the CR bill: net of the refund" "$(total_of ZY2024000502)" 132.2
is "the unsigned CR bill: the same" "$(total_of ZY2024000503)" 132.2
refund_of() { sqlite3 "$D/outbox.db" "SELECT bill_json FROM bills WHERE ipt_no = '$1'" | "$PY" -c "
import json, sys
d = json.load(sys.stdin, parse_float=str)
print(' '.join('%s<%s:%s/%s' % (f['feedetl_sn'], f.get('init_feedetl_sn'), f['cnt'], f['det_item_fee_sumamt'])
      for f in d['feedetail'] if f.get('init_feedetl_sn')))"; }
is "the refund line names its charge, both numbers negative" \
    "$(refund_of ZY2024000502)" "FD000009<FD000001:-2.0000/-25.00"
is "the same from the unsigned CR" "$(refund_of ZY2024000503)" "FD000009<FD000001:-2.0000/-25.00"
stop_agent "$D"
"$SIM" ledger --ledger "$T/ledger.db" --json >"$T/ledger.json"
is "ledger: each visit settled once, net to the fen" "$("$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
print(' '.join(sorted('%s/%s/%s' % (v['items'], v['settled'], v['medfee_sumamt']) for v in d['visits'])))" "$T/ledger.json")" \
    "3/1/157.2 4/1/132.2 4/1/132.2"
is "the ledger has both refund items, each naming its original" \
    "$(sqlite3 "$T/ledger.db" "SELECT count(*) FROM items WHERE init_feedetl_sn = 'FD000001' AND amount = -2500")" 2
done_testing
