#!/usr/bin/env bash
# Leak check: the daemon built with AddressSanitizer (build/conclave-san) in a
# network namespace serves 10 loadgen participants for ~30 s (they join,
# send, receive and leave with DELETE), then gets SIGTERM; it must exit 0
# with no LeakSanitizer or other sanitizer report. tests/lsan.supp lists only
# one-time allocations inside libraries. Ends with "leak: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=leak
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
for b in build/bench/loadgen build/conclave-san; do
    [ -x "$b" ] || { bad "$b is built (make check builds it)"; it_finish; }
done
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1
LG_THREADS=2 LG_WIDTH=320 LG_HEIGHT=180 lg_start_daemon build/conclave-san || { bad "daemon starts"; it_finish; }
ok "sanitized daemon starts"
build/bench/loadgen --url "$lg_url" --room leak --participants 10 --speakers 2 --decoders 1 \
    --warmup 2 --seconds ${LEAK_SECONDS:-25} >"$lg_tmp/out" 2>"$lg_tmp/err"
cat "$lg_tmp/out"
line=$(grep '^loadgen: participants=' "$lg_tmp/out")
val() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
check "all 10 participants connected and received media (fps_min $(val fps_min))" \
    'grep -q "(10 connected)" "$lg_tmp/out" && awk "BEGIN{exit !($(val fps_min) > 0)}"'
sleep 1
lg_stop_daemon
check "daemon exits 0 on SIGTERM (rc $lg_daemon_rc)" '[ "$lg_daemon_rc" -eq 0 ]'
if grep -qE "LeakSanitizer|AddressSanitizer|runtime error" "$lg_tmp/daemon.err"; then
    bad "no sanitizer report:"
    grep -E -A30 "LeakSanitizer|AddressSanitizer|runtime error" "$lg_tmp/daemon.err" | head -80
else
    ok "no sanitizer report"
fi
it_finish
