#!/bin/bash
# Bad input never stops the line: every malformed file of the corpus in
# t/data/bad is dropped, together with good exports and a 100 MB file,
# into one running agent.  Each bad file must land with its exact reason
# in NAME.err, in the file's own column names: in rejected/ only when it
# cannot be read as bills at all (a problem of the whole file or of its
# header line), else in done/, its bills committed (those with problems
# invalid in the outbox, waiting for a fix, never only in the .err);
# every good file in done/; every good bill in the outbox; the agent
# still running.
# Some of the corpus goes again to a second adapter as a vendor export
# with pinyin headers (ZYH, XM, SFZH, ...) mapped in its config: its .err
# names those.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D" 'stable_seconds = 0;'
sed -i '/^stable_seconds = 1;$/d' "$D/adapters.d/his.conf"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
BAD=$DATA/bad
stage=$T/stage
mkdir -p "$stage"
cat >"$D/adapters.d/vendor.conf" <<EOC
type = "csvdrop";
dir = "$D/vendor";
stable_seconds = 0;
columns = { ipt_no = "ZYH"; psn_name = "XM"; gend = "XB"; certno = "SFZH";
  card_no = "YBKH"; begntime = "RYSJ"; endtime = "CYSJ"; diag_code = "ZDBM";
  diag_name = "ZDMC"; dept_codg = "KSBM"; dept_name = "KSMC";
  feedetl_sn = "MXXH"; fee_ocur_time = "FYSJ"; medins_list_codg = "XMBM";
  name = "XMMC"; spec = "GG"; unit = "DW"; cnt = "SL"; pric = "DJ";
  det_item_fee_sumamt = "JE"; med_list_codg = "YBBM"; category = "SFLB"; };
EOC
# the same defects with the vendor's headers, and what their .err says
VENDOR="bad-checksum.csv amount-mismatch.csv num-two-points.csv
excel-sci-certno.csv name-differs.csv unmapped.csv date-bad-hour.csv
dup-serial.csv bill-field-differs.csv"
mkdir -p "$T/vendor"
"$PY" - "$BAD" "$T/vendor" $VENDOR <<'PYEOF' || bail "vendor corpus"
import sys
PY = dict(zip("住院号,姓名,性别,身份证号,医保卡号,入院时间,出院时间,主要诊断编码,"
    "主要诊断名称,科室编码,科室名称,明细序号,费用时间,院内项目编码,项目名称,规格,"
    "单位,数量,单价,金额,医保目录编码,收费类别,甲乙类".split(","),
    "ZYH,XM,XB,SFZH,YBKH,RYSJ,CYSJ,ZDBM,ZDMC,KSBM,KSMC,MXXH,FYSJ,XMBM,XMMC,"
    "GG,DW,SL,DJ,JE,YBBM,SFLB,JYL".split(",")))
bad, out = sys.argv[1], sys.argv[2]
exp = dict(l.rstrip("\n").split(" ", 1) for l in open(bad + "/EXPECTED",
    encoding="utf-8") if l.strip() and not l.startswith("#"))
with open(out + "/EXPECTED", "w", encoding="utf-8") as e:
    for name in sys.argv[3:]:
        text = open(bad + "/" + name, "rb").read().decode("gb18030")
        head, rest = text.split("\r\n", 1)
        head = ",".join(PY.get(c, c) for c in head.split(","))
        open(out + "/" + name, "wb").write(
            (head + "\r\n" + rest).encode("gb18030"))
        want = exp[name]
        for zh, py in PY.items():
            want = want.replace(" " + zh + " (", " " + py + " (", 1)
        e.write(name + " " + want + "\n")
PYEOF

# good exports before, between and after the bad ones
"$PY" "$top_srcdir/t/gen-csv" -n 200 -m 10 -f 4 -s 7 -p good \
    --manifest "$T/good.manifest" "$stage" >/dev/null || bail "gen-csv"
"$PY" "$top_srcdir/t/gen-csv" --size-mb 100 -s 8 -p big \
    --manifest "$T/big.manifest" "$stage" >/dev/null || bail "gen-csv --size-mb"
good_bills=$(cat "$T/good.manifest" "$T/big.manifest" | wc -l)

start_agent "$D"
for f in "$stage"/good-0001.csv "$stage"/good-0002.csv; do mv "$f" "$D/in/"; done
nbad=0
while read -r name expect; do
	case "$name" in '#'*|'') continue ;; esac
	[ -f "$BAD/$name" ] || continue
	cp "$BAD/$name" "$D/in/.$name" && mv "$D/in/.$name" "$D/in/$name"
	nbad=$((nbad + 1))
done <"$BAD/EXPECTED"
for f in "$stage"/good-0003.csv "$stage"/good-0004.csv "$stage"/big*.csv; do
	mv "$f" "$D/in/"
done
check "at least 40 malformed files dropped ($nbad)" [ "$nbad" -ge 40 ]
check "the vendor adapter started" wait_until 20 test -d "$D/vendor/rejected"
for f in $VENDOR; do
	cp "$T/vendor/$f" "$D/vendor/.$f" && mv "$D/vendor/.$f" "$D/vendor/$f"
done

# err_has DIR NAME TEXT [LABEL]: NAME.err beside NAME has the line TEXT,
# in rejected/ when TEXT is about the whole file or its header line, else
# in done/ (and the file is not in the other one)
err_has() {
	local e where=done other=rejected
	case "$3" in "0:0: file:"*|"1:"*) where=rejected other=done ;; esac
	e=$1/$where/$2.err
	if [ -f "$e" ] && [ -f "${e%.err}" ] && [ ! -e "$1/$other/$2" ] &&
	    grep -qF -- "$3" "$e"; then
		ok "${4:-$2}: in $where/ with: $3"
	else
		not_ok "${4:-$2}: in $where/ with: $3"
		ls "$1/done/$2"* "$1/rejected/$2"* 2>&1 | sed 's/^/#   /'
		sed 's/^/#   /' "$e" 2>/dev/null | head -5
	fi
}
left() { find "$D/in" -maxdepth 1 -type f \( -name '*.csv' -o -name '*.txt' \) | wc -l; }
check "every file is dealt with" wait_until 600 sh -c "[ \$(find '$D/in' '$D/vendor' -maxdepth 1 -type f \\( -name '*.csv' -o -name '*.txt' \\) | wc -l) -eq 0 ]"
check "the agent is still running" kill -0 "$agent_pid"

while read -r name expect; do
	case "$name" in '#'*|'') continue ;; esac
	[ -f "$BAD/$name" ] || continue
	case "$expect" in
	ok)
		check "$name: accepted into done/" test -f "$D/in/done/$name"
		;;
	*)
		err_has "$D/in" "$name" "$expect"
		;;
	esac
done <"$BAD/EXPECTED"
while read -r name expect; do
	err_has "$D/vendor" "$name" "$expect" "vendor $name"
done <"$T/vendor/EXPECTED"

for f in good-0001.csv good-0002.csv good-0003.csv good-0004.csv; do
	check "$f (around the bad ones) accepted" test -f "$D/in/done/$f"
done
check "the 100 MB export accepted" sh -c "ls '$D/in/done/'big*.csv >/dev/null"
"$HISGATE" queue list --json -c "$D/hisgate.conf" >"$T/list.json"
got=$(cat "$T/good.manifest" "$T/big.manifest" | "$PY" -c '
import json, sys
have = {r["source_key"] for r in json.load(open(sys.argv[1])) if r["state"] == "ready"}
keys = [l.split("\t")[0] for l in sys.stdin]
print(sum(1 for k in keys if k in have))' "$T/list.json")
is "every good bill is in the outbox and ready" "$got" "$good_bills"
# a file in done/ with a .err has every bill committed: those with
# problems wait in the outbox as invalid, never only in the .err
nlost=0
for e in "$D"/in/done/*.err "$D"/vendor/done/*.err; do
	tail -n1 "$e" | grep -q ', 0 not committed' && continue
	nlost=$((nlost + 1)); echo "# $e: $(tail -n1 "$e")"
done
is "every file in done/ with a .err: 0 bills not committed" "$nlost" 0
# one such bill: invalid in the outbox, its problem in the file's words
"$PY" - "$DATA/sample-6a.csv" "$T/onebad.csv" <<'PYEOF' || bail "onebad.csv"
import sys
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")
cells = rows[1].split(",")
cells[17] = "12.3.4"
rows[1] = ",".join(cells)
text = "\n".join(rows).replace("ZY2024000123", "ZY2099000001")
open(sys.argv[2], "w", encoding="gb18030").write(text)
PYEOF
cp "$T/onebad.csv" "$D/in/.onebad.csv" && mv "$D/in/.onebad.csv" "$D/in/onebad.csv"
check "a file with one bad cell goes to done/" wait_until 60 test -f "$D/in/done/onebad.csv.err"
check "not to rejected/" test ! -e "$D/in/rejected/onebad.csv"
"$HISGATE" queue list --json -c "$D/hisgate.conf" >"$T/list.json"
id=$("$PY" -c '
import json, sys
print([r["id"] for r in json.load(open(sys.argv[1])) if r["ipt_no"] == "ZY2099000001"][0])' "$T/list.json")
out=$("$HISGATE" queue show "$id" -c "$D/hisgate.conf" 2>&1)
check "its bill waits in the outbox as invalid" grep -q "^bill $id: invalid" <<<"$out"
check "queue show names the cell as the file does" grep -q '数量 (cnt): "12.3.4" is not a plain decimal number' <<<"$out"
check "queue show: its problems one level under problems:" bash -c \
    "grep -A1 '^  problems:\$' <<<'$out' | grep -q '^    line [0-9]*: 数量 (cnt)'"
check "queue show of an invalid bill: two spaces a level" show_layout <<<"$out"
rss=$(awk '/VmHWM/ {print $2}' "/proc/$agent_pid/status")
echo "# agent peak RSS ${rss} kB"
stop_agent
check "the agent shut down cleanly" grep -q 'stopped' "$D/agent.log"
done_testing
