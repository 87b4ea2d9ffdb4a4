# Sourced by bench/idle.sh and bench/bigmsg.sh: one postwarden gateway in a throwaway work dir,
# with the domain example.com and the IP sender 127.0.0.1/32. The caller defines log and die and
# sets PW_BINARY. bench_gateway_start NAME CONFIG [SOFT_NOFILE] makes the work dir ($WORK, removed
# on exit unless BENCH_KEEP=1), writes CONFIG as its postwarden.toml, provisions, starts `serve`
# on a free loopback port ($PORT, pid $PW_PID; with SOFT_NOFILE, under that soft descriptor
# limit) and waits until it accepts connections (20 s at most). BENCH_DIR (/tmp) holds the work
# dir: /dev/shm takes the file system out of a comparison of CPU time (no inode scans, no syncs).

bench_gateway_cleanup() {
  if [[ -n "${PW_PID:-}" ]] && kill -0 "$PW_PID" 2>/dev/null; then
    kill -TERM "$PW_PID" 2>/dev/null || true
    wait "$PW_PID" 2>/dev/null || true
  fi
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}

bench_gateway_start() {
  local name="$1" config="$2" soft_nofile="${3:-}" data i
  [[ -x "$PW_BINARY" ]] || die "postwarden binary not found at $PW_BINARY (build it first)"
  WORK="$(mktemp -d "${BENCH_DIR:-/tmp}/pw-bench-$name.XXXXXX")"
  PW_PID=""
  trap bench_gateway_cleanup EXIT
  PORT="$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  printf '%s\n' "$config" >"$WORK/postwarden.toml"
  data="$WORK/data"
  mkdir -p "$data"
  "$PW_BINARY" --data-dir "$data" --config "$WORK/postwarden.toml" domain add example.com >/dev/null
  "$PW_BINARY" --data-dir "$data" --config "$WORK/postwarden.toml" \
    user add --ip 127.0.0.1/32 --owner example.com >/dev/null
  (if [[ -n "$soft_nofile" ]]; then ulimit -Sn "$soft_nofile"; fi
   exec "$PW_BINARY" serve --data-dir "$data" --config "$WORK/postwarden.toml" \
     --listen "127.0.0.1:$PORT") 2>"$WORK/postwarden.log" &
  PW_PID=$!
  for ((i = 0; i < 200; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    kill -0 "$PW_PID" 2>/dev/null || { tail -n 20 "$WORK/postwarden.log" >&2; die "postwarden exited"; }
    sleep 0.1
  done
  die "postwarden did not accept connections on 127.0.0.1:$PORT within 20 s"
}
