#!/usr/bin/env bash
# Held-out figures of the spam classifier (F-SPAM): trains on the corpus' train/ folders (the
# only data trained or tuned on), scans the held-out test/ folders and prints one line per tool:
#   tool precision recall fpr msgs_per_s
# precision/recall for spam, fpr = ham judged spam / ham; msgs_per_s = messages classified per
# second of one core's CPU time (postwarden scan --timing: parsing, tokens, model and rules).
# Usage: bench/classifier_eval.sh   (PW_CORPUS_DIR: see scripts/spam_corpus.sh)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PW="${PW_BINARY:-$REPO/build/postwarden}"
corpus="$("$REPO/scripts/spam_corpus.sh")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$PW" train --spam "$corpus/train/spam" --ham "$corpus/train/ham" --out "$work/spam.model" >"$work/train.txt"
for class in spam ham; do
  "$PW" scan --json --timing --model "$work/spam.model" "$corpus/test/$class"/* \
    >"$work/$class.json" 2>"$work/$class.timing"
done

python3 - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
verdicts = {c: json.load(open(f"{work}/{c}.json")) for c in ("spam", "ham")}
tp = sum(v["verdict"] == "spam" for v in verdicts["spam"])
fn = len(verdicts["spam"]) - tp
fp = sum(v["verdict"] == "spam" for v in verdicts["ham"])
tn = len(verdicts["ham"]) - fp
msgs, cpu = 0, 0.0
for c in ("spam", "ham"):
    m = re.search(r"scanned (\d+) messages in ([0-9.]+) s", open(f"{work}/{c}.timing").read())
    msgs, cpu = msgs + int(m.group(1)), cpu + float(m.group(2))
precision = tp / (tp + fp) if tp + fp else 0.0
recall = tp / (tp + fn) if tp + fn else 0.0
fpr = fp / (fp + tn) if fp + tn else 0.0
print("tool precision recall fpr msgs_per_s")
print(f"postwarden {precision:.4f} {recall:.4f} {fpr:.4f} {msgs / cpu if cpu else 0:.0f}")
PY
