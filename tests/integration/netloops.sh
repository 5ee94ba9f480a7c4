#!/usr/bin/env bash
# netloops.sh - the sessions shared out over several network threads ([ice]
# threads = 3): two rooms of loadgen participants at once (6 and 5, 2 of
# each decoding the composite) for ~8 s in a network namespace of their own.
# Passes if every participant of both rooms connected and got its media
# (loadgen's validity checks), the daemon runs the threads cv-net-0..2 and
# each of them did work (every thread got sessions), no network thread beyond
# them, and the wake-up counter shows the output of a batch shares one
# wake-up (conclave_loop_wakeups_total <= conclave_loop_posts_total, both
# moving), and they waited through their poll function (conclave_loop_polls_total
# moving). Ends with "netloops: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=netloops
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
[ -x build/bench/loadgen ] || { bad "build/bench/loadgen is built (make check builds it)"; it_finish; }
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }

LG_NET_THREADS=3 LG_THREADS=2 LG_WIDTH=640 LG_HEIGHT=360 lg_start_daemon ||
    { bad "daemon starts"; it_finish; }
ok "daemon starts with [ice] threads = 3"

# utime+stime (clock ticks) of the daemon's thread named $1, or nothing
thread_ticks() {
    local t
    for t in /proc/"$lg_pid"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = "$1" ] || continue
        awk '{ print $14 + $15 }' "$t/stat"
        return
    done
}
ticks0=()
for i in 0 1 2; do
    check "thread cv-net-$i runs" '[ -n "$(thread_ticks cv-net-$i)" ]'
    ticks0[i]=$(thread_ticks cv-net-$i)
done
check "no thread cv-net-3" '[ -z "$(thread_ticks cv-net-3)" ]'
p0=$(lg_metric conclave_loop_posts_total)
l0=$(lg_metric conclave_loop_polls_total)
w0=$(lg_metric conclave_loop_wakeups_total)

build/bench/loadgen --url "$lg_url" --room north --participants 6 --speakers 2 --decoders 2 \
    --warmup 3 --seconds 6 >"$lg_tmp/out.a" 2>"$lg_tmp/err.a" &
pa=$!
build/bench/loadgen --url "$lg_url" --room south --participants 5 --speakers 1 --decoders 2 \
    --warmup 3 --seconds 6 >"$lg_tmp/out.b" 2>"$lg_tmp/err.b" &
pb=$!
wait "$pa"
ra=$?
wait "$pb"
rb=$?
val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
for r in a b; do
    line=$(grep '^loadgen: participants=' "$lg_tmp/out.$r")
    rc=$ra
    n=6
    [ "$r" = b ] && rc=$rb n=5
    check "room $r: loadgen's validity checks pass (exit $rc): $(tail -3 "$lg_tmp/err.$r" | tr '\n' ' ')" \
        '[ "$rc" -eq 0 ] && [ "$(val valid)" = yes ]'
    check "room $r: $n participants measured" '[ "$(val participants)" = $n ]'
    check "room $r: every receiver saw at least 5 fps (min $(val fps_min))" \
        'awk "BEGIN{exit !($(val fps_min) >= 5)}"'
    check "room $r: composites were decoded, no error ($(val decoded), $(val decode_errors))" \
        '[ "$(val decoded)" -gt 0 ] && [ "$(val decode_errors)" = 0 ]'
done
for i in 0 1 2; do
    t0=${ticks0[i]}
    t1=$(thread_ticks cv-net-$i)
    check "cv-net-$i did work for its sessions (${t0:-?} -> ${t1:-?} ticks)" \
        '[ -n "$t0" ] && [ -n "$t1" ] && [ "$t1" -gt "$t0" ]'
done
l1=$(lg_metric conclave_loop_polls_total)
check "the network threads waited for their sockets (${l0:-?} -> ${l1:-?} waits)" \
    '[ -n "$l0" ] && [ -n "$l1" ] && [ "$l1" -gt "$l0" ]'
p1=$(lg_metric conclave_loop_posts_total)
w1=$(lg_metric conclave_loop_wakeups_total)
posts=$((${p1:-0} - ${p0:-0}))
wakes=$((${w1:-0} - ${w0:-0}))
check "output was posted to the network threads ($posts posts)" '[ "$posts" -gt 1000 ]'
check "no more wake-ups than posts ($wakes wake-ups)" '[ "$wakes" -gt 0 ] && [ "$wakes" -le "$posts" ]'
check "daemon still alive" 'kill -0 "$lg_pid"'
lg_stop_daemon
check "daemon exits cleanly on SIGTERM (rc $lg_daemon_rc)" '[ "$lg_daemon_rc" -eq 0 ]'
it_finish
