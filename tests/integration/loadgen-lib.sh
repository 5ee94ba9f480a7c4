# Shared set-up of the tests and benchmarks that drive the daemon with
# bench/loadgen (tests/integration/loadgen.sh, garbage.sh, leak.sh, bench/run,
# bench/soak.sh); sourced after they cd to the repo root; not a test itself
# (not executable, so tests/run-suite skips it).
#   lg_reexec_netns "$@"   re-runs the calling script under `unshare -n` (only
#                          lo, brought up) unless it already runs there; then
#                          makes $lg_tmp
#   lg_start_daemon [BIN]  writes $lg_tmp/conclave.ini and starts BIN with it
#                          (default $it_bin: CONCLAVE_BIN, else ./conclave,
#                          which the sanitizer passes of tests/run-suite set);
#                          knobs: LG_THREADS, LG_WIDTH, LG_HEIGHT, LG_ICE_MIN and
#                          LG_ICE_MAX (the media ports), LG_NET_THREADS
#                          ([ice] threads; unset: the line is left out), LG_EXTRA_INI
#                          (more ini text, e.g. the rate-limit keys)
#   lg_stop_daemon         SIGTERM, waits; sets lg_daemon_rc
#   lg_cpu_ticks / lg_rss_kb   the daemon's utime+stime (clock ticks) and VmRSS
#   lg_sched_ns            its threads' run and runqueue-wait nanoseconds
#   lg_metric NAME         a /metrics family summed over its labels (empty if
#                          absent)
# Globals: lg_tmp (removed on exit), lg_pid, lg_url, lg_port.
# Built on tests/integration/lib.sh (sourced here): the tests use its
# ok/bad/check/it_finish (it_name set before sourcing).
# shellcheck shell=bash

# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
lg_pid=""
lg_port=8080
lg_url=http://127.0.0.1:$lg_port

lg_tmp=""
# the temporary directory, made in the namespace (a directory made before the
# re-exec would never be removed)
lg_setup() {
    [ -n "$lg_tmp" ] && return 0
    it_setup conclave-lg
    lg_tmp=$it_tmp
    it_err=$lg_tmp/daemon.err
}

# the daemon may be an argument of lg_start_daemon, so none is required here
lg_reexec_netns() {
    it_need_bin=0 it_netns "$@"
    lg_setup
}

# shellcheck disable=SC2120 # BIN is optional
lg_start_daemon() {
    lg_setup
    cat >"$lg_tmp/conclave.ini" <<EOF2
[http]
port = $lg_port
[ice]
addresses = 127.0.0.1
port_min = ${LG_ICE_MIN:-40000}
port_max = ${LG_ICE_MAX:-40999}
${LG_NET_THREADS:+threads = $LG_NET_THREADS}
[mixer]
threads = ${LG_THREADS:-2}
width = ${LG_WIDTH:-1280}
height = ${LG_HEIGHT:-720}
[rooms]
max_participants = 100
max_rooms = 32
${LG_EXTRA_INI:-}
EOF2
    local it_bin=${1:-$it_bin} # seen by it_start
    case $it_bin in /*) ;; *) it_bin=$PWD/$it_bin ;; esac
    it_start "$lg_tmp/conclave.ini"
    lg_pid=$it_pid
    it_wait_ready "$lg_url/healthz" --noproxy '*' && return 0
    echo "daemon did not start: $(tail -5 "$it_err")"
    return 1
}

lg_stop_daemon() {
    lg_daemon_rc=0
    if [ -n "$lg_pid" ]; then
        it_stop
        lg_daemon_rc=$it_rc
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

lg_metric() { it_metric "$lg_url" "$1"; }

# A WHIP session in room $1 to send commands with: its Location in
# lg_cmd_loc ('' when the join failed).
lg_command_session() {
    it_offer >"$lg_tmp/cmd-offer.sdp"
    lg_cmd_loc=$(curl -s --noproxy '*' --max-time 10 -D - -o /dev/null \
        -H 'Content-Type: application/sdp' --data-binary @"$lg_tmp/cmd-offer.sdp" \
        "$lg_url/rooms/$1/whip" | tr -d '\r' | sed -n 's/^Location: //Ip')
}

# POSTs the command $1 as that session's; prints "STATUS CODE" (CODE: its
# Conclave-Error header, empty when none).
lg_command() {
    curl -s --noproxy '*' --max-time 10 -o /dev/null -D "$lg_tmp/cmd-headers" -w '%{http_code}' \
        -H 'Content-Type: application/json' -H "Conclave-Session: ${lg_cmd_loc##*/}" \
        --data "$1" "$lg_url${lg_cmd_loc%/sessions/*}/command"
    printf ' %s' "$(tr -d '\r' <"$lg_tmp/cmd-headers" | sed -n 's/^Conclave-Error: *//Ip')"
}
