#!/usr/bin/env bash
# The submit path's profile (issue 17 item 2): a gateway as in bench/submit.sh (one IP sender,
# delivery held) under `perf record -F 999 -g` while smtp-source sends BENCH_MESSAGES (10000)
# messages of BENCH_SIZE (4096) octets over BENCH_SESSIONS (20) sessions; prints the rate, the
# group-commit line of the gateway's log, and the top of `perf report --children`.
# Knobs: BENCH_MESSAGES, BENCH_SESSIONS, BENCH_SIZE, BENCH_TOP (40 lines of the report),
#        PW_BINARY (<repo>/build/postwarden), BENCH_KEEP=1 keeps the work dir (and perf.data).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly PW_BINARY="${PW_BINARY:-$REPO/build/postwarden}"
readonly MESSAGES="${BENCH_MESSAGES:-10000}"
readonly SESSIONS="${BENCH_SESSIONS:-20}"
readonly SIZE="${BENCH_SIZE:-4096}"
readonly TOP="${BENCH_TOP:-40}"

log() { echo "profile_submit.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
for knob in MESSAGES SESSIONS SIZE TOP; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer, got '${!knob}'"
done
command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
command -v smtp-source >/dev/null || die "smtp-source not found (apt-get install postfix)"

# shellcheck source=bench/lib_gateway.sh
source "$REPO/bench/lib_gateway.sh"
bench_gateway_start profile "$(printf '[server]\nmax_sessions = 1000\nmax_sessions_per_ip = 1000\n[delivery]\nenabled = false')"

perf record -F 999 -g -o "$WORK/perf.data" -p "$PW_PID" 2>"$WORK/perf-record.log" &
PERF_PID=$!
sleep 1
started=$(date +%s.%N)
timeout 600 smtp-source -c -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f sender@example.com \
  -t rcpt@example.net "127.0.0.1:$PORT" >"$WORK/smtp-source.log" 2>&1 || die "smtp-source failed"
ended=$(date +%s.%N)
kill -INT "$PERF_PID"
wait "$PERF_PID" 2>/dev/null || true
kill -TERM "$PW_PID"
wait "$PW_PID" 2>/dev/null || true
PW_PID=""
awk -v n="$MESSAGES" -v a="$started" -v b="$ended" \
  'BEGIN { printf "profile_submit.sh: %d messages in %.1f s (%.0f msg/s, under perf)\n", n, b - a, n / (b - a) }'
grep -o 'event=group_commit.*' "$WORK/postwarden.log" || true
perf report -i "$WORK/perf.data" --children --sort symbol --stdio --percent-limit 1 2>/dev/null |
  grep -E "^ +[0-9]" | sed -E "s/ +-? *-? *$//" | cut -c1-120 | head -n "$TOP"
