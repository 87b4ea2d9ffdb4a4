"""The size check (issue 16: no file over 500 lines, no function over 60) on a copy of the tree:
it passes on the tree as it is, and fails on a planted long function, a planted long file and an
exception that is no longer needed."""
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CHECK = REPO / "scripts" / "check_sizes.py"
EXCEPTIONS = REPO / "scripts" / "size_exceptions.txt"


@pytest.fixture
def tree(tmp_path):
    shutil.copytree(REPO / "src", tmp_path / "src")
    shutil.copy(EXCEPTIONS, tmp_path / "size_exceptions.txt")
    return tmp_path


def run_check(tree):
    result = subprocess.run(
        [sys.executable, str(CHECK), "--root", str(tree), "--exceptions",
         str(tree / "size_exceptions.txt")], capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr


def test_the_tree_as_it_is_passes(tree):
    code, out = run_check(tree)
    assert code == 0, out


def test_a_long_function_fails(tree):
    body = "".join(f"  total += {i};\n" for i in range(61))
    (tree / "src" / "util" / "planted.cpp").write_text(
        "namespace pw::util {\n\nint planted_sum(int total) {\n" + body + "  return total;\n}\n\n"
        "}  // namespace pw::util\n")
    code, out = run_check(tree)
    assert code == 1
    assert "src/util/planted.cpp:3: planted_sum is 64 lines" in out, out


def test_a_short_function_and_a_long_table_pass(tree):
    rows = "".join(f"    {i},\n" for i in range(80))
    (tree / "src" / "util" / "planted.cpp").write_text(
        "namespace pw::util {\n\nconst int kTable[] = {\n" + rows + "};\n\n"
        "int planted(int x) {\n  return x + 1;\n}\n\n}  // namespace pw::util\n")
    code, out = run_check(tree)
    assert code == 0, out


def test_a_long_file_fails(tree):
    (tree / "src" / "util" / "planted.hpp").write_text("#pragma once\n" + "// line\n" * 501)
    code, out = run_check(tree)
    assert code == 1
    assert "src/util/planted.hpp: 502 lines" in out, out


def test_a_stale_exception_fails(tree):
    with open(tree / "size_exceptions.txt", "a") as f:
        f.write("function src/util/base64.cpp base64_decode    no longer long\n")
    code, out = run_check(tree)
    assert code == 1
    assert "stale exception" in out and "base64_decode" in out, out


def test_a_long_member_function_in_a_class_body_fails(tree):
    body = "".join(f"    total += {i};\n" for i in range(61))
    (tree / "src" / "util" / "planted.hpp").write_text(
        "#pragma once\nnamespace pw::util {\n\nclass Planted {\n public:\n  int sum(int total) {\n"
        + body + "    return total;\n  }\n};\n\n}  // namespace pw::util\n")
    code, out = run_check(tree)
    assert code == 1
    assert "src/util/planted.hpp:6: sum is 64 lines" in out, out
