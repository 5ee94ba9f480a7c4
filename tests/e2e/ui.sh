#!/usr/bin/env bash
# Browser end-to-end test of conclave's own web client (www/): starts
# ./conclave in a network namespace that holds only the loopback interface
# (so neither the daemon nor the browser can reach any other host), with a
# small composite (640x360 at 30 fps), waits for /healthz, runs
# tests/e2e/ui.mjs against it with headless Chromium (Alice and Bob join one
# room through the pages: landing, pre-join, call; chat, mute, screen share,
# leave), and passes node's exit status through; prints the end of the
# daemon's log when something failed. Screenshots go to tests/e2e/artifacts/
# ui-landing.png, ui-prejoin.png and ui-call.png. Needs root (unshare -n),
# ./conclave built, /usr/bin/chromium and tests/e2e/node_modules (make deps).
# Environment: CONCLAVE (daemon binary, relative to the repo root, default
# ./conclave), E2E_PORT (HTTP port, default 18481), E2E_READY_S (seconds to
# wait for /healthz, default 10).
set -u
cd "$(dirname "$0")/../.." || exit 1

fail() {
    echo "not ok - $1"
    echo "ui: 0 passed, 1 failed"
    exit 1
}

if [ "${CONCLAVE_E2E_IN_NETNS:-}" != 1 ]; then
    daemon=${CONCLAVE:-./conclave}
    [ -x "$daemon" ] || fail "daemon $daemon is built (run make)"
    command -v node >/dev/null || fail "node is installed (make deps)"
    [ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is installed (make deps)"
    [ -d tests/e2e/node_modules/playwright-core ] || fail "playwright-core is installed (make deps)"
    command -v unshare >/dev/null || fail "unshare is installed (util-linux)"
    [ "$(id -u)" = 0 ] || fail "runs as root (unshare -n needs it)"
    exec env CONCLAVE_E2E_IN_NETNS=1 CONCLAVE="$daemon" \
        unshare -n -- bash "$PWD/tests/e2e/ui.sh" "$@"
fi

# From here on, inside the new network namespace.
ip link set lo up || fail "loopback is up in the test namespace"

port=${E2E_PORT:-18481}
base="http://127.0.0.1:$port"
tmp=$(mktemp -d /tmp/conclave-e2e.XXXXXX)
ini="$tmp/conclave.ini"
log="$tmp/conclave.log"
pid=""
# The composite size; ui.mjs checks the received picture against it.
export UI_W=640 UI_H=360

# Milliseconds since the epoch (bash 5).
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}

# Stops the daemon: SIGTERM, then SIGKILL if it is still there after 3 s.
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
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$ini" <<EOF
[http]
listen = 127.0.0.1
port = $port
www = $PWD/www

[ice]
port_min = 41000
port_max = 41100
addresses = 127.0.0.1

[mixer]
width = $UI_W
height = $UI_H
fps = 30

[rooms]
open = yes
max_participants = 8

[log]
level = info
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
        echo "ui: 0 passed, 1 failed"
        exit 1
    fi
    if [ "$(now_ms)" -ge "$deadline_ms" ]; then
        echo "not ok - daemon answered /healthz within $ready_s s"
        daemon_log
        echo "ui: 0 passed, 1 failed"
        exit 1
    fi
    sleep 0.05
done

node tests/e2e/ui.mjs "$base"
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
