"""The layer check (issue 16, item 1) on a copy of the tree: it passes on the tree as it is and
fails on each kind of breach: an upward include, a sibling include, an allowance that no longer
matches, a module with no layer, and SQL outside src/store/."""
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CHECK = REPO / "scripts" / "check_layers.py"
LAYERS = REPO / "scripts" / "layers.txt"


@pytest.fixture
def tree(tmp_path):
    """A copy of src/ (headers and sources) and of the layers file."""
    shutil.copytree(REPO / "src", tmp_path / "src")
    shutil.copy(LAYERS, tmp_path / "layers.txt")
    return tmp_path


def run_check(tree, *extra):
    result = subprocess.run(
        [sys.executable, str(CHECK), "--root", str(tree), "--layers", str(tree / "layers.txt"),
         *extra],
        capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr


def plant(path: pathlib.Path, line: str) -> None:
    text = path.read_text()
    marker = "#pragma once\n"
    assert marker in text, path
    path.write_text(text.replace(marker, marker + line + "\n", 1))


def test_the_tree_as_it_is_passes(tree):
    code, out = run_check(tree)
    assert code == 0, out
    assert "allowed upward includes left" in out


def test_an_upward_include_fails_and_names_the_line(tree):
    plant(tree / "src" / "util" / "result.hpp", '#include "app/cli.hpp"')
    code, out = run_check(tree)
    assert code == 1, out
    assert "src/util/result.hpp:" in out and "includes app/, a higher layer than util/" in out


def test_a_sibling_include_fails(tree):
    plant(tree / "src" / "dkim" / "signer.hpp", '#include "scan/mime_text.hpp"')
    code, out = run_check(tree)
    assert code == 1, out
    assert "src/dkim/signer.hpp:" in out and "includes scan/, a sibling of dkim/ in its layer" in out


def test_an_allowance_that_matches_nothing_fails(tree):
    layers = tree / "layers.txt"
    layers.write_text(layers.read_text() + "allow src/util/result.hpp -> app  planted\n")
    code, out = run_check(tree)
    assert code == 1, out
    assert "'allow src/util/result.hpp -> app' matches no include any more" in out


def test_a_module_without_a_layer_is_refused(tree):
    (tree / "src" / "newmodule").mkdir()
    (tree / "src" / "newmodule" / "thing.hpp").write_text("#pragma once\n")
    code, out = run_check(tree)
    assert code == 2, out
    assert "src/newmodule has no layer" in out


def test_a_downward_include_passes(tree):
    plant(tree / "src" / "app" / "cli.hpp", '#include "util/result.hpp"')
    code, out = run_check(tree)
    assert code == 0, out


def test_sql_outside_the_store_fails(tree):
    target = tree / "src" / "policy" / "lock_book.cpp"
    target.write_text(target.read_text() + '\nconst char* kPlanted = "SELECT id FROM locks";\n')
    code, out = run_check(tree)
    assert code == 1, out
    assert "src/policy/lock_book.cpp" in out and "SQL outside src/store/" in out


def test_sqlite_header_outside_the_store_fails(tree):
    target = tree / "src" / "service" / "scope.cpp"
    target.write_text("#include <sqlite3.h>\n" + target.read_text())
    code, out = run_check(tree)
    assert code == 1, out
    assert "src/service/scope.cpp:1: includes <sqlite3.h>" in out


def test_sql_inside_the_store_passes(tree):
    target = tree / "src" / "store" / "lock_repository.cpp"
    target.write_text(target.read_text() + '\nconst char* kPlanted = "SELECT id FROM locks";\n')
    code, out = run_check(tree)
    assert code == 0, out


def run_with_dialect(tree):
    return run_check(tree, "--dialect", str(tree / "sql_dialect.txt"))


@pytest.fixture
def dialect_tree(tree):
    shutil.copy(REPO / "scripts" / "sql_dialect.txt", tree / "sql_dialect.txt")
    return tree


def test_sqlite_header_outside_the_backend_fails(tree):
    target = tree / "src" / "store" / "message_log.cpp"
    target.write_text("#include <sqlite3.h>\n" + target.read_text())
    code, out = run_check(tree)
    assert code == 1, out
    assert "src/store/message_log.cpp:1: includes <sqlite3.h> outside src/store/sqlite/" in out


def test_the_listed_dialect_spellings_pass(dialect_tree):
    code, out = run_with_dialect(dialect_tree)
    assert code == 0, out
    assert "SQLite-only spellings listed" in out


@pytest.mark.parametrize("sql,name", [
    ("INSERT OR IGNORE INTO locks(subject) VALUES (?1)", "INSERT OR"),
    ("SELECT last_insert_rowid()", "last_insert_rowid"),
    ("UPDATE locks SET at = max(at, ?1)", "scalar max/min"),
    ("SELECT id FROM locks WHERE 1", "WHERE 1"),
    ("SELECT substr(subject, -3) FROM locks", "negative substr"),
    ("SELECT SUM(locked = 1) FROM locks", "SUM of a comparison"),
])
def test_a_sqlite_only_spelling_in_the_store_fails(dialect_tree, sql, name):
    target = dialect_tree / "src" / "store" / "lock_repository.cpp"
    target.write_text(target.read_text() + f'\nconst char* kPlanted = "{sql}";\n')
    code, out = run_with_dialect(dialect_tree)
    assert code == 1, out
    assert "src/store/lock_repository.cpp:" in out and f"SQLite-only SQL ({name})" in out


def test_the_sqlite_backend_may_speak_sqlite(dialect_tree):
    target = dialect_tree / "src" / "store" / "sqlite" / "sqlite_connection.cpp"
    target.write_text(target.read_text() + '\nconst char* kPlanted = "PRAGMA user_version";\n')
    code, out = run_with_dialect(dialect_tree)
    assert code == 0, out


def test_a_dialect_entry_that_matches_nothing_fails(dialect_tree):
    listed = dialect_tree / "sql_dialect.txt"
    listed.write_text(listed.read_text() + "src/store/lock_repository.cpp: rowid: planted\n")
    code, out = run_with_dialect(dialect_tree)
    assert code == 1, out
    assert "'src/store/lock_repository.cpp: rowid' matches no SQL any more" in out
