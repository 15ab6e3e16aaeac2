"""The cleaning registry, case by case from fixture files that read like documents."""

import re
from pathlib import Path

import pytest

from pubpipe.recover import clean
from pubpipe.recover.clean import DROP, LINE_RULES, FILE_RULES, clean_all, clean_source, repeated_lines
from pubpipe.read.ingest import Line, RawSource

FIXTURES = Path(__file__).parent / "fixtures" / "clean"


def cases():
    for path in sorted(FIXTURES.glob("*.txt")):
        for chunk in path.read_text(encoding="utf-8").split("\n## ")[1:]:
            title, _, body = chunk.partition("\n")
            given, kept, rules = re.split(r"^\.\n", body.rstrip("\n") + "\n", flags=re.M)[:3]
            yield pytest.param(given.splitlines(), kept.splitlines(), rules.split(), id=f"{path.stem}: {title}")


def _lines(texts):
    return tuple(Line(n, "" if t == "~" else t) for n, t in enumerate(texts, 1))


@pytest.mark.parametrize("given, kept, rules", list(cases()))
def test_rule_case(given, kept, rules):
    result = clean_source(RawSource("case.txt", _lines(given), "utf-8"))
    assert [l.text or "~" for l in result.lines] == kept
    assert [r.rule for r in result.removed] == rules
    for r in result.removed:
        assert r.file == "case.txt" and given[r.line - 1].strip() == r.text


@pytest.mark.parametrize("given, kept, rules", list(cases()))
def test_cleaning_twice_changes_nothing(given, kept, rules):
    once = clean_source(RawSource("case.txt", _lines(given), "utf-8"))
    twice = clean_source(RawSource("case.txt", once.lines, "utf-8"))
    assert twice.lines == once.lines and twice.removed == ()


def test_registry_names_are_unique_and_ordered():
    names = [r.name for r in FILE_RULES + LINE_RULES]
    assert len(names) == len(set(names))
    assert names.index("whitespace") < names.index("web-residue")


def test_lines_repeated_across_many_sources_are_dropped():
    boiler = "Support independent journalism today"
    sources = [RawSource(f"{i}.txt", _lines([f"Story {i}", f"Body text number {i}.", boiler]), "utf-8") for i in range(4)]
    assert repeated_lines(sources) == frozenset({boiler.casefold()})
    for result in clean_all(sources):
        assert [r.rule for r in result.removed] == ["repeated-line"]


def test_extra_patterns_from_config():
    src = RawSource("a.txt", _lines(["Brought to you by Example Org 2024", "Text."]), "utf-8")
    result = clean_all([src], extra_patterns=(r"brought to you by .*",))[0]
    assert [r.rule for r in result.removed] == ["config-residue"]


def test_every_rule_has_a_fixture_case():
    """A new rule comes with a before/after case in tests/fixtures/clean/."""
    fired = {rule for _, _, rules in (c.values for c in cases()) for rule in rules}
    names = {r.name for r in FILE_RULES + LINE_RULES} - {"whitespace", "repeated-line", "config-residue"}
    assert names <= fired, f"rules without a fixture case: {sorted(names - fired)}"


def test_a_rule_tells_structure_what_its_drops_mean_through_typed_marks(monkeypatch):
    """Structure reads Rule.ends_story / afterword as marks, never rule names: a new rule that ends
    stories splits them without structure.py knowing its name."""
    from pubpipe.recover import clean
    from pubpipe.recover.structure import split_file
    given = ["First Story", "The story is told in one long sentence here.", "~~ END ~~", "Second Story", "Told too."]
    src = RawSource("case.txt", _lines(given), "utf-8")
    assert [d.title for d in split_file(clean_source(src))[0]] == ["First Story"]
    ending = clean.Rule("end-marker", lambda text, ctx: DROP if text == "~~ END ~~" else text, ends_story=True)
    monkeypatch.setattr(clean, "LINE_RULES", [*clean.LINE_RULES, ending])
    result = clean_source(src)
    assert [(m.line, m.ends_story, m.afterword) for m in result.marks] == [(3, True, False)]
    assert [d.title for d in split_file(result)[0]] == ["First Story", "Second Story"]


def test_keep_keeps_lines_of_file_and_line_rules_and_says_so():
    given = ["Related", "Another Story Title", "~", "A sentence of the story.", "Share this article"]
    result = clean_source(RawSource("case.txt", _lines(given), "utf-8"),
                          clean.Context(keep=frozenset({"Related", "Share this article"})))
    assert [l.text for l in result.lines if l.text] == ["Related", "A sentence of the story.", "Share this article"]
    assert [(r.line, r.rule) for r in result.removed] == [(2, "related-block")]  # not listed in keep: dropped
    assert [(k.line, k.what, k.rule) for k in result.kept] == [(1, "kept", "related-block"), (5, "kept", "share-buttons")]
