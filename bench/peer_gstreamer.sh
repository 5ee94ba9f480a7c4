#!/usr/bin/env bash
# peer_gstreamer.sh - conclave's offline mixer job beside the same job done by
# a GStreamer pipeline (compositor + vp8enc), CPU per output frame of each.
#
# For each case, build/bench/mixer_bench --peer runs one room (N participants
# sending synthetic VP8, decoded, composited into cv_layout_grid's grid,
# encoded once; no active-speaker border, which the pipeline below would not
# draw) and writes the VP8 streams it fed the room (one frame per video tick,
# as pushed) and the tile rects it used. GStreamer then does the same work on
# the same bytes:
#   filesrc ! ivfparse ! vp8dec ! videoscale (bilinear, to the fitted rect)
#     ! compositor (black background, each picture at its rect)
#     ! vp8enc (conclave's libvpx settings, mixer/video_codec.c) ! multifilesink
# running as fast as it can (sync=false, no clock, no videorate).
#
# CPU, user+sys:
#   conclave  - mixer_bench's own getrusage around each video tick (decode +
#               composite + encode); its input synthesis and audio ticks are
#               not counted. Per output frame = tick CPU x ticks / frames out.
#   GStreamer - getrusage of the gst-launch-1.0 child (all its threads), minus
#               the same pipeline run over the first frame of each input only
#               (process start-up, plugin loading, negotiation, first key
#               frames), divided by the extra frames out.
# The three runs (conclave, GStreamer two ways) are interleaved REPS times;
# the smallest figure of each is kept (other load on the machine only ever
# adds CPU time, and interleaving spreads its changes over all three).
#
# Each case is also printed as one machine-readable line "bench-row
# scenario=gst-N-WxH ratio=X": the CPU per output frame of the better of the
# two GStreamer pipelines over conclave's.
#
# usage: bench/peer_gstreamer.sh [N:WxH:INWxINH ...]
#   default cases: 4:1280x720:640x480 4:640x360:640x480 9:1280x720:320x240
#   env: SECS (simulated seconds, default 10), REPS (default 3),
#        MIXER_BENCH (default build/bench/mixer_bench)
set -eu
cd "$(dirname "$0")/.."

SECS=${SECS:-10}
REPS=${REPS:-3}
MIXER_BENCH=${MIXER_BENCH:-build/bench/mixer_bench}
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(4:1280x720:640x480 4:640x360:640x480 9:1280x720:320x240)

die() {
    echo "peer_gstreamer: FAIL: $*" >&2
    exit 1
}

# ---- what we need, or a loud failure ----
command -v gst-launch-1.0 >/dev/null ||
    die "gst-launch-1.0 not found (Debian package gstreamer1.0-tools; make deps)"
command -v gst-inspect-1.0 >/dev/null ||
    die "gst-inspect-1.0 not found (Debian package gstreamer1.0-tools; make deps)"
for el in filesrc ivfparse vp8dec videoscale compositor vp8enc multifilesink; do
    gst-inspect-1.0 --exists "$el" ||
        die "GStreamer element '$el' missing (gstreamer1.0-plugins-base/-good; make deps)"
done
gst-inspect-1.0 compositor | grep -q "max-threads" ||
    die "this GStreamer's compositor has no max-threads property (need >= 1.20)"
[ -x "$MIXER_BENCH" ] || die "$MIXER_BENCH not built (make all build/bench/mixer_bench)"

TMP=$(mktemp -d /tmp/conclave-peer.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Sets CPU_MS to the user+sys CPU time of "$@" in ms (bash's `times` in a
# subshell reports that subshell's waited-for children, i.e. the command).
# stdout goes to $TMP/out, stderr to $TMP/err; a failing command is fatal.
run_cpu() {
    local t
    t=$({
        if ! "$@" >"$TMP/out" 2>"$TMP/err"; then
            echo FAIL
            exit 0
        fi
        times
    } | tail -n 1)
    if [ "$t" = FAIL ]; then
        tail -n 5 "$TMP/err" >&2
        die "command failed: $1 ${*:2:3} ..."
    fi
    CPU_MS=$(echo "$t" | awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/);
                                 s += a[1] * 60 + a[2] } printf "%.1f", s * 1000 }')
}

# The first frame of an IVF file: 32-byte file header, 12-byte frame header
# (little-endian 32-bit size first), then the frame.
first_frame_ivf() {
    local size
    size=$(od -An -tu4 -j32 -N4 "$1" | tr -d ' ')
    [ -n "$size" ] || die "$1: not an IVF file"
    head -c $((32 + 12 + size)) "$1" >"$2"
}

# vp8enc with mixer/video_codec.c's settings (fill_vpx_cfg and the controls
# in cv_vp8_enc_create) and room.c's cpu_used -8, one thread.
encoder() { # kbps fps
    local intra=$((300 * $2 / 10)) # 600 ms / 2 x fps / 10
    [ $intra -ge 300 ] || intra=300
    echo vp8enc deadline=1 cpu-used=-8 threads=1 end-usage=cbr target-bitrate=$(($1 * 1000)) \
        min-quantizer=2 max-quantizer=56 undershoot=100 overshoot=15 \
        buffer-initial-size=500 buffer-optimal-size=600 buffer-size=1000 \
        dropframe-threshold=30 resize-allowed=false keyframe-mode=auto keyframe-max-dist=3000 \
        lag-in-frames=0 error-resilient=default static-threshold=1 noise-sensitivity=0 \
        token-partitions=0 auto-alt-ref=false max-intra-bitrate=$intra timebase=1/90000
}

# Runs the GStreamer job over the IVF files in $1, output frames into $1/out;
# $2 = "scale": videoscale bilinear before the compositor; "comp": the
# compositor scales itself (its default converter). Sets CPU_MS, FRAMES, BYTES.
run_gst() {
    local dir=$1 how=$2 W H fps kbps
    read -r _ W H _ fps _ kbps <"$dir/layout.txt"
    local mix=(compositor name=mix background=black max-threads=1) srcs=()
    local t k fx fy fw fh
    while read -r t k _ _ _ _ _ fx fy fw fh; do
        [ "$t" = tile ] || continue
        mix+=("sink_$k::xpos=$fx" "sink_$k::ypos=$fy" "sink_$k::width=$fw" "sink_$k::height=$fh")
        srcs+=(filesrc "location=$dir/in$k.ivf" ! ivfparse ! vp8dec threads=1 !)
        if [ "$how" = scale ]; then
            srcs+=(videoscale method=bilinear add-borders=false !
                "video/x-raw,width=$fw,height=$fh,pixel-aspect-ratio=1/1" !)
        fi
        srcs+=("mix.sink_$k")
    done <"$dir/layout.txt"
    rm -rf "$dir/out"
    mkdir "$dir/out"
    # shellcheck disable=SC2046 # the encoder's properties are words
    run_cpu gst-launch-1.0 -q "${mix[@]}" ! \
        "video/x-raw,format=I420,width=$W,height=$H,framerate=$fps/1" ! \
        $(encoder "$kbps" "$fps") ! multifilesink sync=false "location=$dir/out/%06d.vp8" \
        "${srcs[@]}"
    FRAMES=$(find "$dir/out" -type f | wc -l)
    BYTES=$(find "$dir/out" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
}

# One GStreamer measurement, start-up taken off: CPU of the whole job minus
# CPU of the same pipeline over the first frame of each input, divided by the
# extra frames out. Sets PF (ms per frame), FRAMES, KBPS.
gst_once() { # dir one_frame_dir how
    run_gst "$2" "$3"
    local base=$CPU_MS base_frames=$FRAMES
    run_gst "$1" "$3"
    [ "$FRAMES" -gt "$base_frames" ] || die "GStreamer produced $FRAMES frames"
    PF=$(awk -v a="$CPU_MS" -v b="$base" -v n="$FRAMES" -v m="$base_frames" \
        'BEGIN { printf "%.3f", (a - b) / (n - m) }')
    KBPS=$(awk -v b="$BYTES" -v s="$SECS" 'BEGIN { printf "%.0f", b * 8 / s / 1000 }')
}

# One run of mixer_bench --peer, which leaves its (deterministic) inputs and
# rects in $1. Sets PF (video tick CPU per output frame), FRAMES, KBPS.
conclave_once() { # dir n W H iw ih
    local out ms ticks
    out=$("$MIXER_BENCH" --peer "$1" "$2" "$SECS" "$3" "$4" "$5" "$6") ||
        die "mixer_bench failed: $out"
    ms=$(echo "$out" | sed -n 's/^ *video ticks [0-9]*: \([0-9.]*\) ms CPU each.*/\1/p')
    ticks=$(echo "$out" | sed -n 's/^ *video ticks \([0-9]*\):.*/\1/p')
    FRAMES=$(echo "$out" | sed -n 's/^ *output: \([0-9]*\) frames.*/\1/p')
    KBPS=$(echo "$out" | sed -n 's/^ *output: [0-9]* frames, \([0-9]*\) kbit.*/\1/p')
    if [ -z "$ms" ] || [ -z "$ticks" ] || [ -z "$FRAMES" ] || [ "$FRAMES" -eq 0 ]; then
        die "cannot read mixer_bench's output: $out"
    fi
    PF=$(awk -v ms="$ms" -v t="$ticks" -v f="$FRAMES" 'BEGIN { printf "%.3f", ms * t / f }')
}

min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

echo "peer_gstreamer: conclave's offline mixer vs GStreamer $(gst-launch-1.0 --version |
    sed -n 's/^GStreamer //p') compositor + vp8enc, same VP8 inputs, grid rects and libvpx settings"
echo "  ${SECS} s of 30 fps per case; runs interleaved, best of $REPS each;" \
    "CPU = user+sys ms per output frame"
FMT="%-26s %9s %9s %9s %7s %8s %7s %10s\n"
ROWS=()
MROWS=()
for c in "${CASES[@]}"; do
    IFS=':x' read -r n W H iw ih <<<"$c" || true
    [ -n "${ih:-}" ] || die "bad case '$c' (want N:WxH:INWxINH)"
    dir="$TMP/$n-${W}x$H" one="$TMP/$n-${W}x$H-1"
    mkdir -p "$dir" "$one"
    cv="" g1="" g2=""
    for ((r = 0; r < REPS; r++)); do
        conclave_once "$dir" "$n" "$W" "$H" "$iw" "$ih"
        cv=$(min "$PF" "$cv") cf=$FRAMES ck=$KBPS
        if [ $r -eq 0 ]; then
            cp "$dir/layout.txt" "$one/"
            for ((k = 0; k < n; k++)); do
                first_frame_ivf "$dir/in$k.ivf" "$one/in$k.ivf"
            done
        fi
        gst_once "$dir" "$one" scale
        g1=$(min "$PF" "$g1") gf=$FRAMES gk=$KBPS
        gst_once "$dir" "$one" comp
        g2=$(min "$PF" "$g2")
    done
    # shellcheck disable=SC2059 # FMT is ours
    ROWS+=("$(printf "$FMT" "$n x ${iw}x$ih -> ${W}x$H" "$cf/$gf" "$ck/$gk" "$cv" "$g1" \
        "$(awk -v g="$g1" -v c="$cv" 'BEGIN { printf "%.2f", g / c }')" "$g2" \
        "$(awk -v g="$g2" -v c="$cv" 'BEGIN { printf "%.2f", g / c }')")")
    # the better of GStreamer's two pipelines against conclave
    MROWS+=("bench-row scenario=gst-$n-${W}x$H ratio=$(awk -v a="$g1" -v b="$g2" -v c="$cv" \
        'BEGIN { printf "%.2f", (a < b ? a : b) / c }')")
    echo "  done: $c"
done
echo
# shellcheck disable=SC2059
printf "$FMT" "case (participants, sizes)" "frames" "kbit/s" "conclave" "gst" "gst/conc" \
    "gst-c" "gst-c/conc"
# shellcheck disable=SC2059
printf "$FMT" "" "cv/gst" "cv/gst" "ms/frame" "ms/fr" "ratio" "ms/fr" "ratio"
printf '%s\n' "${ROWS[@]}"
printf '%s\n' "${MROWS[@]}"
cat <<'EOF'

  gst   = pictures scaled by videoscale (bilinear) to the fitted rect, then placed
          by compositor; gst-c = compositor scales itself (default converter, cubic).
  Caveats: GStreamer converts and scales with its own code (GstVideoConverter),
  conclave with libyuv (I420Scale, bilinear); the decoder and encoder are the
  same libvpx, both single-threaded, with the same settings. conclave's room runs
  without its active-speaker border here (the pipeline draws none); its audio
  ticks and input synthesis are not counted. GStreamer runs several threads (one
  per input, plus the aggregator), all counted; its start-up is taken off.
  Rate control may drop different frames, hence CPU per output frame. On a busy
  machine the figures are noisy: compare the ratios, not the absolute ms.
EOF
