#!/usr/bin/env bash
# `make soak`: 20 loadgen participants (SOAK_N) in one room for 10 minutes
# (SOAK_SECONDS) against the daemon in a network namespace of its own; the
# daemon's RSS is sampled every 10 s (SOAK_EVERY) and printed, then its
# least-squares slope (KiB per minute, over the samples after the first
# minute, when the picture and codec buffers have settled) and the loadgen's
# own verdict. Exit status: loadgen's (non-zero if its validity checks fail).
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/integration/loadgen-lib.sh
n=${SOAK_N:-20}
secs=${SOAK_SECONDS:-600}
every=${SOAK_EVERY:-10}
[ -x build/bench/loadgen ] || { echo "soak: build/bench/loadgen is not built (make soak)"; exit 2; }
lg_reexec_netns "$@" || exit 2

LG_THREADS=2 LG_WIDTH=${SOAK_WIDTH:-640} LG_HEIGHT=${SOAK_HEIGHT:-360} lg_start_daemon ./conclave || exit 2
echo "soak: $n participants for $secs s, daemon RSS every $every s"
build/bench/loadgen --url "$lg_url" --room soak --participants "$n" --speakers 2 --decoders 1 \
    --warmup 2 --seconds "$secs" >"$lg_tmp/out" 2>"$lg_tmp/err" &
lgp=$!
start=$SECONDS
: >"$lg_tmp/rss"
while kill -0 "$lgp" 2>/dev/null; do
    t=$((SECONDS - start))
    rss=$(lg_rss_kb)
    ses=$(lg_metric conclave_sessions)
    printf 'soak: t=%4d s  rss=%6d KiB  sessions=%s\n' "$t" "$rss" "${ses:-?}"
    echo "$t $rss" >>"$lg_tmp/rss"
    sleep "$every"
done
wait "$lgp"
rc=$?
grep -v "^loadgen: window" "$lg_tmp/out"
[ "$rc" -eq 0 ] || tail -5 "$lg_tmp/err"
awk -v skip=60 '
    $1 >= skip { n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
    NR == 1 { first = $2 } { last = $2; if ($2 > max) max = $2 }
    END {
        slope = (n > 1 && n * sxx - sx * sx != 0) ? (n * sxy - sx * sy) / (n * sxx - sx * sx) * 60 : 0
        printf "soak: rss first=%d KiB last=%d KiB max=%d KiB slope=%.1f KiB/min over %d samples after %d s\n",
            first, last, max, slope, n, skip
    }' "$lg_tmp/rss"
lg_stop_daemon
echo "soak: daemon exit status on SIGTERM $lg_daemon_rc, loadgen exit status $rc"
[ "$rc" -eq 0 ] && [ "$lg_daemon_rc" -eq 0 ]
