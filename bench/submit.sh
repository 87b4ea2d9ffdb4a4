#!/usr/bin/env bash
# Submit benchmark: how fast postwarden accepts and durably spools mail over SMTP, against a
# throwaway Postfix instance on the same machine in the same run (SPEC section 6, "Fast").
# Both servers get the same load from smtp-source; each must have every message on disk (fsynced
# before its 250) and deliver nothing. See bench/README.md, section "Submit".
#
# Knobs: BENCH_MESSAGES (20000), BENCH_SESSIONS (20), BENCH_SIZE (4096 octets of body),
#        BENCH_ROUNDS (1; with more, the targets alternate and each one's best round counts),
#        BENCH_TARGETS ("postwarden postfix"), BENCH_TIMEOUT (seconds per run, 900),
#        PW_BINARY (<repo>/build/postwarden), BENCH_KEEP=1 keeps the work dir for inspection.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly PW_BINARY="${PW_BINARY:-$REPO/build/postwarden}"
readonly MESSAGES="${BENCH_MESSAGES:-20000}"
readonly SESSIONS="${BENCH_SESSIONS:-20}"
readonly SIZE="${BENCH_SIZE:-4096}"
readonly ROUNDS="${BENCH_ROUNDS:-1}"
readonly TARGETS="${BENCH_TARGETS:-postwarden postfix}"
readonly RUN_TIMEOUT="${BENCH_TIMEOUT:-900}"
readonly SENDER="sender@example.com"
readonly RECIPIENT="rcpt@example.net"
readonly SYSTEM_POSTFIX_CONF="/etc/postfix"

log() { echo "submit.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

for knob in MESSAGES SESSIONS SIZE ROUNDS RUN_TIMEOUT; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer, got '${!knob}'"
done
for target in $TARGETS; do
  [[ "$target" == postwarden || "$target" == postfix ]] || die "unknown target '$target'"
done

WORK="$(mktemp -d /tmp/pw-bench-submit.XXXXXX)"
# Postfix daemons run as the postfix user and must traverse the path to their queue.
chmod 755 "$WORK"
PW_PID=""
PF_CONF=""
PF_MASTER_PID=""
PF_ALT_DIRS_ORIGINAL=""
PW_HOLD_DELIVERY=1
PF_MAIN_CF_CREATED=0
PF_ALT_DIRS_CHANGED=0

stop_pid() {  # stop_pid PID SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL
  local pid="$1" seconds="$2" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < seconds * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid ignored SIGTERM for ${seconds}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# The processes of our Postfix instance: its daemons carry MAIL_CONFIG=<our config dir>.
postfix_instance_pids() {
  local environ pid
  for environ in /proc/[0-9]*/environ; do
    pid="${environ#/proc/}"
    pid="${pid%/environ}"
    [[ "$pid" == "$$" ]] && continue
    if tr '\0' '\n' 2>/dev/null <"$environ" | grep -qx "MAIL_CONFIG=$PF_CONF"; then
      echo "$pid"
    fi
  done
}

cleanup() {
  local status=$?
  set +e
  [[ -n "$PW_PID" ]] && stop_pid "$PW_PID" 15
  if [[ -n "$PF_MASTER_PID" ]]; then
    postfix -c "$PF_CONF" stop >/dev/null 2>&1
    stop_pid "$PF_MASTER_PID" 20
  fi
  # Postfix children exit soon after their master; make sure none of this instance's are left.
  if [[ -n "$PF_CONF" ]]; then
    local i stray
    for ((i = 0; i < 50; i++)); do
      stray="$(postfix_instance_pids)"
      [[ -z "$stray" ]] && break
      ((i == 0)) && log "waiting for $(wc -w <<<"$stray") postfix processes to exit"
      sleep 0.1
    done
    [[ -n "$stray" ]] && kill -KILL $stray 2>/dev/null
  fi
  if ((PF_MAIN_CF_CREATED)); then
    rm -f "$SYSTEM_POSTFIX_CONF/main.cf"
  elif ((PF_ALT_DIRS_CHANGED)); then
    postconf -c "$SYSTEM_POSTFIX_CONF" -e "alternate_config_directories = $PF_ALT_DIRS_ORIGINAL"
  fi
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
    log "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() {  # wait_for_port PORT PID SECONDS
  local port="$1" pid="$2" seconds="$3" i
  for ((i = 0; i < seconds * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

now() { date +%s.%N; }

count_files() { find "$@" -type f 2>/dev/null | wc -l; }

# run_load NAME PORT: runs smtp-source against 127.0.0.1:PORT, sets ELAPSED (wall-clock seconds).
run_load() {
  local name="$1" port="$2" start end status=0
  log "$name: sending $MESSAGES messages of $SIZE octets over $SESSIONS sessions"
  start="$(now)"
  timeout "$RUN_TIMEOUT" smtp-source -c -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" \
    -f "$SENDER" -t "$RECIPIENT" "127.0.0.1:$port" >"$WORK/$name-smtp-source.log" 2>&1 || status=$?
  end="$(now)"
  if ((status != 0)); then
    tail -n 5 "$WORK/$name-smtp-source.log" | tr '\r' '\n' | tail -n 5 >&2
    die "$name: smtp-source exited with status $status"
  fi
  ELAPSED="$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')"
}

# wait_for_count NAME EXPECTED SECONDS DIR...: every accepted message must be on disk.
wait_for_count() {
  local name="$1" expected="$2" seconds="$3" i count=0
  shift 3
  for ((i = 0; i <= seconds * 10; i++)); do
    count="$(count_files "$@")"
    ((count >= expected)) && break
    sleep 0.1
  done
  ((count == expected)) || die "$name: expected $expected spooled messages, found $count"
}

rate() { awk -v n="$MESSAGES" -v t="$1" 'BEGIN { printf "%.0f", n / t }'; }

declare -A BEST_SECONDS=()
record() {  # record TARGET SECONDS: keeps each target's fastest round
  local target="$1" seconds="$2" best="${BEST_SECONDS[$1]:-}"
  log "$target: round $ROUND: $(rate "$seconds") msg/s ($MESSAGES messages in $seconds s)"
  if [[ -z "$best" ]] || awk -v a="$seconds" -v b="$best" 'BEGIN { exit !(a < b) }'; then
    BEST_SECONDS[$target]="$seconds"
  fi
}

# --- postwarden -------------------------------------------------------------------------------
bench_postwarden() {
  [[ -x "$PW_BINARY" ]] || die "postwarden binary not found at $PW_BINARY (build it first)"
  local round="$1" data="$WORK/postwarden-data" port
  rm -rf "$data"
  mkdir -p "$data"
  port="$(free_port)"
  # smtp-source opens all its sessions from 127.0.0.1 and reconnects for every message: lift the
  # per-IP limit (default 10) to the total one, as the Postfix side has no per-client limit
  # either (a session's slot is freed a moment after the client has gone, so a limit just
  # above the session count would refuse some reconnections on a busy machine). Delivery is
  # held, as Postfix's is: the figure is acceptance into the durable queue. The rest stays at
  # its defaults, as a deployment would have it.
  cat >"$WORK/postwarden.toml" <<EOF
[server]
max_sessions_per_ip = $((SESSIONS > 1000 ? SESSIONS : 1000))
max_sessions = $((SESSIONS > 1000 ? SESSIONS : 1000))
EOF
  if ((PW_HOLD_DELIVERY)); then
    printf '[delivery]\nenabled = false\n' >>"$WORK/postwarden.toml"
  fi
  "$PW_BINARY" --data-dir "$data" --config "$WORK/postwarden.toml" domain add example.com \
    >>"$WORK/postwarden-cli.log"
  "$PW_BINARY" --data-dir "$data" --config "$WORK/postwarden.toml" \
    user add --ip 127.0.0.1/32 --owner example.com >>"$WORK/postwarden-cli.log"
  "$PW_BINARY" serve --data-dir "$data" --config "$WORK/postwarden.toml" \
    --listen "127.0.0.1:$port" 2>"$WORK/postwarden-$round.log" &
  PW_PID=$!
  if ! wait_for_port "$port" "$PW_PID" 20; then
    # A build from before delivery existed refuses the [delivery] section: it has nothing to hold.
    if ((PW_HOLD_DELIVERY)) && grep -q 'delivery' "$WORK/postwarden-$round.log"; then
      log "postwarden: this build has no [delivery] settings; running without them"
      PW_HOLD_DELIVERY=0
      stop_pid "$PW_PID" 5
      PW_PID=""
      bench_postwarden "$round"
      return
    fi
    tail -n 20 "$WORK/postwarden-$round.log" >&2
    die "postwarden did not accept connections on 127.0.0.1:$port within 20 s"
  fi
  run_load postwarden "$port"
  wait_for_count postwarden "$MESSAGES" 10 "$data/spool/incoming"
  stop_pid "$PW_PID" 15
  PW_PID=""
  rm -rf "$data"
  record postwarden "$ELAPSED"
}

# --- Postfix ----------------------------------------------------------------------------------
ensure_postfix_installed() {
  [[ -x /usr/sbin/postfix && -x /usr/sbin/smtp-source ]] && return 0
  log "installing postfix (no system-wide configuration)"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y postfix >/dev/null
}

# Postfix only runs an instance whose config dir the default main.cf lists.
allow_postfix_config_dir() {
  local dir="$1"
  if [[ ! -f "$SYSTEM_POSTFIX_CONF/main.cf" ]]; then
    cp "$SYSTEM_POSTFIX_CONF/main.cf.proto" "$SYSTEM_POSTFIX_CONF/main.cf"
    PF_MAIN_CF_CREATED=1
  else
    PF_ALT_DIRS_ORIGINAL="$(postconf -c "$SYSTEM_POSTFIX_CONF" -h alternate_config_directories)"
    PF_ALT_DIRS_CHANGED=1
  fi
  postconf -c "$SYSTEM_POSTFIX_CONF" -e \
    "alternate_config_directories = ${PF_ALT_DIRS_ORIGINAL:+$PF_ALT_DIRS_ORIGINAL, }$dir"
}

bench_postfix() {
  local round="$1" conf="$WORK/postfix-etc" queue="$WORK/postfix-queue" data="$WORK/postfix-data"
  local port unused_port
  if [[ -z "$PF_CONF" ]]; then
    ensure_postfix_installed
    PF_CONF="$conf"
    mkdir -p "$conf"
    allow_postfix_config_dir "$conf"
  fi
  rm -rf "$queue" "$data"
  mkdir -p "$queue" "$data"
  port="$(free_port)"
  unused_port="$(free_port)"
  # Accept from loopback, put every message on hold (written and fsynced into the queue as usual,
  # never scheduled), and should one slip through anyway, defer it to a port nobody listens on.
  cat >"$conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $queue
data_directory = $data
meta_directory = $SYSTEM_POSTFIX_CONF
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.postfix.invalid
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$unused_port
defer_transports = smtp, relay
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = check_client_access static:HOLD
smtpd_client_connection_count_limit = 0
alias_maps =
alias_database =
local_transport = error:no local delivery
local_recipient_maps =
maillog_file = /dev/stdout
EOF
  # The SMTP listener on our port; no chroot (it would need copies of /etc in the queue dir).
  awk -v listen="127.0.0.1:$port" '
    /^smtp[ \t]+inet[ \t]/ { $1 = listen }
    /^[a-z]/ && $2 ~ /^(inet|unix|unix-dgram|fifo|pass)$/ && NF >= 8 { $5 = "n" }
    { print }' "$SYSTEM_POSTFIX_CONF/master.cf" >"$conf/master.cf"
  postfix -c "$conf" set-permissions >"$WORK/postfix-setup.log" 2>&1 ||
    { cat "$WORK/postfix-setup.log" >&2; die "postfix set-permissions failed"; }
  postfix -c "$conf" check >>"$WORK/postfix-setup.log" 2>&1 ||
    { cat "$WORK/postfix-setup.log" >&2; die "postfix check failed"; }
  postfix -c "$conf" start-fg >"$WORK/postfix-$round.log" 2>&1 &
  PF_MASTER_PID=$!
  wait_for_port "$port" "$PF_MASTER_PID" 30 || {
    tail -n 20 "$WORK/postfix-$round.log" >&2
    die "postfix did not accept connections on 127.0.0.1:$port within 30 s"
  }
  run_load postfix "$port"
  wait_for_count postfix "$MESSAGES" 30 \
    "$queue/maildrop" "$queue/incoming" "$queue/active" "$queue/deferred" "$queue/hold"
  local delivered
  delivered="$(grep -c 'status=sent' "$WORK/postfix-$round.log" || true)"
  ((delivered == 0)) || die "postfix delivered $delivered messages; it must hold them all"
  postfix -c "$conf" stop >/dev/null 2>&1 || true
  stop_pid "$PF_MASTER_PID" 20
  PF_MASTER_PID=""
  rm -rf "$queue"
  record postfix "$ELAPSED"
}

log "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  for target in $TARGETS; do
    "bench_$target" "$ROUND"
  done
done
log "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
for target in $TARGETS; do
  seconds="${BEST_SECONDS[$target]}"
  echo "$target: $(rate "$seconds") msg/s ($MESSAGES messages in ${seconds} s)"
done
if [[ -n "${BEST_SECONDS[postwarden]:-}" && -n "${BEST_SECONDS[postfix]:-}" ]]; then
  # Same message count for both, so the ratio of rates is the inverse ratio of times.
  echo "ratio: $(awk -v p="${BEST_SECONDS[postwarden]}" -v f="${BEST_SECONDS[postfix]}" \
    'BEGIN { printf "%.2f", f / p }')"
fi
