#!/bin/bash
# lib/sign*.c against OpenSSL's command line: SM3, HMAC-SM3 (the xca
# profile), SM4-ECB both ways, SM2 signatures verified by
# `openssl pkeyutl -verify` (and OpenSSL's verified by us), the tif
# signature against sha256sum, csb's HMAC-SHA1/SHA256 + Base64, and the
# sm4sm2 envelope (data key, encData decrypted by `openssl enc`, a
# tampered envelope refused).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"
ST=$top_builddir/t/signtool
# the tool is a one-shot process that does not free before exit
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
OSSL=openssl
unhex() { "$PY" -c "import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))"; }
# openssl pkeyutl -verify, quiet: the exit status is the verdict
verify() { $OSSL pkeyutl -verify -pubin -inkey sm2.pub -rawin -digest sm3 "$@" >/dev/null; }
cd "$T" || bail "no scratch directory"

# GB/T 32905 example: SM3("abc")
printf abc >abc
is "SM3(abc) is the standard's value" "$("$ST" digest SM3 abc)" \
    66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0
head -c 1000 /dev/urandom >rnd
printf '{"infno":"2304","input":{"data":{"mdtrt_id":"甲"}}}' >body
for f in abc rnd body; do
	is "SM3 of $f = openssl dgst -sm3" "$("$ST" digest SM3 $f)" \
	    "$($OSSL dgst -sm3 -r $f | cut -d' ' -f1)"
	is "HMAC-SM3 of $f = openssl dgst -sm3 -hmac" \
	    "$("$ST" hmac SM3 's3cr3t' $f)" \
	    "$($OSSL dgst -sm3 -hmac 's3cr3t' -r $f | cut -d' ' -f1)"
done

# xca: "<ts>:" + hex(HMAC-SM3(secret, ts "\n" body))
{ printf '1764650000\n'; cat body; } >xca-msg
is "x-ca-signature = ts: + openssl's HMAC-SM3 of ts\\nbody" \
    "$("$ST" xca 's3cr3t' 1764650000 body)" \
    "1764650000:$($OSSL dgst -sm3 -hmac 's3cr3t' -r xca-msg | cut -d' ' -f1)"

# tif: sha256(ts token nonce ts)
is "x-tif-signature = sha256sum of ts+token+nonce+ts" \
    "$("$ST" tif 1764650000 tok3n abcd1234)" \
    "$(printf '1764650000tok3nabcd12341764650000' | sha256sum | cut -d' ' -f1)"

# GB/T 32907 example block, then PKCS#7 padding checked against openssl enc
K=0123456789abcdeffedcba9876543210
printf '\x01\x23\x45\x67\x89\xab\xcd\xef\xfe\xdc\xba\x98\x76\x54\x32\x10' >blk
got=$("$ST" sm4 $K enc blk)
is "SM4 of the standard's block" "${got:0:32}" 681edf34d206965e86b3e94f536e4246
for f in abc rnd body blk; do
	is "SM4-ECB/PKCS#7 of $f = openssl enc -sm4-ecb" "$("$ST" sm4 $K enc $f)" \
	    "$($OSSL enc -sm4-ecb -K $K -in $f | od -An -v -tx1 | tr -d ' \n')"
	$OSSL enc -sm4-ecb -K $K -in $f -out $f.enc
	"$ST" sm4 $K dec $f.enc | unhex >$f.dec
	check "openssl's SM4 of $f decrypts to it" cmp -s $f $f.dec
done

# SM2 with SM3 and a signer id, both directions
$OSSL genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out sm2.key 2>/dev/null
$OSSL pkey -in sm2.key -pubout -out sm2.pub
for id in 1234567812345678 hospital-H1; do
	"$ST" sm2sign sm2.key $id body body.sig
	check "our SM2 signature (id $id) verifies with openssl pkeyutl" \
	    verify -pkeyopt distid:$id -in body -sigfile body.sig
	$OSSL pkeyutl -sign -inkey sm2.key -rawin -digest sm3 \
	    -pkeyopt distid:$id -in body -out body.osig
	is "openssl's SM2 signature (id $id) verifies with ours" \
	    "$("$ST" sm2verify sm2.pub $id body body.osig)" verified
done
"$ST" sm2sign sm2.key 1234567812345678 body body.sig
check "a signature under another signer id does not verify" \
    bash -c "! '$ST' sm2verify sm2.pub other-id body body.sig 2>/dev/null"
{ cat body; printf ' '; } >body.tampered
check "a changed message does not verify" \
    bash -c "! '$ST' sm2verify sm2.pub 1234567812345678 body.tampered body.sig 2>/dev/null"

# csb: sorted k=v&k=v, HMAC, Base64
m='_api_access_key=AK&_api_name=hisgate&_api_timestamp=1764650000000&_api_version=1.0.0'
for d in sha1 sha256; do
	is "csb hmac-$d = openssl dgst -$d -hmac | base64" \
	    "$("$ST" csb hmac-$d SK _api_version=1.0.0 _api_name=hisgate \
	    _api_timestamp=1764650000000 _api_access_key=AK)" \
	    "$(printf %s "$m" | $OSSL dgst -$d -hmac SK -binary | base64 -w0)"
done

# sm4sm2: the data key, encData, signData
APPID=ABCDEFGHIJKLMNOPQ APPSEC=appS3cret
hexid=$(printf %s "${APPID:0:16}" | od -An -v -tx1 | tr -d ' \n')
want=$(printf %s "$APPSEC" | $OSSL enc -sm4-ecb -K "$hexid" | od -An -v -tx1 |
    tr -d ' \n' | tr a-f A-F)
is "sm4sm2 data key = first 16 of HEX(SM4(appId[0:16], appSecret))" \
    "$("$ST" datakey $APPID $APPSEC)" "${want:0:16}"
printf '{"b":1,"a":{"y":"乙","x":"甲"}}' >data
"$ST" wrap $APPID $APPSEC sm2.key 1234567812345678 1764650000000 data >env
dk=$(printf %s "${want:0:16}" | od -An -v -tx1 | tr -d ' \n')
"$PY" -c "import json,sys; print(json.load(open('env'))['encData'])" |
    unhex | $OSSL enc -d -sm4-ecb -K "$dk" >data.dec
check "openssl enc -d with the data key decrypts encData" cmp -s data data.dec
"$PY" -c "import json,base64; print(base64.b64decode(json.load(open('env'))['signData']).hex())" |
    unhex >env.sig
printf '%s' 'appId=ABCDEFGHIJKLMNOPQ&data={"a":{"x":"甲","y":"乙"},"b":1}&encType=SM4&signType=SM2&timestamp=1764650000000&version=1.0.0&key=appS3cret' >env.canon
check "signData is openssl-verifiable SM2 over the sorted k=v string" \
    verify -pkeyopt distid:1234567812345678 -in env.canon -sigfile env.sig
is "the envelope opens to its timestamp and payload" \
    "$("$ST" open $APPID $APPSEC sm2.pub 1234567812345678 env)" \
    "1764650000000 $(cat data)"
sed 's/"timestamp":"1764650000000"/"timestamp":"1764650000001"/' env >env.bad
out=$("$ST" open $APPID $APPSEC sm2.pub 1234567812345678 env.bad 2>&1)
check "a changed timestamp breaks signData" grep -q "signData" <<<"$out"
done_testing
