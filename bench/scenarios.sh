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
# codec%: the share of that CPU spent in the media work, by the daemon's own
# counters in /metrics: codec calls (libvpx, libopus: decode, and encode with
# the scaling of each output tier) and laying the pictures into the
# composite (libyuv); compose_pct in the machine-readable line is the latter
# alone. Each row is also printed as one machine-readable line:
# "bench-row scenario=NAME parts=N cpu_pct=X rss_mib=X fps_mean=X fps_min=X
# p50_ms=X p99_ms=X codec_pct=X compose_pct=X shed=N"
# (shed: video ticks the overload controller shed in the window, 0 when the
# machine keeps up).
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
# (overload: the last field is how many such rooms run at once, run_overload)
all="grid4:4:grid:1:2 grid4-t1:4:grid:1:1 gallery49:49:grid:1:2 lecture51:51:lecture:2:2 lecture51rec:51:lecture:2:2:rec lecture51-t1:51:lecture:2:1 speaker100:100:speaker:1:2"
all+=" speaker200:200:speaker:1:2 lecture500:500:lecture:1:2" # big rooms: [rooms] limits raised
all+=" overload:49:grid:1:1:4"
want=${BENCH_SCENARIOS:-}
rows=()
machine_rows=()
status=0

codec_s() { # seconds the daemon has spent in media work so far: "all compose-only"
    local d e m
    d=$(lg_metric conclave_decode_seconds_total)
    e=$(lg_metric conclave_encode_seconds_total)
    m=$(lg_metric conclave_compose_seconds_total)
    awk -v d="${d:-0}" -v e="${e:-0}" -v m="${m:-0}" 'BEGIN{printf "%.6f %.6f", d + e + m, m}'
}

run_one() { # name n layout speakers threads [rec]
    local name=$1 n=$2 layout=$3 speakers=$4 threads=$5 rec=${6:-} line t0 t1 c0 c1 w0 w1 k0 k1 s0 s1 rss
    local extra=""
    [ "$rec" = rec ] && extra=$(printf '[recording]\nenabled = yes\ndir = %s/rec\n' "$lg_tmp")
    ((n > 100)) && extra=$(printf 'max_participants = %d\nmax_sessions = %d\n%s' "$n" "$((n + 16))" "$extra")
    LG_EXTRA_INI=$extra LG_THREADS=$threads lg_start_daemon "${BENCH_CONCLAVE:-./conclave}" || return 1
    : >"$lg_tmp/out"
    while IFS= read -r line; do
        echo "$line" >>"$lg_tmp/out"
        case $line in
        "loadgen: window start")
            k0=$(codec_s) s0=$(lg_metric conclave_overload_shed_total)
            c0=$(lg_cpu_ticks)
            read -r _ w0 < <(lg_sched_ns)
            t0=${EPOCHREALTIME/[.,]/}
            ;;
        "loadgen: window end")
            c1=$(lg_cpu_ticks)
            k1=$(codec_s) s1=$(lg_metric conclave_overload_shed_total)
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
    local cpu wait codec compose
    cpu=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v us="$((t1 - t0))" 'BEGIN{printf "%.0f", 100 * c / hz / (us / 1e6)}')
    share() { # % of the daemon's CPU in the window: seconds at its end, at its start
        awk -v k="$1" -v k0="$2" -v c="$((c1 - c0))" -v hz="$hz" \
            'BEGIN{printf "%.0f", (c > 0 ? 100 * (k - k0) / (c / hz) : 0)}'
    }
    codec=$(share "${k1% *}" "${k0% *}")
    compose=$(share "${k1#* }" "${k0#* }")
    wait=$(awk -v w="$((w1 - w0))" -v us="$((t1 - t0))" 'BEGIN{printf "%.0f", 100 * w / 1000 / us}')
    rows+=("$(printf '%-13s %5s %-8s %3s %7s %6s %7s %7s %6s/%-5s %7s/%-7s %6s %7s %4s %5s' \
        "$name" "$n" "$layout" "$threads" "$cpu" "$codec" "$wait" "$((rss / 1024))" "$(v fps_mean)" \
        "$(v fps_min)" "$(v lat_p50_ms)" "$(v lat_p99_ms)" "$(v loss_pct)" "$(v loadgen_cpu_pct)" \
        "$(v layout_status)" "$(v valid)")")
    machine_rows+=("bench-row scenario=$name parts=$n cpu_pct=$cpu rss_mib=$((rss / 1024)) fps_mean=$(v fps_mean) fps_min=$(v fps_min) p50_ms=$(v lat_p50_ms) p99_ms=$(v lat_p99_ms) codec_pct=$codec compose_pct=$compose shed=$((${s1:-0} - ${s0:-0}))")
    [ "$(v valid)" = yes ] || { sed 's/^/    /' "$lg_tmp/err" | tail -n 110; return 1; }
}

# overload: several rooms at once, each its own loadgen, on one mixer thread:
# about twice what it holds on 2 cores. Over the window in which every room
# is measured (8 s after joining: the rooms join at their own pace, and the
# controller takes a step every 2 s at most): the daemon's CPU, the highest conclave_overload_level seen,
# frames lost on full queues; per room fps and audio loss. audio_ok=yes when
# every receiver of every room kept its audio: the worst one's audio packet
# loss under 2 %, and every listener (who hears the speaker's continuous
# sound, so no silence suppression) at least 45 of the 50 packets a second.
any_alive() { # pid...: some of them still runs
    local p
    for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done
    return 1
}

run_overload() { # n threads rooms
    local n=$1 threads=$2 rooms=$3 i f c0 c1 t0="" t1="" w0 w1 q0 q1 lvl top=-1 rss lines=() pids=()
    LG_THREADS=$threads lg_start_daemon "${BENCH_CONCLAVE:-./conclave}" || return 1
    for ((i = 0; i < rooms; i++)); do
        build/bench/loadgen --url "$lg_url" --room "overload$i" --participants "$n" --layout grid \
            --speakers 1 --decoders 1 --warmup 8 --seconds "$secs" "${speech[@]}" \
            >"$lg_tmp/out$i" 2>"$lg_tmp/err$i" &
        pids+=($!)
    done
    # until the last loadgen leaves (the first to end its window may leave
    # before the next look, and the others' windows still end here)
    while any_alive "${pids[@]}"; do
        f=$(cat "$lg_tmp"/out* 2>/dev/null)
        if [ -z "$t0" ] && [ "$(grep -c 'window start' <<<"$f")" -ge "$rooms" ]; then
            c0=$(lg_cpu_ticks) t0=${EPOCHREALTIME/[.,]/} q0=$(lg_metric 'conclave_packets_dropped_total{reason="queue_full"}')
            read -r _ w0 < <(lg_sched_ns)
        fi
        if [ -n "$t0" ] && [ -z "$t1" ] && grep -q 'window end' <<<"$f"; then
            c1=$(lg_cpu_ticks) t1=${EPOCHREALTIME/[.,]/} q1=$(lg_metric 'conclave_packets_dropped_total{reason="queue_full"}')
            read -r _ w1 < <(lg_sched_ns)
            rss=$(lg_rss_kb)
        fi
        lvl=$(lg_metric conclave_overload_level)
        [ -n "$lvl" ] && [ "$lvl" -gt "$top" ] && top=$lvl
        sleep 0.2
    done
    wait "${pids[@]}"
    lg_stop_daemon
    for ((i = 0; i < rooms; i++)); do
        lines+=("$(grep '^loadgen: participants=' "$lg_tmp/out$i")")
        sed -n 's/^  clean /    room '"$i"': /p' "$lg_tmp/out$i"
    done
    if [ -z "$t1" ] || printf '%s\n' "${lines[@]}" | grep -qv .; then
        echo "    (no result: common window ${t0:+started}${t1:+ and ended}; $(tail -q -n 2 "$lg_tmp"/err* "$lg_tmp"/out* | tr '\n' ' '))"
        rows+=("$(printf '%-13s %5s %-8s %3s  %s' overload "$((rooms * n))" grid "$threads" failed)")
        return 1
    fi
    local agg cpu wait
    agg=$(printf '%s\n' "${lines[@]}" | tr ' ' '\n' | awk -F= '
        BEGIN { fmin = amin = 1e9; loss = al = lg = k = bad = 0 }
        $1 == "fps_mean" { fm += $2; k++ } $1 == "fps_min" && $2 + 0 < fmin { fmin = $2 + 0 }
        $1 == "loss_pct" && $2 + 0 > loss { loss = $2 + 0 }
        $1 == "audio_loss_max_pct" && $2 + 0 > al { al = $2 + 0 }
        $1 == "audio_pps_listen_min" && $2 + 0 < amin { amin = $2 + 0 }
        $1 == "loadgen_cpu_pct" { lg += $2 } $1 == "valid" && $2 != "yes" { bad++ }
        END { printf "%.1f %.1f %.2f %.2f %.1f %d %s %s", k ? fm / k : 0, fmin, loss, al, amin, lg,
              (al < 2 && amin >= 45) ? "yes" : "no", bad ? "no" : "yes" }')
    read -r fm fmin loss al amin lgcpu audio_ok valid <<<"$agg"
    cpu=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v us="$((t1 - t0))" 'BEGIN{printf "%.0f", 100 * c / hz / (us / 1e6)}')
    wait=$(awk -v w="$((w1 - w0))" -v us="$((t1 - t0))" 'BEGIN{printf "%.0f", 100 * w / 1000 / us}')
    [ "$top" -ge 0 ] || top=none
    q1=$(( ${q1:-0} - ${q0:-0} ))
    echo "    overload: $rooms rooms, audio loss worst receiver $al %, listener audio pkt/s min $amin," \
        "queue_full drops $q1, shed level reached $top"
    rows+=("$(printf '%-13s %5s %-8s %3s %7s %6s %7s %7s %6s/%-5s %15s %6s %7s %4s %5s' overload \
        "$((rooms * n))" grid "$threads" "$cpu" - "$wait" "$((rss / 1024))" "$fm" "$fmin" - "$loss" \
        "$lgcpu" - "$valid")")
    machine_rows+=("bench-row scenario=overload parts=$((rooms * n)) cpu_pct=$cpu rss_mib=$((rss / 1024)) fps_mean=$fm fps_min=$fmin audio_loss_max_pct=$al audio_pps_listen_min=$amin queue_full=$q1 audio_ok=$audio_ok shed_level=$top")
    [ "$audio_ok" = yes ]
}

for s in $all; do
    IFS=: read -r name n layout speakers threads rec <<<"$s"
    [ -n "$want" ] && [[ " $want " != *" $name "* ]] && continue
    if [ "$name" = overload ]; then
        echo "== scenario overload: ${BENCH_OVERLOAD_ROOMS:-$rec} rooms of $n at once, [mixer] threads = $threads"
        run_overload "$n" "$threads" "${BENCH_OVERLOAD_ROOMS:-$rec}" || status=1
        continue
    fi
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
