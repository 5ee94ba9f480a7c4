#!/usr/bin/env bash
# install.sh - `make install DESTDIR=<tmp> PREFIX=/usr` and what it installs:
# the file list, the paths written into the installed files, an existing
# configuration kept on a second install, the installed binary serving the
# installed www/ (as an unprivileged user without capabilities, like the
# unit's DynamicUser), the compiled-in data directory following PREFIX, and
# conclave.service: its sandboxing keys, `systemd-analyze verify`, and (with
# strace) that the daemon's system calls and socket families are within the
# unit's SystemCallFilter and RestrictAddressFamilies.
# The install builds in a copy of the tree, so the tree's own ./conclave and
# build/ are left as they were. Runs inside its own network namespace (only
# lo). Ends with "install: N passed, M failed".
# shellcheck disable=SC2016,SC2034 # checks are eval'd strings
set -u
cd "$(dirname "$0")/../.." || exit 1
src=$PWD

it_name=install
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

it_need_bin=0 # it installs and runs its own build
it_netns "$@"

it_setup conclave-install
tmp=$it_tmp
chmod 0755 "$tmp"
pid=
dpid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

tree_sum() { # what must not change in the tree: its binary and build stamp
    { sha256sum conclave build/datadir.stamp 2>/dev/null; stat -c '%n %Y' conclave 2>/dev/null; } |
        sha256sum
}
before=$(tree_sum)

# ---- the install, from a copy of the tree (objects kept: only what depends
# on PREFIX is rebuilt) ----
mkdir -p "$tmp/src"
for f in Makefile conclave.ini.example conclave.service transport media mixer signaling www man; do
    cp -a "$f" "$tmp/src/" || bad "copy $f of the tree"
done
if [ -d build/obj ]; then
    mkdir -p "$tmp/src/build"
    cp -a build/obj "$tmp/src/build/"
    [ -f build/datadir.stamp ] && cp -a build/datadir.stamp "$tmp/src/build/"
fi
root=$tmp/root
make -C "$tmp/src" -j2 install DESTDIR="$root" PREFIX=/usr >"$tmp/make.log" 2>&1
rc=$?
check "make install DESTDIR=... PREFIX=/usr succeeds" '[ "$rc" = 0 ]'
[ "$rc" = 0 ] || tail -20 "$tmp/make.log" | sed 's/^/# /'
check "the tree's ./conclave and build/datadir.stamp are untouched" '[ "$(tree_sum)" = "$before" ]'

# ---- the file list ----
(cd www && find . -type f | sed 's|^\.|usr/share/conclave/www|') >"$tmp/expect"
(cd man/examples && find . -type f | sed 's|^\.|usr/share/doc/conclave/examples|') >>"$tmp/expect"
cat >>"$tmp/expect" <<'EOF'
usr/bin/conclave
usr/share/man/man8/conclave.8
usr/share/man/man5/conclave.ini.5
usr/share/doc/conclave/conclave.ini.example
usr/lib/systemd/system/conclave.service
etc/conclave/conclave.ini
EOF
sort -o "$tmp/expect" "$tmp/expect"
(cd "$root" 2>/dev/null && find . -type f -o -type l | sed 's|^\./||' | sort) >"$tmp/got"
check "installed exactly the expected $(wc -l <"$tmp/expect") files" \
    'diff -u "$tmp/expect" "$tmp/got" >"$tmp/list.diff"'
[ -s "$tmp/list.diff" ] && sed 's/^/# /' "$tmp/list.diff" | head -20
check "the binary is executable" '[ -x "$root/usr/bin/conclave" ]'
check "www/ is installed unchanged" 'diff -r www "$root/usr/share/conclave/www" >/dev/null'
check "the man pages are readable by all" \
    '[ "$(stat -c %a "$root/usr/share/man/man8/conclave.8")" = 644 ] &&
     [ "$(stat -c %a "$root/usr/share/man/man5/conclave.ini.5")" = 644 ]'
unit=$root/usr/lib/systemd/system/conclave.service
check "the unit starts /usr/bin/conclave with /etc/conclave/conclave.ini" \
    'grep -qx "ExecStart=/usr/bin/conclave -c /etc/conclave/conclave.ini" "$unit"'
check "the installed config is conclave.ini.example with PREFIX's www" \
    'grep -qx ";www = /usr/share/conclave/www" "$root/etc/conclave/conclave.ini" &&
     sed "s|/usr/local/share/conclave|/usr/share/conclave|g" conclave.ini.example |
     cmp -s - "$root/etc/conclave/conclave.ini"'
check "the installed man pages name PREFIX's paths, none below /usr/local/" \
    'grep -q "/usr/share/conclave/www" "$root/usr/share/man/man8/conclave.8" &&
     grep -q "/usr/lib/systemd/system/conclave.service" "$root/usr/share/man/man8/conclave.8" &&
     grep -q "/usr/share/doc/conclave/conclave.ini.example" "$root/usr/share/man/man5/conclave.ini.5" &&
     ! grep -n "/usr/local/" "$root/usr/share/man/man8/conclave.8" "$root/usr/share/man/man5/conclave.ini.5"'

# ---- a second install keeps the existing configuration ----
echo "; local change 5d1e" >>"$root/etc/conclave/conclave.ini"
make -C "$tmp/src" install DESTDIR="$root" PREFIX=/usr >"$tmp/make2.log" 2>&1
rc=$?
check "a second make install succeeds and keeps the existing conclave.ini" \
    '[ "$rc" = 0 ] && grep -q "local change 5d1e" "$root/etc/conclave/conclave.ini" &&
     grep -q "keeping the existing" "$tmp/make2.log"'

# ---- the compiled-in data directory follows PREFIX ----
bin=$root/usr/bin/conclave
printf '[http]\nport = 1\n' >"$tmp/nowww.ini"
(cd / && "$bin" -c "$tmp/nowww.ini" >"$tmp/nowww.out" 2>&1)
check "without [http] www, the installed binary looks in /usr/share/conclave/www" \
    'grep -q "/usr/share/conclave/www" "$tmp/nowww.out"'

# ---- the installed binary serves the installed www/ ----
port=$((20000 + RANDOM % 20000))
cp "$root/etc/conclave/conclave.ini" "$tmp/conclave.ini"
cat >>"$tmp/conclave.ini" <<EOF

; the test's settings, after the installed (all commented) file
[http]
port = $port
www = $root/usr/share/conclave/www
[ice]
addresses = 127.0.0.1
port_min = 47000
port_max = 47099
[mixer]
threads = 1
width = 320
height = 180
EOF
chmod 0644 "$tmp/conclave.ini"
chmod -R a+rX "$root"
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
    --bounding-set=-all --no-new-privs)
have_strace=0
command -v strace >/dev/null && have_strace=1
if [ "$have_strace" = 1 ]; then
    (cd / && exec strace -f -qq -o "$tmp/trace" "${nobody[@]}" "$bin" -c "$tmp/conclave.ini") \
        >"$tmp/daemon.log" 2>&1 &
else
    (cd / && exec "${nobody[@]}" "$bin" -c "$tmp/conclave.ini") >"$tmp/daemon.log" 2>&1 &
fi
pid=$!
dpid=$pid # the daemon itself: strace's child when traced (setpriv execs it)
if [ "$have_strace" = 1 ]; then
    for _ in $(seq 100); do
        dpid=$(pgrep -P "$pid" | head -1)
        [ -n "$dpid" ] && break
        sleep 0.05
    done
fi
base=http://127.0.0.1:$port
c() { curl -s --noproxy '*' --max-time 10 "$@"; }
for _ in $(seq 200); do
    [ "$(c -o /dev/null -w '%{http_code}' "$base/healthz")" = 200 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
check "the installed binary, as nobody without capabilities, answers /healthz" \
    '[ "$(c "$base/healthz")" = ok ]'
c -o "$tmp/index.html" "$base/"
check "GET / is the installed www/index.html" \
    '[ -s "$tmp/index.html" ] && cmp -s "$tmp/index.html" "$root/usr/share/conclave/www/index.html"'

# a join and a leave, so that the trace covers ICE set-up and the mixer
it_offer '1 1 udp 2122260223 127.0.0.1 9 typ host' >"$tmp/offer.sdp"
loc=$(c -o /dev/null -D - -H 'Content-Type: application/sdp' --data-binary @"$tmp/offer.sdp" \
    "$base/rooms/inst/whip" | tr -d '\r' | sed -n 's/^Location: //Ip')
check "a WHIP join is answered with a Location" '[ -n "$loc" ]'
check "DELETE of that session -> 200" \
    '[ "$(c -o /dev/null -w "%{http_code}" -X DELETE "$base$loc")" = 200 ]'
kill -TERM "$dpid"
wait "$pid" # strace exits with its tracee's status
rc=$?
pid=
dpid=
check "SIGTERM stops it with status 0" '[ "$rc" = 0 ]'
[ "$rc" = 0 ] || sed 's/^/# /' "$tmp/daemon.log" | tail -10

# ---- the systemd unit ----
for kv in DynamicUser=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
    PrivateDevices=yes NoNewPrivileges=yes ProtectKernelTunables=yes \
    ProtectKernelModules=yes ProtectKernelLogs=yes ProtectControlGroups=yes \
    RestrictNamespaces=yes LockPersonality=yes SystemCallFilter=@system-service \
    CapabilityBoundingSet= AmbientCapabilities= Restart=on-failure \
    'ExecReload=/bin/kill -HUP $MAINPID'; do
    check "unit has $kv" 'grep -qxF -- "$kv" "$unit"'
done
families=$(sed -n 's/^RestrictAddressFamilies=//p' "$unit")
check "unit restricts socket families to AF_INET AF_INET6 AF_UNIX AF_NETLINK ($families)" \
    '[ "$(echo "$families" | tr " " "\n" | sort | tr "\n" " ")" = "AF_INET AF_INET6 AF_NETLINK AF_UNIX " ]'
check "unit has [Unit], [Service] and [Install] and only key=value lines" \
    '[ "$(grep -c "^\[\(Unit\|Service\|Install\)\]$" "$unit")" = 3 ] &&
     ! grep -vE "^(#.*|\[[A-Za-z]+\]|[A-Za-z]+=.*|)$" "$unit" | grep -q .'
if command -v systemd-analyze >/dev/null; then
    # verify checks that ExecStart exists and that man pages named by
    # Documentation= open: point both at the DESTDIR.
    sed "s|^ExecStart=/usr/bin/conclave|ExecStart=$bin|" "$unit" >"$tmp/conclave.service"
    MANPATH=$root/usr/share/man systemd-analyze verify "$tmp/conclave.service" >"$tmp/verify.out" 2>&1
    rc=$?
    check "systemd-analyze verify: no error, no warning" '[ "$rc" = 0 ] && ! [ -s "$tmp/verify.out" ]'
    sed 's/^/# /' "$tmp/verify.out" | head -10
    if [ "$have_strace" = 1 ] && [ -s "$tmp/trace" ]; then
        # expand the unit's filter: groups of systemd-analyze syscall-filter
        systemd-analyze syscall-filter >"$tmp/groups" 2>/dev/null
        expand() {
            awk -v want="$*" '
                /^@/ { g = $1; next }
                /^ +#/ { next }
                /^ +[@a-z_0-9]/ { m[g] = m[g] " " $1 }
                END {
                    n = split(want, q, " ")
                    for (i = 1; i <= n; i++) todo[q[i]] = 1
                    more = 1
                    while (more) {
                        more = 0
                        for (x in todo)
                            if (substr(x, 1, 1) == "@" && !(x in done)) {
                                done[x] = 1
                                k = split(m[x], r, " ")
                                for (j = 1; j <= k; j++)
                                    if (!(r[j] in todo)) { todo[r[j]] = 1; more = 1 }
                            }
                    }
                    for (x in todo) if (substr(x, 1, 1) != "@") print x
                }' "$tmp/groups" | sort -u
        }
        expand "$(sed -n 's/^SystemCallFilter=\([^~]\)/\1/p' "$unit")" >"$tmp/allow"
        expand "$(sed -n 's/^SystemCallFilter=~//p' "$unit")" >"$tmp/deny"
        comm -23 "$tmp/allow" "$tmp/deny" >"$tmp/allowed"
        # the daemon's calls: after setpriv's exec of it
        awk '/execve\(".*conclave"/ { on = 1 } on' "$tmp/trace" |
            grep -oE '^[0-9]+ +[a-z_0-9]+\(' | awk '{ sub(/\(/, "", $2); print $2 }' |
            sort -u >"$tmp/used"
        comm -23 "$tmp/used" "$tmp/allowed" >"$tmp/outside"
        check "the daemon's $(wc -l <"$tmp/used") system calls are all within the unit's SystemCallFilter" \
            '[ -s "$tmp/allowed" ] && [ -s "$tmp/used" ] && ! [ -s "$tmp/outside" ]'
        [ -s "$tmp/outside" ] && echo "# outside the filter: $(tr '\n' ' ' <"$tmp/outside")"
        grep -oE 'socket(pair)?\(AF_[A-Z0-9]+' "$tmp/trace" | sed 's/.*(//' | sort -u >"$tmp/fam"
        check "the daemon's socket families ($(tr '\n' ' ' <"$tmp/fam")) are all allowed by the unit" \
            '[ -s "$tmp/fam" ] && ! grep -vxF -f <(echo "$families" | tr " " "\n") "$tmp/fam" | grep -q .'
    fi
else
    echo "# systemd-analyze not installed: unit not verified by systemd"
fi
[ "$have_strace" = 1 ] || echo "# strace not installed: system calls not checked (make deps)"
it_finish
