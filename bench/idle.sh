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
[[ -x "$PW_BINARY" ]] || die "postwarden binary not found at $PW_BINARY (build it first)"

WORK="$(mktemp -d /tmp/pw-bench-idle.XXXXXX)"
PW_PID=""
cleanup() {
  if [[ -n "$PW_PID" ]] && kill -0 "$PW_PID" 2>/dev/null; then
    kill -TERM "$PW_PID" 2>/dev/null || true
    wait "$PW_PID" 2>/dev/null || true
  fi
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

port="$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
sessions=$((PLAIN + TLS + 100))
# Room for every idle session from 127.0.0.1 (an IP user: known, so no share is reserved from
# it); delivery held, since the one real message needs no next hop. The rest at its defaults.
cat >"$WORK/postwarden.toml" <<EOT
[server]
max_sessions = $sessions
max_sessions_per_ip = $sessions

[delivery]
enabled = false
EOT
data="$WORK/data"
mkdir -p "$data"
"$PW_BINARY" --data-dir "$data" --config "$WORK/postwarden.toml" domain add example.com >/dev/null
"$PW_BINARY" --data-dir "$data" --config "$WORK/postwarden.toml" \
  user add --ip 127.0.0.1/32 --owner example.com >/dev/null
# Started with the shell's soft descriptor limit lowered: the gateway raises its own to the hard
# limit (the client raises its own too).
(ulimit -Sn 1024 && exec "$PW_BINARY" serve --data-dir "$data" --config "$WORK/postwarden.toml" \
  --listen "127.0.0.1:$port") 2>"$WORK/postwarden.log" &
PW_PID=$!
for ((i = 0; i < 200; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$PW_PID" 2>/dev/null || { tail -n 20 "$WORK/postwarden.log" >&2; die "postwarden exited"; }
  sleep 0.1
done
log "gateway pid $PW_PID on 127.0.0.1:$port; its limits: $(grep 'open files' /proc/$PW_PID/limits)"
log "opening $PLAIN plain and $TLS TLS idle sessions"
timeout 900 /usr/bin/python3 "$REPO/bench/idle_client.py" "$port" "$PW_PID" "$PLAIN" "$TLS"
