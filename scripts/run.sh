#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and starts the gateway on the embedded default
# (SQLite in ./data, a self-signed certificate made on first start, listening on loopback).
# On first start it creates a demo domain and a demo user and prints their credentials.
# It also serves the web panel and REST API on PW_HTTP and prints the first admin's password.
# Environment: PW_DATA_DIR (default ./data), PW_LISTEN (default 127.0.0.1:587), PW_HTTP (default
# 127.0.0.1:8443), PW_RELAY_HOST.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
DATA_DIR="${PW_DATA_DIR:-$PWD/data}"
LISTEN="${PW_LISTEN:-127.0.0.1:587}"
HTTP="${PW_HTTP:-127.0.0.1:8443}"
PW=build/postwarden
export POSTWARDEN_DATA_DIR="$DATA_DIR"

if [ ! -f "$DATA_DIR/postwarden.db" ]; then
  mkdir -p "$DATA_DIR"
  $PW domain add demo.example --admin-contact postmaster@demo.example >/dev/null
  password=$($PW user add --user demo@demo.example | sed -n 's/^password: //p')
  $PW user add --domain demo.example >/dev/null
  $PW user add --ip 127.0.0.1/32 --owner demo.example >/dev/null
  umask 077
  printf 'user: demo@demo.example\npassword: %s\n' "$password" >"$DATA_DIR/demo-credentials.txt"
fi
# The panel's first administrator (F-PANEL), made once; its password is kept beside the demo's.
if [ ! -f "$DATA_DIR/admin-credentials.txt" ]; then
  admin_password=$($PW admin add admin | sed -n 's/^password: //p')
  umask 077
  printf 'user: admin\npassword: %s\n' "$admin_password" >"$DATA_DIR/admin-credentials.txt"
fi
admin_password=$(sed -n 's/^password: //p' "$DATA_DIR/admin-credentials.txt")
# The spam model trained by setup.sh, where serve looks for it (<data-dir>/spam.model).
if [ -f build/spam.model ] && { [ ! -f "$DATA_DIR/spam.model" ] || [ build/spam.model -nt "$DATA_DIR/spam.model" ]; }; then
  cp build/spam.model "$DATA_DIR/spam.model"
fi
password=$(sed -n 's/^password: //p' "$DATA_DIR/demo-credentials.txt" 2>/dev/null || true)
port="${LISTEN##*:}"
host="${LISTEN%:*}"
cat <<MSG

postwarden is starting on $LISTEN (data in $DATA_DIR).
  demo domain : demo.example (IP sender 127.0.0.1/32 may relay without AUTH)
  demo user   : demo@demo.example
  password    : ${password:-see $DATA_DIR/demo-credentials.txt}
Try it:
  swaks --server $host:$port --tls --auth PLAIN --auth-user demo@demo.example \\
        --auth-password '$password' --from demo@demo.example --to someone@example.org
Web panel and REST API: https://$HTTP/  (self-signed certificate)
  admin user  : admin
  password    : $admin_password
  API         : https://$HTTP/api/v1/openapi.json
Accepted mail is queued in $DATA_DIR/spool and delivered to the recipients' MX hosts
(PW_RELAY_HOST=host:port sends everything to one host instead). Stop with Ctrl-C.
  build/postwarden log search     # what happened to each message
  build/postwarden queue list     # what is waiting

MSG
relay=()
[ -n "${PW_RELAY_HOST:-}" ] && relay=(--relay-host "$PW_RELAY_HOST")
exec $PW serve --data-dir "$DATA_DIR" --listen "$LISTEN" --http "$HTTP" "${relay[@]}"
