#!/usr/bin/env python3
"""The size check (issue 16): no source file under src/ over 500 lines, no function over 60.

A declarative table may be longer when its file says why in a comment containing
"declarative table" within its first 20 lines (the settings registry). Functions still over the
limit are listed in scripts/size_exceptions.txt, one per line:
  function PATH NAME    reason
The check fails on a listed function that is no longer over the limit (or gone), so the list can
only shrink.

A function is found by its braces: a "{" at namespace or class level (outside any function or
initializer) that follows a signature with "(" opens one; its length runs to the matching "}".
Lambdas count towards the function that holds them. Headers are checked too.
Exit status 0 when nothing is over, 1 with one line per violation.
Usage: scripts/check_sizes.py [--root DIR] [--exceptions FILE]
"""
import argparse
import pathlib
import re
import sys

MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60
NAME = re.compile(r'(~?[A-Za-z_][\w:~]*)\s*\(')


def code_of(line: str) -> str:
    """The line without comments and with string and character literals emptied."""
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c == '/' and i + 1 < n and line[i + 1] == '/':
            break
        if c in '"\'':
            quote, i = c, i + 1
            while i < n and line[i] != quote:
                i += 2 if line[i] == '\\' else 1
            out.append('""')
            i += 1
            continue
        out.append(c)
        i += 1
    return ''.join(out)


def signature_before(lines, index):
    """The text of the signature that ends at line `index` (its "{" line), up to 8 lines."""
    parts = [code_of(lines[index])]
    k = index - 1
    while k >= 0 and index - k < 8:
        text = code_of(lines[k]).strip()
        if not text or text.endswith((';', '}', '{')) or text.startswith('#'):
            break
        parts.insert(0, text)
        k -= 1
    return ' '.join(parts)


def functions(path: pathlib.Path):
    """(name, first line, length) of every function defined at namespace or class level."""
    lines = path.read_text(errors='replace').split('\n')
    stack = []  # kinds of the open braces: 'ns', 'type', 'func', 'other'
    found = []
    for number, line in enumerate(lines):
        for c in code_of(line):
            if c == '{':
                at_namespace_level = all(kind in ('ns', 'type') for kind, _ in stack)
                kind = 'other'
                if at_namespace_level:
                    signature = signature_before(lines, number)
                    head = signature.split('{')[0].split(':')[0]
                    if re.search(r'\bnamespace\b', signature):
                        kind = 'ns'
                    elif re.match(r'\s*(struct|class|enum|union)\b', signature.strip()) and '(' not in head:
                        kind = 'type'
                    elif '(' in signature and not re.search(r'=\s*[^=]*$', signature.split('(')[0]):
                        kind = 'func'
                stack.append((kind, number))
            elif c == '}' and stack:
                kind, start = stack.pop()
                if kind == 'func':
                    match = NAME.search(signature_before(lines, start))
                    found.append((match.group(1) if match else '?', start + 1, number - start + 1))
    return found


def read_exceptions(path: pathlib.Path):
    listed = {}
    if not path.exists():
        return listed
    for raw in path.read_text().splitlines():
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if len(words) < 3 or words[0] != 'function':
            print(f'{path}: malformed line: {raw}')
            sys.exit(2)
        listed[(words[1], words[2])] = raw
    return listed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--root', default=pathlib.Path(__file__).resolve().parents[1], type=pathlib.Path)
    parser.add_argument('--exceptions', type=pathlib.Path)
    args = parser.parse_args()
    root = args.root
    exceptions = read_exceptions(args.exceptions or root / 'scripts' / 'size_exceptions.txt')
    problems, used, long_functions = [], set(), 0
    for path in sorted((root / 'src').rglob('*')):
        if path.suffix not in ('.cpp', '.hpp'):
            continue
        relative = path.relative_to(root).as_posix()
        text = path.read_text(errors='replace')
        count = text.count('\n')
        head = '\n'.join(text.split('\n')[:20])
        if count > MAX_FILE_LINES and 'declarative table' not in head:
            problems.append(f'{relative}: {count} lines (more than {MAX_FILE_LINES})')
        if 'declarative table' in head:
            continue
        for name, first, length in functions(path):
            if length <= MAX_FUNCTION_LINES:
                continue
            long_functions += 1
            if (relative, name) in exceptions:
                used.add((relative, name))
                continue
            problems.append(f'{relative}:{first}: {name} is {length} lines (more than '
                            f'{MAX_FUNCTION_LINES})')
    for key, raw in exceptions.items():
        if key not in used:
            problems.append(f'stale exception (no longer over the limit): {raw.strip()}')
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f'check_sizes: no file over {MAX_FILE_LINES} lines; {long_functions} functions over '
          f'{MAX_FUNCTION_LINES} lines, each listed in size_exceptions.txt')
    return 0


if __name__ == '__main__':
    sys.exit(main())
