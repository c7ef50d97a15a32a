"""A `# type: ignore` silences the type checker for its line: each names the error it expects
and says why that error is wrong there, and they stay few (`make check` runs mypy --strict
on db/, models/ and services/, where none is left)."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "helpdesk"
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[a-z-, ]+\])?(?P<rest>.*)$")
MOST = 30


def ignores() -> list[tuple[str, int, str]]:
    """(file, line, the comment) for every type-ignore comment in the package (comments only,
    read with the tokenizer: a string that mentions one is not one)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts and "versions" in path.parts:
            continue
        for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if token.type == tokenize.COMMENT and IGNORE.search(token.string):
                found.append((str(path.relative_to(PACKAGE.parent)), token.start[0], token.string))
    return found


def test_each_ignore_names_its_error_and_says_why():
    bare = [f"{path}:{line}: {comment}" for path, line, comment in ignores()
            if not (m := IGNORE.search(comment))["codes"] or not m["rest"].strip(" #")]
    assert not bare, "a type: ignore needs its error code and, after it, why:\n" + "\n".join(bare)


def test_ignores_stay_few():
    found = ignores()
    assert len(found) < MOST, f"{len(found)} type: ignore comments (fewer than {MOST} wanted)"


def test_the_checker_sees_through_a_string_that_mentions_one():
    source = 'x = "# type: ignore"  # a string, not a comment\n'
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    assert [t for t in tokens if t.type == tokenize.COMMENT and IGNORE.search(t.string)] == []
