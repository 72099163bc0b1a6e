#!/bin/bash
# End to end: what queue list and queue show print ends up in tickets and
# chat windows, so the certificate numbers and names the platform quotes in
# its messages are masked there too, as in the log: two bills the
# simulator refuses at 1101, one with an unknown ID number, one with a name
# the registry does not have for that number.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
start_sim
cat >>"$D/hisgate.conf" <<EOC
platform: { url = "http://127.0.0.1:$port/"; };
settle: { workers = 1; backoff_base_ms = 200; backoff_cap_ms = 2000; };
EOC
# an ID number with a good check character that the registry lacks
sed -e 's/ZY2024000123/ZY2024000801/' \
    -e 's/11010519491231002X/320102199001011232/' \
    "$DATA/sample-6a.csv" >"$T/bills-0801.csv"
sed -e 's/ZY2024000123/ZY2024000802/' -e 's/王芳/王小芳/' \
    "$DATA/sample-6a.csv" >"$T/bills-0802.csv"

state_of() {
	"$HISGATE" queue list --json -c "$D/hisgate.conf" 2>/dev/null |
	    py "([b['state'] for b in d if b['ipt_no'] == '$1'] or [''])[0]"
}
id_of() {
	"$HISGATE" queue list --json -c "$D/hisgate.conf" |
	    py "[b['id'] for b in d if b['ipt_no'] == '$1'][0]"
}
# no_full DESC TEXT: none of the full numbers or names is in TEXT
no_full() {
	if grep -q -e 320102199001011232 -e 11010519491231002X -e 王小芳 \
	    -e 王芳 <<<"$2"; then
		not_ok "$1: nothing unmasked"
		grep -e 3201021990 -e 110105194 -e 王 <<<"$2" | head -3 |
		    sed 's/^/#   /'
	else
		ok "$1: nothing unmasked"
	fi
}

is_state() { [ "$(state_of "$1")" = "$2" ]; }

start_agent "$D"
drop "$T/bills-0801.csv" "$D/in"
drop "$T/bills-0802.csv" "$D/in"
check "the unknown ID number is refused" \
    wait_until 60 is_state ZY2024000801 rejected
check "the name mismatch is refused" \
    wait_until 60 is_state ZY2024000802 rejected
a=$(id_of ZY2024000801)
b=$(id_of ZY2024000802)

out=$(sqlite3 "$D/outbox.db" "SELECT err_msg FROM bills WHERE id = $a")
check "the outbox keeps the platform's words whole" \
    grep -q '证件号码\[320102199001011232\]未查询到参保人员信息' <<<"$out"

out=$("$HISGATE" queue list -c "$D/hisgate.conf")
check "queue list: the ID number masked in the platform's message" \
    grep -q "^$a .*证件号码\[320102\*\*\*\*\*\*\*\*1232\]未查询到参保人员信息" <<<"$out"
check "queue list: the name masked in the platform's message" \
    grep -q "^$b .*人员姓名\[王\*\*\]与证件号码\[110105\*\*\*\*\*\*\*\*002X\]" <<<"$out"
no_full "queue list" "$out"
out=$("$HISGATE" queue list --json -c "$D/hisgate.conf")
check "queue list --json: err_msg masked" \
    grep -q '"err_msg":"证件号码\[320102\*\*\*\*\*\*\*\*1232\]' <<<"$out"
no_full "queue list --json" "$out"
for id in $a $b; do
	out=$("$HISGATE" queue show "$id" -c "$D/hisgate.conf")
	check "queue show $id: the platform line masked" \
	    grep -q '^  platform: .*证件号码\[[0-9]\{6\}\*\{8\}[0-9]\{3\}[0-9X]\]' <<<"$out"
	check "queue show $id: the bill's ID number masked" \
	    grep -q '"certno":"[0-9]\{6\}\*\{8\}[0-9]\{3\}[0-9X]"' <<<"$out"
	no_full "queue show $id" "$out"
	out=$("$HISGATE" queue show "$id" --json -c "$D/hisgate.conf")
	is "queue show $id --json: err_msg masked" \
	    "$(py 'd["err_msg"].count("********")' <<<"$out")" 1
	is "queue show $id --json: the history's reasons masked" \
	    "$(py '[h["reason"] for h in d["history"] if h["to"] == "rejected"][0].count("********")' <<<"$out")" 1
	no_full "queue show $id --json" "$out"
done
stop_agent
done_testing
