#!/usr/bin/env bash
# Garbage flood (a hostile participant): 8 loadgen participants in a network
# namespace; after a clean window, 2 of them send junk at ~5000 datagrams/s
# each on their media socket - undecryptable SRTP-, DTLS- and STUN-looking
# bytes, and validly protected RTP/RTCP with junk VP8, junk Opus and junk
# RTCP bodies. The others must keep (tolerant bounds, not timings) >= 70 % of
# their clean frame rate and >= 80 % of their audio packet rate, decode
# without error, and the daemon must stay up and count the drops in /metrics
# (when it has a drop counter). Ends with "garbage: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=garbage
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
[ -x build/bench/loadgen ] || { bad "build/bench/loadgen is built (make check builds it)"; it_finish; }
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }

# Sum of every /metrics sample whose name mentions drops (any labels).
drops() {
    curl -s --noproxy '*' --max-time 2 "$lg_url/metrics" |
        awk '$1 !~ /^#/ && $1 ~ /drop/ {s += $NF; n++} END {if (n) printf "%d\n", s}'
}

LG_THREADS=2 LG_WIDTH=640 LG_HEIGHT=360 lg_start_daemon || { bad "daemon starts"; it_finish; }
ok "daemon starts"
drops_before=$(drops)
build/bench/loadgen --url "$lg_url" --room flood --participants 8 --speakers 2 --decoders 2 \
    --garbage 2 --garbage-pps 5000 --warmup 3 --seconds 6 >"$lg_tmp/out" 2>"$lg_tmp/err"
rc=$?
cat "$lg_tmp/out"
line=$(grep '^loadgen: participants=' "$lg_tmp/out")
val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ge() { awk "BEGIN{exit !($1 >= $2)}"; }
check "loadgen's validity checks pass in both windows (exit $rc): $(tail -3 "$lg_tmp/err" | tr '\n' ' ')" \
    '[ "$rc" -eq 0 ] && [ "$(val valid)" = yes ]'
check "the flood was sent ($(val garbage_pkts) datagrams)" '[ "$(val garbage_pkts)" -gt 10000 ]'
check "frame rate under flood $(val garbage_fps_mean) >= 70 % of clean $(val fps_mean)" \
    'ge "$(val garbage_fps_mean)" "0.7 * $(val fps_mean)"'
check "slowest receiver under flood $(val garbage_fps_min) fps >= 70 % of clean $(val fps_min)" \
    'ge "$(val garbage_fps_min)" "0.7 * $(val fps_min)"'
check "audio under flood $(val garbage_audio_pps_mean) pkt/s >= 80 % of clean $(val audio_pps_mean)" \
    'ge "$(val garbage_audio_pps_mean)" "0.8 * $(val audio_pps_mean)"'
check "no decode error" '[ "$(val decode_errors)" = 0 ]'
check "daemon alive after the flood" 'kill -0 "$lg_pid" && curl -sf --noproxy "*" -o /dev/null "$lg_url/healthz"'
drops_after=$(drops)
if [ -n "$drops_after" ]; then
    check "/metrics counted the drops (${drops_before:-0} -> $drops_after)" \
        '[ "$drops_after" -gt "${drops_before:-0}" ]'
else
    echo "note - /metrics has no drop counter yet; not checked"
fi
lg_stop_daemon
check "daemon exits cleanly on SIGTERM (rc $lg_daemon_rc)" '[ "$lg_daemon_rc" -eq 0 ]'
it_finish
