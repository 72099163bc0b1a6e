#!/bin/bash
# End to end, the cost-surge alarm: a month of generated cross-province
# discharges (t/gen-csv --month) taken in by the real agent.  When one
# department's costs for one insured region rise 25 % for ten days the
# alarm fires once, names the department and the region, the dearest
# bills and the item that rose most, and clears when the costs fall back;
# a rise of 15 % does not fire.  Window 7 days, threshold 20 %.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

# month DIR PCT[:FROM:TO]: the agent's outbox with April 2024, dept 0312's
# bills of insured region 110105 PCT % dearer from the 11th to the 20th
# (or FROM to TO)
month() {
	local d=$1
	mkconf "$d" 'columns = { insuplc_admdvs = "参保地"; };'
	sed -i "s|^  poll_ms = 200;|  poll_ms = 200;\n  audit_dir = \"$d/audit.d\";|" \
	    "$d/hisgate.conf"
	printf 'settle: { enabled = false; };\n' >>"$d/hisgate.conf"
	mkdir -p "$d/audit.d"
	printf 'rule cost_surge warn threshold=20 window=7 min_bills=5\n' \
	    >"$d/audit.d/rules.conf"
	local s=$2
	case $s in *:*) ;; *) s=$s:11:20;; esac
	"$PY" "$top_srcdir/t/gen-csv" --month 2024-04 -n 2 -s 5 \
	    --surge "0312:110105:$s" "$T/src-$2" >/dev/null
	start_agent "$d"
	for f in "$T/src-$2"/*.csv; do drop "$f" "$d/in"; done
	wait_until 120 ready_is "$d" 360
	check "$2 %: the month's 360 bills are in the outbox" ready_is "$d" 360
	stop_agent "$d"
}
ready_is() {
	[ "$("$HISGATE" status --json -c "$1/hisgate.conf" 2>/dev/null |
	    py 'd["states"].get("ready", 0)' 2>/dev/null)" = "$2" ]
}

D=$T/up25
month "$D" 25
js=$("$HISGATE" audit --json --since 2024-04-01 -c "$D/hisgate.conf")
is "+25 %: one alarm" "$(py 'len(d["surge"])' <<<"$js")" 1
is "naming the department" "$(py 'd["surge"][0]["dept"]' <<<"$js")" "0312 呼吸内科"
is "and the insured region" "$(py 'd["surge"][0]["region"]' <<<"$js")" 110105
is "it fires when six of the window's seven days are dearer" \
    "$(py 'd["surge"][0]["fired"]' <<<"$js")" 2024-04-16
is "and clears when the costs fall back" \
    "$(py 'd["surge"][0]["cleared"]' <<<"$js")" 2024-04-22
is "averages per discharge, before and after" \
    "$(py '(d["surge"][0]["prev_avg"], d["surge"][0]["cur_avg"])' <<<"$js")" \
    "(560.0, 680.0)"
is "the dearest bills drive it" \
    "$(py '[b["total"] for b in d["surge"][0]["top_bills"]]' <<<"$js")" \
    "[700.0, 700.0, 700.0]"
is "the item that rose most: the CT" \
    "$(py 'd["surge"][0]["top_items"][0]["code"]' <<<"$js")" 002701000070000
out=$("$HISGATE" audit --since 2024-04-01 -c "$D/hisgate.conf")
check "the text output says it" grep -q \
    "SURGE dept 0312 呼吸内科, insured region 110105: fired 2024-04-16, cleared 2024-04-22" <<<"$out"
check "with the rise" grep -q "560.00 -> 680.00 yuan (+21.4 %), 14 bills against 14" <<<"$out"
check "of the month's cross-province discharges" grep -q \
    "cost surge of 360 cross-province discharges" <<<"$out"

D=$T/up15
month "$D" 15
js=$("$HISGATE" audit --json --since 2024-04-01 -c "$D/hisgate.conf")
is "+15 %: no alarm" "$(py 'len(d["surge"])' <<<"$js")" 0

# the daemon logs an alarm that is on at the latest discharge: dearer
# from the 25th (the platform is unreachable, nothing is settled)
D=$T/late
month "$D" 25:25:30
printf 'platform: { url = "http://127.0.0.1:1/"; };\n' >>"$D/hisgate.conf"
sed -i 's/^settle: { enabled = false; };$/settle: { workers = 1; backoff_base_ms = 5000; };/' \
    "$D/hisgate.conf"
# ... and shows it on /metrics, the IT page and to the alert hook
mkdir -p "$D/alerts"
cat >"$D/hook" <<EOS
#!/bin/sh
env | grep '^HISGATE_' | sort >"$D/alerts/\$1.\$\$"
EOS
chmod 755 "$D/hook"
cat >>"$D/hisgate.conf" <<EOC
web: { enabled = true; listen = "127.0.0.1:0"; users_file = "$D/users"; };
alert: { command = "$D/hook"; check_seconds = 1; recovery = true; };
EOC
users_file "$D/users"	# /queue is for a logged-in operator
start_agent "$D"
check "the daemon logs the surge" wait_until 60 grep -q \
    "audit: cost surge: department 0312 呼吸内科, insured region 110105: average per cross-province discharge 560.00 -> 680.00 yuan (+21.4 %) over 7 days" \
    "$D/agent.log"
U=http://127.0.0.1:$(listen_port "$D" web)
m=$(curl -s -u "$IT" "$U/metrics")
check "/metrics: the alarm" grep -qx \
    'hisgate_audit_surge{dept="0312 呼吸内科",admdvs="110105"} 1' <<<"$m"
check "/metrics: its rise" grep -qx \
    'hisgate_audit_surge_rise_percent{dept="0312 呼吸内科",admdvs="110105"} 21.4' <<<"$m"
check "/metrics: one alarm on" grep -qx 'hisgate_audit_surges 1' <<<"$m"
page=$(curl -s -u "$IT" "$U/queue")
check "the IT page shows it" grep -q '费用异常增长 cost surge alarm' <<<"$page"
check "with the department" grep -q '<td>0312 呼吸内科</td><td>110105</td>' <<<"$page"
check "and the rise" grep -q '+21.4 %' <<<"$page"
hooked() { cat "$D"/alerts/surge.* 2>/dev/null | grep -q '^HISGATE_ALERT=surge$'; }
check "the alert hook runs for it" wait_until 30 hooked
env=$(cat "$D"/alerts/surge.*)
check "naming the department" grep -q "^HISGATE_DEPT=0312 呼吸内科$" <<<"$env"
check "and the insured region" grep -q "^HISGATE_REGION=110105$" <<<"$env"
check "with the rise in its text" grep -q \
    "^HISGATE_TEXT=cost surge: department 0312 呼吸内科, insured region 110105: average per cross-province discharge 560.00 -> 680.00 yuan (+21.4 %) over 7 days; dearest bills [0-9]*, [0-9]* and [0-9]*; items 002701000070000, [0-9A-Z]* and [0-9A-Z]* rose most (hisgate audit)$" <<<"$env"
bills=$(sed -n 's/^HISGATE_BILLS=//p' <<<"$env")
is "HISGATE_BILLS: the three dearest bills" "$(wc -w <<<"$bills")" 3
check "the first is HISGATE_BILL" grep -q "^HISGATE_BILL=${bills%% *}$" <<<"$env"
js=$("$HISGATE" audit --json --since 2024-04-01 -c "$D/hisgate.conf")
is "the same bills as hisgate audit" "$bills" \
    "$(py '" ".join(str(b["bill"]) for b in d["surge"][0]["top_bills"])' <<<"$js")"
read -r b1 b2 b3 <<<"$bills"
check "the log names them too" grep -q "dearest bills $b1, $b2 and $b3; items 002701000070000, " \
    "$D/agent.log"
sleep 2
is "the hook ran once (repeat_seconds)" "$(count_files "$D/alerts" 'surge.*')" 1
# May at April's usual costs: the alarm stays on while the dearer days are
# in the week, and clears once the week is back within 20 % of the
# baseline it fired against; the watch looks again after a reload
"$PY" "$top_srcdir/t/gen-csv" --month 2024-05 -n 2 -s 5 "$T/src-may" >/dev/null
for f in "$T/src-may"/bills-2024-05-0[1-9].csv; do drop "$f" "$D/in"; done
in_outbox() {
	[ "$("$HISGATE" status --json -c "$D/hisgate.conf" 2>/dev/null |
	    py 'sum(d["states"].values())' 2>/dev/null)" = "$1" ]
}
check "May's first nine days are in the outbox" wait_until 60 in_outbox 468
"$HISGATE" reload -c "$D/hisgate.conf" >/dev/null 2>&1
check "the daemon logs the clear" wait_until 30 grep -q \
    "audit: cost surge cleared: 0312 呼吸内科|110105" "$D/agent.log"
cleared() { cat "$D"/alerts/surge_cleared.* 2>/dev/null | grep -q '^HISGATE_ALERT=surge_cleared$'; }
check "the alert hook hears it" wait_until 30 cleared
check "naming the department" grep -q "^HISGATE_DEPT=0312 呼吸内科$" \
    "$D"/alerts/surge_cleared.*
m=$(curl -s -u "$IT" "$U/metrics")
check "/metrics: no alarm on" grep -qx 'hisgate_audit_surges 0' <<<"$m"
js=$("$HISGATE" audit --json --since 2024-04-01 -c "$D/hisgate.conf")
is "hisgate audit: the episode, cleared on 2 May" \
    "$(py '[(s["fired"], s["cleared"]) for s in d["surge"]]' <<<"$js")" \
    "[('2024-04-30', '2024-05-02')]"
stop_agent "$D"
is "once" "$(grep -c 'audit: cost surge: department' "$D/agent.log")" 1
done_testing
