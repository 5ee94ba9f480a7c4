#!/usr/bin/env bash
# Browser end-to-end test of a conclave room shared by Firefox and Chromium:
# starts ./conclave in a network namespace of its own, runs
# tests/e2e/firefox.mjs against it (one participant in headless Firefox ESR
# driven by puppeteer-core over WebDriver BiDi, one in headless Chromium
# driven by playwright-core) and passes node's exit status through; prints
# the end of the daemon's log when something failed.
#
# Firefox gathers no ICE candidate on the loopback interface, so the
# namespace also holds a veth pair: veth0 has 198.18.0.1/24 (RFC 2544's
# benchmarking range) and the default route points at 198.18.0.2, which no
# one holds. Nothing leaves the namespace: its only other end, veth1, is in
# the same namespace and has no address. The daemon offers host candidates
# on 127.0.0.1 and 198.18.0.1 ([ice] addresses).
#
# Needs root (unshare -n, ip link add), ./conclave built, /usr/bin/firefox-esr,
# /usr/bin/chromium and tests/e2e/node_modules (make deps).
# Environment: CONCLAVE (daemon binary, relative to the repo root, default
# ./conclave), E2E_PORT (HTTP port, default 18480), E2E_READY_S (seconds to
# wait for /healthz, default 10), E2E_LOG_LEVEL (the daemon's [log] level,
# default info; debug shows ICE, DTLS and SDP details).
set -u
cd "$(dirname "$0")/../.." || exit 1

fail() {
    echo "not ok - $1"
    echo "firefox: 0 passed, 1 failed"
    exit 1
}

if [ "${CONCLAVE_E2E_IN_NETNS:-}" != 1 ]; then
    daemon=${CONCLAVE:-./conclave}
    [ -x "$daemon" ] || fail "daemon $daemon is built (run make)"
    command -v node >/dev/null || fail "node is installed (make deps)"
    [ -x /usr/bin/firefox-esr ] || fail "/usr/bin/firefox-esr is installed (make deps)"
    [ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is installed (make deps)"
    [ -d tests/e2e/node_modules/puppeteer-core ] || fail "puppeteer-core is installed (make deps)"
    [ -d tests/e2e/node_modules/playwright-core ] || fail "playwright-core is installed (make deps)"
    command -v unshare >/dev/null || fail "unshare is installed (util-linux)"
    command -v ip >/dev/null || fail "ip is installed (iproute2)"
    [ "$(id -u)" = 0 ] || fail "runs as root (unshare -n needs it)"
    exec env CONCLAVE_E2E_IN_NETNS=1 CONCLAVE="$daemon" \
        unshare -n -- bash "$PWD/tests/e2e/firefox.sh" "$@"
fi

# From here on, inside the new network namespace.
ip link set lo up || fail "loopback is up in the test namespace"
veth_addr=198.18.0.1
{
    ip link add veth0 type veth peer name veth1 &&
        ip addr add "$veth_addr/24" dev veth0 &&
        ip link set veth0 up &&
        ip link set veth1 up &&
        ip route add default via 198.18.0.2
} || fail "veth0 ($veth_addr/24) and a default route via 198.18.0.2 in the test namespace"

port=${E2E_PORT:-18480}
base="http://127.0.0.1:$port"
tmp=$(mktemp -d /tmp/conclave-e2e.XXXXXX)
ini="$tmp/conclave.ini"
log="$tmp/conclave.log"
pid=""
# The composite size and the second host address; firefox.mjs checks them.
export ROOM_W=640 ROOM_H=360 E2E_VETH_ADDR=$veth_addr

# Milliseconds since the epoch (bash 5).
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}

# Stops the daemon: SIGTERM, then SIGKILL if it is still there after 3 s.
# Then ends whatever else still runs in this namespace (a browser left
# behind by a node that was killed): the namespace is this script's own, so
# every process in it was started by this test.
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null
        local until_ms=$(($(now_ms) + 3000))
        while kill -0 "$pid" 2>/dev/null && [ "$(now_ms)" -lt "$until_ms" ]; do
            sleep 0.05
        done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    # -ef compares the namespaces' inodes without starting a process.
    local p
    for p in /proc/[0-9]*; do
        if [ "${p#/proc/}" != $$ ] && [[ $p/ns/net -ef /proc/$$/ns/net ]]; then
            kill -9 "${p#/proc/}" 2>/dev/null &&
                echo "# killed process ${p#/proc/}, left in the test namespace"
        fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

cat >"$ini" <<EOF
[http]
listen = 127.0.0.1
port = $port
www = $PWD/www

[ice]
port_min = 41000
port_max = 41100
addresses = 127.0.0.1,$veth_addr

[mixer]
width = $ROOM_W
height = $ROOM_H
fps = 30

[rooms]
open = yes
max_participants = 8

[log]
level = ${E2E_LOG_LEVEL:-info}
EOF

daemon_log() {
    echo "# --- daemon log (last 60 lines) ---"
    tail -n 60 "$log" | sed 's/^/# /'
}

"$CONCLAVE" -c "$ini" >"$log" 2>&1 &
pid=$!

# Poll /healthz until it answers, the daemon dies, or the deadline passes.
ready_s=${E2E_READY_S:-10}
deadline_ms=$(($(now_ms) + ready_s * 1000))
until curl -fsS -o /dev/null --max-time 1 "$base/healthz" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        echo "not ok - daemon started (it exited with status $?)"
        daemon_log
        echo "firefox: 0 passed, 1 failed"
        exit 1
    fi
    if [ "$(now_ms)" -ge "$deadline_ms" ]; then
        echo "not ok - daemon answered /healthz within $ready_s s"
        daemon_log
        echo "firefox: 0 passed, 1 failed"
        exit 1
    fi
    sleep 0.05
done

# The browsers' profiles go to $tmp, which cleanup removes.
TMPDIR=$tmp node tests/e2e/firefox.mjs "$base"
rc=$?
if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    echo "# the daemon exited during the test (status $?)"
    rc=1
fi
if [ "$rc" -ne 0 ]; then
    daemon_log
fi
exit "$rc"
