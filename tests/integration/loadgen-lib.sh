# Shared set-up of the tests and benchmarks that drive the daemon with
# bench/loadgen (tests/integration/loadgen.sh, garbage.sh, leak.sh, bench/run,
# bench/soak.sh); sourced after they cd to the repo root; not a test itself
# (not executable, so tests/run-suite skips it).
#   lg_reexec_netns "$@"   re-runs the calling script under `unshare -n` (only
#                          lo, brought up) unless it already runs there
#   lg_start_daemon BIN    writes $lg_tmp/conclave.ini and starts BIN with it;
#                          knobs: LG_THREADS, LG_WIDTH, LG_HEIGHT, LG_EXTRA_INI
#                          (more ini text, e.g. the rate-limit keys)
#   lg_stop_daemon         SIGTERM, waits; sets lg_daemon_rc
#   lg_cpu_ticks / lg_rss_kb   the daemon's utime+stime (clock ticks) and VmRSS
#   lg_sched_ns            its threads' run and runqueue-wait nanoseconds
#   lg_metric NAME         a value from /metrics (empty if absent)
# Globals: lg_tmp (removed on exit), lg_pid, lg_url, lg_port.
# shellcheck shell=bash

lg_pid=""
lg_port=8080
lg_url=http://127.0.0.1:$lg_port

lg_reexec_netns() {
    if [ "${CONCLAVE_LG_IN_NETNS:-}" != 1 ]; then
        [ "$(id -u)" = 0 ] || { echo "needs root for unshare -n"; return 1; }
        exec env CONCLAVE_LG_IN_NETNS=1 unshare -n -- bash "$0" "$@"
    fi
    ip link set lo up
}

lg_tmp=$(mktemp -d /tmp/conclave-lg.XXXXXX)
lg_cleanup() {
    if [ -n "$lg_pid" ]; then
        kill "$lg_pid" 2>/dev/null && wait "$lg_pid" 2>/dev/null
    fi
    rm -rf "$lg_tmp"
}
trap lg_cleanup EXIT

lg_start_daemon() {
    cat >"$lg_tmp/conclave.ini" <<EOF2
[http]
port = $lg_port
[ice]
addresses = 127.0.0.1
port_min = 40000
port_max = 40999
[mixer]
threads = ${LG_THREADS:-2}
width = ${LG_WIDTH:-1280}
height = ${LG_HEIGHT:-720}
[rooms]
max_participants = 100
max_rooms = 32
${LG_EXTRA_INI:-}
EOF2
    "$1" -c "$lg_tmp/conclave.ini" 2>"$lg_tmp/daemon.err" &
    lg_pid=$!
    local i
    for i in $(seq 100); do
        curl -s --noproxy '*' --max-time 1 -o /dev/null "$lg_url/healthz" && return 0
        kill -0 "$lg_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "daemon did not start: $(tail -5 "$lg_tmp/daemon.err")"
    return 1
}

lg_stop_daemon() {
    lg_daemon_rc=0
    if [ -n "$lg_pid" ]; then
        kill -TERM "$lg_pid" 2>/dev/null
        wait "$lg_pid"
        lg_daemon_rc=$?
        lg_pid=""
    fi
}

lg_cpu_ticks() {
    # fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends comm
    sed 's/^.*) //' "/proc/$lg_pid/stat" | awk '{print $12 + $13}'
}

# Nanoseconds the daemon's threads ran and waited for a CPU (runqueue), summed
# over its threads (/proc/PID/task/*/schedstat): "run wait".
lg_sched_ns() {
    cat /proc/"$lg_pid"/task/*/schedstat 2>/dev/null | awk '{r += $1; w += $2} END {printf "%.0f %.0f\n", r, w}'
}

lg_rss_kb() {
    awk '/^VmRSS:/ {print $2}' "/proc/$lg_pid/status"
}

lg_metric() {
    curl -s --noproxy '*' --max-time 2 "$lg_url/metrics" | awk -v n="$1" '$1 == n {print $2}'
}
