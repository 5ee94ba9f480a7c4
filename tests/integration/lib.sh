# Shared set-up of the integration tests (most of tests/integration/*.sh and,
# through loadgen-lib.sh, the loadgen ones); sourced after they cd to the
# repo root. Not executable, so tests/run-suite does not run it.
#   it_name=<suite>; . tests/integration/lib.sh; it_netns "$@"  (re-runs the
#   script under `unshare -n` with only lo up; does not return outside;
#   it_need_bin=0 before it for a suite that needs no built daemon)
#   it_setup <tmp-prefix>; it_start <ini> [cwd]; it_wait_ready <url> [curl args]
#   (or it_daemon <ini> <base-url> for both); it_bg+=($!) for other
#   background processes to kill on exit; ... ok/bad/check ...;
#   it_stop; it_finish
# Helpers: it_ini (a small daemon's ini), it_offer (a WHIP offer without
# candidate), it_metric <base-url>
# <name> (a /metrics family summed over its labels), it_events_url <base-url>
# <room> <session-id> (a new event stream's URL), it_wait_for <file>
# <pattern> [s], it_ended <pid> [s], it_until <shell-condition> [s].
# it_err: the daemon's stderr file, if not $it_tmp/err.
# Environment: CONCLAVE_BIN (daemon binary, default ./conclave; relative to
# the repo root), IT_READY_S (seconds to wait for /healthz, default 20),
# CONCLAVE_IT_RAN (a directory: it_start, and it_ran for a daemon started
# otherwise, add the real path of each daemon binary they start to
# CONCLAVE_IT_RAN/daemons; tests/run-suite checks there that a sanitizer pass
# really ran the sanitized daemon).
# shellcheck shell=bash

it_name=${it_name:-integration}
it_bin=${CONCLAVE_BIN:-./conclave}
case $it_bin in /*) ;; *) it_bin=$PWD/$it_bin ;; esac
it_pid=
it_rc=
it_bg=() # other background processes (event streams...), killed on exit
passed=0
failed=0

ok() {
    passed=$((passed + 1))
    echo "ok - $1"
}
bad() {
    failed=$((failed + 1))
    echo "not ok - $1"
}
check() { # name shell-condition
    if eval "$2"; then ok "$1"; else bad "$1"; fi
}

it_finish() {
    local err=${it_err:-${it_tmp:-/nonexistent}/err}
    if [ "$failed" -ne 0 ] && [ -f "$err" ]; then
        echo "# --- daemon stderr (last 30 lines) ---"
        tail -n 30 "$err" | sed 's/^/# /'
    fi
    echo "$it_name: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

it_netns() {
    if [ "${CONCLAVE_IT_NETNS:-}" != 1 ]; then
        if [ "${it_need_bin:-1}" = 1 ] && [ ! -x "$it_bin" ]; then
            bad "daemon $it_bin is built (run make)"
            it_finish
        fi
        if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
            bad "runs as root with unshare (util-linux) for its own network namespace"
            it_finish
        fi
        # $0 may be relative to the directory the script was started from
        local self=$0
        [ -f "$self" ] || self=$PWD/tests/integration/${0##*/}
        exec env CONCLAVE_IT_NETNS=1 CONCLAVE_BIN="$it_bin" unshare -n -- bash "$self" "$@"
    fi
    ip link set lo up || {
        bad "loopback is up in the test namespace"
        it_finish
    }
}

# shellcheck disable=SC2317 # called by the EXIT trap
it_cleanup() {
    local p
    for p in "${it_bg[@]}"; do kill "$p" 2>/dev/null; done
    it_stop
    rm -rf "$it_tmp"
}

it_setup() {
    it_tmp=$(mktemp -d "/tmp/${1:-conclave-it}.XXXXXX")
    trap it_cleanup EXIT
    trap 'exit 130' INT TERM
}

# it_ran <binary>: notes in $CONCLAVE_IT_RAN/daemons (if set) that the suite
# starts that daemon binary (its real path).
it_ran() {
    [ -n "${CONCLAVE_IT_RAN:-}" ] || return 0
    readlink -f -- "$1" >>"$CONCLAVE_IT_RAN/daemons"
}

# it_start <ini> [cwd]: the daemon ($it_bin) in the background, its output
# in $it_tmp/out and $it_err (default $it_tmp/err); it_pid.
it_start() {
    local ini=$1 cwd=${2:-$PWD} err=${it_err:-$it_tmp/err}
    : >"$it_tmp/out"
    : >"$err"
    it_ran "$it_bin"
    (cd "$cwd" && exec "$it_bin" -c "$ini" >"$it_tmp/out" 2>"$err") &
    it_pid=$!
    echo "# started $it_bin (pid $it_pid)"
}

# it_wait_ready <url> [curl args]: 0 once GET url says 200; 1 if the daemon
# died or IT_READY_S seconds passed.
it_wait_ready() {
    local url=$1 deadline=$((SECONDS + ${IT_READY_S:-20}))
    shift
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$it_pid" 2>/dev/null || return 1
        [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$@" "$url")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}

# it_daemon <ini> <base-url> [cwd]: it_start, then it_wait_ready on
# <base-url>/healthz; a daemon that never answers is one failed check.
it_daemon() {
    it_start "$1" "${3:-$PWD}"
    it_wait_ready "$2/healthz" --noproxy '*' ||
        bad "daemon answers $2/healthz: $(tail -3 "${it_err:-$it_tmp/err}")"
}

# SIGTERM, then SIGKILL after 15 s; the exit status in it_rc.
it_stop() {
    [ -n "$it_pid" ] || return 0
    kill -TERM "$it_pid" 2>/dev/null
    local deadline=$((SECONDS + 15))
    while kill -0 "$it_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
        sleep 0.05
    done
    kill -KILL "$it_pid" 2>/dev/null
    wait "$it_pid" 2>/dev/null
    it_rc=$?
    it_pid=
}

# A WHIP offer that never connects: no ICE candidate, so the session waits
# for checks that never come and lives until [ice] check_timeout (an unreachable
# candidate would make ICE fail after a few seconds, sooner than a slow
# sanitizer run needs). it_offer <candidate> puts that a=candidate line in
# the audio section (session-timeout.sh: a port nobody answers on).
it_offer() {
    local fp='a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:D6:BC'
    printf '%s\r\n' 'v=0' 'o=- 1 2 IN IP4 127.0.0.1' 's=-' 't=0 0' 'a=group:BUNDLE 0 1' \
        'm=audio 9 UDP/TLS/RTP/SAVPF 111' 'c=IN IP4 127.0.0.1' 'a=mid:0' 'a=sendrecv' \
        'a=rtcp-mux' 'a=ice-ufrag:abcd' 'a=ice-pwd:abcdefghijklmnopqrstuvwx' "$fp" \
        'a=setup:actpass' 'a=rtpmap:111 opus/48000/2' ${1:+"a=candidate:$1"} \
        'm=video 9 UDP/TLS/RTP/SAVPF 96' 'c=IN IP4 127.0.0.1' 'a=mid:1' 'a=sendrecv' \
        'a=rtcp-mux' 'a=ice-ufrag:abcd' 'a=ice-pwd:abcdefghijklmnopqrstuvwx' "$fp" \
        'a=setup:actpass' 'a=rtpmap:96 VP8/90000'
}

# it_ini <port> [ice-timeout, default 60] [ice-port-min ice-port-max]: the
# ini of a small daemon on stdout (ICE on 127.0.0.1, one mixer thread at
# 320x180; an offer that never connects lives the whole ice-timeout, as
# check_timeout is the same); append more sections after it (a section may
# come again).
it_ini() {
    printf '[http]\nport = %s\n[ice]\naddresses = 127.0.0.1\ntimeout = %s\ncheck_timeout = %s\n' \
        "$1" "${2:-60}" "${2:-60}"
    [ -n "${3:-}" ] && printf 'port_min = %s\nport_max = %s\n' "$3" "$4"
    printf '[mixer]\nthreads = 1\nwidth = 320\nheight = 180\n'
}

# it_cert <dir> [name]: a self-signed EC certificate for localhost and
# 127.0.0.1 in <dir>/<name>.crt and <dir>/<name>.key.
it_cert() {
    local n=${2:-server}
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:10.99.0.1' \
        -keyout "$1/$n.key" -out "$1/$n.crt" 2>/dev/null
}

# it_metric <base-url> <name>: the value of that /metrics family, summed over
# its labels (conclave_participants has one series per role); empty if absent.
it_metric() { # base-url name [curl args, e.g. the metrics token's Authorization header]
    local base=$1 name=$2
    shift 2
    curl -s --noproxy '*' --max-time 10 "$@" "$base/metrics" |
        awk -v m="$name" '$1 == m || index($1, m "{") == 1 { s += $2; n = 1 } END { if (n) print s }'
}

# it_events_url <base-url> <room> <session-id> [curl args]: the URL of a new
# event stream of that session, with a stream token minted by POST
# /rooms/<room>/events with the session in a Conclave-Session header (the
# session id never goes in a URL); empty when the server refuses.
it_events_url() {
    local base=$1 room=$2 sid=$3 tok
    shift 3
    tok=$(curl -s --noproxy '*' --max-time 10 "$@" -X POST -H "Conclave-Session: $sid" \
        "$base/rooms/$room/events" | sed -n 's/^{"token":"\([0-9a-f]*\)".*/\1/p')
    [ -n "$tok" ] && echo "$base/rooms/$room/events?token=$tok"
}

# it_session_events <base-url> <location> [curl args]: it_events_url for the
# session a join's Location (/rooms/<room>/sessions/<id>) names.
it_session_events() {
    local base=$1 loc=$2 room
    shift 2
    room=${loc%/sessions/*}
    it_events_url "$base" "${room#/rooms/}" "${loc##*/}" "$@"
}

# it_until <shell-condition> [seconds, default 5]: 0 once it holds.
it_until() {
    local deadline=$((SECONDS + ${2:-5}))
    while [ $SECONDS -le $deadline ]; do
        eval "$1" && return 0
        sleep 0.05
    done
    return 1
}

# it_wait_for <file> <pattern> [seconds, default 5]: 0 once grep finds it.
it_wait_for() {
    it_until "grep -qs -- $(printf '%q' "$2") $(printf '%q' "$1")" "${3:-5}"
}

# it_ended <pid> [seconds, default 5]: 0 once that process has ended.
it_ended() {
    it_until "! kill -0 $(printf '%q' "$1") 2>/dev/null" "${2:-5}"
}
