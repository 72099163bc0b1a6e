#!/bin/bash
# End to end: SIGHUP while the mapping file is missing (an editor or a
# script replacing it), broken or unreadable keeps the old table, says so
# at warning level, and new bills are still mapped; once a good file is
# back, the next SIGHUP puts the new table in force.  hisgate reload does
# the same and says how it went: exit 1 naming FILE:LINE when anything
# was kept, and when no agent runs.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
printf 'it:%s\n' "$(openssl passwd -6 -salt s4ltS4lt it-pass)" >"$D/users"
NURSE="nurse5:$(openssl passwd -6 -salt 0therSlt ward-pass):胸外科"
chmod 600 "$D/users"
printf 'web: { enabled = true; listen = "127.0.0.1:0"; users_file = "%s"; };\n' \
    "$D/users" >>"$D/hisgate.conf"
OLD=XJ01DCA040B002010100001
NEW=XJ01DCA040B002010100002
printf 'local_code,national_code,name\nYP000456,%s,注射用头孢呋辛钠\n' "$OLD" \
    >"$D/mapping.csv"

# bill N: an export of one bill (住院号 ZY20240003NN) whose first fee
# carries only the local code YP000456: the mapping must give its code
bill() {
	sed -e "s/ZY2024000123/ZY20240003$1/" -e "s/,$OLD,/,,/" \
	    "$DATA/sample-6a.csv" >"$T/bill-$1.csv"
	drop "$T/bill-$1.csv" "$D/in"
	wait_until 20 test -e "$D/in/done/bill-$1.csv" -o \
	    -e "$D/in/rejected/bill-$1.csv" || return 1
}
# code_of N: state and national code of bill N's fee YP000456
code_of() {
	local id
	id=$("$HISGATE" queue list --json -c "$D/hisgate.conf" |
	    py "[b['id'] for b in d if b['ipt_no'] == 'ZY20240003$1'][0]")
	"$HISGATE" queue show "$id" --json -c "$D/hisgate.conf" | py "
d['state'] + ' ' + [f.get('med_list_codg') for f in d['bill']['feedetail']
    if f.get('medins_list_codg') == 'YP000456'][0]"
}
# hup PATTERN: SIGHUP, then wait for one more log line matching PATTERN
hup() {
	local n
	n=$(grep -c -- "$1" "$D/agent.log")
	kill -HUP "$agent_pid"
	wait_until 20 sh -c "[ \$(grep -c -- '$1' '$D/agent.log') -gt $n ]"
}
kept="warning: .*SIGHUP: the mapping was not reloaded, the old table (1 codes) stays in force"

start_agent "$D"
check "bill 01 is taken in" bill 01
is "mapped by the table" "$(code_of 01)" "ready $OLD"

# --- the file is gone (mid-replace) --------------------------------------
mv "$D/mapping.csv" "$T/mapping.saved"
check "SIGHUP with the mapping missing: a warning" hup "$kept"
check "naming the file and why" \
    grep -q "$kept: $D/mapping.csv: cannot open: No such file" "$D/agent.log"
check "bill 02 is taken in" bill 02
is "still mapped by the old table, not 未对码" "$(code_of 02)" "ready $OLD"

# --- a broken table ---------------------------------------------------------
printf 'local_code,national_code\nYP000456,%s\nYP9,1.10105E+17\n' "$NEW" \
    >"$D/mapping.csv"
check "SIGHUP with a bad row: a warning" hup "$kept"
check "naming FILE:LINE" grep -q "$kept: $D/mapping.csv:3: national code" \
    "$D/agent.log"
check "bill 03 is taken in" bill 03
is "the old table, not half of the broken one" "$(code_of 03)" "ready $OLD"

# --- an unreadable one (a directory stands in: root reads any mode) --------
rm "$D/mapping.csv"
mkdir "$D/mapping.csv"
check "SIGHUP with an unreadable mapping: a warning" hup "$kept"
check "bill 04 is taken in" bill 04
is "the old table" "$(code_of 04)" "ready $OLD"
rmdir "$D/mapping.csv"

# --- empty, as cp or > leave it while they copy ---------------------------
: >"$D/mapping.csv"
check "SIGHUP with an empty mapping: a warning" hup "$kept"
check "saying it has no codes" grep -q "$kept: $D/mapping.csv: no codes" \
    "$D/agent.log"
check "bill 06 is taken in" bill 06
is "the old table, not an empty one" "$(code_of 06)" "ready $OLD"
printf 'local_code,national_code,name\n' >"$D/mapping.csv"
check "SIGHUP with only the header: a warning" hup "$kept"
check "bill 07 is taken in" bill 07
is "still the old table" "$(code_of 07)" "ready $OLD"

# --- restored, with a new code ----------------------------------------------
sed "s/$OLD/$NEW/" "$T/mapping.saved" >"$D/mapping.csv"
check "SIGHUP with a good file: reloaded" hup "mapping $D/mapping.csv reloaded: 1 codes"
check "bill 05 is taken in" bill 05
is "the new table is in force" "$(code_of 05)" "ready $NEW"
check "no reload was logged as an error" \
    bash -c "! grep -q ' error: .*mapping' '$D/agent.log'"

# --- the web server's users file ----------------------------------------------
U=http://127.0.0.1:$(listen_port "$D" web)/
code() { curl -s -o /dev/null -w '%{http_code}' -u "$1" "$U"; }
is "IT staff log in" "$(code it:it-pass)" 200
is "a nurse not in the file yet: 401" "$(code nurse5:ward-pass)" 401
echo "$NURSE" >>"$D/users"
check "SIGHUP with a nurse added: reloaded" \
    hup "notice: web: users file $D/users reloaded: 2 users"
is "the new nurse logs in" "$(code nurse5:ward-pass)" 200
is "and IT staff still" "$(code it:it-pass)" 200
sed -i '/^nurse5:/d' "$D/users"
check "SIGHUP with the nurse removed: reloaded" \
    hup "notice: web: users file $D/users reloaded: 1 users"
is "the removed nurse is refused" "$(code nurse5:ward-pass)" 401
ukept="warning: .*SIGHUP: web: users file $D/users not reloaded, the old table (1 users) stays in force"
echo "$NURSE" >>"$D/users"
chmod 644 "$D/users"
check "SIGHUP with the users file readable by all: a warning" hup "$ukept"
check "naming the mode and the fix" \
    grep -q "$ukept: $D/users: mode 0644.*chmod 600" "$D/agent.log"
is "the old users still log in" "$(code it:it-pass)" 200
is "the file's new nurse does not" "$(code nurse5:ward-pass)" 401
chmod 600 "$D/users"
echo 'bob:plaintext' >>"$D/users"
check "SIGHUP with a bad line: a warning" hup "$ukept"
check "naming FILE:LINE and the problem" grep -q \
    "$ukept: $D/users:3: user bob: the hash must be a salted crypt(3)" \
    "$D/agent.log"
is "the old users still log in" "$(code it:it-pass)" 200
is "not half of the broken file" "$(code nurse5:ward-pass)" 401
mv "$D/users" "$T/users.saved"
check "SIGHUP with the users file gone: a warning" hup "$ukept: $D/users"
is "the old users still log in" "$(code it:it-pass)" 200
sed '/^bob:/d' "$T/users.saved" >"$D/users"
chmod 600 "$D/users"
check "SIGHUP with the file fixed: reloaded" \
    hup "notice: web: users file $D/users reloaded: 2 users"
is "the nurse logs in now" "$(code nurse5:ward-pass)" 200
is "a wrong password is still refused" "$(code nurse5:it-pass)" 401

# --- hisgate reload: the same, waiting for the agent's outcome ---------------
NEW2=XJ01DCA040B002010100003
# reload: hisgate reload, its stdout in $T/reload.out, stderr in .err
reload() {
	"$HISGATE" reload -c "$D/hisgate.conf" >"$T/reload.out" 2>"$T/reload.err"
}
out_has() { grep -q -- "$1" "$T/reload.out"; }
sed "s/$OLD/$NEW2/" "$T/mapping.saved" >"$D/mapping.csv"
check "hisgate reload with good files: exit 0" reload
check "saying the mapping was reloaded, with its codes" \
    out_has "^mapping  reloaded     mapping $D/mapping.csv reloaded: 1 codes$"
check "and the users file" \
    out_has "^web      reloaded     users file $D/users reloaded: 2 users$"
check "the audit, not configured here, is off" out_has "^audit    off "
is "nothing on stderr" "$(cat "$T/reload.err")" ""
check "bill 08 is taken in" bill 08
is "the new table is in force" "$(code_of 08)" "ready $NEW2"

printf 'local_code,national_code\nYP000456,%s\nYP9,1.10105E+17\n' "$NEW" \
    >"$D/mapping.csv"
reload
is "hisgate reload with a bad mapping row: exit 1" "$?" 1
check "naming FILE:LINE and what stays" out_has "^mapping  NOT reloaded \
the old table (1 codes) stays in force: $D/mapping.csv:3: national code"
check "the users file is still reloaded" out_has "^web      reloaded "
check "stderr says the agent runs on with what it had" \
    grep -q "1 of 3 not reloaded: the agent (pid $agent_pid) runs on" \
    "$T/reload.err"
check "the agent still runs" kill -0 "$agent_pid"
check "bill 09 is taken in" bill 09
is "on the old table" "$(code_of 09)" "ready $NEW2"

sed "s/$OLD/$NEW2/" "$T/mapping.saved" >"$D/mapping.csv"
echo 'eve:plaintext' >>"$D/users"
reload
is "hisgate reload with a bad users line: exit 1" "$?" 1
check "naming FILE:LINE" out_has \
    "^web      NOT reloaded web: users file $D/users not reloaded.*: $D/users:3: user eve"
check "a fixed mapping is reloaded again" out_has "^mapping  reloaded "
check "stderr has what check-config would refuse at the next start" \
    grep -q "hisgate.conf:[0-9]*: web.users_file: $D/users:3: user eve" \
    "$T/reload.err"
sed -i '/^eve:/d' "$D/users"
check "fixed: exit 0 (not the last reload's outcome)" reload
check "SIGHUP alone still reloads" \
    hup "notice: web: users file $D/users reloaded: 2 users"
out=$("$HISGATE" reload --json -c "$D/hisgate.conf" 2>"$T/reload.err")
is "hisgate reload --json: exit 0" "$?" 0
is "reload --json: the agent, all reloaded, each part with its state" \
    "$(py '(d["pid"], d["reloaded"], [(p["name"], p["state"]) for p in d["parts"]])' <<<"$out")" \
    "($agent_pid, True, [('mapping', 'reloaded'), ('audit', 'off'), ('web', 'reloaded')])"
check "with the text of each" grep -q "\"text\":\"users file $D/users reloaded: 2 users\"" <<<"$out"
echo 'eve:plaintext' >>"$D/users"
out=$("$HISGATE" reload --json -c "$D/hisgate.conf" 2>"$T/reload.err")
is "reload --json with a bad users line: exit 1" "$?" 1
is "the part kept says so" \
    "$(py '(d["reloaded"], [p["name"] for p in d["parts"] if p["state"] == "kept"])' <<<"$out")" \
    "(False, ['web'])"
check "what check-config would refuse still goes to stderr" \
    grep -q "web.users_file: $D/users:3: user eve" "$T/reload.err"
sed -i '/^eve:/d' "$D/users"
stop_agent
check "the outcome file goes with the agent" test ! -e "$D/outbox.db.reload"
reload
is "hisgate reload with no agent: exit 1" "$?" 1
check "saying none runs, and nothing was reloaded" grep -q \
    "no agent runs on the outbox $D/outbox.db (its pid file names a pid that has stopped\|no agent runs on the outbox $D/outbox.db (no pid file): nothing was reloaded" \
    "$T/reload.err"
out=$("$HISGATE" reload --json -c "$D/hisgate.conf" 2>"$T/reload.err")
is "reload --json with no agent: exit 1, nothing on stdout" "$? $out" "1 "
check "why on stderr" grep -q "no agent runs on the outbox" "$T/reload.err"
done_testing
