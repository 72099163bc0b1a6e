#!/bin/bash
# The Debian package, as a hospital's administrator gets it: built from
# the release tarball with dpkg-buildpackage, its contents checked, then
# (as root, with HG_PACKAGE_INSTALL=1: script/test sets it on a machine
# where /usr/bin/hisgate is not already there) installed with dpkg, the
# daemon's user, directories and configuration checked, the agent run
# from the installed files against the installed simulator, and purged.
#
#   TARBALL=path/hisgate-X.tar.gz t/package.sh
#
# Not part of `make check`: it builds the whole package (script/test runs
# it after distcheck, with the tarball distcheck made).
. "${top_srcdir:-$(dirname "$0")/..}/t/lib.sh"

TARBALL=${TARBALL:-}
[ -f "$TARBALL" ] || bail "TARBALL=path/to/hisgate-VERSION.tar.gz is required"
command -v dpkg-buildpackage >/dev/null ||
    bail "dpkg-buildpackage is missing (script/bootstrap installs dpkg-dev and debhelper)"

# --- build -------------------------------------------------------------------
tar -C "$T" -xzf "$TARBALL"
src=$(find "$T" -mindepth 1 -maxdepth 1 -type d -name 'hisgate-*' | head -1)
[ -n "$src" ] || bail "no hisgate-* directory in $TARBALL"
if (cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1; then
	ok "dpkg-buildpackage builds the package from the release tarball"
else
	not_ok "dpkg-buildpackage builds the package from the release tarball"
	tail -30 "$T/build.log" | sed 's/^/#   /'
	bail "no package"
fi
deb=$(find "$T" -maxdepth 1 -name 'hisgate_*.deb' | head -1)
check "one hisgate_*.deb" [ -f "$deb" ]
check "the package's unit tests ran during the build" \
    grep -q '^# PASS: *[1-9]' "$T/build.log"

# --- contents ----------------------------------------------------------------
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/bin/hisgate /usr/bin/hisgate-platform-sim \
    /usr/share/man/man8/hisgate.8.gz /usr/share/man/man5/hisgate.conf.5.gz \
    /usr/share/man/man8/hisgate-platform-sim.8.gz \
    /lib/systemd/system/hisgate.service /etc/hisgate/hisgate.conf \
    /etc/hisgate/adapters.d/his-export.conf.example \
    /usr/share/hisgate/sim/policy.ini /usr/share/hisgate/sim/catalogue.csv \
    /usr/share/hisgate/sim/registry.csv; do
	check "the package holds $f" grep -qx "$f" <<<"$contents"
done
check "/etc/hisgate/hisgate.conf is a conffile" bash -c \
    "dpkg-deb -e '$deb' '$T/control' && grep -qx /etc/hisgate/hisgate.conf '$T/control/conffiles'"
check "it depends on the libraries it links (shlibs)" bash -c \
    "dpkg-deb -f '$deb' Depends | grep -q libcurl4"
unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/hisgate.service)
check "the service waits for readiness (Type=notify)" grep -q '^Type=notify' <<<"$unit"
check "the service runs as the hisgate user" grep -q '^User=hisgate' <<<"$unit"

# --- install, run, purge (root on a machine without hisgate) ----------------
if [ "${HG_PACKAGE_INSTALL:-0}" != 1 ] || [ "$(id -u)" -ne 0 ]; then
	ok "# SKIP install: needs root and HG_PACKAGE_INSTALL=1 (script/test sets it where hisgate is not installed)"
	done_testing
	exit
fi
if DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$T/install.log" 2>&1; then
	ok "dpkg -i installs it"
else
	not_ok "dpkg -i installs it"
	sed 's/^/#   /' "$T/install.log"
	# what dpkg needs: the package's dependencies (adduser and the
	# libraries bootstrap installed for the build)
	bail "not installed"
fi
purge() { DEBIAN_FRONTEND=noninteractive dpkg --purge hisgate >>"$T/install.log" 2>&1; }
check "the hisgate system user exists" bash -c "getent passwd hisgate >/dev/null"
is "/var/lib/hisgate: owner and mode" "$(stat -c '%U:%G %a' /var/lib/hisgate)" "hisgate:hisgate 750"
is "/etc/hisgate: readable by the group only" "$(stat -c '%U:%G %a' /etc/hisgate)" "root:hisgate 750"
is "hisgate(8) is installed where man finds it" \
    "$(ls /usr/share/man/man8/hisgate.8.gz 2>/dev/null)" /usr/share/man/man8/hisgate.8.gz
out=$(runuser -u hisgate -- /usr/bin/hisgate check-config 2>&1)
is "the shipped /etc/hisgate/hisgate.conf passes check-config as the hisgate user" "$?" 0
[ -n "$out" ] && echo "$out" | sed 's/^/#   /'

# The installed agent and simulator, run by hand as systemd would (no
# systemd here): the simulator's shipped fixtures, a drop directory, one
# GBK export, settled.
D=$T/inst
mkdir -p "$D/in" "$D/adapters.d"
cat >"$D/hisgate.conf" <<EOC
agent: { fixmedins_code = "H32010000001"; fixmedins_name = "示例市第一人民医院";
  admdvs = "320100"; outbox = "$D/outbox.db"; adapters_dir = "$D/adapters.d";
  mapping_file = "$D/mapping.csv"; };
settle: { backoff_base_ms = 100; backoff_cap_ms = 500; };
EOC
printf 'type = "csvdrop";\ndir = "%s/in";\nstable_seconds = 0;\n' "$D" >"$D/adapters.d/his.conf"
/usr/bin/hisgate-platform-sim --listen 127.0.0.1:0 \
    --policy /usr/share/hisgate/sim/policy.ini \
    --catalogue /usr/share/hisgate/sim/catalogue.csv \
    --ledger "$D/ledger.db" >"$D/sim.log" 2>&1 &
bg_pids="$bg_pids $!"
wait_until 20 grep -qs 'listening on 127.0.0.1:' "$D/sim.log" ||
    { purge; bail "the installed simulator did not start: $(cat "$D/sim.log")"; }
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$D/sim.log")
printf 'platform: { url = "http://127.0.0.1:%s/"; };\n' "$port" >>"$D/hisgate.conf"
/usr/bin/hisgate run --foreground -c "$D/hisgate.conf" >"$D/agent.log" 2>&1 &
apid=$!
bg_pids="$bg_pids $apid"
iconv -f UTF-8 -t GB18030 "$DATA/sample-6a.csv" >"$D/.bills.csv" && mv "$D/.bills.csv" "$D/in/bills.csv"
check "the installed agent settles a GBK export against the installed simulator" \
    wait_until 60 bash -c "[ \"\$(sqlite3 '$D/outbox.db' 'SELECT state FROM bills' 2>/dev/null)\" = settled ]"
kill -TERM "$apid"
wait "$apid"
is "the installed agent exits 0 on SIGTERM" "$?" 0

purge
is "dpkg --purge removes it" "$(dpkg-query -W -f='${Status}' hisgate 2>/dev/null)" ""
check "and its configuration" [ ! -e /etc/hisgate/hisgate.conf ]
done_testing
