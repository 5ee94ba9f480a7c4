#!/usr/bin/env bash
# Browser end-to-end test of a server shutdown during a call: starts
# ./conclave in a network namespace that holds only the loopback interface,
# runs tests/e2e/shutdown.mjs (headless Chromium joins a room and connects),
# sends SIGTERM to the daemon once the call is up, and checks that the daemon
# exits with status 0 within 5 s despite the live media session and event
# stream, while shutdown.mjs checks what the page shows. Needs root
# (unshare -n), ./conclave built, /usr/bin/chromium and tests/e2e/node_modules
# (make deps). Environment: CONCLAVE, E2E_PORT (default 18483), E2E_READY_S.
set -u
cd "$(dirname "$0")/../.." || exit 1
e2e_name="shutdown"
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

if ! e2e_in_netns; then
    e2e_preflight chromium
    e2e_reexec_in_netns "$@"
fi

e2e_lo_up
e2e_setup 18483
e2e_start_daemon "$(e2e_ini_room 320 180)"
e2e_wait_healthy

SHUTDOWN_DIR=$e2e_tmp node tests/e2e/shutdown.mjs "$e2e_base" &
node_pid=$!
passed=0
failed=0
ready=0
for _ in $(seq 400); do # the page joins within 20 s
    [ -f "$e2e_tmp/ready" ] && ready=1 && break
    kill -0 "$node_pid" 2>/dev/null || break
    sleep 0.05
done
if [ $ready = 1 ]; then
    t0=$(e2e_now_ms)
    kill -TERM "$e2e_pid"
    wait "$e2e_pid"
    rc=$?
    ms=$(($(e2e_now_ms) - t0))
    e2e_pid=""
    if [ "$rc" = 0 ]; then
        echo "ok - SIGTERM during a live call: exit status 0"
        passed=$((passed + 1))
    else
        echo "not ok - SIGTERM during a live call: exit status 0 (got $rc)"
        failed=$((failed + 1))
    fi
    if [ "$ms" -lt 5000 ]; then
        echo "ok - the daemon stopped within 5 s ($ms ms)"
        passed=$((passed + 1))
    else
        echo "not ok - the daemon stopped within 5 s ($ms ms)"
        failed=$((failed + 1))
    fi
    grep -q "still open" "$e2e_log" && {
        echo "not ok - no event stream left open at shutdown"
        failed=$((failed + 1))
    }
fi
wait "$node_pid"
node_rc=$?
echo "shutdown-daemon: $passed passed, $failed failed"
if [ "$node_rc" -ne 0 ] || [ "$failed" -ne 0 ] || [ $ready = 0 ]; then
    e2e_daemon_log
    exit 1
fi
exit 0
