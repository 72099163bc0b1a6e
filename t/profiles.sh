#!/bin/bash
# Every platform profile end to end: the simulator started as that
# province's gateway (--profile), the agent configured to match; hisgate
# doctor signs in (9001) through it, and the same agent with a wrong
# secret is refused with the gateway's Chinese message (HTTP 401: never
# sent, nothing settled).  sm4sm2 with an SM2-signed envelope (signtype =
# "sm2") settles a whole bill.  With curl: a stale timestamp and a replayed
# nonce are refused; a world-readable secret or one owned by another user
# stops check-config, naming the file and the fix.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
umask 022

D=$T/agent
mkconf "$D"
cp "$D/hisgate.conf" "$T/base.conf"
cd "$T" || bail "no scratch directory"
secret() { printf '%s\n' "$2" >"$T/$1"; chmod 600 "$T/$1"; }
secret good s3cr3t-good
secret bad s3cr3t-bad
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out sm2.key 2>/dev/null
chmod 600 sm2.key
openssl pkey -in sm2.key -pubout -out sm2.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out other.key 2>/dev/null
chmod 600 other.key

# run_sim ARGS...: a fresh simulator (log $T/sim.log) with ARGS
run_sim() {
	if [ -n "${sim_pid:-}" ]; then
		kill "$sim_pid" 2>/dev/null
		wait "$sim_pid" 2>/dev/null
	fi
	: >"$T/sim.log"
	start_sim "$@"
}
# conf LINES: the agent's platform section
conf() {
	cp "$T/base.conf" "$D/hisgate.conf"
	echo "platform: { url = \"${URL:-http://127.0.0.1:$port/}\"; timeout_ms = 10000; $1 };" >>"$D/hisgate.conf"
	echo "settle: { backoff_base_ms = 200; backoff_cap_ms = 1000; };" >>"$D/hisgate.conf"
}
doctor() { "$HISGATE" doctor -c "$D/hisgate.conf" 2>&1; }
lacks() { ! grep -q "$1" <<<"$2"; }

# profile NAME SIM-OPTS AGENT-GOOD AGENT-BAD [REFUSAL]
profile() {
	local name=$1 simopts=$2 good=$3 bad=$4 why=${5:-签名验证失败} out
	# shellcheck disable=SC2086
	run_sim --profile "$name" $simopts
	conf "$good"
	out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
	check "$name: check-config accepts the profile" [ $? -eq 0 ]
	out=$(doctor)
	check "$name: doctor signs in through the gateway" \
	    grep -q 'signed in (9001)' <<<"$out" ||
	    { echo "$out" | sed 's/^/#   /'; tail -5 "$T/sim.log" | sed 's/^/#   /'; }
	check "$name: the secret is not in doctor's output" \
	    lacks "s3cr3t" "$out"
	conf "$bad"
	out=$(doctor)
	check "$name: a wrong signature is refused" \
	    lacks 'signed in (9001)' "$out"
	check "$name: the gateway says why, in Chinese" \
	    grep -q "gateway refused the request: $why" "$T/sim.log"
}

profile apikey "--profile-opt secret_file=$T/good" \
    "profile = \"apikey\"; apikey_file = \"$T/good\";" \
    "profile = \"apikey\"; apikey_file = \"$T/bad\";"
profile tif "--profile-opt secret_file=$T/good --profile-opt key_id=PAAS01" \
    "profile = \"tif\"; paas_id = \"PAAS01\"; paas_token_file = \"$T/good\";" \
    "profile = \"tif\"; paas_id = \"PAAS01\"; paas_token_file = \"$T/bad\";"
profile xca "--profile-opt secret_file=$T/good --profile-opt key_id=ZJ01" \
    "profile = \"xca\"; key_id = \"ZJ01\"; secret_file = \"$T/good\";" \
    "profile = \"xca\"; key_id = \"ZJ01\"; secret_file = \"$T/bad\";"
profile xca "--profile-opt secret_file=$T/good --profile-opt key_id=ZJ01 --profile-opt ts_unit=ms" \
    "profile = \"xca\"; key_id = \"ZJ01\"; secret_file = \"$T/good\"; ts_unit = \"ms\"; gzip = true;" \
    "profile = \"xca\"; key_id = \"ZJ01\"; secret_file = \"$T/good\"; gzip = true;" \
    "时间戳\[[0-9]*\]无效:与平台时间相差[0-9]*秒"
for d in hmac-sha1 hmac-sha256; do
	profile csb "--profile-opt secret_file=$T/good --profile-opt key_id=AK1 --profile-opt csb_api_name=hsa.fsi --profile-opt csb_digest=$d" \
	    "profile = \"csb\"; key_id = \"AK1\"; secret_file = \"$T/good\"; csb_api_name = \"hsa.fsi\"; csb_digest = \"$d\";" \
	    "profile = \"csb\"; key_id = \"AK1\"; secret_file = \"$T/bad\"; csb_api_name = \"hsa.fsi\"; csb_digest = \"$d\";"
done
APP=H32010000001APP0
profile sm4sm2 "--profile-opt secret_file=$T/good --profile-opt key_id=$APP --profile-opt pubkey_file=$T/sm2.pub" \
    "profile = \"sm4sm2\"; key_id = \"$APP\"; secret_file = \"$T/good\"; sm2_key_file = \"$T/sm2.key\";" \
    "profile = \"sm4sm2\"; key_id = \"$APP\"; secret_file = \"$T/good\"; sm2_key_file = \"$T/other.key\";" \
    "报文验签或解密失败:sm4sm2 envelope: signData"

# --- sm4sm2 and an SM2-signed envelope settle a bill -----------------------
run_sim --profile sm4sm2 --profile-opt "secret_file=$T/good" \
    --profile-opt "key_id=$APP" --profile-opt "pubkey_file=$T/sm2.pub" \
    --profile-opt signtype=sm2 --profile-opt user_id=H32010000001
conf "profile = \"sm4sm2\"; key_id = \"$APP\"; secret_file = \"$T/good\"; sm2_key_file = \"$T/sm2.key\"; signtype = \"sm2\"; sm2_user_id = \"H32010000001\"; gzip = true;"
gbk "$DATA/sample-6a.csv" "$T/bills.csv"
# at debug level, with the pages on: no secret may show anywhere
sed -i 's/log_level = "info";/log_level = "debug";/' "$D/hisgate.conf"
echo "web: { enabled = true; listen = \"127.0.0.1:0\"; users_file = \"$D/users\"; };" >>"$D/hisgate.conf"
users_file "$D/users"	# the IT pages below need an operator's login
start_agent "$D"
drop "$T/bills.csv" "$D/in"
state() { queue_of "$D" 2>/dev/null | py "[b['state'] for b in d if b['ipt_no'] == 'ZY2024000123'] or ['']" 2>/dev/null | tr -d "[]'"; }
settled() { [ "$(state)" = settled ]; }
check "sm4sm2 + signtype sm2: the sample bill is settled" wait_until 90 settled ||
    tail -5 "$T/sim.log" | sed 's/^/#   /'
U=http://127.0.0.1:$(listen_port "$D" web)
id=$(queue_of "$D" | py "[b['id'] for b in d if b['ipt_no'] == 'ZY2024000123'][0]")
for p in "/?day=2024-03-05" "/bill/$id" "/bill/$id?paper=80" "/bill/$id/history" \
    /queue /queue.json /metrics /healthz /unmapped /unbalanced; do
	curl -s -u "$IT" "$U$p"
done >"$T/pages"
"$HISGATE" queue show "$id" -c "$D/hisgate.conf" >"$T/cli" 2>&1
"$HISGATE" status -c "$D/hisgate.conf" >>"$T/cli" 2>&1
# the secret, the SM2 key's PEM lines and its private scalar in hex
key_hex=$(openssl pkey -in "$T/sm2.key" -noout -text 2>/dev/null |
    sed -n '/^priv:/,/^pub:/p' | sed '1d;$d' | tr -d ' :\n')
nowhere() { # WHAT: in no log line, page, metric or CLI answer
	! grep -qF -- "$1" "$D/agent.log" "$T/pages" "$T/cli"
}
check "the pages were read" grep -q 'hisgate_' "$T/pages"
check "the IT pages too (logged in)" grep -q '<nav class="ops">' "$T/pages"
check "the debug log was written" grep -q 'debug' "$D/agent.log"
check "the platform secret is in no log line, page, metric or answer" nowhere s3cr3t-good
check "nor the SM2 private key's scalar" nowhere "$key_hex"
check "nor a line of its PEM file" bash -c "! grep -vh -- '-----' '$T/sm2.key' |
    grep -qFf - '$D/agent.log' '$T/pages' '$T/cli'"
check "the key's scalar is as long as an SM2 key's (64 hex digits)" \
    [ "${#key_hex}" -eq 64 ]
stop_agent "$D"
check "no request was refused on the way" \
    bash -c "! grep -q 'gateway refused' '$T/sim.log'"

# --- the envelope's cainfo/signtype alone -----------------------------------
run_sim --profile-opt signtype=sm2 --profile-opt "pubkey_file=$T/sm2.pub"
conf "signtype = \"sm2\"; sm2_key_file = \"$T/sm2.key\";"
check "signtype sm2 (plain profile): doctor signs in" grep -q 'signed in (9001)' <<<"$(doctor)"
conf "signtype = \"sm2\"; sm2_key_file = \"$T/other.key\";"
out=$(doctor)
check "cainfo signed by another key is refused" \
    grep -q "签名验证失败:数字签名信息\[cainfo\]不正确" "$T/sim.log"
check "doctor shows the gateway's reason" \
    grep -q "HTTP 401 from the platform: .*数字签名信息\[cainfo\]不正确" <<<"$out"
conf "signtype = \"fixed\"; signtype_value = \"RSA\"; cainfo_value = \"abc\";"
out=$(doctor)
check "signtype fixed: the values are sent (the gateway wants SM2 here)" \
    grep -q "数字签名信息\[cainfo\]为空或格式错误" "$T/sim.log"

# --- stale timestamps and replays, by hand ----------------------------------
run_sim --profile tif --profile-opt "secret_file=$T/good" \
    --profile-opt key_id=PAAS01 --profile-opt skew=60
body='{"infno":"9001","msgid":"x","input":{}}'
tif() { # TS NONCE
	local sig
	sig=$(printf '%s' "$1s3cr3t-good$2$1" | sha256sum | cut -d' ' -f1)
	curl -s -o "$T/answer" -w '%{http_code}' -H "x-tif-paasid: PAAS01" \
	    -H "x-tif-timestamp: $1" -H "x-tif-nonce: $2" \
	    -H "x-tif-signature: $sig" -H 'Content-Type: application/json' \
	    --data "$body" "http://127.0.0.1:$port/"
}
now=$(date +%s)
is "tif: a fresh signed request passes the gateway" "$(tif "$now" n0nce1)" 200
is "tif: the same nonce again is refused" "$(tif "$now" n0nce1)" 401
check "as a replay" grep -q '重复请求:\[n0nce1\]已使用过,疑似重放' "$T/answer"
is "tif: a timestamp 10 minutes old is refused" "$(tif $((now - 600)) n0nce2)" 401
check "as stale, with the difference and the allowance" \
    grep -q "与平台时间相差60[0-9]秒,超过允许的60秒" "$T/answer"
is "tif: a missing header is refused" "$(curl -s -o "$T/answer" -w '%{http_code}' \
    --data "$body" "http://127.0.0.1:$port/")" 401
check "naming the header" grep -q '请求头\[x-tif-paasid\]为空' "$T/answer"

# --- secrets on disk ---------------------------------------------------------
conf "profile = \"xca\"; key_id = \"ZJ01\"; secret_file = \"$T/good\";"
chmod 640 "$T/good"
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
is "a group-readable secret_file stops check-config" "$?" 1
check "naming the file and the chmod" grep -q "platform.secret_file: $T/good: mode 0640.*chmod 600 $T/good" <<<"$out"
chmod 600 "$T/good"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$T/good"
	out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
	is "a secret owned by another user stops check-config" "$?" 1
	check "naming the owner and the chown" grep -q "$T/good: owned by nobody.*(chown root $T/good)" <<<"$out"
	out=$("$HISGATE" run --foreground -c "$D/hisgate.conf" 2>&1)
	check "and the agent refuses to start" grep -q "owned by nobody" <<<"$out"
	chown root "$T/good"
fi
conf "profile = \"csb\"; key_id = \"AK1\"; secret_file = \"$T/good\";"
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
check "csb without csb_api_name is refused" grep -q 'needs csb_api_name' <<<"$out"
conf "profile = \"sm4sm2\"; key_id = \"short\"; secret_file = \"$T/good\"; sm2_key_file = \"$T/sm2.pub\";"
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
check "an sm4sm2 appId under 16 characters is refused" grep -q 'at least 16 characters' <<<"$out"
check "a public key as sm2_key_file is refused" grep -q 'sm2_key_file: .*sm2.pub' <<<"$out"
conf "profile = \"xca\"; auth = \"tif\"; key_id = \"ZJ01\"; secret_file = \"$T/good\";"
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
check "profile and the older auth key must agree" grep -q 'disagree' <<<"$out"

# --- TLS: verification, its override, certificate expiry, the clock --------
mkcerts
run_sim --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
URL=https://127.0.0.1:$port/
conf "ca_file = \"$T/ca.pem\"; cert_file = \"$T/cli.pem\"; key_file = \"$T/cli.key\";"
out=$(doctor)
check "https with the test CA: doctor signs in" grep -q 'signed in (9001)' <<<"$out"
check "doctor shows the clock against respond_time" \
    grep -Eq '^ok +clock +this clock is [01] s (ahead of|behind) the platform' <<<"$out" ||
    grep clock <<<"$out" | sed 's/^/#   /'
# (a certificate made for 2 days: 1 or 2 full days left, as openssl x509 -req rounds)
check "doctor warns that the client certificate expires within 30 days" \
    grep -Eq "^warn +tls +client certificate $T/cli.pem expires on .* \(in [012] days?\)" <<<"$out"
check "the dns line names the address" grep -q '^ok    dns        127.0.0.1 resolves to 127.0.0.1$' <<<"$out"
check "the tls line: handshake done, verified against the CA, the platform's certificate expires within 30 days" \
    grep -Eq "^warn  tls        127.0.0.1:$port: TLS handshake done, the platform's certificate verified against platform.ca_file $T/ca.pem; its certificate expires on 20[0-9-]+ [0-9:]+ UTC \(in [012] days?\): tell the platform operator$" <<<"$out" ||
    grep tls <<<"$out" | sed 's/^/#   /'
conf ""
out=$(doctor)
check "without the CA the platform's certificate is refused" \
    lacks 'signed in (9001)' "$out"
check "the tls line says the certificate does not verify, and the fix" \
    grep -q "^fail  tls        127.0.0.1:$port: .*certificate.*: the platform's certificate does not verify against the system's CA certificates: set platform.ca_file to the CA certificate the platform operator gives$" <<<"$out" ||
    echo "$out" | sed 's/^/#   /'
check "sign-in is not tried without a connection" \
    grep -q "^fail  platform   sign-in (9001) not tried: no connection (the tls line)$" <<<"$out"
check "the clock is not checked without an answer" \
    grep -q '^warn  clock      not checked (no answer from the platform)$' <<<"$out"
conf "ca_file = \"$T/stranger.pem\";"
out=$(doctor)
check "a CA that is not the platform's: the tls line names platform.ca_file" \
    grep -q "^fail  tls        127.0.0.1:$port: .*does not verify against platform.ca_file $T/stranger.pem: set platform.ca_file to the CA certificate the platform operator gives (or is the host in platform.url not the one in the certificate?)$" <<<"$out" ||
    echo "$out" | sed 's/^/#   /'
# an expired client certificate, at a platform that checks it: the
# sign-in fails, and doctor names the certificate from the file
openssl x509 -req -in "$T/cli.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -days -1 -out "$T/old.pem" >>"$T/openssl.log" 2>&1 ||
    bail "openssl: $(tail -3 "$T/openssl.log")"
run_sim --tls-cert "$T/srv.pem" --tls-key "$T/srv.key" --tls-client-ca "$T/ca.pem"
URL=https://127.0.0.1:$port/
conf "ca_file = \"$T/ca.pem\"; cert_file = \"$T/old.pem\"; key_file = \"$T/cli.key\";"
out=$(doctor)
check "an expired client certificate: the sign-in fails" \
    grep -q '^fail  platform   .*sign-in (9001) failed' <<<"$out" ||
    echo "$out" | sed 's/^/#   /'
check "and doctor names the certificate, its date and the fix" \
    grep -q "^fail  tls        client certificate $T/old.pem expired on 20[0-9-]* [0-9:]* UTC: the platform refuses it; ask the platform operator for a new one and set platform.cert_file and key_file to it$" <<<"$out"
# a host that does not resolve (.invalid never does, RFC 6761)
URL=https://hisgate-test.invalid/
conf "ca_file = \"$T/ca.pem\"; cert_file = \"$T/old.pem\"; key_file = \"$T/cli.key\";"
out=$(doctor)
check "an unresolvable host: the dns line fails with the fix" \
    grep -q "^fail  dns        cannot resolve hisgate-test.invalid (platform.url https://hisgate-test.invalid/): .*: check /etc/resolv.conf (or /etc/hosts) and the host in platform.url$" <<<"$out" ||
    echo "$out" | sed 's/^/#   /'
check "the sign-in is not tried" grep -q '^fail  platform   sign-in (9001) not tried: hisgate-test.invalid does not resolve (the dns line)$' <<<"$out"
check "the expired certificate is named all the same" grep -q "^fail  tls        client certificate $T/old.pem expired on " <<<"$out"
check "the clock is not checked" grep -q '^warn  clock      not checked (no answer from the platform)$' <<<"$out"
out=$(https_proxy=http://127.0.0.1:9 "$HISGATE" doctor -c "$D/hisgate.conf" 2>&1)
check "through a proxy the name is the proxy's to resolve" \
    grep -q '^ok    dns        hisgate-test.invalid not resolved here: libcurl reaches it through the proxy in https_proxy (unless no_proxy names it)$' <<<"$out" ||
    echo "$out" | sed 's/^/#   /'
check "and the tls line says the proxy does not answer" \
    grep -q '^fail  tls        hisgate-test.invalid:443: .*: nothing answers there' <<<"$out"
out=$("$HISGATE" doctor --json -c "$D/hisgate.conf" 2>&1)
is "--json: the same checks" "$(py "' '.join(c['check'] + ':' + c['result'] for c in d['checks'] if c['check'] in ('dns', 'platform', 'clock'))" <<<"$out")" \
    "dns:fail platform:fail clock:warn"
run_sim --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
URL=https://127.0.0.1:$port/
conf "verify = false;"
out=$("$HISGATE" check-config -c "$D/hisgate.conf" 2>&1)
is "verify = false alone is refused" "$?" 1
check "saying insecure = true is needed" grep -q 'platform.verify = false .*insecure = true' <<<"$out"
conf "verify = false; insecure = true;"
out=$(doctor)
check "verify = false, insecure = true: signs in" grep -q 'signed in (9001)' <<<"$out"
check "doctor warns that verification is off" \
    grep -Eq '^warn +tls +certificate verification is off' <<<"$out"
is "the log warns once, not per call" \
    "$(grep -c 'TLS verification is off' <<<"$out")" 1
unset URL

# --- files at rest -----------------------------------------------------------
mode() { stat -c %a "$1"; }
is "the simulator's ledger is 0600 (umask 022)" "$(mode "$T/ledger.db")" 600
is "its WAL too" "$(mode "$T/ledger.db-wal")" 600
is "the msgid state is 0600" "$(mode "$D/outbox.db.msgid")" 600
is "the outbox is 0600" "$(mode "$D/outbox.db")" 600
done_testing
