#!/usr/bin/env bash
# Smoke run of bench/loadgen against the daemon in a network namespace of its
# own: 8 participants (2 speaking, 2 decoding the composite) for ~10 s; passes
# only if loadgen's validity checks pass (everyone connected, every receiver
# got video frames and audio, no decode error, decoded pictures) and its
# figures are plausible. Ends with "loadgen: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=loadgen
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
[ -x build/bench/loadgen ] || { bad "build/bench/loadgen is built (make check builds it)"; it_finish; }
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }

LG_THREADS=2 LG_WIDTH=640 LG_HEIGHT=360 lg_start_daemon || { bad "daemon starts"; it_finish; }
ok "daemon starts"
build/bench/loadgen --url "$lg_url" --room smoke --participants 8 --speakers 2 --decoders 2 \
    --warmup 3 --seconds 8 >"$lg_tmp/out" 2>"$lg_tmp/err"
rc=$?
cat "$lg_tmp/out"
line=$(grep '^loadgen: participants=' "$lg_tmp/out")
val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
check "loadgen's validity checks pass (exit $rc): $(tail -3 "$lg_tmp/err" | tr '\n' ' ')" '[ "$rc" -eq 0 ]'
check "machine line says valid=yes" '[ "$(val valid)" = yes ]'
check "8 participants measured" '[ "$(val participants)" = 8 ]'
check "every receiver saw at least 5 fps (min $(val fps_min))" \
    'awk "BEGIN{exit !($(val fps_min) >= 5)}"'
check "composites were decoded ($(val decoded))" '[ "$(val decoded)" -gt 0 ]'
check "no decode error" '[ "$(val decode_errors)" = 0 ]'
check "mixer latency measured (p50 $(val lat_p50_ms) ms over $(val lat_n) flashes)" \
    '[ "$(val lat_n)" -gt 0 ] && awk "BEGIN{exit !($(val lat_p50_ms) > 0)}"'
check "daemon still alive" 'kill -0 "$lg_pid"'
lg_stop_daemon
check "daemon exits cleanly on SIGTERM (rc $lg_daemon_rc)" '[ "$lg_daemon_rc" -eq 0 ]'
it_finish
