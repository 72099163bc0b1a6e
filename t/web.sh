#!/bin/bash
# End to end, the agent's web server: the nurse page, the slip, /metrics
# and /healthz, against the real agent, the real simulator and Debian's
# Chromium (headless, driven over the DevTools protocol by t/webcdp.py).
# The worked example (51423.22 = 34550.22 + 4125.80 + 12747.20) is
# settled, a bill the platform refuses is rejected, and a bill that
# arrives while the platform is down waits, then settles while its page is
# open.  Screenshots and PDFs are kept in $top_builddir/t/web-artefacts/.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

ETC=$top_srcdir/etc/sim
ART=$top_builddir/t/web-artefacts
rm -rf "$ART"
mkdir -p "$ART"
D=$T/agent
mkconf "$D"

# --- configuration -----------------------------------------------------------
cp "$D/hisgate.conf" "$T/open.conf"
printf 'web: { enabled = true; listen = "0.0.0.0:8470"; };\n' >>"$T/open.conf"
out=$("$HISGATE" check-config -c "$T/open.conf" 2>&1)
is "check-config refuses a web server off loopback without users" "$?" 1
check "naming web.listen and the fix" grep -q "open.conf:[0-9]*: web.listen: 0.0.0.0:8470 is not loopback: set web.users_file" <<<"$out"
PASS1=$(openssl passwd -6 -salt s4ltS4lt 'ward-pass')
PASS2=$(openssl passwd -6 -salt 0therSlt 'it-pass')
printf '# nurse page users\nnurse3:%s:胸外科\nit:%s\n' "$PASS1" "$PASS2" >"$T/users"
chmod 644 "$T/users"
sed -i "s|listen = \"0.0.0.0:8470\";|listen = \"0.0.0.0:8470\"; users_file = \"$T/users\";|" "$T/open.conf"
out=$("$HISGATE" check-config -c "$T/open.conf" 2>&1)
is "a users file others can read is refused" "$?" 1
check "with the chmod to run" grep -q "web.users_file: $T/users: mode 0644.*chmod 600" <<<"$out"
chmod 600 "$T/users"
out=$("$HISGATE" check-config -c "$T/open.conf" 2>&1)
is "an owner-only users file makes any address fine" "$?" 0
printf 'nurse3:plaintext\n' >"$T/badusers"
chmod 600 "$T/badusers"
sed -i "s|$T/users|$T/badusers|" "$T/open.conf"
out=$("$HISGATE" check-config -c "$T/open.conf" 2>&1)
check "a password instead of a hash is refused, by line" grep -q "badusers:1: user nurse3: the hash must be a salted crypt(3) string" <<<"$out"

# --- the simulator and the agent ----------------------------------------------
start_sim --seed 7
SIMPORT=$port
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; timeout_ms = 3000; };
settle: { workers = 2; backoff_base_ms = 200; backoff_cap_ms = 1000; rate_per_sec = 100; };
web: { enabled = true; listen = "127.0.0.1:0"; refresh_seconds = 1; health_errors = 3; health_window_s = 600; };
EOC
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
is "check-config accepts the web section" "$?" 0

# the worked example as a HIS export (as t/settle.sh makes it)
worked_csv "$T/worked.csv"
gbk "$T/worked.csv" "$T/bills-0305.csv"
# 张伟, 胸外科 too, with a code the platform's catalogue does not have
sed -e 's/ZY2024000123/ZY2024000900/' -e 's/王芳/张伟/' \
    -e 's/11010519491231002X/41010219650312231X/' \
    -e 's/,呼吸内科,/,胸外科,/' \
    -e 's/,001102000010000,床位费/,001102000019999,床位费/' \
    "$DATA/sample-6a.csv" >"$T/reject.csv"
gbk "$T/reject.csv" "$T/bills-0900.csv"
gbk "$DATA/sample-6a.csv" "$T/bills-0301.csv"

state_of() {
	queue_of "$D" | py "[b['state'] for b in d if b['ipt_no'] == '$1'] or ['']" 2>/dev/null | tr -d "[]'"
}
id_of() { queue_of "$D" | py "[b['id'] for b in d if b['ipt_no'] == '$1'][0]"; }
final() { case "$(state_of "$1")" in settled|rejected) true;; *) false;; esac; }

start_agent "$D"
WPORT=$(listen_port "$D" web)
U=http://127.0.0.1:$WPORT
drop "$T/bills-0305.csv" "$D/in"
check "the worked example is settled" wait_until 60 final ZY2024000777
drop "$T/bills-0900.csv" "$D/in"
check "the refused bill is rejected" wait_until 60 final ZY2024000900
W=$(id_of ZY2024000777)
R=$(id_of ZY2024000900)
DAY=2024-03-05

# --- plain HTTP ------------------------------------------------------------
get() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
is "/ answers 200" "$(get "$U/?day=$DAY")" 200
check "the list names the worked example's stay" grep -q 'ZY2024000777' "$T/body"
check "in words: 已结算" grep -q '已结算' "$T/body"
check "the rejected bill says 被拒绝 with the platform's reason" grep -q '被拒绝: .*不在本地目录中' "$T/body"
check "names are masked on the page" bash -c "grep -q '王\*' '$T/body' && ! grep -q '王芳\|张伟' '$T/body'"
is "a bad day is refused, not guessed" "$(get "$U/?day=yesterday")" 400
is "/bill/ID answers 200" "$(get "$U/bill/$W")" 200
check "the slip: total" grep -q 'data-k="medfee_sumamt">51423.22<' "$T/body"
check "the slip: 基本医疗保险统筹基金" grep -q 'data-k="hifp_pay">34550.22<' "$T/body"
check "the slip: 大病保险" grep -q 'data-k="hifmi_pay">4125.80<' "$T/body"
check "the slip: 个人现金支付" grep -q 'data-k="psn_cash_pay">12747.20<' "$T/body"
check "the slip: the sums are checked and agree" grep -q '核对：医疗费总额 51423.22 = 基金支付 38676.02 + 个人负担 12747.20 + 医院负担 0.00 <span class="st ok">相符' "$T/body"
check "the slip carries 结算编号, 就诊ID, 医保类型, 参保地, 人员类别, 结算时间" bash -c \
    "for k in 结算编号 就诊ID 医保类型 参保地 人员类别 结算时间 基金支付明细; do grep -q \"\$k\" '$T/body' || exit 1; done"
# ... with their values: the slip as a reader sees it, tags taken out
txt=$(sed -e 's/<[^>]*>/ /g' "$T/body" | tr -s ' \n' '  ')
row=$(sqlite3 "$D/outbox.db" "SELECT setl_id || ' ' || mdtrt_id FROM bills WHERE id = $W")
slip_has() { grep -qF -- "$1" <<<"$txt"; }
check "the slip: hospital" slip_has "医疗机构 示例市第一人民医院 H32010000001"
check "the slip: the stay" slip_has "住院号 ZY2024000777 科室 胸外科 入院时间 2024-03-01 08:00:00 出院时间 2024-03-05 10:00:00 住院天数 4 天"
check "the slip: the diagnosis" slip_has "诊断 C34.100 肺恶性肿瘤（主要诊断）"
check "the slip: 结算编号 is the bill's setl_id" slip_has "结算编号 ${row% *} "
check "the slip: 就诊ID is its mdtrt_id" slip_has "就诊ID ${row#* } "
check "the slip: 医保类型, 参保地, 人员类别" slip_has "医保类型 390 城乡居民基本医疗保险 参保地 410100 人员类别 1501"
check "the slip: 全自费, 超限价, 先行自付, 政策范围内" slip_has \
    "全自费 2979.00 超限价 0.00 先行自付 1377.26 政策范围内 47066.96 基金支付合计 38676.02"
check "the slip: 医疗救助 and other funds" slip_has "医疗救助 0.00 其他基金 0.00 个人负担 12747.20"
check "the slip: the platform's fund rows (setldetail)" slip_has \
    "390100 城乡居民基本医疗保险基金 47066.96 — 34550.22"
check "the slip: and the critical-illness row" slip_has \
    "390200 城乡居民大病医疗保险基金 47066.96 — 4125.80"
# the same bill's slip in the terminal: the name and the certificate
# number masked as on the page, in the text and in --json
web_name=$(sed -n 's|.*<dt>姓名</dt><dd>\([^<]*\)</dd>.*|\1|p' "$T/body")
web_cert=$(sed -n 's|.*<dt>证件号码</dt><dd>\([^<]*\)</dd>.*|\1|p' "$T/body")
cli=$("$HISGATE" slip "$W" -c "$D/hisgate.conf")
js=$("$HISGATE" slip "$W" --json -c "$D/hisgate.conf")
is "the web slip masks the name" "$web_name" "王*"
is "hisgate slip shows the name as the web slip does" \
    "$(sed -n 's/^  姓名 *//p' <<<"$cli")" "$web_name"
is "and slip --json" "$(py 'd["psn_name"]' <<<"$js")" "$web_name"
is "the web slip masks the certificate number" "$web_cert" "110105********002X"
is "hisgate slip shows the certificate number as the web slip does" \
    "$(sed -n 's/^  证件号码 *//p' <<<"$cli")" "$web_cert"
is "and slip --json" "$(py 'd["certno"]' <<<"$js")" "$web_cert"
check "neither prints the full name or number" bash -c \
    "! grep -q '王芳\|11010519491231002X' <<<'$cli$js'"
is "a bill that does not exist: 404" "$(get "$U/bill/99999")" 404
is "/bill/x: 404" "$(get "$U/bill/x")" 404
is "POST is refused (read-only)" "$(get -X POST "$U/")" 405
# without a users file no one is an operator: the IT pages and their
# actions say how to set one up; the nurse's pages stay open
it_refused() {
	local p
	for p in /queue "/queue.json?state=rejected" "/bill/$R/history" \
	    "/bill/$R/history.json" /unmapped /unmapped.json /unbalanced \
	    "/bill/$R/retry" "/bill/$R/replay" "/unmapped/add?code=X&nat=Y"; do
		[ "$(get "$U$p")" = 403 ] &&
		    grep -q '<h1>信息科页面需要登录 (IT pages need an operator login)' "$T/body" &&
		    grep -q 'web.users_file.*openssl passwd -6' "$T/body" ||
		    { echo "# $p: $(head -c 300 "$T/body")"; return 1; }
	done
}
check "no users file: every IT page answers 403, naming web.users_file" it_refused
is "no users file: a retry's POST answers 403" \
    "$(get -X POST --data "token=x" "$U/bill/$R/retry")" 403
check "... saying how to set a login up" grep -q "Set <code>web.users_file</code>.*systemctl reload hisgate" "$T/body"
is "... and does nothing" "$(state_of ZY2024000900)" rejected
is "the nurse page still answers 200" "$(get "$U/bill/$R")" 200
get "$U/bill/$R" >/dev/null
check "the rejected bill's slip gives the reason" grep -q 'id="reason">.*不在本地目录中' "$T/body"
check "and what to do next" grep -q '下一步：医保平台拒绝了这次结算' "$T/body"

# --- metrics and health --------------------------------------------------------
is "/metrics answers 200" "$(get "$U/metrics")" 200
cp "$T/body" "$T/metrics1"
check "metrics: bills per state" grep -q '^hisgate_bills{state="settled"} 1$' "$T/metrics1"
check "metrics: one rejection" grep -q '^hisgate_rejections_total 1$' "$T/metrics1"
check "metrics: settlements" grep -q '^hisgate_settlements_total 1$' "$T/metrics1"
check "metrics: a 2304 latency histogram" grep -q '^hisgate_platform_call_duration_seconds_bucket{infno="2304",le="+Inf"} 1$' "$T/metrics1"
check "metrics: calls per infno" grep -q '^hisgate_platform_calls_total{infno="1101"} 2$' "$T/metrics1"
check "metrics: adapter intake" grep -q '^hisgate_adapter_bills{adapter="his",state="settled"} 1$' "$T/metrics1"
check "metrics: adapter polls" grep -q '^hisgate_adapter_polls_total{adapter="his"} [1-9]' "$T/metrics1"
check "metrics: disk alarm off" grep -q '^hisgate_disk_alarm 0$' "$T/metrics1"
check "metrics: TLS verification is on" grep -q '^hisgate_tls_insecure 0$' "$T/metrics1"
check "metrics: oldest unsettled 0 (none)" grep -q '^hisgate_oldest_unsettled_seconds 0$' "$T/metrics1"
check "metrics: every line is a comment or a sample" bash -c \
    "! grep -Ev '^# (HELP|TYPE) [a-z_]+ |^[a-z_]+(\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\})? -?[0-9.e+]+$' '$T/metrics1'"
is "/healthz: healthy" "$(get "$U/healthz")" 200

# --- the browser -----------------------------------------------------------------
start_browser
if [ $have_browser = 0 ]; then
	for w in list filter slip print live; do no_browser "$w"; done
else
	cdp open "$U/?day=$DAY" >/dev/null
	check "browser: the list shows both bills" cdp wait 20 "document.querySelectorAll('#rows tr[data-id]').length == 2"
	is "browser: and a shape besides its colour" \
	    "$(cdp eval "getComputedStyle(document.querySelector('#rows .st.bad'), '::before').content")" '"✖ "'
	is "browser: a state is a word, not only a colour" \
	    "$(cdp eval "document.querySelector('#rows tr[data-id=\"$W\"] .st').textContent")" 已结算
	is "browser: the cash to pay, right-aligned" \
	    "$(cdp eval "(function(td){return td.textContent+' '+getComputedStyle(td).textAlign})(document.querySelector('#rows tr[data-id=\"$W\"] td:nth-child(6)'))")" "12747.20 right"
	is "browser: the page fits 1366 px (no sideways scrolling)" \
	    "$(cdp eval "document.documentElement.scrollWidth <= 1366")" true
	cdp shot "$ART/list.png"
	# the filter: choose 胸外科 in the selector and press 筛选
	cdp eval "document.getElementById('dept').value='胸外科'; document.querySelector('form button').click(); 1" >/dev/null
	check "browser: filtering by ward keeps only that ward" cdp wait 20 \
	    "location.search.includes('dept=') && document.querySelectorAll('#rows tr[data-id]').length == 2 && ![...document.querySelectorAll('#rows td:nth-child(3)')].some(function(t){return t.textContent != '胸外科'})"
	cdp shot "$ART/list-filtered.png"
	cdp open "$U/bill/$W" >/dev/null
	slip=$(cdp eval "[...document.querySelectorAll('td.amt[data-k]')].map(function(t){return t.dataset.k+'='+t.textContent}).join(' ')")
	check "browser: slip total 51423.22" grep -q 'medfee_sumamt=51423.22' <<<"$slip"
	check "browser: slip 34550.22 + 4125.80 to the funds" grep -q 'hifp_pay=34550.22 hifmi_pay=4125.80' <<<"$slip"
	check "browser: slip cash 12747.20" grep -q 'psn_cash_pay=12747.20' <<<"$slip"
	is "browser: slip amounts are right-aligned" \
	    "$(cdp eval "[...document.querySelectorAll('td.amt[data-k]')].every(function(t){return getComputedStyle(t).textAlign == 'right'})")" true
	cdp shot "$ART/slip.png"
	is "print view: the navigation is not printed" \
	    "$(cdp printeval "getComputedStyle(document.querySelector('nav')).display")" none
	is "print view: the amounts are" \
	    "$(cdp printeval "getComputedStyle(document.querySelector('td[data-k=medfee_sumamt]')).display")" table-cell
	cdp pdf "$ART/slip-a4.pdf" a4
	check "print view: A4 PDF of one page" grep -aq '/Count 1\b' "$ART/slip-a4.pdf"
	cdp open "$U/bill/$W?paper=80" >/dev/null
	is "80 mm receipt: the slip is narrow" \
	    "$(cdp eval "document.querySelector('.slip').getBoundingClientRect().width <= 80 / 25.4 * 96 + 1")" true
	cdp pdf "$ART/slip-80mm.pdf" 80
	check "80 mm receipt: a PDF" grep -aq '%PDF' "$ART/slip-80mm.pdf"
	# 80 mm is 226.77 points wide (Chromium rounds to 227.04); A4 is 595
	check "80 mm receipt: its page is 80 mm wide" grep -aq \
	    'MediaBox \[0 0 22[67]\.[0-9]* ' "$ART/slip-80mm.pdf"
	check "A4: its page is A4" grep -aq 'MediaBox \[0 0 59[45]\.[0-9]* 84[12]\.' \
	    "$ART/slip-a4.pdf"
	cdp shot "$ART/slip-80mm.png"

	# live: the platform goes away, a bill arrives and waits; the open
	# page shows it waiting, then settled once the platform is back,
	# without a reload (a marker set in the page survives) and with its
	# filter (呼吸内科) still applied
	kill -9 "$sim_pid"
	wait "$sim_pid" 2>/dev/null
	cdp open "$U/?day=$DAY&dept=%E5%91%BC%E5%90%B8%E5%86%85%E7%A7%91" >/dev/null
	cdp eval "window.hgMarker = 42; 1" >/dev/null
	is "live: the selector shows the filter, though that ward has no bill yet" \
	    "$(cdp eval "document.getElementById('dept').value")" 呼吸内科
	drop "$T/bills-0301.csv" "$D/in"
	check "live: the bill shows 等待医保平台 while the platform is down" cdp wait 60 \
	    "[...document.querySelectorAll('#rows .st')].some(function(s){return s.textContent == '等待医保平台'})"
	check "live: it says since when and what is being tried" cdp wait 20 \
	    "/自 .* 起等待；正在尝试 1101 人员信息获取/.test(document.getElementById('rows').textContent)"
	cdp shot "$ART/live-waiting.png"
	start_sim --seed 7 --listen "127.0.0.1:$SIMPORT"
	check "live: it turns 已结算 without a reload" cdp wait 60 \
	    "window.hgMarker == 42 && [...document.querySelectorAll('#rows .st')].some(function(s){return s.textContent == '已结算'})"
	is "live: the filter is kept" "$(cdp eval "[...document.querySelectorAll('#rows td:nth-child(3)')].map(function(t){return t.textContent}).join()")" 呼吸内科
	cdp shot "$ART/live-settled.png"
fi

# --- nothing secret leaves the server --------------------------------------------
wait_until 60 final ZY2024000123
: >"$T/all"
for u in "/?day=$DAY" "/?day=$DAY&part=rows" "/metrics" "/healthz" \
    "/bill/$W" "/bill/$R" "/bill/$(id_of ZY2024000123)" "/bill/$W?paper=80"; do
	curl -s "$U$u" >>"$T/all"
done
check "no page or metric holds a full certificate number" bash -c \
    "! grep -Eq '11010519491231002X|41010219650312231X|[0-9]{17}[0-9X]' '$T/all'"
check "nor a patient's full name" bash -c "! grep -q '王芳\|张伟' '$T/all'"
check "the certificate numbers are shown masked" grep -q '110105\*\{8\}002X' "$T/all"

# --- health turns when the platform is unreachable -------------------------------
kill -9 "$sim_pid"
wait "$sim_pid" 2>/dev/null
sed -e 's/ZY2024000123/ZY2024000124/' "$DATA/sample-6a.csv" >"$T/again.csv"
gbk "$T/again.csv" "$T/bills-0302.csv"
drop "$T/bills-0302.csv" "$D/in"
healthz_is() { [ "$(curl -s -o "$T/hz" -w '%{http_code}' "$U/healthz")" = "$1" ]; }
check "/healthz turns unhealthy after health_errors errors" wait_until 60 healthz_is 503
check "saying why" grep -q 'unhealthy: [0-9]* errors in the last 600 s (platform unreachable' "$T/hz"
# (the file may still be in the drop directory when health turns)
waiting_counted() {
	curl -s "$U/metrics" >"$T/metrics2" &&
	    grep -q '^hisgate_bills{state="ready"} 1$\|^hisgate_bills{state="in_progress"} 1$' "$T/metrics2"
}
check "metrics: the waiting bill counts as unsettled" wait_until 30 waiting_counted
check "metrics: failed calls counted" grep -q '^hisgate_platform_calls_failed_total{infno="1101"} [1-9]' "$T/metrics2"
oldest_aged() {
	curl -s "$U/metrics" | grep -qx 'hisgate_oldest_unsettled_seconds [1-9][0-9]*'
}
check "metrics: the waiting bill's age, in seconds" wait_until 10 oldest_aged
stop_agent "$D"

# --- login -------------------------------------------------------------------------
# and web.disk_min_mb above what the disk has free (its highest value:
# 1000000 MB), when it has less: the disk alarm
free_mb=$(df -Pm "$D" | awk 'NR == 2 { print $4 }')
disk=""
[ "$free_mb" -lt 1000000 ] && disk=" disk_min_mb = 1000000;"
sed -i "s|health_window_s = 600; };|health_window_s = 600; users_file = \"$T/users\";$disk };|" "$D/hisgate.conf"
mv "$D/agent.log" "$D/agent-1.log"	# listen_port reads the new one
start_agent "$D"
WPORT=$(listen_port "$D" "web")
U=http://127.0.0.1:$WPORT
wait_until 20 bash -c "curl -s -o /dev/null '$U/healthz'"
is "with users: no password, 401" "$(get "$U/?day=$DAY")" 401
is "a wrong password, 401" "$(get -u nurse3:wrong "$U/?day=$DAY")" 401
is "an unknown user, 401" "$(get -u nobody:ward-pass "$U/?day=$DAY")" 401
check "/healthz needs no login" bash -c "case \$(curl -s -o /dev/null -w %{http_code} $U/healthz) in 200|503) true;; *) false;; esac"
is "/metrics does" "$(get "$U/metrics")" 401
if [ -n "$disk" ]; then
	get -u it:it-pass "$U/metrics" >/dev/null
	check "metrics: the disk alarm, free space below web.disk_min_mb" grep -qx 'hisgate_disk_alarm 1' "$T/body"
	is "/healthz: unhealthy with it" "$(get "$U/healthz")" 503
	check "saying why" grep -qx "unhealthy: [0-9]* MB free under the outbox, below web.disk_min_mb 1000000" "$T/body"
else
	for w in metrics healthz why; do
		tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP disk alarm: $w: $free_mb MB free, above web.disk_min_mb's highest value"
	done
fi
is "the IT user sees the page" "$(get -u it:it-pass "$U/?day=$DAY")" 200
check "every ward" grep -q '呼吸内科' "$T/body"
is "the ward nurse sees the page" "$(get -u nurse3:ward-pass "$U/?day=$DAY")" 200
check "only her ward" bash -c "grep -q 'ZY2024000777' '$T/body' && ! grep -q '呼吸内科' '$T/body'"
is "another ward's bill is refused to her" "$(get -u nurse3:ward-pass "$U/bill/$(id_of ZY2024000123)")" 403
out=$("$HISGATE" status -c "$D/hisgate.conf")
check "status: the daemon runs" grep -q "^daemon    running, pid $agent_pid" <<<"$out"
check "status: attempts fail since the platform's last answer" grep -q "FAILING: attempts fail since the platform's last answer" <<<"$out"
check "status: the oldest bill waiting" grep -q "^oldest    bill [0-9]* ZY2024000124 王\*, \(ready\|in_progress\), waiting since" <<<"$out"
check "status: bills per state" grep -q "^  settled *2$" <<<"$out"
check "status: disk" grep -q "^disk      [0-9]* MB free under the outbox$" <<<"$out"
js=$("$HISGATE" status --json -c "$D/hisgate.conf")
is "status --json: the platform is not reachable" "$(py 'd["platform"]["reachable"]' <<<"$js")" False
is "status --json: the oldest bill" "$(py 'd["oldest"]["ipt_no"]' <<<"$js")" ZY2024000124
is "the ward nurse may not see the IT pages" "$(get -u nurse3:ward-pass "$U/queue")" 403
is "nor a bill's history" "$(get -u nurse3:ward-pass "$U/bill/$W/history")" 403
is "the IT user sees the queue" "$(get -u it:it-pass "$U/queue?state=rejected")" 200
check "by state: the rejected bill, not the settled one" bash -c "grep -q 'ZY2024000900' '$T/body' && ! grep -q 'ZY2024000777' '$T/body'"
get -u it:it-pass "$U/queue?q=%E5%BC%A0%E4%BC%9F" >/dev/null
# (the search box shows what the operator typed)
check "searched by the full name, shown masked" bash -c "grep -q 'ZY2024000900' '$T/body' && ! grep -v 'name=\"q\"' '$T/body' | grep -q 'ZY2024000777\|张伟'"
get -u it:it-pass "$U/queue?q=000777" >/dev/null
check "searched by 住院号" bash -c "grep -q 'ZY2024000777' '$T/body' && ! grep -q 'ZY2024000900' '$T/body'"
is "a bill's history" "$(get -u it:it-pass "$U/bill/$W/history")" 200
check "every call with its infno, msgid, times and answer" bash -c \
    "grep -q '<td>2304 结算</td><td>[0-9A-Z]\{20,\}</td><td>20[0-9-]* [0-9:]*</td><td>20[0-9-]* [0-9:]*</td><td>ok</td>' '$T/body'"
check "and the state changes" grep -q 'in_progress → settled' "$T/body"
curl -s -u it:it-pass "$U/queue" "$U/bill/$W/history" "$U/bill/$R/history" >"$T/ops"
check "no full certificate number on the IT pages either" bash -c \
    "! grep -Eq '11010519491231002X|41010219650312231X|王芳|张伟' '$T/ops'"
stop_agent "$D"
out=$("$HISGATE" status -c "$D/hisgate.conf")
check "status: a stopped daemon is said so" grep -q "^daemon    NOT RUNNING" <<<"$out"
check "no log line holds a full certificate number" bash -c \
    "! grep -Eq '11010519491231002X|41010219650312231X' '$D'/agent*.log"
check "nor the password" bash -c "! grep -q 'ward-pass\|it-pass' '$D'/agent*.log"
done_testing
