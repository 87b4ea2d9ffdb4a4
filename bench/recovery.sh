#!/usr/bin/env bash
# Recovery benchmark: how soon a gateway restarted with a large queue starts delivering again
# (issue 3: "a restart with 100,000 queued messages starts delivering within seconds").
# 1. postwarden with delivery held (delivery.enabled = false) takes BENCH_MESSAGES messages from
#    smtp-source; 2. it is stopped; 3. it is started again with delivery on, relaying to
#    smtp-sink; printed: time to recover the queue (start until "queue_recovered"), time until
#    the first delivery, and time until the queue is empty.
# Knobs: BENCH_MESSAGES (100000), BENCH_SESSIONS (20), BENCH_SIZE (4096), PW_BINARY.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PW="${PW_BINARY:-$REPO/build/postwarden}"
MESSAGES="${BENCH_MESSAGES:-100000}"
SESSIONS="${BENCH_SESSIONS:-20}"
SIZE="${BENCH_SIZE:-4096}"
WORK="$(mktemp -d /tmp/pw-bench-recovery.XXXXXX)"
PW_PID="" SINK_PID=""
cleanup() {
  [ -n "$PW_PID" ] && kill "$PW_PID" 2>/dev/null && wait "$PW_PID" 2>/dev/null || true
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
wait_for_port() {
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "recovery.sh: port $1 never opened" >&2; exit 1
}

SMTP_PORT=$(free_port); SINK_PORT=$(free_port)
DATA="$WORK/data"
cat >"$WORK/held.toml" <<TOML
[server]
max_sessions_per_ip = 1000
[delivery]
enabled = false
dns_servers = ["127.0.0.1:9"]
TOML
cat >"$WORK/live.toml" <<TOML
[server]
max_sessions_per_ip = 1000
[delivery]
relay_host = "127.0.0.1:$SINK_PORT"
dns_servers = ["127.0.0.1:9"]
TOML
"$PW" --data-dir "$DATA" domain add example.com >/dev/null
"$PW" --data-dir "$DATA" user add --ip 127.0.0.1/32 --owner example.com >/dev/null

"$PW" serve --data-dir "$DATA" --config "$WORK/held.toml" --listen "127.0.0.1:$SMTP_PORT" 2>"$WORK/held.log" &
PW_PID=$!
wait_for_port "$SMTP_PORT"
start=$(now_ms)
/usr/sbin/smtp-source -c -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f sender@example.com \
  -t rcpt@example.net "127.0.0.1:$SMTP_PORT" >/dev/null
fill_ms=$(( $(now_ms) - start ))
kill -TERM "$PW_PID"; wait "$PW_PID" || true; PW_PID=""
queued=$(ls "$DATA/spool/incoming" | wc -l)
echo "filled: $queued messages in $((fill_ms / 1000)).$(( (fill_ms % 1000) / 100 )) s"

/usr/sbin/smtp-sink -u nobody -c "127.0.0.1:$SINK_PORT" 1000 >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
start=$(now_ms)
"$PW" serve --data-dir "$DATA" --config "$WORK/live.toml" --listen "127.0.0.1:$SMTP_PORT" 2>"$WORK/live.log" &
PW_PID=$!
recovered_ms="" first_ms="" 
deadline=$(( $(date +%s) + 1800 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if [ -z "$recovered_ms" ] && grep -q "event=queue_recovered" "$WORK/live.log"; then recovered_ms=$(( $(now_ms) - start )); fi
  if [ -z "$first_ms" ] && grep -q -m1 "event=delivered" "$WORK/live.log"; then first_ms=$(( $(now_ms) - start )); fi
  if [ -n "$first_ms" ] && [ -z "$(ls -A "$DATA/spool/incoming")" ]; then break; fi
  sleep 0.05
done
empty_ms=$(( $(now_ms) - start ))
left=$(ls "$DATA/spool/incoming" | wc -l)
echo "restart with $queued queued: recovered in ${recovered_ms:-?} ms, first delivery after ${first_ms:-?} ms, queue empty after $empty_ms ms ($left left)"
grep -o "event=queue_recovered.*" "$WORK/live.log" | head -1
