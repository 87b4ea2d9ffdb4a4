# Sourced by bench/scan_compare.sh and bench/sa_ceiling.sh: the one way both train postwarden and
# bogofilter, as scripts/setup.sh trains the shipped model: the corpus' train/ folders plus the
# tune half (odd numbers) of tests/data/modern, each modern message counted MODERN_WEIGHT times.
MODERN_WEIGHT=3

# link_modern_tune REPO DIR: links the tune half's files into DIR/ham and DIR/spam.
link_modern_tune() {
  local kind f num
  for kind in ham spam; do
    mkdir -p "$2/$kind"
    for f in "$1/tests/data/modern/$kind"/"$kind"-*.eml; do
      num=$(basename "$f" | sed -E 's/^[a-z]+-0*([0-9]+).*/\1/')
      if ((num % 2 == 1)); then ln -s "$f" "$2/$kind/"; fi
    done
  done
}

# train_postwarden PW DATA_DIR CORPUS TUNE_DIR MODEL: the train command's output on stdout.
train_postwarden() {
  "$1" --data-dir "$2" train --extra-weight "$MODERN_WEIGHT" --spam "$3/train/spam" \
    --spam "$4/spam" --ham "$3/train/ham" --ham "$4/ham" --out "$5"
}

# train_bogofilter DB_DIR CORPUS TUNE_DIR: registers the same messages, the tune half
# MODERN_WEIGHT times.
train_bogofilter() {
  local i
  mkdir -p "$1"
  bogofilter -d "$1" -s -B "$2"/train/spam/*
  bogofilter -d "$1" -n -B "$2"/train/ham/*
  for ((i = 0; i < MODERN_WEIGHT; i++)); do
    bogofilter -d "$1" -s -B "$3"/spam/*
    bogofilter -d "$1" -n -B "$3"/ham/*
  done
}
