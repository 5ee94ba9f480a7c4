#!/usr/bin/env bash
# The daemon under loadgen load, one scenario a row (part of `make bench`).
# Each scenario starts a fresh daemon (default picture 1280x720 @ 30 fps) in
# a network namespace of its own and runs bench/loadgen against it; over
# loadgen's measurement window (BENCH_SECONDS, default 10) it reads the
# daemon's CPU time (/proc/PID/stat utime+stime, as % of one core) and at its
# end the daemon's RSS (/proc/PID/status VmRSS). Most loadgen receivers only
# count packets; 2 decode the composite (validity, mixer latency). The
# loadgen shares the machine's cores: its own CPU is in the last column.
# lecture51rec is lecture51 with participant 0 recording the room
# ([recording] enabled, into the temporary directory): its CPU minus
# lecture51's is what recording a 1 + 50 lecture costs.
# codec%: the share of that CPU spent in codec calls (decode and encode, by
# the daemon's own counters in /metrics). Each row is also printed as one
# machine-readable line: "bench-row scenario=NAME parts=N cpu_pct=X
# rss_mib=X fps_mean=X fps_min=X p50_ms=X p99_ms=X codec_pct=X".
# BENCH_SCENARIOS picks rows by name (default: all), e.g. "grid4 lecture51";
# BENCH_CONCLAVE another daemon to measure (default ./conclave), e.g. an
# older build for a before/after table.
# The speakers speak (BENCH_SPEECH, default build/speech/a.wav, made by
# `make bench`; tones when it is empty or missing): Opus works in its voice
# modes then, as in a meeting.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/integration/loadgen-lib.sh
[ -x build/bench/loadgen ] || { echo "scenarios: build/bench/loadgen is not built"; exit 2; }
lg_reexec_netns "$@" || exit 2
secs=${BENCH_SECONDS:-10}
speech=()
[ -f "${BENCH_SPEECH-build/speech/a.wav}" ] && speech=(--speech "${BENCH_SPEECH-build/speech/a.wav}")
hz=$(getconf CLK_TCK)

# name participants layout speakers mixer-threads [rec: participant 0 records the room]
all="grid4:4:grid:1:2 grid4-t1:4:grid:1:1 gallery49:49:grid:1:2 lecture51:51:lecture:2:2 lecture51rec:51:lecture:2:2:rec lecture51-t1:51:lecture:2:1 speaker100:100:speaker:1:2"
all+=" speaker200:200:speaker:1:2 lecture500:500:lecture:1:2" # big rooms: [rooms] limits raised
want=${BENCH_SCENARIOS:-}
rows=()
machine_rows=()
status=0

codec_s() { # seconds the daemon has spent in codec calls so far
    local d e
    d=$(lg_metric conclave_decode_seconds_total)
    e=$(lg_metric conclave_encode_seconds_total)
    awk -v d="${d:-0}" -v e="${e:-0}" 'BEGIN{printf "%.6f", d + e}'
}

run_one() { # name n layout speakers threads [rec]
    local name=$1 n=$2 layout=$3 speakers=$4 threads=$5 rec=${6:-} line t0 t1 c0 c1 w0 w1 k0 k1 rss
    local extra=""
    [ "$rec" = rec ] && extra=$(printf '[recording]\nenabled = yes\ndir = %s/rec\n' "$lg_tmp")
    ((n > 100)) && extra=$(printf 'max_participants = %d\nmax_sessions = %d\n%s' "$n" "$((n + 16))" "$extra")
    LG_EXTRA_INI=$extra LG_THREADS=$threads lg_start_daemon "${BENCH_CONCLAVE:-./conclave}" || return 1
    : >"$lg_tmp/out"
    while IFS= read -r line; do
        echo "$line" >>"$lg_tmp/out"
        case $line in
        "loadgen: window start")
            k0=$(codec_s)
            c0=$(lg_cpu_ticks)
            read -r _ w0 < <(lg_sched_ns)
            t0=${EPOCHREALTIME/[.,]/}
            ;;
        "loadgen: window end")
            c1=$(lg_cpu_ticks)
            k1=$(codec_s)
            read -r _ w1 < <(lg_sched_ns)
            t1=${EPOCHREALTIME/[.,]/}
            rss=$(lg_rss_kb)
            ;;
        esac
    done < <(build/bench/loadgen --url "$lg_url" --room "$name" --participants "$n" \
        --layout "$layout" --speakers "$speakers" --decoders 2 --warmup 3 --seconds "$secs" \
        "${speech[@]}" ${rec:+--record} 2>"$lg_tmp/err")
    lg_stop_daemon
    grep -v '^loadgen: window' "$lg_tmp/out" | sed 's/^/    /'
    [ "$rec" = rec ] && echo "    recorded: $(du -cb "$lg_tmp"/rec/*.webm 2>/dev/null | tail -1 | cut -f1) bytes"
    line=$(grep '^loadgen: participants=' "$lg_tmp/out")
    if [ -z "$line" ] || [ -z "${c1:-}" ]; then
        echo "    (no result: $(tail -3 "$lg_tmp/err" | tr '\n' ' '))"
        rows+=("$(printf '%-13s %5s %-8s %3s  %s' "$name" "$n" "$layout" "$threads" "failed")")
        return 1
    fi
    v() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    local cpu wait codec
    cpu=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v us="$((t1 - t0))" 'BEGIN{printf "%.0f", 100 * c / hz / (us / 1e6)}')
    codec=$(awk -v k="$k1" -v k0="$k0" -v c="$((c1 - c0))" -v hz="$hz" \
        'BEGIN{printf "%.0f", (c > 0 ? 100 * (k - k0) / (c / hz) : 0)}')
    wait=$(awk -v w="$((w1 - w0))" -v us="$((t1 - t0))" 'BEGIN{printf "%.0f", 100 * w / 1000 / us}')
    rows+=("$(printf '%-13s %5s %-8s %3s %7s %6s %7s %7s %6s/%-5s %7s/%-7s %6s %7s %4s %5s' \
        "$name" "$n" "$layout" "$threads" "$cpu" "$codec" "$wait" "$((rss / 1024))" "$(v fps_mean)" \
        "$(v fps_min)" "$(v lat_p50_ms)" "$(v lat_p99_ms)" "$(v loss_pct)" "$(v loadgen_cpu_pct)" \
        "$(v layout_status)" "$(v valid)")")
    machine_rows+=("bench-row scenario=$name parts=$n cpu_pct=$cpu rss_mib=$((rss / 1024)) fps_mean=$(v fps_mean) fps_min=$(v fps_min) p50_ms=$(v lat_p50_ms) p99_ms=$(v lat_p99_ms) codec_pct=$codec")
    [ "$(v valid)" = yes ] || { sed 's/^/    /' "$lg_tmp/err" | tail -n 110; return 1; }
}

for s in $all; do
    IFS=: read -r name n layout speakers threads rec <<<"$s"
    [ -n "$want" ] && [[ " $want " != *" $name "* ]] && continue
    echo "== scenario $name: $n participants, $layout layout, $speakers speaking, [mixer] threads = $threads${rec:+, recorded}"
    run_one "$name" "$n" "$layout" "$speakers" "$threads" "$rec" || status=1
done
echo
echo "== the daemon under loadgen ($secs s windows; CPU % of one core; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-13s %5s %-8s %3s %7s %6s %7s %7s %12s %15s %6s %7s %4s %5s\n' scenario parts layout thr \
    "srv CPU%" codec% "runq%" "RSS MiB" "fps mean/min" "lat p50/p99 ms" "loss%" "lg CPU%" "lay" valid
for r in "${rows[@]}"; do echo "$r"; done
for r in "${machine_rows[@]}"; do echo "$r"; done
echo "(runq%: time the daemon's threads waited for a CPU, % of the window summed over threads:"
echo " high values mean the machine, not the daemon, set the pace; lay: HTTP status of"
echo " participant 0's layout command, 400 = not supported by this daemon)"
exit $status
