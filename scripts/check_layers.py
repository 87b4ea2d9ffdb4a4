#!/usr/bin/env python3
"""The layer check (issue 16): a module under src/ may include only modules of lower layers.

The layers and the allowances are declared in one file, scripts/layers.txt:
  layer NAME...                 one line per layer, bottom up; modules of one layer are siblings
                                and may not include each other
  allow FILE -> MODULE  reason  an include that breaks the order today and is to be removed; the
                                check fails on any allowance that no longer matches an include,
                                so the list can only shrink

It also holds the store as the only SQL (issue 16, item 3): outside src/store/, no string literal
may start an SQL statement; outside src/store/sqlite/ (the SQLite backend), no file may include
<sqlite3.h>; and the SQL the repositories send keeps to what SQLite and PostgreSQL both speak: a
string literal in src/store/ (not the backend, not migrations.cpp) that uses an SQLite-only
spelling fails, unless scripts/sql_dialect.txt lists that file and spelling with a reason. That
list, like the allowances, fails on an entry that matches nothing, so it only shrinks.

Exit status 0 when every #include "MODULE/..." in src/ goes downwards (or is allowed) and no SQL
is outside src/store/, 1 with one line per violation otherwise, 2 on a malformed layers file or a
module with no layer.
Usage: scripts/check_layers.py [--root DIR] [--layers FILE] [--dialect FILE]
"""
import argparse
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_]+)/')
# A string literal that starts an SQL statement, and the SQLite header.
SQL = re.compile(r'"\s*(SELECT\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|'
                 r'CREATE\s+(TABLE|INDEX|TRIGGER|VIEW)\s|DROP\s+(TABLE|INDEX)\s|PRAGMA\s|'
                 r'REPLACE\s+INTO\s|BEGIN(\s+IMMEDIATE)?\s*"|WITH\s+\w+\s+AS\s)')
SQLITE = re.compile(r'^\s*#\s*include\s*<sqlite3\.h>')
STORE = "store"
SQLITE_BACKEND = "src/store/sqlite/"
SCHEMA = "src/store/migrations.cpp"  # the SQLite schema; a second backend brings its own
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
# SQLite spellings PostgreSQL does not take, by the name sql_dialect.txt lists them under.
SQLITE_ONLY = {
    "INSERT OR": re.compile(r"\bINSERT\s+OR\s+\w+", re.I),
    "REPLACE INTO": re.compile(r"\bREPLACE\s+INTO\b", re.I),
    "rowid": re.compile(r"\b(_?rowid_?|oid)\b", re.I),
    "last_insert_rowid": re.compile(r"\blast_insert_rowid\s*\(", re.I),
    "INDEXED BY": re.compile(r"\b(NOT\s+)?INDEXED\s+BY\b", re.I),
    "json function": re.compile(r"\bjson_\w+\s*\(", re.I),
    "SQLite function": re.compile(
        r"\b(instr|iif|ifnull|group_concat|strftime|datetime|julianday|unixepoch|typeof|glob|"
        r"printf|randomblob|zeroblob|likelihood|total)\s*\(", re.I),
    "scalar max/min": re.compile(r"\b(max|min)\s*\([^()]*,", re.I),
    "negative substr": re.compile(r"\bsubstr\s*\([^,]*,\s*-", re.I),
    "PRAGMA": re.compile(r"\bPRAGMA\b", re.I),
    "BEGIN IMMEDIATE": re.compile(r"\bBEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED)\b", re.I),
    "WHERE 1": re.compile(r"\bWHERE\s+1\b", re.I),
    "AS REAL": re.compile(r"\bAS\s+REAL\b", re.I),
    # SQLite sums a comparison as 0/1; PostgreSQL has no sum of a boolean (SUM(CASE ...)).
    "SUM of a comparison": re.compile(r"\bSUM\s*\(\s*[\w.]+\s*(=|<>|!=|<=|>=|<|>|IN\b)", re.I),
}


def read_layers(path: pathlib.Path):
    rank, allowed = {}, {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == "layer" and len(words) > 1:
            level = len(set(rank.values()))
            for module in words[1:]:
                if module in rank:
                    raise ValueError(f"{path}:{number}: module {module} is in two layers")
                rank[module] = level
        elif words[0] == "allow" and len(words) >= 5 and words[2] == "->":
            allowed[(words[1], words[3])] = " ".join(words[4:])
        else:
            raise ValueError(f"{path}:{number}: expected 'layer NAME...' or "
                             f"'allow FILE -> MODULE reason', got: {raw.strip()}")
    return rank, allowed


def includes(root: pathlib.Path):
    """(file relative to root, line number, module it includes, module it is in)."""
    for source in sorted((root / "src").rglob("*")):
        if source.suffix not in (".hpp", ".cpp", ".h") or not source.is_file():
            continue
        relative = source.relative_to(root).as_posix()
        own = source.relative_to(root / "src").parts[0]
        for number, line in enumerate(source.read_text(errors="replace").splitlines(), 1):
            found = INCLUDE.match(line)
            if found and (root / "src" / found.group(1)).is_dir():
                yield relative, number, found.group(1), own


def sql_outside_store(root: pathlib.Path):
    """One line per SQL statement or SQLite include in src/ outside src/store/."""
    for source in sorted((root / "src").rglob("*")):
        if source.suffix not in (".hpp", ".cpp", ".h") or not source.is_file():
            continue
        relative = source.relative_to(root).as_posix()
        in_store = source.relative_to(root / "src").parts[0] == STORE
        for number, line in enumerate(source.read_text(errors="replace").splitlines(), 1):
            if not in_store and SQL.search(line):
                yield f"{relative}:{number}: SQL outside src/store/ (move it into a repository)"
            elif SQLITE.match(line) and not relative.startswith(SQLITE_BACKEND):
                yield f"{relative}:{number}: includes <sqlite3.h> outside {SQLITE_BACKEND}"


def read_dialect(path: pathlib.Path):
    """{(file, spelling): reason} from the dialect list: 'FILE: SPELLING: reason' per line."""
    listed = {}
    if not path.exists():
        return listed
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [part.strip() for part in line.split(":", 2)]
        if len(parts) != 3 or parts[1] not in SQLITE_ONLY or not parts[2]:
            raise ValueError(f"{path}:{number}: expected 'FILE: SPELLING: reason' with SPELLING "
                             f"one of {', '.join(SQLITE_ONLY)}, got: {raw.strip()}")
        listed[(parts[0], parts[1])] = parts[2]
    return listed


def sqlite_only_sql(root: pathlib.Path):
    """(file, line number, spelling) for each SQLite-only spelling in the store's SQL strings."""
    for source in sorted((root / "src" / STORE).rglob("*")):
        if source.suffix not in (".hpp", ".cpp", ".h") or not source.is_file():
            continue
        relative = source.relative_to(root).as_posix()
        if relative.startswith(SQLITE_BACKEND) or relative == SCHEMA:
            continue
        for number, line in enumerate(source.read_text(errors="replace").splitlines(), 1):
            text = " ".join(STRING.findall(line))
            for name, pattern in SQLITE_ONLY.items():
                if pattern.search(text):
                    yield relative, number, name


def dialect_problems(root: pathlib.Path, dialect: pathlib.Path):
    listed = read_dialect(dialect)
    problems, used = [], set()
    for relative, number, name in sqlite_only_sql(root):
        if (relative, name) in listed:
            used.add((relative, name))
            continue
        problems.append(f"{relative}:{number}: SQLite-only SQL ({name}); write what SQLite and "
                        f"PostgreSQL both take, or list it in {dialect.name}")
    for (relative, name) in sorted(set(listed) - used):
        problems.append(f"{dialect.name}: '{relative}: {name}' matches no SQL any more: remove it")
    return problems, len(listed)


def check(root: pathlib.Path, layers: pathlib.Path, dialect: pathlib.Path) -> int:
    try:
        rank, allowed = read_layers(layers)
        read_dialect(dialect)
    except ValueError as error:
        print(f"check_layers: {error}")
        return 2
    modules = sorted(p.name for p in (root / "src").iterdir() if p.is_dir())
    missing = [m for m in modules if m not in rank]
    if missing:
        print(f"check_layers: src/{missing[0]} has no layer in {layers} (add it to a 'layer' line)")
        return 2
    problems, used = [], set()
    for relative, number, target, own in includes(root):
        if target == own or rank[target] < rank[own]:
            continue
        if (relative, target) in allowed:
            used.add((relative, target))
            continue
        how = (f"a sibling of {own}/ in its layer" if rank[target] == rank[own]
               else f"a higher layer than {own}/")
        problems.append(f"{relative}:{number}: includes {target}/, {how} (layers: {layers.name})")
    problems.extend(sql_outside_store(root))
    dialect_found, dialect_left = dialect_problems(root, dialect)
    problems.extend(dialect_found)
    for (relative, target) in sorted(set(allowed) - used):
        problems.append(f"{layers.name}: 'allow {relative} -> {target}' matches no include any "
                        f"more: remove it")
    for problem in problems:
        print(problem)
    if not problems:
        print(f"check_layers: {len(modules)} modules in {len(set(rank.values()))} layers, "
              f"{len(allowed)} allowed upward includes left, no SQL outside src/store/, "
              f"{dialect_left} SQLite-only spellings listed")
    return 1 if problems else 0


def main() -> int:
    here = pathlib.Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=here.parent)
    parser.add_argument("--layers", type=pathlib.Path, default=here / "layers.txt")
    parser.add_argument("--dialect", type=pathlib.Path, default=here / "sql_dialect.txt")
    args = parser.parse_args()
    return check(args.root, args.layers, args.dialect)


if __name__ == "__main__":
    sys.exit(main())
