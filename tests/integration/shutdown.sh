#!/usr/bin/env bash
# SIGTERM and SIGINT: every open event stream gets "event: shutdown" with a
# JSON reason and then ends, and the daemon exits with status 0 within 5 s
# although sessions and streams are open. Runs in its own network namespace
# (unshare -n, loopback only; needs root). Ends with "shutdown: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=shutdown
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh
it_netns "$@"
it_setup conclave-shutdown
tmp=$it_tmp
it_ini 8080 >"$tmp/conclave.ini"
base=http://127.0.0.1:8080
c() { curl -s --noproxy '*' --max-time 10 "$@"; }
it_offer >"$tmp/offer.sdp"
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# run SIGNAL: a daemon with two rooms, a session and an event stream in each
# and a third session without a stream, stopped by SIGNAL
run() {
    local sig=$1
    it_bg=()
    it_daemon "$tmp/conclave.ini" "$base"
    local room loc n=0
    for room in north south north; do
        loc=$(c -o /dev/null -D - -X POST -H 'Content-Type: application/sdp' \
            --data-binary @"$tmp/offer.sdp" "$base/rooms/$room/whip" | tr -d '\r' |
            sed -n 's/^Location: //Ip')
        n=$((n + 1))
        [ -n "$loc" ] || { bad "$sig: join $room"; continue; }
        [ $n = 3 ] && continue
        curl -s -N --noproxy '*' --max-time 30 "$(it_events_url "$base" "$room" "${loc##*/}")" \
            >"$tmp/sse.$sig.$n" &
        it_bg+=($!)
    done
    check "$sig: both streams open" 'it_wait_for "$tmp/sse.$sig.1" "^event: hello" &&
        it_wait_for "$tmp/sse.$sig.2" "^event: hello"'
    local t0 t1 rc
    t0=$(now_ms)
    kill "-$sig" "$it_pid"
    wait "$it_pid"
    rc=$?
    t1=$(now_ms)
    it_pid=
    mv "$tmp/err" "$tmp/err.$sig"
    check "$sig: exit status 0 (got $rc)" '[ "$rc" = 0 ]'
    check "$sig: stopped within 5 s ($((t1 - t0)) ms)" '[ $((t1 - t0)) -lt 5000 ]'
    for n in 1 2; do
        check "$sig: stream $n got the shutdown event with its reason" \
            'grep -A1 "^event: shutdown$" "$tmp/sse.$sig.$n" |
             grep -q "^data: {\"reason\":\"The server is shutting down\"}$"'
    done
    local s ended=1
    for s in "${it_bg[@]}"; do
        for _ in $(seq 40); do kill -0 "$s" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$s" 2>/dev/null && ended=0
    done
    check "$sig: the event streams are closed" '[ $ended = 1 ]'
    check "$sig: no warning about streams left open" '! grep -q "still open" "$tmp/err.$sig"'
}

run TERM
run INT
it_finish
