#!/usr/bin/env bash
# Low data (conclave(8), Commands: receive): a session that sends
# {"type":"receive","video":false} gets no video packet at all afterwards,
# while its neighbours still get the composite and it still gets audio;
# /metrics counts it in conclave_receivers_low_data; the command takes
# booleans only. Three bench/loadgen participants, the last one on low data;
# the checks of the command's values use a WHIP session that never connects.
# Runs in its own network namespace (unshare -n, loopback only). Ends with
# "lowdata: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=lowdata
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
[ -x build/bench/loadgen ] || { bad "build/bench/loadgen is built (make check builds it)"; it_finish; }
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }
tmp=$lg_tmp

LG_THREADS=1 LG_WIDTH=320 LG_HEIGHT=180 lg_start_daemon || { bad "daemon starts"; it_finish; }
ok "daemon starts"

# ---- the command's values ----
lg_command_session values
loc=$lg_cmd_loc
check "a WHIP session to send commands with ($loc)" '[ -n "$loc" ]'
cmd() { lg_command "$1"; }
for body in '{"type":"receive","video":"no"}' '{"type":"receive","video":0}' \
    '{"type":"receive"}' '{"type":"receive","video":null}'; do
    r=$(cmd "$body")
    check "$body -> 400 bad-command ($r)" '[ "$r" = "400 bad-command" ]'
done
r=$(cmd '{"type":"receive","video":false}')
check "receive video false -> 204 ($r)" '[ "$r" = "204 " ]'
check "/metrics counts 1 receiver on low data" '[ "$(lg_metric conclave_receivers_low_data)" = 1 ]'
r=$(cmd '{"type":"receive","video":true}')
check "receive video true -> 204 ($r)" '[ "$r" = "204 " ]'
check "/metrics counts none on low data after video true" \
    '[ "$(lg_metric conclave_receivers_low_data)" = 0 ]'
curl -s --noproxy '*' --max-time 10 -o /dev/null -X DELETE "$lg_url$loc"

# ---- three participants, the last on low data ----
build/bench/loadgen --url "$lg_url" --room lowdata --participants 3 --speakers 1 --decoders 0 \
    --warmup 2 --seconds 4 --last low-data >"$tmp/out" 2>"$tmp/err" &
lg=$!
it_bg+=("$lg")
it_wait_for "$tmp/out" 'window start' 30 >/dev/null
during=$(lg_metric conclave_receivers_low_data)
wait "$lg"
rc=$?
cat "$tmp/out"
line=$(grep '^loadgen: participants=' "$tmp/out")
val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
check "loadgen ran (exit $rc, valid=$(val valid)): $(tail -3 "$tmp/err" | tr '\n' ' ')" \
    '[ "$rc" -eq 0 ] && [ "$(val valid)" = yes ]'
check "the neighbours still get video (min $(val fps_min) fps)" \
    'awk "BEGIN{exit !($(val fps_min) >= 5)}"'
check "the low-data session gets no video packet in the window ($(val low_data_vpkts))" \
    '[ "$(val low_data_vpkts)" = 0 ]'
check "the low-data session still gets audio ($(val low_data_apkts) packets)" \
    '[ "${line:-}" ] && [ "$(val low_data_apkts)" -gt 50 ]'
check "/metrics counted it during the run ($during)" '[ "$during" = 1 ]'

check "daemon still alive" 'kill -0 "$lg_pid"'
lg_stop_daemon
check "daemon exits cleanly on SIGTERM (rc $lg_daemon_rc)" '[ "$lg_daemon_rc" -eq 0 ]'
it_finish
