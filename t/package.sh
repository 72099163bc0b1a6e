#!/bin/bash
# The Debian packages, as a hospital's administrator gets them: built from
# the release tarball with dpkg-buildpackage, their contents and lintian
# checked; then (as root, with HG_PACKAGE_INSTALL=1: script/test sets it
# on a machine where /usr/bin/hisgate is not already there) their life at a
# hospital, debian/tests/lifecycle (apt-get install, settle, upgrade,
# remove, purge, reinstall): in a fresh debootstrapped Debian 12 root when
# debootstrap is there and HG_PACKAGE_CHROOT is not 0, else on this host.
#
#   TARBALL=path/hisgate-X.tar.gz t/package.sh
#   HG_PACKAGE_CHROOT_BASE=/work/chroot-P   copy this minbase root instead
#                                           of debootstrapping one
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
	ok "dpkg-buildpackage builds the packages from the release tarball"
else
	not_ok "dpkg-buildpackage builds the packages from the release tarball"
	tail -30 "$T/build.log" | sed 's/^/#   /'
	bail "no package"
fi
deb=$(find "$T" -maxdepth 1 -name 'hisgate_*.deb' | head -1)
simdeb=$(find "$T" -maxdepth 1 -name 'hisgate-platform-sim_*.deb' | head -1)
check "one hisgate_*.deb" [ -f "$deb" ]
check "one hisgate-platform-sim_*.deb" [ -f "$simdeb" ]
check "the package's unit tests ran during the build" \
    grep -q '^# PASS: *[1-9]' "$T/build.log"
# DEB_BUILD_OPTIONS=nocheck: the same test step runs nothing
out=$(cd "$src" && DEB_BUILD_OPTIONS=nocheck debian/rules override_dh_auto_test 2>&1)
# $out as an argument: inside the script text, its $(UNIT_TESTS) ran
check "DEB_BUILD_OPTIONS=nocheck skips the tests" \
    bash -c '! grep -q "PASS\|test_" <<<"$1"' _ "$out"

# --- contents ----------------------------------------------------------------
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
simc=$(dpkg-deb -c "$simdeb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/bin/hisgate /usr/share/man/man8/hisgate.8.gz \
    /usr/share/man/man5/hisgate.conf.5.gz /usr/share/man/man5/hisgate-audit.5.gz \
    /usr/share/man/man5/hisgate-adapters.5.gz \
    /etc/hisgate/audit.d/rules.conf \
    /lib/systemd/system/hisgate.service /etc/hisgate/hisgate.conf \
    /usr/lib/sysusers.d/hisgate.conf /usr/lib/tmpfiles.d/hisgate.conf \
    /usr/share/doc/hisgate/examples/his-export.conf.example \
    /usr/share/doc/hisgate/examples/mapping.csv.example \
    /usr/share/doc/hisgate/examples/sample-export.csv \
    /usr/share/doc/hisgate/examples/drop-dirs.conf \
    /usr/share/doc/hisgate/README.md.gz /usr/share/doc/hisgate/copyright; do
	check "hisgate holds $f" grep -qx "$f" <<<"$contents"
done
for f in /usr/bin/hisgate-platform-sim \
    /usr/share/man/man1/hisgate-platform-sim.1.gz \
    /usr/share/hisgate/sim/policy.ini /usr/share/hisgate/sim/catalogue.csv \
    /usr/share/hisgate/sim/registry.csv; do
	check "hisgate-platform-sim holds $f" grep -qx "$f" <<<"$simc"
done
check "the simulator is not in hisgate" bash -c \
    "! grep -q 'hisgate-platform-sim\|/usr/share/hisgate/sim' <<<'$contents'"
check "no .example in /etc" bash -c "! grep -q '^/etc/.*example' <<<'$contents'"
# the installed docs, read on a machine without the source tree
fsys() { dpkg-deb --fsys-tarfile "$1" | tar -xOf - "$2"; }
is "the sample export is the worked example, in GBK" \
    "$(fsys "$deb" ./usr/share/doc/hisgate/examples/sample-export.csv | iconv -f GBK -t UTF-8)" \
    "$(sed '1s/^\xef\xbb\xbf//' "$src/etc/demo/worked-example.csv")"
readme=$(fsys "$deb" ./usr/share/doc/hisgate/README.md.gz | gunzip)
for f in $(grep -o '[a-z0-9.-]*\.example' <<<"$readme" | sort -u); do
	check "README's $f is installed" \
	    grep -qx "/usr/share/doc/hisgate/examples/$f" <<<"$contents"
done
check "README says where the installed sample export is" \
    grep -q '/usr/share/doc/hisgate/examples/sample-export.csv' <<<"$readme"
simman=$(fsys "$simdeb" ./usr/share/man/man1/hisgate-platform-sim.1.gz | gunzip)
check "hisgate-platform-sim(1)'s example runs with the installed fixtures" \
    grep -q 'policy /usr/share/hisgate/sim/policy.ini' <<<"$simman"
dpkg-deb -e "$deb" "$T/control"
is "the conffiles are hisgate.conf and the audit's rule tables" \
    "$(grep -cv '^/etc/hisgate/hisgate.conf$\|^/etc/hisgate/audit.d/' "$T/control/conffiles")" 0
check "hisgate.conf is a conffile" grep -qx /etc/hisgate/hisgate.conf "$T/control/conffiles"
check "it depends on the libraries it links (shlibs)" bash -c \
    "dpkg-deb -f '$deb' Depends | grep -q libcurl4"
unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/hisgate.service)
check "the service waits for readiness (Type=notify)" grep -q '^Type=notify' <<<"$unit"
check "the service runs as the hisgate user" grep -q '^User=hisgate' <<<"$unit"
if command -v lintian >/dev/null; then
	lintian --tag-display-limit 0 "$T"/hisgate_*.changes >"$T/lintian.log" 2>&1
	grep -v 'running with root privileges' "$T/lintian.log" | sed 's/^/#   /'
	is "lintian: 0 errors" "$(grep -c '^E: ' "$T/lintian.log")" 0
	is "lintian: 0 warnings" "$(grep -c '^W: ' "$T/lintian.log")" 0
else
	ok "# SKIP lintian is not installed (script/bootstrap installs it)"
fi

# --- install, settle, upgrade, remove, purge, reinstall (root) -----------------
if [ "${HG_PACKAGE_INSTALL:-0}" != 1 ] || [ "$(id -u)" -ne 0 ]; then
	ok "# SKIP install: needs root and HG_PACKAGE_INSTALL=1 (script/test sets it where hisgate is not installed)"
	done_testing
	exit
fi
life=$src/debian/tests/lifecycle
# lifecycle's TAP lines become this test's
relay() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok [0-9]* - }" ;;
		"not ok "*) not_ok "${line#not ok [0-9]* - }" ;;
		"1.."*) ;;
		*) echo "$line" ;;
		esac
	done
}
# systemd_in_root: systemd installed in $R, booted as PID 1 of a new PID
# and mount namespace, debian/tests/systemd run inside it, then the
# namespace killed.  A host that cannot make the namespaces skips it.
systemd_in_root() {
	local sd="" up i
	if ! chroot "$R" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get -y -q install --no-install-recommends systemd systemd-sysv dbus' \
	    >"$T/systemd-deps.log" 2>&1; then
		not_ok "systemd installs in the fresh root"
		tail -10 "$T/systemd-deps.log" | sed 's/^/#   /'
		return
	fi
	# systemd mounts a tmpfs on /tmp: the packages and sources elsewhere
	mkdir -p "$R/root/hg-debs"
	cp "$deb" "$simdeb" "$R/root/hg-debs/"
	cp -a "$R/tmp/src" "$R/root/hg-src"
	if ! unshare --pid --fork --mount --propagation unchanged true 2>/dev/null; then
		ok "# SKIP the unit under systemd: this host cannot make PID and mount namespaces"
		return
	fi
	# $R a mount point of its own, made private inside the new
	# namespace: what is mounted under it there (proc, sys, dev) never
	# shows out here.  Not "--propagation private": that needs / to be a
	# mount point, which it is not when script/test itself runs in a
	# chroot.
	mount --bind "$R" "$R" || { not_ok "bind-mount $R for systemd"; return; }
	unshare --pid --fork --mount --propagation unchanged --uts sh -c "
	    mount --make-rprivate '$R' && mount -t proc proc '$R/proc' &&
	    mount --rbind /sys '$R/sys' && mount --rbind /dev '$R/dev' &&
	    exec chroot '$R' env container=other /lib/systemd/systemd --system" \
	    >"$T/boot.log" 2>&1 &
	local ns=$!
	for i in $(seq 100); do
		sd=$(pgrep -P "$ns" 2>/dev/null | head -1)
		[ -n "$sd" ] && break
		sleep 0.1
	done
	up=""
	for i in $(seq 120); do
		[ -n "$sd" ] || break
		up=$(nsenter -t "$sd" -m -p -u -r -w systemctl is-system-running 2>/dev/null)
		case $up in running|degraded) break ;; esac
		sleep 0.5
	done
	case $up in
	running|degraded)
		ok "systemd boots in the fresh root ($up)"
		relay < <(nsenter -t "$sd" -m -p -u -r -w env \
		    HG_DEB_DIR=/root/hg-debs HG_SRC=/root/hg-src \
		    bash /root/hg-src/debian/tests/systemd 2>&1)
		;;
	*)
		not_ok "systemd boots in the fresh root (${up:-no PID 1})"
		tail -10 "$T/boot.log" | sed 's/^/#   /'
		;;
	esac
	kill -9 "$ns" $sd 2>/dev/null
	wait "$ns" 2>/dev/null
	umount "$R" 2>/dev/null
}

if [ "${HG_PACKAGE_CHROOT:-1}" != 0 ] && command -v debootstrap >/dev/null; then
	R=$T/root
	start=$(date +%s)
	if [ -n "${HG_PACKAGE_CHROOT_BASE:-}" ]; then
		cp -a "$HG_PACKAGE_CHROOT_BASE" "$R" || bail "cannot copy $HG_PACKAGE_CHROOT_BASE"
	else
		debootstrap --variant=minbase bookworm "$R" \
		    "${HG_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$T/debootstrap.log" 2>&1 ||
		    { tail -5 "$T/debootstrap.log"; bail "debootstrap failed"; }
	fi
	# only /proc: debootstrap made the /dev nodes apt needs, and a bind
	# mount of the host's /dev under $T would be in reach of rm -rf
	umount_all() { umount "$R/proc" 2>/dev/null; }
	trap 'umount_all; cleanup' EXIT
	mount -t proc proc "$R/proc" || bail "cannot mount /proc in $R"
	cp /etc/resolv.conf "$R/etc/resolv.conf"
	mkdir -p "$R/tmp/debs" "$R/tmp/src"
	cp "$deb" "$simdeb" "$R/tmp/debs/"
	cp -a "$src/debian" "$src/etc" "$R/tmp/src/"
	if chroot "$R" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get -q update &&
	    DEBIAN_FRONTEND=noninteractive apt-get -y -q install --no-install-recommends sqlite3' \
	    >"$T/chroot-deps.log" 2>&1; then
		ok "a fresh Debian 12 root (debootstrap --variant=minbase) with sqlite3"
		relay < <(chroot "$R" env HG_DEB_DIR=/tmp/debs HG_SRC=/tmp/src \
		    bash /tmp/src/debian/tests/lifecycle 2>&1)
	else
		not_ok "a fresh Debian 12 root (debootstrap --variant=minbase) with sqlite3"
		tail -10 "$T/chroot-deps.log" | sed 's/^/#   /'
	fi
	# the unit under a live systemd, booted in that root in namespaces
	# of its own (its mounts vanish with it); debian/tests/systemd
	if [ "${HG_PACKAGE_SYSTEMD:-1}" != 0 ]; then
		systemd_in_root
	fi
	umount_all
	trap cleanup EXIT
	echo "# the chroot run took $(($(date +%s) - start)) s"
	grep -q " $R/" /proc/mounts || rm -rf "$R"
else
	# on this host: lifecycle leaves it as found (no hisgate user it
	# created, no package, no statoverride)
	mkdir -p "$T/debs"
	cp "$deb" "$simdeb" "$T/debs/"
	relay < <(HG_DEB_DIR=$T/debs HG_SRC=$src bash "$life" 2>&1)
	check "the host is left clean: no hisgate package, user or statoverride" \
	    bash -c "! dpkg-query -W hisgate >/dev/null 2>&1 && ! dpkg-statoverride --list | grep -q hisgate && [ ! -e /usr/bin/hisgate ]"
fi
done_testing
