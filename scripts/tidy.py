#!/usr/bin/env python3
"""Runs clang-tidy (the repository's .clang-tidy) on every source under src/ (issue 16 item 6).

Each file is checked as it is compiled in `build/` (its compile_commands.json entry), without the
precompiled header, so a file that leans on the PCH for an include it does not write fails too.

clang-tidy takes 5 to 12 s per file on this machine (the Asio headers), about 20 minutes for all
of src/ on 2 cores: more than the test command can spend. So a file that passed is written down
in scripts/tidy_clean.txt with a fingerprint of everything its result depends on: the clang-tidy
version, .clang-tidy, the file's compile command, the file and every project header it includes
(transitively). A file whose fingerprint is there is not checked again; any change to one of
those inputs checks it again. A stale line costs time, never a missed finding.

  scripts/tidy.py            check what changed; record the files that pass
  scripts/tidy.py --all      check every file, ignoring the record
  scripts/tidy.py FILE...    check these files only (and record them)
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RECORD = REPO / "scripts" / "tidy_clean.txt"
TIDY = os.environ.get("PW_CLANG_TIDY", "clang-tidy-14")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
PCH_FLAGS = [
    re.compile(r" -Winvalid-pch"),
    re.compile(r" -Xclang -include-pch -Xclang \S+"),
    re.compile(r" -Xclang -include -Xclang \S+"),
]


def tidy_database(build: Path, out_dir: Path) -> dict:
    """The build's compile commands without the PCH, keyed by source path relative to the repo."""
    entries = json.loads((build / "compile_commands.json").read_text())
    commands = {}
    kept = []
    for entry in entries:
        source = Path(entry["file"]).resolve()
        try:
            rel = source.relative_to(REPO).as_posix()
        except ValueError:
            continue
        command = entry["command"]
        for flag in PCH_FLAGS:
            command = flag.sub("", command)
        entry = dict(entry, command=command)
        kept.append(entry)
        commands[rel] = command
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "compile_commands.json").write_text(json.dumps(kept, indent=1))
    return commands


def project_headers(source: Path, cache: dict) -> list:
    """Every project header `source` includes, directly or not (quoted includes under src/)."""
    seen, unread = set(), [source]
    while unread:
        path = unread.pop()
        if path in cache:
            names = cache[path]
        else:
            names = INCLUDE.findall(path.read_text(errors="replace"))
            cache[path] = names
        for name in names:
            header = REPO / "src" / name
            if header.is_file() and header not in seen:
                seen.add(header)
                unread.append(header)
    return sorted(seen)


def fingerprint(rel: str, command: str, version: str, config: bytes, cache: dict) -> str:
    digest = hashlib.sha256()
    digest.update(version.encode())
    digest.update(config)
    # The same command on another checkout: the repository's path is not part of it.
    digest.update(command.replace(str(REPO), "<repo>").encode())
    source = REPO / rel
    for path in [source] + project_headers(source, cache):
        digest.update(path.relative_to(REPO).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read_record() -> dict:
    if not RECORD.exists():
        return {}
    record = {}
    for line in RECORD.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#"):
            record[parts[0]] = parts[1]
    return record


def write_record(record: dict) -> None:
    lines = ["# Sources that passed scripts/tidy.py, with the fingerprint of their inputs."]
    lines += [f"{rel} {record[rel]}" for rel in sorted(record) if (REPO / rel).is_file()]
    RECORD.write_text("\n".join(lines) + "\n")


def run_tidy(rel: str, db_dir: Path) -> tuple:
    proc = subprocess.run([TIDY, "-p", str(db_dir), "--quiet", str(REPO / rel)],
                          capture_output=True, text=True)
    findings = [line for line in (proc.stdout + proc.stderr).splitlines()
                if re.search(r"(error|warning):", line)]
    return rel, proc.returncode == 0 and not findings, proc.stdout + proc.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="ignore the record of clean files")
    parser.add_argument("--build", default=str(REPO / "build"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()

    build = Path(args.build)
    db_dir = build / "tidy"
    commands = tidy_database(build, db_dir)
    version = subprocess.run([TIDY, "--version"], capture_output=True, text=True).stdout
    config = (REPO / ".clang-tidy").read_bytes()
    wanted = [Path(f).resolve().relative_to(REPO).as_posix() for f in args.files] or sorted(
        rel for rel in commands if rel.startswith("src/") and rel.endswith(".cpp"))
    missing = [rel for rel in wanted if rel not in commands]
    if missing:
        print(f"tidy: not in {build}/compile_commands.json: {' '.join(missing)}", file=sys.stderr)
        return 2

    record = read_record()
    cache: dict = {}
    prints = {rel: fingerprint(rel, commands[rel], version, config, cache) for rel in wanted}
    to_check = [rel for rel in wanted if args.all or record.get(rel) != prints[rel]]
    print(f"tidy: {len(wanted)} sources, {len(wanted) - len(to_check)} unchanged since they passed, "
          f"{len(to_check)} to check", flush=True)
    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for rel, clean, output in pool.map(lambda r: run_tidy(r, db_dir), to_check):
            if clean:
                record[rel] = prints[rel]
            else:
                record.pop(rel, None)
                failed.append(rel)
                print(output.rstrip(), flush=True)
    write_record(record)
    if failed:
        print(f"tidy: {len(failed)} of {len(to_check)} checked sources have findings: "
              f"{' '.join(failed)}", file=sys.stderr)
        return 1
    print(f"tidy: clean ({len(to_check)} checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
