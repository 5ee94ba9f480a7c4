#!/usr/bin/env bash
# SIGTERM and SIGINT: every open event stream gets "event: shutdown" with a
# JSON reason and then ends, and the daemon exits with status 0 within 5 s
# although sessions and streams are open. Runs in its own network namespace
# (unshare -n, loopback only; needs root). Ends with "shutdown: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
bad() { echo "not ok - $1"; failed=$((failed + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
finish() {
    echo "shutdown: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

if [ "${CONCLAVE_IN_NETNS:-}" != 1 ]; then
    [ -x ./conclave ] || { bad "./conclave is built"; finish; }
    [ "$(id -u)" = 0 ] || { bad "runs as root (unshare -n)"; finish; }
    exec env CONCLAVE_IN_NETNS=1 unshare -n -- bash "$0" "$@"
fi
ip link set lo up || { bad "loopback up in the namespace"; finish; }

tmp=$(mktemp -d /tmp/conclave-shutdown.XXXXXX)
pid=
streams=()
cleanup() {
    for s in "${streams[@]}"; do kill "$s" 2>/dev/null; done
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
cat >"$tmp/conclave.ini" <<EOF2
[ice]
addresses = 127.0.0.1
timeout = 60
[mixer]
threads = 1
width = 320
height = 180
EOF2
base=http://127.0.0.1:8080
c() { curl -s --noproxy '*' --max-time 10 "$@"; }
sed -n '/^offer() {/,/^}/p' tests/integration/session-timeout.sh >"$tmp/offer.fn"
# shellcheck disable=SC1091
. "$tmp/offer.fn"
# no candidate: ICE then waits (up to [ice] timeout) instead of failing in seconds
offer | grep -v "^a=candidate" >"$tmp/offer.sdp"
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
wait_for() { # FILE PATTERN (5 s)
    local deadline=$((SECONDS + 5))
    while [ $SECONDS -le $deadline ]; do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# run SIGNAL: a daemon with two rooms, a session and an event stream in each
# and a third session without a stream, stopped by SIGNAL
run() {
    local sig=$1
    streams=()
    ./conclave -c "$tmp/conclave.ini" 2>"$tmp/err.$sig" &
    pid=$!
    for _ in $(seq 100); do
        [ "$(c -o /dev/null -w '%{http_code}' "$base/healthz")" = 200 ] && break
        sleep 0.05
    done
    local room loc n=0
    for room in north south north; do
        loc=$(c -o /dev/null -D - -X POST -H 'Content-Type: application/sdp' \
            --data-binary @"$tmp/offer.sdp" "$base/rooms/$room/whip" | tr -d '\r' |
            sed -n 's/^Location: //Ip')
        n=$((n + 1))
        [ -n "$loc" ] || { bad "$sig: join $room"; continue; }
        [ $n = 3 ] && continue
        curl -s -N --noproxy '*' --max-time 30 "$base/rooms/$room/events?session=${loc##*/}" \
            >"$tmp/sse.$sig.$n" &
        streams+=($!)
    done
    check "$sig: both streams open" 'wait_for "$tmp/sse.$sig.1" "^event: hello" &&
        wait_for "$tmp/sse.$sig.2" "^event: hello"'
    local t0 t1 rc
    t0=$(now_ms)
    kill "-$sig" "$pid"
    wait "$pid"
    rc=$?
    t1=$(now_ms)
    pid=
    check "$sig: exit status 0 (got $rc)" '[ "$rc" = 0 ]'
    check "$sig: stopped within 5 s ($((t1 - t0)) ms)" '[ $((t1 - t0)) -lt 5000 ]'
    for n in 1 2; do
        check "$sig: stream $n got the shutdown event with its reason" \
            'grep -A1 "^event: shutdown$" "$tmp/sse.$sig.$n" |
             grep -q "^data: {\"reason\":\"The server is shutting down\"}$"'
    done
    local s ended=1
    for s in "${streams[@]}"; do
        for _ in $(seq 40); do kill -0 "$s" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$s" 2>/dev/null && ended=0
    done
    check "$sig: the event streams are closed" '[ $ended = 1 ]'
    check "$sig: no warning about streams left open" '! grep -q "still open" "$tmp/err.$sig"'
}

run TERM
run INT
finish
