# Shared set-up of the browser end-to-end tests (tests/e2e/*.sh), sourced by
# them after they cd to the repo root; not a test itself (not executable, so
# tests/run-suite does not run it). A test sets e2e_name (the name in its
# "<name>: N passed, M failed" line), sources this file, and then:
#   outside the namespace: e2e_preflight <browsers>, e2e_reexec_in_netns "$@"
#     (re-runs the script under `unshare -n` with CONCLAVE_E2E_IN_NETNS=1);
#   inside it: e2e_lo_up, e2e_setup <default-port> [<tmp-prefix>] (port, temp
#     dir, EXIT trap), e2e_start_daemon "<ini sections>", e2e_wait_healthy,
#     the test itself, then e2e_finish <status>.
# Globals it sets: e2e_daemon, e2e_port, e2e_base, e2e_tmp, e2e_ini, e2e_log,
# e2e_pid. Knobs a test may set before e2e_start_daemon: e2e_ice_min,
# e2e_ice_max, e2e_ice_addrs, e2e_log_level; before a failure: e2e_log_lines.
# Environment: CONCLAVE (daemon binary, default ./conclave), E2E_PORT (HTTP
# port), E2E_READY_S (seconds to wait for /healthz, default 10).
# shellcheck shell=bash

e2e_name=${e2e_name:-e2e}
e2e_script=$(basename "$0")
e2e_pid=""
e2e_ice_min=41000
e2e_ice_max=41100
e2e_ice_addrs=127.0.0.1
e2e_log_level=${E2E_LOG_LEVEL:-info}
e2e_log_lines=60

# Prints a failed check and the suite's summary line, and exits 1.
e2e_fail() {
    echo "not ok - $1"
    echo "$e2e_name: 0 passed, 1 failed"
    exit 1
}

# Milliseconds since the epoch (bash 5).
e2e_now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}

# True once the script runs inside its own network namespace.
e2e_in_netns() {
    [ "${CONCLAVE_E2E_IN_NETNS:-}" = 1 ]
}

# Checks what the test needs outside the namespace; $@ are the browsers it
# drives: "chromium", or "firefox chromium" (then also puppeteer-core and ip).
e2e_preflight() {
    local ff=""
    [[ " $* " == *" firefox "* ]] && ff=firefox
    e2e_daemon=${CONCLAVE:-./conclave}
    [ -x "$e2e_daemon" ] || e2e_fail "daemon $e2e_daemon is built (run make)"
    command -v node >/dev/null || e2e_fail "node is installed (make deps)"
    if [ "$ff" = firefox ]; then
        [ -x /usr/bin/firefox-esr ] || e2e_fail "/usr/bin/firefox-esr is installed (make deps)"
    fi
    [ -x /usr/bin/chromium ] || e2e_fail "/usr/bin/chromium is installed (make deps)"
    if [ "$ff" = firefox ]; then
        [ -d tests/e2e/node_modules/puppeteer-core ] || e2e_fail "puppeteer-core is installed (make deps)"
    fi
    [ -d tests/e2e/node_modules/playwright-core ] || e2e_fail "playwright-core is installed (make deps)"
    command -v unshare >/dev/null || e2e_fail "unshare is installed (util-linux)"
    if [ "$ff" = firefox ]; then
        command -v ip >/dev/null || e2e_fail "ip is installed (iproute2)"
    fi
    [ "$(id -u)" = 0 ] || e2e_fail "runs as root (unshare -n needs it)"
}

# Re-runs the calling script in a new network namespace (exported variables
# go along); does not return.
e2e_reexec_in_netns() {
    exec env CONCLAVE_E2E_IN_NETNS=1 CONCLAVE="$e2e_daemon" \
        unshare -n -- bash "$PWD/tests/e2e/$e2e_script" "$@"
}

# Inside the namespace: brings up the loopback interface.
e2e_lo_up() {
    ip link set lo up || e2e_fail "loopback is up in the test namespace"
}

# Port, base URL, temp dir (removed on exit) and the EXIT/INT/TERM traps.
e2e_setup() {
    e2e_port=${E2E_PORT:-$1}
    e2e_base="http://127.0.0.1:$e2e_port"
    e2e_tmp=$(mktemp -d "/tmp/${2:-conclave-e2e}.XXXXXX")
    e2e_ini="$e2e_tmp/conclave.ini"
    e2e_log="$e2e_tmp/conclave.log"
    trap e2e_cleanup EXIT
    trap 'exit 130' INT TERM
}

# Stops process $1 (its process group when $2 is 1): SIGTERM, then SIGKILL if
# it is still there after 3 s.
e2e_stop() {
    local target=$1
    [ "${2:-0}" = 1 ] && target=-$1
    kill -TERM -- "$target" 2>/dev/null || return 0
    local until_ms=$(($(e2e_now_ms) + 3000))
    while kill -0 -- "$target" 2>/dev/null && [ "$(e2e_now_ms)" -lt "$until_ms" ]; do
        sleep 0.05
    done
    kill -KILL -- "$target" 2>/dev/null
    wait "$1" 2>/dev/null
}

# shellcheck disable=SC2317 # called by the EXIT trap
e2e_stop_daemon() {
    if [ -n "$e2e_pid" ]; then
        e2e_stop "$e2e_pid" 0
    fi
}

# The default EXIT trap: stops the daemon, removes the temp dir.
# shellcheck disable=SC2317 # called by the EXIT trap
e2e_cleanup() {
    e2e_stop_daemon
    rm -rf "$e2e_tmp"
}

# The end of the daemon's log (e2e_log_lines lines), as comments.
e2e_daemon_log() {
    echo "# --- daemon log (last $e2e_log_lines lines) ---"
    tail -n "$e2e_log_lines" "$e2e_log" | sed 's/^/# /'
}

# Writes the ini ([http], [ice], then $1, which may be empty, then [log]) and
# starts the daemon in the background.
e2e_start_daemon() {
    {
        cat <<EOF
[http]
listen = 127.0.0.1
port = $e2e_port
www = $PWD/www

[ice]
port_min = $e2e_ice_min
port_max = $e2e_ice_max
addresses = $e2e_ice_addrs

EOF
        [ -n "${1:-}" ] && printf '%s\n\n' "$1"
        cat <<EOF
[log]
level = $e2e_log_level
EOF
    } >"$e2e_ini"
    "$CONCLAVE" -c "$e2e_ini" >"$e2e_log" 2>&1 &
    e2e_pid=$!
    # for a sanitizer pass of tests/run-suite: which daemon ran
    [ -z "${CONCLAVE_IT_RAN:-}" ] || readlink -f -- "$CONCLAVE" >>"$CONCLAVE_IT_RAN/daemons"
}

# The [mixer] (composite $1 x $2 at 30 fps) and [rooms] sections of a room test.
e2e_ini_room() {
    cat <<EOF
[mixer]
width = $1
height = $2
fps = 30

[rooms]
open = yes
max_participants = 8
EOF
}

# Polls /healthz until it answers; fails when the daemon dies first or the
# deadline (E2E_READY_S, default 10 s) passes.
e2e_wait_healthy() {
    local ready_s=${E2E_READY_S:-10}
    local deadline_ms=$(($(e2e_now_ms) + ready_s * 1000))
    until curl -fsS -o /dev/null --max-time 1 "$e2e_base/healthz" 2>/dev/null; do
        if ! kill -0 "$e2e_pid" 2>/dev/null; then
            wait "$e2e_pid"
            echo "not ok - daemon started (it exited with status $?)"
            e2e_daemon_log
            echo "$e2e_name: 0 passed, 1 failed"
            exit 1
        fi
        if [ "$(e2e_now_ms)" -ge "$deadline_ms" ]; then
            echo "not ok - daemon answered /healthz within $ready_s s"
            e2e_daemon_log
            echo "$e2e_name: 0 passed, 1 failed"
            exit 1
        fi
        sleep 0.05
    done
}

# Exits with the test's status $1, made 1 when the daemon died during the
# test; prints the end of the daemon's log when the status is not 0.
e2e_finish() {
    local rc=$1
    if ! kill -0 "$e2e_pid" 2>/dev/null; then
        wait "$e2e_pid"
        echo "# the daemon exited during the test (status $?)"
        rc=1
    fi
    if [ "$rc" -ne 0 ]; then
        e2e_daemon_log
    fi
    exit "$rc"
}
