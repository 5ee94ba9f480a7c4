#!/usr/bin/env bash
# The portrait composite (conclave(8), Commands: view): a session that sends
# {"type":"view","portrait":true} gets key frames whose VP8 header says a
# picture taller than wide, while its neighbours keep getting video; after
# {"portrait":false} its key frames are wider than tall again; the command
# takes booleans only. Three bench/loadgen participants, the last one
# turning its window. Runs in its own network namespace (unshare -n,
# loopback only). Ends with "portrait: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=portrait
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
[ -x build/bench/loadgen ] || { bad "build/bench/loadgen is built (make check builds it)"; it_finish; }
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }
tmp=$lg_tmp

LG_THREADS=1 LG_WIDTH=640 LG_HEIGHT=360 LG_EXTRA_INI='[mixer]
tiers = 640x360@30:500,320x180@15:150' lg_start_daemon || { bad "daemon starts"; it_finish; }
ok "daemon starts"

# ---- the command's values ----
lg_command_session values
loc=$lg_cmd_loc
check "a WHIP session to send commands with ($loc)" '[ -n "$loc" ]'
cmd() { lg_command "$1"; }
for body in '{"type":"view","portrait":"yes"}' '{"type":"view","portrait":1}' '{"type":"view"}'; do
    r=$(cmd "$body")
    check "$body -> 400 bad-command ($r)" '[ "$r" = "400 bad-command" ]'
done
for v in true false; do
    r=$(cmd "{\"type\":\"view\",\"portrait\":$v}")
    check "view portrait $v -> 204 ($r)" '[ "$r" = "204 " ]'
done
curl -s --noproxy '*' --max-time 10 -o /dev/null -X DELETE "$lg_url$loc"

# ---- three participants, the last one upright, then back ----
check "/metrics: no portrait receiver before" '[ "$(lg_metric conclave_receivers_portrait)" = 0 ]'
build/bench/loadgen --url "$lg_url" --room portrait --participants 3 --speakers 1 --decoders 0 \
    --warmup 2 --seconds 3 --last portrait >"$tmp/out" 2>"$tmp/err" &
lg=$!
it_bg+=("$lg")
it_wait_for "$tmp/out" 'window start' 30 >/dev/null
during=$(lg_metric conclave_receivers_portrait)
wait "$lg"
rc=$?
cat "$tmp/out"
line=$(grep '^loadgen: participants=' "$tmp/out")
val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
check "loadgen ran (exit $rc, valid=$(val valid)): $(tail -3 "$tmp/err" | tr '\n' ' ')" \
    '[ "$rc" -eq 0 ] && [ "$(val valid)" = yes ]'
check "everyone, the portrait receiver too, got video (min $(val fps_min) fps)" \
    'awk "BEGIN{exit !($(val fps_min) >= 5)}"'
pline=$(grep '^loadgen: portrait_key=' "$tmp/out")
pval() { printf '%s\n' "$pline" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
pk=$(pval portrait_key) lk=$(pval landscape_key)
check "the view commands were taken ($(pval view_status))" '[ "$(pval view_status)" = 204 ]'
check "upright, its key frames are taller than wide ($pk)" \
    '[ "${pk%x*}" -gt 0 ] && [ "${pk#*x}" -gt "${pk%x*}" ]'
check "upright, the top tier turned: 360x640 ($pk)" '[ "$pk" = 360x640 ]'
check "back to landscape, its key frames are wider than tall ($lk)" \
    '[ "${lk#*x}" -gt 0 ] && [ "${lk%x*}" -gt "${lk#*x}" ]'
check "/metrics counted the portrait receiver during the run ($during)" '[ "$during" = 1 ]'
check "daemon still alive" 'kill -0 "$lg_pid"'
lg_stop_daemon
check "daemon exits cleanly on SIGTERM (rc $lg_daemon_rc)" '[ "$lg_daemon_rc" -eq 0 ]'
it_finish
