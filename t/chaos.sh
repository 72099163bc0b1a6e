#!/bin/bash
# Chaos: N bills through csvdrop and the settler while the simulator
# injects latency, 5xx, resets before and after commit, -1 answers (before
# and after commit), answers dropped after commit on every call that
# changes the platform, and an outage window, and the agent is SIGKILLed
# at random moments (50-500 ms) again and again; then every 25th bill is
# cancelled (queue cancel) and settled again under the same faults, and
# reconcile --detail (3202) must find no one-sided settlement.  At the end (bounded wait
# until no bill is ready, in_progress or in_doubt) both sides are counted:
# every bill's visit settled exactly once in the simulator's ledger, the
# outbox agrees to the fen, nothing lost, integrity_check ok.
#
#   t/chaos.sh            500 bills, 30 kills (make check)
#   t/chaos.sh --long     5000 bills, 200 kills
#   t/chaos.sh --dialect admit   the simulator as etc/sim/dialect-NAME.conf
#                         (t/chaos-admit.sh in make check)
#   HG_SEED=N t/chaos.sh  replay a schedule
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

NBILLS=500
KILLS=30
WAIT=150
PEOPLE=60
DIALECT=""
while [ $# -gt 0 ]; do
	case $1 in
	--long)
		NBILLS=5000
		KILLS=200
		WAIT=2400
		PEOPLE=600
		;;
	--dialect)
		[ $# -ge 2 ] || bail "--dialect needs a name (refuse, admit)"
		DIALECT=$top_srcdir/etc/sim/dialect-$2.conf
		[ -f "$DIALECT" ] || bail "no dialect $DIALECT"
		shift
		;;
	*) bail "unknown argument $1" ;;
	esac
	shift
done
SEED=${HG_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$SEED
echo "# seed $SEED ($NBILLS bills, $KILLS kills; HG_SEED=$SEED to replay)${DIALECT:+ dialect $DIALECT}"

D=$T/agent
mkconf "$D"
sed -i 's/^stable_seconds = 1;/stable_seconds = 0;/' "$D/adapters.d/his.conf"

# Sixty insured people, 600 with --long (the fixture registry has five):
# bills of one patient are settled in order, so more patients means more
# bills in flight at once, as in a hospital.
"$PY" - "$T/registry.csv" "$T/people.txt" "$PEOPLE" <<'EOP'
import sys
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
chk = "10X98765432"
plc = [("410100", "390"), ("410100", "310"), ("320100", "390"), ("320100", "310")]
with open(sys.argv[1], "w", encoding="utf-8") as reg, open(sys.argv[2], "w", encoding="utf-8") as ppl:
    reg.write("certno,psn_no,psn_name,gend,brdy,insutype,psn_type,insuplc_admdvs,filing,psn_insu_stas,emp_name\n")
    for i in range(int(sys.argv[3])):
        admdvs, insutype = plc[i % 4]
        first = "%s19%02d0%d1%d%03d" % (admdvs[:6].replace("0100", "0102"), 50 + i % 40, 1 + i % 9, i % 3, 100 + i)
        cert = first + chk[sum(int(c) * w[k] for k, c in enumerate(first)) % 11]
        name = "测试%s" % "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i % 12]
        sex = "男" if i % 2 == 0 else "女"
        psn_type = "1503" if i % 7 == 0 and insutype == "390" else ("1501" if insutype == "390" else "11")
        reg.write("%s,%s%020d,%s,%d,19%02d-0%d-1%d,%s,%s,%s,%s,1,%s\n" % (cert, admdvs[:2], i, name,
            1 if sex == "男" else 2, 50 + i % 40, 1 + i % 9, i % 3, insutype, psn_type, admdvs,
            "yes" if i % 3 else "no", "示例单位" if insutype == "310" else ""))
        ppl.write("%s,%s,%s\n" % (name, sex, cert))
EOP
SIM_REGISTRY=$T/registry.csv start_sim --seed "$SEED" \
    --fault 'kind=latency,ms=30,prob=0.05' \
    --fault 'kind=http503,prob=0.01' \
    --fault 'kind=http500,infno=2304,prob=0.02' \
    --fault 'kind=reset,prob=0.02' \
    --fault 'kind=reset-after-commit,prob=0.03' \
    --fault 'kind=reset-after-commit,infno=2304,prob=0.10' \
    --fault 'kind=infcode-1,prob=0.01' \
    --fault 'kind=infcode-1-after-commit,prob=0.02' \
    --fault "kind=outage,after=$((NBILLS * 3)),secs=3" \
    --fault 'kind=drop-after-commit,infno=2401/2402/2305/2404/2405/2601,prob=0.05' \
    --fault 'kind=drop-after-commit,infno=2301/2304,prob=0.05' \
    ${DIALECT:+--dialect "$DIALECT"}
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; timeout_ms = 2500;
  connect_timeout_ms = 300; chunk_size = 2; };
settle: { workers = 4; backoff_base_ms = 50; backoff_cap_ms = 1000;
  lease_ms = 5000; };
EOC
sed -i 's/log_level = "info";/log_level = "notice";/' "$D/hisgate.conf"
"$HISGATE" check-config -c "$D/hisgate.conf" >/dev/null ||
    bail "bad config"

# --- the bills: active people of the registry, 1 to 4 lines each, dropped
# in 10 files while the agent is being killed ------------------------------
"$PY" - "$NBILLS" "$SEED" "$T/drop" "$T/people.txt" <<'EOP'
import os, random, sys
n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rnd = random.Random(seed)
people = [tuple(l.rstrip("\n").split(",")) for l in open(sys.argv[4], encoding="utf-8")]
items = [("CW0001", "普通床位费", "001102000010000", "25.0000", 25000000, "甲"),
         ("HL0001", "Ⅰ级护理", "001201000010000", "28.0000", 28000000, "甲"),
         ("JY0201", "血常规", "002502000010000", "25.0000", 25000000, "甲"),
         ("YP000456", "注射用头孢呋辛钠", "XJ01DCA040B002010100001", "12.5000", 12500000, "乙"),
         ("HC0789", "一次性使用输液器", "C0301010010000100001", "3.6000", 3600000, "乙"),
         ("YP000601", "注射用胸腺法新", "XL03AXT010B001010100051", "1486.5000", 1486500000, "丙"),
         ("SS0101", "胸腔镜下肺叶切除术", "003311010010000", "8600.0000", 8600000000, "甲")]
head = ("住院号,姓名,性别,身份证号,医保卡号,入院时间,出院时间,主要诊断编码,"
        "主要诊断名称,科室编码,科室名称,明细序号,费用时间,院内项目编码,项目名称,"
        "规格,单位,数量,单价,金额,医保目录编码,收费类别,甲乙类")
os.makedirs(out, exist_ok=True)
files = [[] for _ in range(10)]
for i in range(n):
    name, sex, cert = people[i % len(people)]
    ipt = "ZYC%07d" % (i + 1)
    day = 1 + i % 20
    adm, dscg = "2024-04-%02d 08:00:00" % day, "2024-04-%02d 10:00:00" % (day + 5)
    for k in range(rnd.randint(1, 4)):
        code, iname, nat, price, micro, lv = rnd.choice(items)
        qty = rnd.randint(1, 9)
        fen = qty * micro // 10000
        files[i * 10 // n].append(",".join([ipt, name, sex, cert, "", adm, dscg,
            "J18.900", "肺炎", "0312", "呼吸内科", str(k + 1),
            "2024-04-%02d 09:00:00" % (day + 1), code, iname, "", "",
            "%d" % qty, price, "%d.%02d" % (fen // 100, fen % 100), nat, "", lv]))
for f, rows in enumerate(files):
    with open("%s/chaos-%02d.csv" % (out, f), "w", encoding="gb18030") as fp:
        fp.write(head + "\n" + "\n".join(rows) + "\n")
EOP

# --- kill, restart, kill ... ---------------------------------------------
next_file=0
for k in $(seq 1 "$KILLS"); do
	if [ $next_file -lt 10 ] && [ $((k % 3)) -eq 1 ]; then
		drop "$T/drop/chaos-$(printf %02d $next_file).csv" "$D/in"
		next_file=$((next_file + 1))
	fi
	start_agent "$D"
	ms=$((50 + RANDOM % 451))
	sleep "$(printf '0.%03d' "$ms")"
	kill -9 "$agent_pid" 2>/dev/null
	wait "$agent_pid" 2>/dev/null
done
while [ $next_file -lt 10 ]; do
	drop "$T/drop/chaos-$(printf %02d $next_file).csv" "$D/in"
	next_file=$((next_file + 1))
done
ok "the agent was SIGKILLed $KILLS times at random moments"

# --- let it finish ---------------------------------------------------------
start_agent "$D"
unfinished() {
	local n
	[ "$(count_files "$D/in" '*.csv')" -eq 0 ] || return 0
	n=$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM bills WHERE state IN ('ready', 'in_progress', 'in_doubt')" 2>/dev/null) || return 0
	[ "$n" -ne 0 ]
}
all_final() { ! unfinished; }
# A bill whose resolving calls keep losing their answers (5 in a row, by
# the faults' dice) waits for a person: the person looks (queue show) and
# sends it back (queue retry), as the message says; a few rounds at most.
NPERSON=0
persons() {
	local id round
	for round in 1 2 3; do
		ids=$(sqlite3 "$D/outbox.db" "SELECT id FROM bills WHERE state = 'needs_person'")
		[ -n "$ids" ] || return 0
		stop_agent
		for id in $ids; do
			"$HISGATE" queue show "$id" -c "$D/hisgate.conf" 2>&1 | grep -q 'every call and its answer' ||
			    echo "# bill $id: queue show does not say why it waits"
			"$HISGATE" queue retry "$id" -c "$D/hisgate.conf" >>"$T/retry.log" 2>&1 &&
			    NPERSON=$((NPERSON + 1))
		done
		start_agent "$D"
		wait_until "$WAIT" all_final || return 1
	done
}
check "every bill reaches a final state (bounded wait)" \
    wait_until "$WAIT" all_final
check "a bill that waited for a person is settled once sent back" persons
stop_agent

# --- some bills cancelled (2305 answers lost too) and settled again -------
# Every 25th settled bill: queue cancel under the same faults (a command
# that could not tell is run again: it asks the platform first), then
# queue retry, and the agent settles them again.
NCANC=0
for id in $(sqlite3 "$D/outbox.db" "SELECT id FROM bills WHERE state = 'settled' AND id % 25 = $((SEED % 25)) ORDER BY id"); do
	for try in 1 2 3 4 5 6 7 8; do
		"$HISGATE" queue cancel "$id" --yes -c "$D/hisgate.conf" >>"$T/cancel.log" 2>&1 && break
		sleep 0.2
	done
	"$HISGATE" queue retry "$id" -c "$D/hisgate.conf" >>"$T/cancel.log" 2>&1 &&
	    NCANC=$((NCANC + 1))
done
check "some bills were cancelled and queued again ($NCANC)" [ "$NCANC" -gt 0 ]
start_agent "$D"
check "... and every bill reaches a final state again" \
    wait_until "$WAIT" all_final
check "... a bill that waited for a person is settled once sent back" persons
stop_agent
echo "# sent back by a person (needs_person, queue retry): $NPERSON"

states=$(sqlite3 "$D/outbox.db" "SELECT state || ' ' || count(*) FROM bills GROUP BY state")
echo "$states" | sed 's/^/# /'
is "nothing lost: every bill is in the outbox" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(DISTINCT ipt_no) FROM bills")" "$NBILLS"
is "every bill is settled" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM bills WHERE state = 'settled'")" "$NBILLS"
is "no step is left without an answer" \
    "$(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE state = 'sent'")" 0
check "the run did lose answers (faults and kills happened)" bash -c \
    "[ \$(sqlite3 '$D/outbox.db' \"SELECT count(*) FROM steps WHERE state = 'unknown'\") -gt 0 ]"
echo "# lost 2304 reversed or refused reversal (2601): $(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2304' AND state = 'failed' AND (err_msg LIKE 'reversed by 2601%' OR err_msg LIKE 'not in force%')")," \
    "orphaned by kills: $(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE err_msg LIKE 'no answer recorded%'")"

# --- both sides, figure for figure -----------------------------------------
"$SIM" ledger --ledger "$T/ledger.db" --json >"$T/ledger.json"
sqlite3 -json "$D/outbox.db" "SELECT ipt_no, mdtrt_id, setl_id, setl_json FROM bills WHERE state = 'settled'" >"$T/settled.json"
out=$("$PY" - "$T/ledger.json" "$T/settled.json" "$NBILLS" <<'EOP'
import json, sys
from decimal import Decimal
led = json.load(open(sys.argv[1]), parse_float=Decimal)
bills = json.load(open(sys.argv[2]))
n = int(sys.argv[3])
problems = []
per_ipt = {}
for v in led["visits"]:
    per_ipt.setdefault(v["ipt_no"], []).append(v)
for ipt, vs in per_ipt.items():
    s = sum(v["settled"] for v in vs)
    # every settlement but the one in force was cancelled (2305)
    c = sum(v["setl_cnt"] - v["canc_cnt"] for v in vs)
    if s != 1 or c != 1:
        problems.append("%s: %d in force, %d settlements over %d visits" % (ipt, s, c, len(vs)))
if len(per_ipt) != n:
    problems.append("%d visits in the ledger for %d bills" % (len(per_ipt), n))
keys = ["medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_cash_pay"]
ours = {k: Decimal("0.00") for k in keys}
visit = {v["mdtrt_id"]: v for v in led["visits"]}
for b in bills:
    s = json.loads(b["setl_json"], parse_float=Decimal)["setlinfo"]
    for k in keys:
        ours[k] += Decimal(str(s.get(k, "0")))
    v = visit.get(b["mdtrt_id"])
    if v is None or v["ipt_no"] != b["ipt_no"]:
        problems.append("%s: mdtrt_id %s not in the ledger" % (b["ipt_no"], b["mdtrt_id"]))
    elif Decimal(str(v["medfee_sumamt"])) != Decimal(str(s["medfee_sumamt"])):
        problems.append("%s: %s here, %s there" % (b["ipt_no"], s["medfee_sumamt"], v["medfee_sumamt"]))
for k in keys:
    theirs = Decimal(str(led["totals"][k]))
    if ours[k] != theirs:
        problems.append("total %s: outbox %s, ledger %s" % (k, ours[k], theirs))
print("\n".join(problems[:20]) if problems else "ok")
print("# totals " + " ".join("%s=%s" % (k, ours[k]) for k in keys), file=sys.stderr)
EOP
)
is "ledger and outbox agree: one settlement per visit, totals to the fen" "$out" ok
health=$("$SIM" ledger --ledger "$T/ledger.db" | tail -1)
check "ledger: no orphan open visit, no double admission ($health)" \
    grep -q '^orphan_open_visits 0 double_admissions 0 ' <<<"$health"
# --- the last net: 3202 finds no one-sided settlement ------------------------
# (the simulator still injects its faults: a reconcile that could not ask
# is run again)
today=$(date +%F)
for try in 1 2 3 4 5 6 7 8; do
	"$HISGATE" reconcile --detail "$today" -c "$D/hisgate.conf" >"$T/detail.out" 2>&1
	rc=$?
	# complete: the 3202 comparison and every lost 2401's visits asked
	grep -q '单边账' "$T/detail.out" &&
	    grep -q 'open visits\? left by a lost 2401$' "$T/detail.out" && break
	sleep 0.3
done
is "reconcile --detail: exit 0 ($(tail -1 "$T/detail.out"))" "$rc" 0
check "reconcile --detail finds 0 单边账" grep -q ', 0 单边账' "$T/detail.out"
echo "# needs_person: $(sqlite3 "$D/outbox.db" "SELECT count(*) FROM bills WHERE state = 'needs_person'")," \
    "2601 reversals: $(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2601'")," \
    "5201 questions: $(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '5201'")," \
    "2404 closes: $(sqlite3 "$D/outbox.db" "SELECT count(*) FROM steps WHERE infno = '2404' AND state = 'ok'")"
check "integrity_check is ok" [ "$(sqlite3 "$D/outbox.db" 'PRAGMA integrity_check')" = ok ]
cut -d, -f3 "$T/people.txt" >"$T/certnos.txt"
check "no ID number in the log" bash -c "! grep -qFf '$T/certnos.txt' '$D/agent.log'"
echo "# seed $SEED"
done_testing
