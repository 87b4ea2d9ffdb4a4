#!/usr/bin/env bash
# The submit path's profile (issue 17 item 2): a gateway as in bench/submit.sh (one IP sender,
# delivery held) under `perf record -F 999 -g` while smtp-source sends BENCH_MESSAGES (10000)
# messages of BENCH_SIZE (4096) octets over BENCH_SESSIONS (20) sessions; prints the rate, the
# group-commit line of the gateway's log, the gateway's CPU time per message (from /proc), and the
# top of `perf report --children`.
# Knobs: BENCH_MESSAGES, BENCH_SESSIONS, BENCH_SIZE, BENCH_TOP (40 lines of the report),
#        BENCH_CALLGRAPH (fp; "dwarf" names the callers in libc and GLib, which keep no frame
#        pointers), BENCH_PERF (1; 0 runs without perf, for the rate and CPU time alone),
#        PW_BINARY (<repo>/build/postwarden), BENCH_KEEP=1 keeps the work dir (and perf.data).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly PW_BINARY="${PW_BINARY:-$REPO/build/postwarden}"
readonly MESSAGES="${BENCH_MESSAGES:-10000}"
readonly SESSIONS="${BENCH_SESSIONS:-20}"
readonly SIZE="${BENCH_SIZE:-4096}"
readonly TOP="${BENCH_TOP:-40}"
readonly PERF="${BENCH_PERF:-1}"
readonly CALLGRAPH="${BENCH_CALLGRAPH:-fp}"

log() { echo "profile_submit.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
for knob in MESSAGES SESSIONS SIZE TOP; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer, got '${!knob}'"
done
[[ "$PERF" == 0 ]] || command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
command -v smtp-source >/dev/null || die "smtp-source not found (apt-get install postfix)"

# shellcheck source=bench/lib_gateway.sh
source "$REPO/bench/lib_gateway.sh"
bench_gateway_start profile "$(printf '[server]\nmax_sessions = 1000\nmax_sessions_per_ip = 1000\n[delivery]\nenabled = false')"

# The gateway's CPU time (user + system, from /proc), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PW_PID/stat"; }

PERF_PID=""
if [[ "$PERF" == 1 ]]; then
  perf record -F 999 --call-graph "$CALLGRAPH" -o "$WORK/perf.data" -p "$PW_PID" \
    2>"$WORK/perf-record.log" &
  PERF_PID=$!
  sleep 1
fi
cpu_before=$(cpu_ticks)
started=$(date +%s.%N)
timeout 600 smtp-source -c -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f sender@example.com \
  -t rcpt@example.net "127.0.0.1:$PORT" >"$WORK/smtp-source.log" 2>&1 || die "smtp-source failed"
ended=$(date +%s.%N)
cpu_after=$(cpu_ticks)
if [[ -n "$PERF_PID" ]]; then
  kill -INT "$PERF_PID"
  wait "$PERF_PID" 2>/dev/null || true
fi
kill -TERM "$PW_PID"
wait "$PW_PID" 2>/dev/null || true
PW_PID=""
under=""
[[ "$PERF" == 1 ]] && under=", under perf"
awk -v n="$MESSAGES" -v a="$started" -v b="$ended" -v u="$under" -v c="$((cpu_after - cpu_before))" \
  -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "profile_submit.sh: %d messages in %.1f s (%.0f msg/s%s), gateway CPU %.3f ms per message\n",
      n, b - a, n / (b - a), u, 1000 * c / hz / n }'
grep -o 'event=group_commit.*' "$WORK/postwarden.log" || true
[[ "$PERF" == 1 ]] || exit 0
perf report -i "$WORK/perf.data" --children --sort symbol --stdio --percent-limit 1 2>/dev/null |
  grep -E "^ +[0-9]" | sed -E "s/ +-? *-? *$//" | cut -c1-120 | head -n "$TOP"
