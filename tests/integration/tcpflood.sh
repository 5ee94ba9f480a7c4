#!/usr/bin/env bash
# Hostile clients on the ICE-TCP listeners: 6 loadgen participants (UDP) in a
# network namespace; after a clean window, tests/integration/tcpflood.py
# opens connections to every TCP-passive candidate port of the daemon that
# send nothing, random bytes, a cut-short RFC 4571 frame or framed STUN with a
# wrong MESSAGE-INTEGRITY, and opens and closes others in a loop. The
# participants must see no change (>= 80 % of their clean frame and audio
# packet rates, no decode error), the daemon must stay up, and once the flood
# is over its open descriptors must fall back to their count before it (no
# connection leaks). The daemon must have closed every hostile connection
# while the sessions still ran (pending ones after 5 s, more than 4 from one
# address at once) and counted them in /metrics.
# Ends with "tcpflood: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=tcpflood
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
[ -x build/bench/loadgen ] || { bad "build/bench/loadgen is built (make check builds it)"; it_finish; }
command -v python3 >/dev/null || { bad "python3 is installed"; it_finish; }
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }

fds() { find "/proc/$lg_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# the TCP ports the daemon listens on in the media range
tcp_ports() {
    ss -Htlnp 2>/dev/null | awk -v pid="pid=$lg_pid," -v lo="$LG_ICE_MIN" -v hi="$LG_ICE_MAX" '
        index($0, pid) { n = split($4, a, ":"); p = a[n] + 0; if (p >= lo && p <= hi) print p }' |
        sort -un
}

export LG_ICE_MIN=40000 LG_ICE_MAX=40099
LG_THREADS=2 LG_WIDTH=640 LG_HEIGHT=360 lg_start_daemon "$it_bin" || { bad "daemon starts"; it_finish; }
ok "daemon starts"
seconds=6
# --garbage 1 --garbage-pps 1: a second window (one junk datagram a second,
# nothing to speak of) during which the TCP flood runs
build/bench/loadgen --url "$lg_url" --room tcpflood --participants 6 --speakers 2 --decoders 2 \
    --garbage 1 --garbage-pps 1 --warmup 3 --seconds $seconds >"$lg_tmp/out" 2>"$lg_tmp/err" &
lg=$!
it_bg+=($lg)
it_until 'grep -q "^loadgen: window end" "$lg_tmp/out"' 30 || bad "loadgen's clean window ended"
ports=$(tcp_ports | tr '\n' ' ')
fds_before=$(fds)
check "the daemon listens on TCP ports in the media range ($ports)" '[ -n "$ports" ]'
# shellcheck disable=SC2086 # one argument per port
python3 tests/integration/tcpflood.py "$seconds" 127.0.0.1 $ports >"$lg_tmp/flood" 2>&1 &
flood=$!
it_bg+=($flood)
sleep 2
fds_during=$(fds)
wait "$lg"
rc=$?
wait "$flood"
cat "$lg_tmp/out" "$lg_tmp/flood"
line=$(grep '^loadgen: participants=' "$lg_tmp/out")
val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
fval() { tr ' ' '\n' <"$lg_tmp/flood" | sed -n "s/^$1=//p"; }
ge() { awk "BEGIN{exit !($1 >= $2)}"; }
# (connects of the open-and-close loop may time out while the listeners'
# accept queues are full: that is part of the flood, not a result)
check "the flood ran ($(fval connections) connections kept, $(fval churned) opened and closed, $(fval churn_failed) timed out)" \
    '[ "$(fval connections)" -gt 0 ]'
# the sessions are still up when the flood ends: whatever the daemon closed, it
# closed on its own (the guard of transport/ice.c)
check "the daemon closed every hostile connection while its sessions ran ($(fval still_open) left open)" \
    '[ "$(fval still_open)" = 0 ]'
closed_idle=$(lg_metric 'conclave_ice_tcp_closed_total{reason="idle"}')
closed_excess=$(lg_metric 'conclave_ice_tcp_closed_total{reason="excess"}')
# Silent and cut-short connections give libnice nothing to refuse: only the
# guard ends them, so each is counted. Garbage and bad STUN libnice may drop
# itself first (counted or not, as the timing falls).
only_guard=$(($(fval closed_half) + $(fval closed_partial)))
check "/metrics counted them: idle $closed_idle + excess $closed_excess >= the $only_guard silent or cut-short ones" \
    '[ "$((${closed_idle:-0} + ${closed_excess:-0}))" -ge "$only_guard" ] && [ "$only_guard" -gt 0 ]'
check "pending connections stayed bounded: $fds_during descriptors during the flood" \
    '[ "$fds_during" -le "$((fds_before + 6 * 2 * 4 + 8))" ]'
check "loadgen's validity checks pass in both windows (exit $rc): $(tail -3 "$lg_tmp/err" | tr '\n' ' ')" \
    '[ "$rc" -eq 0 ] && [ "$(val valid)" = yes ]'
check "frame rate under the TCP flood $(val garbage_fps_mean) >= 80 % of clean $(val fps_mean)" \
    'ge "$(val garbage_fps_mean)" "0.8 * $(val fps_mean)"'
check "slowest receiver under the flood $(val garbage_fps_min) fps >= 80 % of clean $(val fps_min)" \
    'ge "$(val garbage_fps_min)" "0.8 * $(val fps_min)"'
check "audio under the flood $(val garbage_audio_pps_mean) pkt/s >= 80 % of clean $(val audio_pps_mean)" \
    'ge "$(val garbage_audio_pps_mean)" "0.8 * $(val audio_pps_mean)"'
check "no decode error" '[ "$(val decode_errors)" = 0 ]'
check "daemon alive after the flood" 'kill -0 "$lg_pid" && curl -sf --noproxy "*" -o /dev/null "$lg_url/healthz"'
echo "# daemon descriptors: $fds_before before the flood, $fds_during during it"
# the sessions ended with loadgen: every descriptor of theirs and of the
# flood's connections must be gone
check "descriptors back to the count before the flood ($fds_before)" \
    'it_until "[ \$(fds) -le $fds_before ]" 10'
echo "# daemon descriptors after: $(fds)"
lg_stop_daemon
check "daemon exits cleanly (status $lg_daemon_rc)" '[ "$lg_daemon_rc" -eq 0 ]'
it_finish
