#!/usr/bin/env bash
# Memory per participant, and memory given back when a room empties. The
# daemon (CONCLAVE_BIN, else ./conclave) runs in a network namespace at
# 640x360; its RSS (VmRSS) is read idle, then at the end of a speaker room of
# MEM_PARTICIPANTS (default 24) loadgen participants, then again once they
# have all left (sessions back to 0); then a second room the same, so what
# the first left behind shows as growth. Checks: the memory the daemon holds
# after each room (its anonymous RSS, RssAnon) is no more than 20 % of the
# idle RSS above the idle one; the whole RSS after the second room is at
# most 10 % of the idle RSS above that after the first (nothing kept per
# room: glibc's arenas alone move it by up to about 3 % between rooms); the second room's
# peak is no more than 10 % above the first's. The whole RSS after a room
# also counts the code of the libraries the room used first (libvpx, Opus,
# libyuv...: RssFile, clean pages the kernel reclaims at will), so it is
# printed, not checked against the idle one. Prints idle, peak and
# after-leave RSS and the peak's slope in KiB per participant.
# Under a sanitizer build the allocator is not glibc's: the rooms run (10
# participants) and only what does not measure memory is checked (the
# sanitizer passes of tests/run-suite leave this suite out). Ends with
# "memory: N passed, M failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
it_name=memory
# shellcheck source=tests/integration/loadgen-lib.sh
. tests/integration/loadgen-lib.sh
[ -x build/bench/loadgen ] || { bad "build/bench/loadgen is built (make check builds it)"; it_finish; }
lg_reexec_netns "$@" || { bad "runs in a network namespace"; it_finish; }

n=${MEM_PARTICIPANTS:-24}
san=0
grep -qaE '__(a|t)san_init' "$it_bin" && san=1 n=10
measured() { # name condition: checked unless under a sanitizer
    if [ "$san" = 1 ]; then echo "# not checked under a sanitizer: $1"; else check "$1" "$2"; fi
}
LG_THREADS=2 LG_WIDTH=640 LG_HEIGHT=360 lg_start_daemon || { bad "daemon starts"; it_finish; }
ok "daemon starts"
sleep 1
idle=$(lg_rss_kb)
anon() { awk '/^RssAnon:/ {print $2}' "/proc/$lg_pid/status"; }
idle_anon=$(anon)
parts() { awk '/^Rss(Anon|File|Shmem):/ {printf " %s %s", $1, $2}' "/proc/$lg_pid/status"; }
echo "memory: idle rss=$idle KiB ($(parts) )"

# One room of n participants; sets peak (RSS at the end of its window) and
# after (RSS once every session has gone).
room() { # name
    local ses line
    peak=0 after=0 peak_parts=
    : >"$lg_tmp/out"
    while IFS= read -r line; do
        echo "$line" >>"$lg_tmp/out"
        [ "$line" = "loadgen: window end" ] && peak=$(lg_rss_kb) peak_parts=$(parts)
    done < <(build/bench/loadgen --url "$lg_url" --room "$1" --participants "$n" \
        --layout speaker --speakers 1 --decoders 1 --warmup 2 --seconds 4 2>"$lg_tmp/err")
    grep '^loadgen: participants=' "$lg_tmp/out" | sed 's/^/    /'
    for _ in $(seq 1 50); do
        ses=$(lg_metric conclave_sessions)
        [ "${ses:-1}" = 0 ] && break
        sleep 0.2
    done
    sleep 1
    after=$(lg_rss_kb) after_anon=$(anon)
    echo "memory: room $1 of $n: peak rss=$peak KiB ($peak_parts )"
    echo "memory: room $1 emptied (sessions ${ses:-?}): rss=$after KiB ($(parts) )"
    echo "memory: room $1: $(((peak - idle) / n)) KiB per participant over idle"
}

room first
peak1=$peak after1=$after
check "all $n participants of the first room connected" 'grep -q "($n connected)" "$lg_tmp/out"'
measured "memory held after the first room empties (RssAnon $after_anon KiB) is within 20 % of idle RSS ($idle KiB) of idle's (RssAnon $idle_anon KiB)" \
    '[ $((after_anon - idle_anon)) -le $((idle / 5)) ]'
room second
check "all $n participants of the second room connected" 'grep -q "($n connected)" "$lg_tmp/out"'
measured "memory held after the second room empties (RssAnon $after_anon KiB) is within 20 % of idle RSS ($idle KiB) of idle's (RssAnon $idle_anon KiB)" \
    '[ $((after_anon - idle_anon)) -le $((idle / 5)) ]'
measured "RSS after the second room ($after KiB) is at most 10 % of idle RSS ($idle KiB) above that after the first ($after1 KiB)" \
    '[ "$after" -le $((after1 + idle / 10)) ]'
measured "the second room's peak ($peak KiB) is not 10 % above the first's ($peak1 KiB)" \
    '[ "$peak" -le $((peak1 + peak1 / 10)) ]'
lg_stop_daemon
check "daemon exits 0 on SIGTERM (rc $lg_daemon_rc)" '[ "$lg_daemon_rc" -eq 0 ]'
it_finish
