#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (issue 18), never the system's: initdb in a new
# directory under /tmp (which the server's user can reach wherever the checkout is), the server
# listening only on a Unix socket there (no TCP port at all), trust authentication for the one
# role "pw", and a database "pw". DIR keeps the state: DIR/url and DIR/server (that directory).
#   tests/support/pg_temp.sh start DIR   prints the connection URI, also written to DIR/url
#   tests/support/pg_temp.sh stop DIR    stops the server (fast shutdown), removes it and DIR
# PostgreSQL refuses to run as root: under root the server runs as the "postgres" user the
# Debian package creates. Needs Debian's postgresql (15): /usr/lib/postgresql/15/bin.
set -euo pipefail

die() { echo "pg_temp.sh: error: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: pg_temp.sh start|stop DIR"
action="$1"
state="$2"
bin="$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
[[ -n "$bin" && -x "$bin/initdb" ]] || die "PostgreSQL not installed (apt-get install postgresql)"

as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_server() {
  local server
  server="$(cat "$state/server" 2>/dev/null || true)"
  if [[ -n "$server" && -f "$server/data/postmaster.pid" ]]; then
    as_owner "$bin/pg_ctl" -D "$server/data" -m "$1" -w -t 60 stop >/dev/null 2>&1 || true
  fi
  [[ -n "$server" && "$server" == /tmp/pw-pg.* ]] && rm -rf "$server"
  rm -rf "$state"
}

case "$action" in
  start)
    stop_server immediate  # a server left by a run that was killed
    mkdir -p "$state"
    server="$(mktemp -d /tmp/pw-pg.XXXXXX)"
    echo "$server" >"$state/server"
    chmod 755 "$server"
    [[ "$(id -u)" == 0 ]] && chown postgres: "$server"
    as_owner "$bin/initdb" -D "$server/data" -U pw -A trust -E UTF8 --no-locale \
      >"$state/initdb.log" 2>&1 || { cat "$state/initdb.log" >&2; die "initdb failed"; }
    as_owner "$bin/pg_ctl" -D "$server/data" -l "$server/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $server -c fsync=off -c max_connections=200" start \
      >/dev/null || { cat "$server/server.log" >&2; die "the server did not start"; }
    as_owner "$bin/createdb" -h "$server" -U pw pw || die "createdb failed"
    url="postgresql:///pw?host=$server&user=pw"
    echo "$url" >"$state/url"
    echo "$url"
    ;;
  stop) stop_server fast ;;
  *) die "usage: pg_temp.sh start|stop DIR" ;;
esac
