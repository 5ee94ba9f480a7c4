#!/usr/bin/env bash
# Benchmark of the real conclave daemon with browsers: one room of N
# participants (headless Chromium, one page) sending moving 640x480 pictures
# at 30 fps and tones, measured with bench/browser_room.mjs. For each
# composite size it starts ./conclave in a network namespace that holds only
# the loopback interface (so every packet stays on lo), waits for /healthz,
# runs the measurement, stops the daemon, and at the end prints one table:
# participants, composite, the daemon's CPU (% of one core, utime+stime over
# the window), its VmRSS, the frame rate and size one participant receives,
# and the CPU of all Chromium processes over the same window.
#
# Environment: N (participants, default 4); BENCH_W and BENCH_H (one composite
# size; default two runs, 1280x720 then 640x360); BENCH_WINDOW_S (default 20)
# and BENCH_WARMUP_S (default 5), passed to browser_room.mjs; CONCLAVE (daemon
# binary, default ./conclave); BENCH_PORT (first HTTP port, default 18580);
# BENCH_LIMIT_S (seconds one scenario may take before it is stopped, default
# the window and warm-up plus 60, so 85; a scenario usually takes 35);
# BENCH_VIDEO_KBPS ([mixer] video_kbps, default the daemon's own).
# Needs root (unshare -n), ./conclave built, /usr/bin/chromium and
# tests/e2e/node_modules (make deps). Exits non-zero when a scenario failed.
#
# The daemon shares the machine's cores with Chromium (about one core for
# four 640x480 encodes and four composite decodes) and with anything else
# running: the footnotes under the table give, per row, the mixer ticks the
# daemon skipped because it fell behind and the CPU that other programs took,
# so that a row measured on a busy machine can be told apart.
set -u
cd "$(dirname "$0")/.." || exit 1

if [ "${CONCLAVE_BENCH_IN_NETNS:-}" != 1 ]; then
    daemon=${CONCLAVE:-./conclave}
    missing=""
    [ -x "$daemon" ] || missing="$missing; daemon $daemon (run make)"
    command -v node >/dev/null || missing="$missing; node (make deps)"
    [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing="$missing; chromium (make deps)"
    [ -d tests/e2e/node_modules/playwright-core ] || missing="$missing; playwright-core (make deps)"
    command -v unshare >/dev/null || missing="$missing; unshare (util-linux)"
    [ "$(id -u)" = 0 ] || missing="$missing; root (unshare -n needs it)"
    if [ -n "$missing" ]; then
        echo "browser_room: cannot run, missing${missing#;}" >&2
        exit 1
    fi
    exec env CONCLAVE_BENCH_IN_NETNS=1 CONCLAVE="$daemon" \
        unshare -n -- bash "$PWD/bench/browser_room.sh" "$@"
fi

# From here on, inside the new network namespace.
ip link set lo up || {
    echo "browser_room: cannot bring lo up in the namespace" >&2
    exit 1
}

n=${N:-4}
port=${BENCH_PORT:-18580}
limit_s=${BENCH_LIMIT_S:-$((${BENCH_WINDOW_S:-20} + ${BENCH_WARMUP_S:-5} + 60))}
tmp=$(mktemp -d /tmp/conclave-bench.XXXXXX)
results="$tmp/results.tsv"
: >"$results"
pid=""  # the daemon
npid="" # node, leader of its own process group (with Chromium below it)

if [ -n "${BENCH_W:-}" ] || [ -n "${BENCH_H:-}" ]; then
    sizes="${BENCH_W:-1280}x${BENCH_H:-720}"
else
    sizes="1280x720 640x360"
fi

# Milliseconds since the epoch (bash 5).
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}

# Sends signal $2 to pid $1 (or to process group -$1) and waits up to 3 s
# for $1 to go, then SIGKILL.
stop() {
    local target=$1 sig=$2 p=${1#-}
    kill -"$sig" -- "$target" 2>/dev/null || return 0
    local until_ms=$(($(now_ms) + 3000))
    while kill -0 "$p" 2>/dev/null && [ "$(now_ms)" -lt "$until_ms" ]; do
        sleep 0.05
    done
    kill -9 -- "$target" 2>/dev/null
    wait "$p" 2>/dev/null
    return 0
}

# Stops node and its browser (the whole process group), then the daemon.
# shellcheck disable=SC2317 # called by the EXIT trap and between scenarios
stop_all() {
    if [ -n "$npid" ]; then
        stop "-$npid" TERM
        npid=""
    fi
    if [ -n "$pid" ]; then
        stop "$pid" TERM
        pid=""
    fi
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    stop_all
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs one scenario: composite $1 x $2 on HTTP port $3. Returns non-zero when
# it failed; its result row, if any, is in $results.
scenario() {
    local w=$1 h=$2 p=$3
    local ini="$tmp/conclave-$w.ini" log="$tmp/conclave-$w.log"
    local base="http://127.0.0.1:$p"
    local t0
    t0=$(now_ms)
    local deadline_ms=$((t0 + limit_s * 1000))
    cat >"$ini" <<EOF
[http]
listen = 127.0.0.1
port = $p
www = $PWD/www

[ice]
port_min = 42000
port_max = 42999
addresses = 127.0.0.1

[mixer]
width = $w
height = $h
fps = 30
${BENCH_VIDEO_KBPS:+video_kbps = $BENCH_VIDEO_KBPS}

[rooms]
open = yes
max_participants = $((n > 16 ? n : 16))

[log]
level = info
EOF
    "$CONCLAVE" -c "$ini" >"$log" 2>&1 &
    pid=$!
    until curl -fsS -o /dev/null --max-time 1 "$base/healthz" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$(now_ms)" -ge $((t0 + 10000)) ]; then
            echo "# the daemon did not answer /healthz within 10 s; its log:"
            tail -n 30 "$log" | sed 's/^/#   /'
            stop_all
            return 1
        fi
        sleep 0.05
    done

    # node in a process group of its own, so that it and every Chromium
    # process can be stopped together when the scenario overruns.
    N=$n BENCH_W=$w BENCH_H=$h BENCH_OUT=$results \
        setsid node bench/browser_room.mjs "$base" "$pid" &
    npid=$!
    while kill -0 "$npid" 2>/dev/null; do
        if [ "$(now_ms)" -ge "$deadline_ms" ]; then
            echo "# the scenario overran $limit_s s: stopped"
            stop_all
            return 1
        fi
        sleep 0.2
    done
    wait "$npid"
    local rc=$?
    npid=""
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        echo "# the daemon exited during the run (status $?); its log:"
        tail -n 30 "$log" | sed 's/^/#   /'
        rc=1
    fi
    stop_all
    echo "# scenario took $((($(now_ms) - t0) / 1000)) s"
    return "$rc"
}

cores=$(nproc)
echo "# machine: $cores cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), \
load average $(cut -d' ' -f1-3 /proc/loadavg)"
failed=0
i=0
for size in $sizes; do
    w=${size%x*}
    h=${size#*x}
    echo "# --- $n participants, composite ${w}x${h} ---"
    scenario "$w" "$h" $((port + i)) || failed=$((failed + 1))
    i=$((i + 1))
done

echo
echo "browser room: $n participants sending 640x480 at 30 fps, daemon on $cores cores" \
    "(CPU % is of one core)"
printf '%-12s | %-9s | %-14s | %-16s | %-20s | %s\n' participants composite \
    'conclave CPU %' 'conclave RSS MiB' 'received fps @ size' 'chromium CPU %'
while IFS=$'\t' read -r np comp cpu rss fps ccpu _; do
    printf '%-12s | %-9s | %14s | %16s | %-20s | %14s\n' "$np" "$comp" "$cpu" "$rss" "$fps" "$ccpu"
done <"$results"
echo "nproc: $cores"
# The context of each row: the daemon falls behind (skips ticks, so sends
# fewer frames) when the cores are shared with more than it and Chromium.
cut -f7 "$results" | sed 's/^/  /'
[ "$failed" -eq 0 ] || echo "browser room: $failed scenario(s) failed"
exit $((failed > 0))
