# shellcheck shell=bash
# Sourced by bench/relay.sh: the Postfix reference of the Relay benchmark -- a throwaway Postfix
# instance (own config, queue and data dirs under $WORK) relaying to its own fresh smtp-sink,
# with Debian's opendkim milter signing when BENCH_DKIM is set. The caller defines log, die,
# stop_pid, free_port, wait_for_port, count_files, the sink's start_sink/stop_sink/check_signed,
# run_relay and record, and sets WORK, DKIM, DKIM_DOMAIN, DKIM_SELECTOR and MESSAGES.
# bench_postfix ROUND runs one round; postfix_cleanup (from the caller's EXIT trap) stops what is
# left of the instance and the milter and undoes the change to /etc/postfix/main.cf.

readonly SYSTEM_POSTFIX_CONF="/etc/postfix"
OD_PID=""
OD_DIR=""
PF_CONF=""
PF_MASTER_PID=""
PF_ALT_DIRS_ORIGINAL=""
PF_MAIN_CF_CREATED=0
PF_ALT_DIRS_CHANGED=0

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

postfix_cleanup() {
  local i stray=() pid
  if [[ -n "$PF_MASTER_PID" ]]; then
    postfix -c "$PF_CONF" stop >/dev/null 2>&1
    stop_pid "$PF_MASTER_PID" 20
  fi
  if [[ -n "$PF_CONF" ]]; then
    for ((i = 0; i < 50; i++)); do
      mapfile -t stray < <(postfix_instance_pids)
      ((${#stray[@]} == 0)) && break
      ((i == 0)) && log "waiting for ${#stray[@]} postfix processes to exit"
      sleep 0.1
    done
    for pid in "${stray[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  fi
  [[ -n "$OD_PID" ]] && stop_pid "$OD_PID" 10
  [[ -n "$OD_DIR" ]] && rm -rf "$OD_DIR"
  if ((PF_MAIN_CF_CREATED)); then
    rm -f "$SYSTEM_POSTFIX_CONF/main.cf"
  elif ((PF_ALT_DIRS_CHANGED)); then
    postconf -c "$SYSTEM_POSTFIX_CONF" -e "alternate_config_directories = $PF_ALT_DIRS_ORIGINAL"
  fi
  return 0
}

allow_postfix_config_dir() {  # Postfix only runs an instance that the default main.cf lists
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

# Debian's opendkim milter, signing for DKIM_DOMAIN with its own throwaway key and config, in
# the foreground on a loopback TCP socket. Sets OD_PID, OD_PORT and OD_RECORD (the TXT record of
# its key, for the proof at the sink).
start_opendkim() {  # start_opendkim ROUND
  local dir algorithm public
  # opendkim refuses a config or key file below a directory others may write (so not /tmp):
  # its own directory under /run, removed by the trap.
  [[ -n "$OD_DIR" ]] && rm -rf "$OD_DIR"
  OD_DIR="$(mktemp -d /run/pw-bench-opendkim.XXXXXX)"
  dir="$OD_DIR"
  if [[ "$DKIM" == rsa ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/key.pem" 2>/dev/null
    public="$(openssl pkey -in "$dir/key.pem" -pubout -outform DER | base64 -w0)"
    OD_RECORD="v=DKIM1; k=rsa; p=$public"
    algorithm=rsa-sha256
  else
    openssl genpkey -algorithm ed25519 -out "$dir/key.pem" 2>/dev/null
    # The record holds the raw 32-octet key (RFC 8463), the end of the DER SubjectPublicKeyInfo.
    public="$(openssl pkey -in "$dir/key.pem" -pubout -outform DER | tail -c 32 | base64 -w0)"
    OD_RECORD="v=DKIM1; k=ed25519; p=$public"
    algorithm=ed25519-sha256
  fi
  chmod 600 "$dir/key.pem"
  OD_PORT="$(free_port)"
  # Sign (mode s) mail from the loopback clients, relaxed/relaxed and From over-signed like
  # postwarden's defaults; no syslog, no pid file, no privilege drop (root owns the key).
  cat >"$dir/opendkim.conf" <<EOF
Mode                    s
Domain                  $DKIM_DOMAIN
Selector                $DKIM_SELECTOR
KeyFile                 $dir/key.pem
SignatureAlgorithm      $algorithm
Canonicalization        relaxed/relaxed
OversignHeaders         From
InternalHosts           127.0.0.0/8
Socket                  inet:$OD_PORT@127.0.0.1
Background              no
Syslog                  no
EOF
  opendkim -f -x "$dir/opendkim.conf" >"$WORK/opendkim-$1.log" 2>&1 &
  OD_PID=$!
  wait_for_port "$OD_PORT" "$OD_PID" 20 || {
    tail -n 20 "$WORK/opendkim-$1.log" >&2
    die "opendkim did not listen on 127.0.0.1:$OD_PORT within 20 s"
  }
}

bench_postfix() {
  local round="$1" conf="$WORK/postfix-etc" queue="$WORK/postfix-queue" data="$WORK/postfix-data"
  local port i left sent
  if [[ -z "$PF_CONF" ]]; then
    PF_CONF="$conf"
    mkdir -p "$conf"
    allow_postfix_config_dir "$conf"
  fi
  rm -rf "$queue" "$data"
  mkdir -p "$queue" "$data"
  start_sink "postfix-$round"
  port="$(free_port)"
  # A relay for loopback clients to the sink, otherwise Postfix's defaults (20 connections per
  # destination, connection caching on demand), like postwarden's.
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
relayhost = [127.0.0.1]:$SINK_PORT
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_client_connection_count_limit = 0
alias_maps =
alias_database =
local_transport = error:no local delivery
local_recipient_maps =
maillog_file = /dev/stdout
EOF
  OD_RECORD=""
  if [[ -n "$DKIM" ]]; then
    start_opendkim "$round"
    # The milter on every message; if it cannot be reached, mail waits (never leaves unsigned).
    cat >>"$conf/main.cf" <<EOF
smtpd_milters = inet:127.0.0.1:$OD_PORT
non_smtpd_milters = inet:127.0.0.1:$OD_PORT
milter_default_action = tempfail
EOF
  fi
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
  run_relay postfix "$port"
  # Its queue is empty, and its log says sent for each message.
  for ((i = 0; i < 300; i++)); do
    left="$(count_files "$queue/maildrop" "$queue/incoming" "$queue/active" "$queue/deferred")"
    ((left == 0)) && break
    sleep 0.1
  done
  ((left == 0)) || die "postfix: $left files left in its queue after the sink had them all"
  sent="$(grep -c 'status=sent' "$WORK/postfix-$round.log" || true)"
  ((sent == MESSAGES)) || die "postfix: $sent status=sent lines, not $MESSAGES"
  postfix -c "$conf" stop >/dev/null 2>&1 || true
  stop_pid "$PF_MASTER_PID" 20
  PF_MASTER_PID=""
  if [[ -n "$OD_PID" ]]; then
    stop_pid "$OD_PID" 10
    OD_PID=""
  fi
  stop_sink
  check_signed postfix "$OD_RECORD"
  rm -rf "$queue"
  record postfix
}
