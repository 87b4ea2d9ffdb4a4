#!/usr/bin/env bash
# Installs every Debian package postwarden needs (idempotent, non-interactive) and builds
# build/postwarden. Usage: scripts/setup.sh [--asan] [--fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # build
  g++ cmake ninja-build pkg-config
  # libraries
  libboost1.81-dev libssl-dev libsodium-dev libsqlite3-dev libtomlplusplus-dev libcli11-dev
  libspdlog-dev libfmt-dev libexpected-dev nlohmann-json3-dev libc-ares-dev
  libre2-dev zlib1g-dev libgmime-3.0-dev libzip-dev libmagic-dev
  libpq-dev  # the cluster's shared database (issue 18)
  # tests and benchmarks
  libgtest-dev libbenchmark-dev python3 python3-pytest swaks postfix openssl sqlite3 dnsmasq python3-aiosmtpd
  postgresql  # a throwaway server per test run (tests/support/pg_temp.sh), never the system one
  strace  # the spool's sync order under group commit (tests/e2e/test_group_commit.py)
  # DKIM: independent verifiers (tests) and the Postfix reference signer (bench/relay.sh)
  python3-dkim python3-dnspython python3-nacl python3-cryptography opendkim opendkim-tools
  # external scanners for tests and bench/scan_compare.sh (F-SPAM)
  rspamd spamassassin spamd spamc bogofilter
  clamav clamav-daemon
  # fuzzing (libFuzzer), and the format and clang-tidy checks of the test command
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
  # the web panel's browser tests (tests/e2e/test_panel_browser.py): playwright-core drives it
  chromium
)
# npm is not installed from Debian (it conflicts with the machine's Node.js, which brings npm):
# scripts/spam_corpus.sh needs it for the SpamAssassin corpus (F-SPAM).

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  # Postfix is only a peer for tests and benchmarks: install it without configuring a system MTA.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

JOBS="${PW_JOBS:-2}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"

# The web panel (F-PANEL): dependencies from web/package-lock.json (incl. playwright-core for the
# browser tests; no browser is downloaded, the tests use Debian's chromium), then web/dist when
# it is missing or older than its sources. Needs the machine's Node.js and npm.
if ! command -v npm >/dev/null; then
  echo "setup: npm not found (it comes with Node.js): the web panel is not built" >&2
else
  if [[ ! -f web/node_modules/.package-lock.json || web/package-lock.json -nt web/node_modules/.package-lock.json ]]; then
    (cd web && npm ci --no-audit --no-fund --prefer-offline)
  fi
  if [[ ! -f web/dist/index.html ]] ||
    [[ -n "$(find web/src web/index.html web/build.mjs web/package.json web/tsconfig.json -newer web/dist/index.html -print -quit)" ]]; then
    (cd web && npm run build)
  fi
fi

# The spam model (F-SPAM), trained on the corpus' train/ folders (80 % of spam-1 and easy-ham-1)
# and the tune half (odd numbers) of tests/data/modern, today's mail the project wrote; the
# report half and SpamAssassin's other folders are never trained on; each modern message counts
# 3 times (--extra-weight: chosen on the tune half alone, two folds). Made again when missing or
# older than the binary or the modern set. PW_SKIP_SPAM_MODEL=1 skips it.
modern_tune() {  # modern_tune KIND DIR: links the odd-numbered files of KIND into DIR
  rm -rf "$2" && mkdir -p "$2"
  local f n
  for f in "$PWD/tests/data/modern/$1/$1"-*.eml; do
    n=$(basename "$f" | sed -E 's/^[a-z]+-0*([0-9]+).*/\1/')
    if ((n % 2 == 1)); then ln -s "$f" "$2/"; fi
  done
}
if [[ -z "${PW_SKIP_SPAM_MODEL:-}" ]] && [[ ! -f build/spam.model || build/postwarden -nt build/spam.model ||
  -n "$(find tests/data/modern -newer build/spam.model -print -quit)" ]]; then
  corpus="$(scripts/spam_corpus.sh)"
  modern_tune spam build/modern-tune/spam
  modern_tune ham build/modern-tune/ham
  build/postwarden train --extra-weight 3 --spam "$corpus/train/spam" --spam build/modern-tune/spam \
    --ham "$corpus/train/ham" --ham build/modern-tune/ham --out build/spam.model
fi

for arg in "$@"; do
  case "$arg" in
    --asan)
      cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DPW_SANITIZE=ON >/dev/null
      cmake --build build-asan -j"$JOBS"
      ;;
    --fuzz)
      CXX=clang++-14 cmake -S tests/fuzz -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
      cmake --build build-fuzz -j"$JOBS"
      ;;
  esac
done
