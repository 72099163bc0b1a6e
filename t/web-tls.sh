#!/bin/bash
# HTTPS for the web server (web.tls_cert, web.tls_key): check-config names
# each wrong file and what was expected (a half pair, a key others can
# read, a key of another certificate, an expired certificate, a file that
# is no certificate), and the real agent then serves the page over TLS
# only, with the login, the key never in its log.  Certificates are made
# here with the openssl command line.
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

D=$T/agent
mkconf "$D"
C=$T/certs
mkdir -p "$C"
# cert NAME: a self-signed EC certificate for 127.0.0.1 in C/NAME.{crt,key}
cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$C/$1.key" -out "$C/$1.crt" -days 30 \
	    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	    2>/dev/null || bail "openssl req failed"
	chmod 600 "$C/$1.key"
}
cert good
cert other
# an expired one: openssl ca takes explicit dates
(cd "$C" && touch index.txt && echo 01 >serial &&
 printf '[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\nserial=serial\nnew_certs_dir=.\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' >ca.cnf &&
 openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout old.key -out old.csr -subj /CN=127.0.0.1 2>/dev/null &&
 openssl ca -batch -config ca.cnf -selfsign -keyfile old.key -in old.csr \
    -out old.crt -startdate 20200101000000Z -enddate 20210101000000Z \
    >/dev/null 2>&1 && chmod 600 old.key) || bail "openssl ca failed"
PASS=$(openssl passwd -6 -salt s4ltS4lt 'it-pass')
printf 'it:%s\n' "$PASS" >"$T/users"
chmod 600 "$T/users"

# webconf CERT KEY: the web section, appended to a copy of the config
webconf() {
	cp "$D/hisgate.conf" "$T/w.conf"
	printf 'web: { enabled = true; listen = "127.0.0.1:0"; users_file = "%s"; %s %s };\n' \
	    "$T/users" "${1:+tls_cert = \"$1\";}" "${2:+tls_key = \"$2\";}" >>"$T/w.conf"
	out=$("$HISGATE" check-config -c "$T/w.conf" 2>&1)
}
webconf "$C/good.crt" ""
is "check-config: a certificate without its key is refused" "$?" 1
check "... naming both keys" grep -q "w.conf:[0-9]*: web.tls_cert and web.tls_key go together" <<<"$out"
chmod 644 "$C/good.key"
webconf "$C/good.crt" "$C/good.key"
is "check-config: a key others can read is refused" "$?" 1
check "... with the file and the chmod to run ($out)" grep -q "web.tls_key: .*$C/good.key.*chmod 600" <<<"$out"
chmod 600 "$C/good.key"
webconf "$C/good.crt" "$C/other.key"
is "check-config: the key of another certificate is refused" "$?" 1
check "... naming both files" grep -qF "web.tls_key $C/other.key is not the key of the certificate in web.tls_cert $C/good.crt" <<<"$out"
webconf "$C/old.crt" "$C/old.key"
is "check-config: an expired certificate is refused" "$?" 1
check "... with the day it expired" grep -qF "web.tls_cert $C/old.crt expired on 2021-01-01" <<<"$out"
webconf "$T/users" "$C/good.key"
is "check-config: a file that is no certificate is refused" "$?" 1
check "... saying what was expected" grep -qF "web.tls_cert $T/users: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)" <<<"$out"
webconf "$C/good.crt" "$C/good.key"
is "check-config: the good pair passes ($out)" "$?" 0
check "check-config never prints the key" bash -c "! grep -q 'PRIVATE' <<<\"\$1\"" _ "$out"

sed 's/listen = "127.0.0.1:0";/listen = "0.0.0.0:0";/' "$T/w.conf" >"$T/any.conf"
out=$("$HISGATE" check-config -c "$T/any.conf" 2>&1)
is "check-config: HTTPS off the loopback passes ($out)" "$?" 0
check "... without the warning about logins in clear" bash -c "! grep -q 'unencrypted' <<<\"\$1\"" _ "$out"
sed -i 's/tls_cert = "[^"]*"; tls_key = "[^"]*";//' "$T/any.conf"
out=$("$HISGATE" check-config -c "$T/any.conf" 2>&1)
check "check-config warns of HTTP off the loopback ($out)" \
    grep -q "any.conf:[0-9]*: warning: web.listen 0.0.0.0:0 without web.tls_cert: logins cross the network unencrypted" <<<"$out"

# the agent, serving HTTPS
cp "$T/w.conf" "$D/hisgate.conf"
start_agent "$D"
WPORT=$(listen_port "$D" web)
check "the log says HTTPS and until when the certificate is valid" \
    grep -q "web listening on 127.0.0.1:$WPORT (HTTPS, certificate valid until [0-9-]*; login required)" "$D/agent.log"
code=$(curl -s -o "$T/page" -w '%{http_code}' --cacert "$C/good.crt" -u it:it-pass "https://127.0.0.1:$WPORT/")
is "the page over HTTPS with the login" "$code" 200
check "... is the nurse page" grep -q '出院' "$T/page"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/good.crt" "https://127.0.0.1:$WPORT/")
is "... and without the login asks for it" "$code" 401
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/good.crt" "https://127.0.0.1:$WPORT/healthz")
is "/healthz over HTTPS" "$code" 200
check "a client that does not trust the certificate is refused" bash -c \
    "! curl -s -o /dev/null 'https://127.0.0.1:$WPORT/healthz'"
sleep 0.3
check "... and is not taken for plain HTTP in the log" bash -c "! grep -q 'plain HTTP' '$D/agent.log'"
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$WPORT/?q=ZY2024000777")
check "plain HTTP gets no page ($code)" [ "$code" != 200 ]
# libmicrohttpd cannot answer it, but the log says what happened
check "the log names plain HTTP on the HTTPS port, who sent it and what to open" \
    wait_until 5 grep -qF "notice: web: plain HTTP from 127.0.0.1 to the HTTPS port 127.0.0.1:$WPORT (web.tls_cert is set): the browser got an empty reply; open https://127.0.0.1:$WPORT/ instead of http://" "$D/agent.log"
check "... never the request's path" bash -c "! grep 'plain HTTP' '$D/agent.log' | grep -q 'ZY2024000777\|q='"
curl -s -o /dev/null -m 5 -X POST -d a=b "http://localhost:$WPORT/healthz"
sleep 0.3
is "... once: another within 10 s is not logged again" "$(grep -c 'plain HTTP' "$D/agent.log")" 1
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/good.crt" "https://127.0.0.1:$WPORT/healthz")
is "HTTPS still served after them" "$code" 200
stop_agent
check "the key never reaches the log" bash -c "! grep -q 'PRIVATE\|BEGIN' '$D/agent.log'"
done_testing
