"""scripts/tidy.py (issue 16, item 6) on a small tree of its own: a planted finding fails the
check and is not recorded as clean; once fixed the file is recorded; an unchanged file is not
checked again; a change to a header it includes checks it again."""
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

BAD = '#include <string>\n#include "x/size.hpp"\nsize_t f(std::string s) { return s.size() + kExtra; }\n'
GOOD = ('#include <string>\n#include "x/size.hpp"\n'
        'size_t f(const std::string& s) { return s.size() + kExtra; }\n')


@pytest.fixture
def tree(tmp_path):
    shutil.copytree(REPO / "scripts", tmp_path / "scripts")
    (tmp_path / "scripts" / "tidy_clean.txt").unlink(missing_ok=True)
    shutil.copy(REPO / ".clang-tidy", tmp_path / ".clang-tidy")
    (tmp_path / "src" / "x").mkdir(parents=True)
    (tmp_path / "src" / "x" / "size.hpp").write_text(
        "#pragma once\n#include <cstddef>\ninline constexpr size_t kExtra = 1;\n")
    (tmp_path / "src" / "x" / "f.cpp").write_text(BAD)
    build = tmp_path / "build"
    build.mkdir()
    command = (f"/usr/bin/clang++-14 -std=c++20 -I{tmp_path}/src -o f.o "
               f"-c {tmp_path}/src/x/f.cpp")
    (build / "compile_commands.json").write_text(json.dumps(
        [{"directory": str(build), "command": command, "file": str(tmp_path / "src/x/f.cpp")}]))
    return tmp_path


def run_tidy(tree):
    result = subprocess.run([sys.executable, str(tree / "scripts" / "tidy.py")],
                            capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def recorded(tree):
    record = tree / "scripts" / "tidy_clean.txt"
    return record.read_text() if record.exists() else ""


def test_a_finding_fails_and_a_clean_file_is_recorded_and_skipped(tree):
    code, out = run_tidy(tree)
    assert code == 1 and "performance-unnecessary-value-param" in out, out
    assert "src/x/f.cpp" not in recorded(tree)
    (tree / "src" / "x" / "f.cpp").write_text(GOOD)
    code, out = run_tidy(tree)
    assert code == 0 and "1 to check" in out, out
    assert "src/x/f.cpp" in recorded(tree)
    code, out = run_tidy(tree)
    assert code == 0 and "1 unchanged since they passed, 0 to check" in out, out
    # A header the file includes changed: the file is checked again.
    (tree / "src" / "x" / "size.hpp").write_text(
        "#pragma once\n#include <cstddef>\ninline constexpr size_t kExtra = 2;\n")
    code, out = run_tidy(tree)
    assert code == 0 and "1 to check" in out, out
