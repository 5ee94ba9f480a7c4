#!/usr/bin/env bash
# A 3 s outage of the link does not end a call: 3 loadgen participants reach
# the daemon through build/bench/relay (profile outage3: every packet, both
# ways, dropped for 3 s from 10 s after the first one; loadgen --via). Once
# the link is back (a window from ~23 s) every participant must still be
# connected and receive pictures and sound, and the daemon must have ended no
# session. (libnice's consent freshness, one unrepeated check every ~5 s and
# consent gone 10 s after the last answer, ended about half of such sessions.)
# Ends with "outage: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=outage
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
for b in build/bench/loadgen build/bench/relay; do
    [ -x "$b" ] || { bad "$b is built (make check builds it)"; it_finish; }
done
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }

LG_ICE_MIN=41000 LG_ICE_MAX=41063 LG_THREADS=2 LG_WIDTH=320 LG_HEIGHT=180 \
    LG_EXTRA_INI=$'[log]\nlevel = info' lg_start_daemon || { bad "daemon starts"; it_finish; }
ok "daemon starts"
build/bench/relay --listen 127.0.0.2 --target 127.0.0.1 --ports 41000-41063 --profile outage3 \
    --seed 1 2>"$lg_tmp/relay.log" &
relay_pid=$!
build/bench/loadgen --url "$lg_url" --room outage --participants 3 --speakers 1 --decoders 1 \
    --via 127.0.0.2 --warmup 22 --seconds 4 >"$lg_tmp/out" 2>"$lg_tmp/err"
cat "$lg_tmp/out"
kill "$relay_pid" 2>/dev/null
wait "$relay_pid" 2>/dev/null
sed 's/^/# /' "$lg_tmp/relay.log"
line=$(grep '^loadgen: participants=' "$lg_tmp/out")
val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
check "the relay was in the path and cut it (outage drops: $(grep -o 'outage [0-9]*' "$lg_tmp/relay.log" | tr '\n' ' '))" \
    'grep -q "outage [1-9]" "$lg_tmp/relay.log"'
check "all 3 still connected after the outage" 'grep -q "(3 connected)" "$lg_tmp/out"'
check "every receiver gets pictures after it (fps_min $(val fps_min))" \
    'awk "BEGIN{exit !($(val fps_min) > 5)}"'
check "and sound (audio_pps_min $(val audio_pps_min); a silent mix sends ~10)" \
    'awk "BEGIN{exit !($(val audio_pps_min) > 5)}"'
check "the daemon ended no session ($(grep -c 'session failed' "$it_err") failed)" \
    '! grep -q "session failed" "$it_err"'
lg_stop_daemon
check "daemon exits 0 on SIGTERM (rc $lg_daemon_rc)" '[ "$lg_daemon_rc" -eq 0 ]'
it_finish
