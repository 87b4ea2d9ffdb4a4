#!/usr/bin/env bash
# Idle sessions (issue 17, item 3): how much memory a gateway holds per idle SMTP session, plain
# and after STARTTLS, and whether a real client is still served while they are open.
# Usage: bench/idle.sh
# Knobs: BENCH_PLAIN (5000) and BENCH_TLS (5000) idle sessions, PW_BINARY (<repo>/build/postwarden),
#        BENCH_KEEP=1 keeps the work dir.
# Prints bench/idle_client.py's figures: RSS before, after the plain and after the TLS sessions,
# KiB per session of each kind, the gateway's descriptors, and the real client's time in ms.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly PW_BINARY="${PW_BINARY:-$REPO/build/postwarden}"
readonly PLAIN="${BENCH_PLAIN:-5000}"
readonly TLS="${BENCH_TLS:-5000}"

log() { echo "idle.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

for knob in PLAIN TLS; do
  [[ "${!knob}" =~ ^[0-9]+$ ]] || die "$knob must be a number, got '${!knob}'"
done
sessions=$((PLAIN + TLS + 100))
# Room for every idle session from 127.0.0.1 (an IP user: known, so no share is reserved from
# it); delivery held, since the one real message needs no next hop. The rest at its defaults.
# Started with a soft descriptor limit of 1,024: the gateway raises its own to the hard limit
# (the client raises its own too).
source "$REPO/bench/lib_gateway.sh"
bench_gateway_start idle "[server]
max_sessions = $sessions
max_sessions_per_ip = $sessions

[delivery]
enabled = false" 1024
log "gateway pid $PW_PID on 127.0.0.1:$PORT; its limits: $(grep 'open files' /proc/$PW_PID/limits)"
log "opening $PLAIN plain and $TLS TLS idle sessions"
timeout 900 /usr/bin/python3 "$REPO/bench/idle_client.py" "$PORT" "$PW_PID" "$PLAIN" "$TLS"
