#!/bin/bash
# End-to-end: province dialects (--dialect FILE).  Both shipped dialects
# load and cover every text the simulator can answer; under
# etc/sim/dialect-refuse.conf a repeated 2401 or 2402 is refused with
# today's texts, under etc/sim/dialect-admit.conf a repeated 2401 admits
# again with a new mdtrt_id (a double admission the ledger counts), a
# repeated 2402 is accepted, and every refusal reads differently; broken
# dialect files are refused naming FILE:LINE.  TAP output.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/t/lib.sh"
. "$top_srcdir/t/simcalls.sh"

refuse=$ETC/dialect-refuse.conf
admit_d=$ETC/dialect-admit.conf

# --- the keys --------------------------------------------------------------
"$SIM" --texts | sed 's/ = .*//' | sort >"$T/keys"
grep -ho 'sim_fail(&\?err, "[a-z_0-9]*"' "$top_srcdir"/sim/*.c |
    sed 's/.*"\([a-z_0-9]*\)"/\1/' | sort -u >"$T/used"
grep -ho 'sim_text("[a-z_0-9]*"\|sr_not_settled(r, [^,]*, "[a-z_0-9]*"' \
    "$top_srcdir"/sim/*.c | sed 's/.*"\([a-z_0-9]*\)"/\1/' | sort -u >>"$T/used"
sort -u -o "$T/used" "$T/used"
is "every key used in sim/ is in --texts" \
    "$(comm -23 "$T/used" "$T/keys" | tr '\n' ' ')" ""
is "every --texts key is used in sim/" \
    "$(comm -13 "$T/used" "$T/keys" | tr '\n' ' ')" ""
for f in "$refuse" "$admit_d"; do
	sed -n '/^\[texts\]/,$p' "$f" | sed -n 's/^\([a-z_0-9]*\) = .*/\1/p' |
	    sort >"$T/dkeys"
	is "$(basename "$f") words every text" \
	    "$(comm -3 "$T/keys" "$T/dkeys" | tr '\n' ' ')" ""
	"$SIM" --check --policy "$ETC/policy.ini" \
	    --catalogue "$ETC/catalogue.csv" --dialect "$f" >"$T/check.out" 2>&1
	check "$(basename "$f") loads ($(tail -1 "$T/check.out"))" \
	    grep -q '^dialect ' "$T/check.out"
done
is "dialect-refuse.conf keeps today's texts" \
    "$(sed -n '/^\[texts\]/,$p' "$refuse" | grep ' = ' | sort)" \
    "$("$SIM" --texts | sort)"
is "dialect-admit.conf words every text differently" \
    "$(sed -n '/^\[texts\]/,$p' "$admit_d" | grep ' = ' | sort |
    comm -12 - <("$SIM" --texts | sort) | wc -l)" "0"

# --- dialect-refuse: today's behaviour ----------------------------------------
start_sim refuse --dialect "$refuse"
signin
admit ZY8001
first=$mdtrt_id
admit ZY8001
is "refuse: a repeated 2401 is refused" "$(infcode)" "-2"
is "... with today's text" "$(errmsg)" \
    "人员编号[$PSN]住院号[ZY8001]已办理入院,就诊ID[$first]"
mdtrt_id=$first
upload
discharge
discharge
is "refuse: a repeated 2402 is refused with today's text" "$(errmsg)" \
    "就诊ID[$first]已办理出院,不能重复办理"
stop_sim
"$SIM" ledger --ledger "$ledger" >"$T/ledger.txt"
check "refuse: no double admission" \
    grep -q 'double_admissions 0' "$T/ledger.txt"

# --- dialect-admit: admits again, other wording -----------------------------
start_sim admit --dialect "$admit_d"
check "the dialect is logged" grep -q 'dialect admit (admits again, other wording): a repeated 2401 admits again' "$T/admit.log"
signin
admit ZY8001
first=$mdtrt_id
admit ZY8001
is "admit: a repeated 2401 is admitted" "$(infcode)" "0"
second=$mdtrt_id
check "... with a new mdtrt_id ($first, $second)" [ "$first" != "$second" ]
"$SIM" ledger --ledger "$ledger" --json >"$T/ledger.json"
is "... a double admission the ledger counts" \
    "$(py 'str(d["totals"]["double_admissions"]) + " " + d["double_admissions"][0]["mdtrt_ids"]' <"$T/ledger.json")" \
    "1 $first $second"
mdtrt_id=$first
upload
discharge
discharge
is "admit: a repeated 2402 is accepted" "$(infcode)" "0"
settle 2304 51423.22
discharge
is "... but not once the visit is settled, in the dialect's words" \
    "$(errmsg)" "平台提示:该就诊已完成结算,不允许再次办理出院"
call 2404 410100 <<EOF
{"data": {"mdtrt_id": "$second", "psn_no": "$PSN"}}
EOF
is "admit: 2404 closes the second visit" "$(infcode)" "0"
call 2404 410100 <<EOF
{"data": {"mdtrt_id": "$second", "psn_no": "$PSN"}}
EOF
is "admit: a refusal in the dialect's words" "$(errmsg)" \
    "平台提示:就诊ID[$second]已作废"
resend
is "admit: a repeated msgid too" "$(errmsg)" \
    "平台提示:发送方报文ID msgid[$msgid]再次提交"
stop_sim
"$SIM" ledger --ledger "$ledger" >"$T/ledger.txt"
check "admit: once closed, no double admission and no orphan" \
    grep -qx 'orphan_open_visits 0 double_admissions 0 reversals 0' \
    "$T/ledger.txt"

# --- broken dialect files ------------------------------------------------------
bad() {
	printf '%b' "$2" >"$T/bad.conf"
	"$SIM" --check --policy "$ETC/policy.ini" \
	    --catalogue "$ETC/catalogue.csv" --dialect "$T/bad.conf" \
	    >/dev/null 2>"$T/bad.err"
	local rc=$?
	check "$1 (rc=$rc): $(cat "$T/bad.err")" \
	    sh -c "[ $rc -ne 0 ] && grep -qF -- '$3' '$T/bad.err'"
}
bad "an unknown text key is refused" '[texts]\n\nno_such_key = x\n' \
    "bad.conf:3: unknown text key \"no_such_key\""
bad "a text with other conversions is refused" \
    '[texts]\nvisit_unknown = 就诊[%d]\n' \
    "bad.conf:2: visit_unknown: conversions \"d\", expected \"s\""
bad "a text with a stray % is refused" \
    '[texts]\nvisit_unknown = 就诊[%s] 100%\n' "bad.conf:2: visit_unknown"
bad "a repeat_2401 other than refuse/admit is refused" \
    '[behaviour]\nrepeat_2401 = maybe\n' \
    'bad.conf:2: repeat_2401 = "maybe": expected refuse or admit'
bad "a key outside a section is refused" 'repeat_2402 = accept\n' \
    "bad.conf:1: repeat_2402 outside a section"
"$SIM" --check --policy "$ETC/policy.ini" --catalogue "$ETC/catalogue.csv" \
    --dialect "$T/none.conf" >/dev/null 2>"$T/bad.err"
check "a missing dialect file is refused naming it" \
    grep -q "none.conf: cannot open" "$T/bad.err"

done_testing
