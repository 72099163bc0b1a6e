#!/bin/bash
# End to end: check-config catches what breaks at 2 a.m.: a missing or
# empty adapters_dir, stray files in it, a missing mapping file or one
# with bad rows (every one listed), drop, outbox and secret paths the
# service user cannot use (checked as that user when run as root), the
# example's placeholders; libconfig syntax errors explained where they
# start, "did you mean" for unknown keys, and a line for every message.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
chmod 755 "$T" "$D"
echo 'settle: { enabled = false; };' >>"$D/hisgate.conf"
C=$D/hisgate.conf
cc() { out=$("$HISGATE" check-config -c "${1:-$C}" 2>&1); rc=$?; }
has() {
	if grep -q -- "$2" <<<"$out"; then ok "$1"
	else not_ok "$1"; echo "$out" | head -8 | sed 's/^/#   /'; fi
}
hasnt() {
	if ! grep -q -- "$2" <<<"$out"; then ok "$1"
	else not_ok "$1"; echo "$out" | head -8 | sed 's/^/#   /'; fi
}
line_of() { grep -n -- "$1" "${2:-$C}" | head -1 | cut -d: -f1; }

cc
is "a good config passes" "$rc" 0
has "and says what it read" "^$C: ok (1 adapter, 0 mapped codes, "
# --json: the same facts as one object on stdout; the messages stay on stderr
cj() { out=$("$HISGATE" check-config --json -c "$C" 2>"$T/cc.err"); rc=$?; }
cj
is "check-config --json passes too" "$rc" 0
is "and says what it read" "$(py '(d["file"], d["ok"], d["adapters"], d["mapped_codes"], d["errors"])' <<<"$out")" \
    "('$C', True, 1, 0, [])"
is "its warnings are the text's" "$(py '"\n".join(d["warnings"])' <<<"$out")" \
    "$(grep ': warning: ' "$T/cc.err")"
# as root, access is checked as agent.service_user
if [ "$(id -u)" -eq 0 ]; then
	sed -i 's|^  poll_ms = 200;|  poll_ms = 200;\n  service_user = "nosuchuser-hg";|' "$C"
	cc
	is "an unknown service user is a warning" "$rc" 0
	has "saying so, at its line" "^$C:$(line_of service_user): warning: agent.service_user: user nosuchuser-hg does not exist"
	sed -i 's|service_user = "nosuchuser-hg";|service_user = "nobody";|' "$C"
	# what the daemon writes, nobody may write
	chmod 777 "$D" "$D/in"
	# a secret the service user owns (as the docs say: chown hisgate)
	# is fine for root's commands too; one another user owns is not
	cp "$C" "$T/c.saved"
	PASS=$(openssl passwd -6 -salt s4ltS4lt pw)
	printf 'it:%s\n' "$PASS" >"$T/users"
	chmod 600 "$T/users"
	chown nobody "$T/users"
	chmod 755 "$T"
	printf 'web: { enabled = true; users_file = "%s"; };\n' "$T/users" >>"$C"
	cc
	is "as root, a secret owned by the service user passes" "$rc" 0
	hasnt "and is not called foreign" "owned by nobody"
	chown daemon "$T/users"
	cc
	is "a secret another user owns is refused" "$rc" 1
	has "saying whom it must belong to" "web.users_file: $T/users: owned by daemon; a secret must belong to nobody (the service user) or to root (chown nobody $T/users)"
	cp "$T/c.saved" "$C"
fi

# --- adapters_dir ------------------------------------------------------------
mv "$D/adapters.d" "$D/adapters.off"
cc
is "a missing adapters_dir is an error" "$rc" 1
has "FILE:LINE: which and what to do" "^$C:$(line_of adapters_dir): adapters_dir $D/adapters.d does not exist: create it"
mkdir "$D/adapters.d"
cc
is "an adapters_dir without *.conf is an error" "$rc" 1
has "saying so" "^$C:$(line_of adapters_dir): adapters_dir $D/adapters.d holds no \*.conf"
cj
is "check-config --json with an error: exit 1" "$rc" 1
is "not ok, the error in errors, at its line" "$(py '(d["ok"], d["errors"][0].startswith("'"$C:$(line_of adapters_dir)"': adapters_dir '"$D"'/adapters.d holds no *.conf"))' <<<"$out")" \
    "(False, True)"
check "and on stderr, as without --json" grep -q "^$C:$(line_of adapters_dir): adapters_dir $D/adapters.d holds no \*.conf" "$T/cc.err"
rmdir "$D/adapters.d"
mv "$D/adapters.off" "$D/adapters.d"
cp "$D/adapters.d/his.conf" "$D/adapters.d/his.conf.bak"
cc
is "a stray file in adapters_dir is only a warning" "$rc" 0
has "naming it" "warning: $D/adapters.d/his.conf.bak is ignored: only files ending in .conf are read"
rm "$D/adapters.d/his.conf.bak"

# --- the mapping file ----------------------------------------------------------
mv "$D/mapping.csv" "$T/mapping.saved"
cc
is "a missing mapping file is an error" "$rc" 1
has "naming it, at its line" "^$C:$(line_of mapping_file): mapping_file $D/mapping.csv does not exist"
printf '%s\n' local_code,national_code,name YP1,XJ01DCA040B002010100001,甲 \
    YP2,1.10105E+17,乙 ,XJ01DCA040B002010100001,丙 \
    YP4,XJ01DCA040B002010100001,丁,0.75g,多 YP5 >"$D/mapping.csv"
cc
is "bad rows are errors" "$rc" 1
has "row 3 listed" "^$D/mapping.csv:3: national code \"1.10105E+17\""
has "row 4 listed too" "^$D/mapping.csv:4: no local code"
has "row 6 listed too" "^$D/mapping.csv:6: no national code"
has "extra columns flagged" "^$D/mapping.csv:5: warning: 5 columns, expected local_code,national_code\[,name\]"
cp "$T/mapping.saved" "$D/mapping.csv"

# --- access as the service user --------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
	mkdir -m 755 "$D/root-only"
	sed -i "s|^dir = .*|dir = \"$D/root-only/in\";|" "$D/adapters.d/his.conf"
	cc
	is "a drop directory the service user cannot create is an error" "$rc" 1
	has "naming the adapter file, the user and the directory" \
	    "^$D/adapters.d/his.conf:$(line_of '^dir' "$D/adapters.d/his.conf"): drop directory $D/root-only/in: $D/root-only (mode 0755, owner root:root) is not writable by user nobody"
	sed -i "s|^dir = .*|dir = \"$D/in\";|" "$D/adapters.d/his.conf"
	sed -i "s|outbox = \"$D/outbox.db\"|outbox = \"$D/root-only/outbox.db\"|" "$C"
	cc
	is "an outbox directory the service user cannot write is an error" "$rc" 1
	has "naming it and the fix" "^$C:$(line_of outbox): outbox $D/root-only/outbox.db: $D/root-only (mode 0755, owner root:root) is not writable by user nobody .*chown nobody:nobody $D/root-only"
	sed -i "s|root-only/outbox.db|outbox.db|" "$C"
	# a secret only root can read
	printf 'k3y\n' >"$T/apikey"
	chmod 600 "$T/apikey"
	sed -i 's|^settle: { enabled = false; };||' "$C"
	echo "platform: { auth = \"apikey\"; apikey_file = \"$T/apikey\"; };" >>"$C"
	cc
	is "a secret the service user cannot read is an error" "$rc" 1
	has "naming the key, the file and the user" "^$C:$(line_of apikey_file): platform.apikey_file: $T/apikey (mode 0600, owner root:root) is not readable by user nobody"
	sed -i '/^platform:/d' "$C"
	echo 'settle: { enabled = false; };' >>"$C"
	cc
	is "with access for nobody, it passes again" "$rc" 0
	[ $rc -ne 0 ] && echo "$out" | sed 's/^/#   /'
fi

# --- placeholders ------------------------------------------------------------------
sed -e 's/"H32010000001"/"H00000000000"/' -e 's/"320100"/"000000"/' "$C" >"$D/ph.conf"
cc "$D/ph.conf"
is "the example's placeholders are warnings" "$rc" 0
has "the code" "^$D/ph.conf:$(line_of fixmedins_code "$D/ph.conf"): warning: agent.fixmedins_code is still the placeholder H00000000000"
has "the region" "^$D/ph.conf:$(line_of admdvs "$D/ph.conf"): warning: agent.admdvs is still the placeholder 000000"

# --- syntax, unknown keys, combinations ------------------------------------------------
# broken NAME SED-SCRIPT: check-config of a copy of the config edited so
broken() {
	cp "$C" "$D/$1.conf"
	sed -i "$2" "$D/$1.conf"
	cc "$D/$1.conf"
}
broken q 's|^  log_level = "info";|  log_level = "info;|'
is "an unclosed quote is an error" "$rc" 1
has "opened where" "^$D/q.conf:$(line_of log_level "$D/q.conf"): syntax error: unclosed quote opened at line $(line_of log_level "$D/q.conf"), in the value of log_level"
check "not libconfig's own words" bash -c "! grep -q 'syntax error: syntax error' <<<\"\$0\"" "$out"
broken b 's|^};$||'
has "an unclosed brace: where it opened" "^$D/b.conf:1: syntax error: '{' opened at line 1 for agent is never closed: expected '};'"
broken u 's|^  log_level = "info";|  log_level = info;|'
has "an unquoted value" "^$D/u.conf:$(line_of log_level "$D/u.conf"): syntax error: the value info of log_level is not in quotes"
broken k 's|^  poll_ms = 200;|  pol_ms = 200;|; $a settel: { workers = 1; };'
has "did you mean, for a key" "^$D/k.conf:$(line_of pol_ms "$D/k.conf"): unknown key \"pol_ms\" (did you mean \"poll_ms\"?)"
has "did you mean, for a section" "^$D/k.conf:$(line_of settel "$D/k.conf"): unknown section \"settel\" (did you mean \"settle\"?)"
cp "$C" "$D/x.conf"
sed -i '/^settle:/d' "$D/x.conf"
printf 'settle: {\n  backoff_base_ms = 5000;\n  backoff_cap_ms = 1000;\n};\n' >>"$D/x.conf"
cc "$D/x.conf"
has "keys against each other: the line of the key" "^$D/x.conf:$(line_of backoff_cap_ms "$D/x.conf"): settle.backoff_cap_ms (1000) is below backoff_base_ms"
# an adapter file's problems name the line of the offending setting, not
# the line of type =
A=$D/adapters.d/his.conf
cp "$A" "$T/his.conf.saved"
printf 'delimiter = "ab";\nquote = "";\nkey = ["fee_ocur_time"];\ndate_formats = "";\ncomplete = "marker";\nmarker_suffix = "";\ndone_dir = "<dir>";\n' >>"$A"
cc
is "bad adapter settings are errors" "$rc" 1
has "delimiter: at its own line" "^$A:$(line_of '^delimiter' "$A"): delimiter: \"ab\" is not one character"
has "key: at its own line" "^$A:$(line_of '^key' "$A"): key: \"fee_ocur_time\" is not a bill-level"
has "date_formats: at its own line" "^$A:$(line_of '^date_formats' "$A"): date_formats: "
has "marker_suffix: at its own line" "^$A:$(line_of '^marker_suffix' "$A"): marker_suffix: empty"
has "done_dir: at its own line" "^$A:$(line_of '^done_dir' "$A"): dir, done_dir and rejected_dir must be three different"
check "none at the type line" bash -c "! grep -q \"^$A:1: \" <<<\"\$0\"" "$out"
cp "$T/his.conf.saved" "$A"
# --- adapters the HIS connects to, and ODBC sources, checked offline ----------
# a port another program holds, an address this machine lacks, one port
# for two adapters, an undefined data source, a password others can read
"$PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$T/port" &
holder=$!
bg_pids="$bg_pids $holder"
wait_until 20 test -s "$T/port" || bail "no port holder"
busy=$(cat "$T/port")
cat >"$D/adapters.d/push.conf" <<EOC
type = "httppush";
path = "/bills";
listen = "127.0.0.1:$busy";
EOC
cat >"$D/adapters.d/hl7.conf" <<EOC
type = "hl7";
store = "$D/hl7store";
listen = "192.0.2.1:2575";
EOC
cat >"$D/adapters.d/push2.conf" <<EOC
type = "httppush";
listen = "127.0.0.1:$busy";
EOC
cat >"$D/adapters.d/db.conf" <<EOC
type = "odbc";
connection = "DSN=nosuch_hisgate_dsn;UID=his;PWD=secret";
query = "SELECT * FROM fee WHERE READY >= :watermark";
watermark = "READY";
columns = { ipt_no = "ZYH"; psn_name = "XM"; certno = "SFZH"; begntime = "RYSJ";
  feedetl_sn = "XH"; cnt = "SL"; pric = "DJ"; det_item_fee_sumamt = "JE";
  medins_list_codg = "XMBM"; name = "XMMC"; fee_ocur_time = "FYSJ";
  endtime = "CYSJ"; gend = "XB"; };
EOC
chmod 644 "$D/adapters.d/db.conf"
cc
is "adapter settings that break at start are errors" "$rc" 1
P=$D/adapters.d
has "a port in use, at its line" "^$P/push.conf:3: listen: port $busy on 127.0.0.1 is in use by another program"
has "two adapters on one address" "^$P/push2.conf:2: listen: 127.0.0.1:$busy is also the address of adapter push"
has "an address of another machine" "^$P/hl7.conf:3: listen: 192.0.2.1 is not an address of this machine"
has "no data source of that name (a warning)" "^$P/db.conf:2: warning: connection: data source \"nosuch_hisgate_dsn\" is not defined on this machine"
has "a password others can read" "^$P/db.conf:2: connection holds a password and $P/db.conf is readable by every user (mode 0644): chmod 640"
chmod 640 "$D/adapters.d/db.conf"
cc
check "a password in a file others cannot read is fine" bash -c "! grep -q 'holds a password' <<<\"\$0\"" "$out"
"$HISGATE" doctor -c "$C" >"$T/doctor.out" 2>&1
check "doctor says the same" grep -q "^fail  adapters .*push.conf:3: listen: port $busy on 127.0.0.1 is in use" "$T/doctor.out"
kill "$holder" 2>/dev/null
rm -f "$P/push.conf" "$P/hl7.conf" "$P/push2.conf" "$P/db.conf"
check "no message says line 0" bash -c "! grep -q ':0: ' <<<\"\$0\"" "$out"
done_testing
