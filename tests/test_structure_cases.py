"""Structure recovery on small made-up sources, one shape at a time."""

from pathlib import Path

import pytest

from pubpipe import inline, pipeline
from pubpipe.read import intake
from pubpipe.config import Config

from helpers import lost_words

FIXTURES = Path(__file__).parent / "fixtures" / "structure"


def build(tmp_path, text: str, name: str = "a.txt", config: Config = Config(), split: set = frozenset()):
    """Structure `text`; no word may be lost but the fragments of words split at line ends (`split`)."""
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    anthology = pipeline.recover(folder, config)
    lines = {name: text.splitlines()}
    assert set(lost_words(lines, anthology)) <= set(split)
    return anthology


def kinds(story):
    return [b.type for b in story.blocks]


def outline(anthology) -> list:
    """An anthology as the outline lines of tests/fixtures/structure/*.txt (see the file's header)."""
    out = []
    for s in anthology.stories:
        out.append(f"story {s.id}: {s.title}")
        if s.subtitle:
            out.append(f"subtitle: {s.subtitle}")
        if s.series:
            out.append(f"series: {s.series.name}, part {s.series.part}")
        if s.byline:
            out.append(f"byline: {s.byline.name}" + (f" / {s.byline.role}" if s.byline.role else ""))
        if s.dateline:
            out.append(f"dateline: {s.dateline.source}" + (f", {s.dateline.date}" if s.dateline.date else ""))
        if s.language != "en":
            out.append(f"language: {s.language}")
        for b in s.blocks:
            if b.type == "list":
                out.append(("ordered list: " if b.ordered else "list: ") + " | ".join(b.items))
            elif b.type == "quote":
                out.append(f"quote: {b.text}" + (f" — {b.attribution}" if b.attribution else ""))
            elif b.type == "setapart":
                out.append("setapart: " + b.text.replace("\n\n", " // ").replace("\n", " / "))
            else:
                out.append(f"{b.type}: {inline.to_html(b.text, b.emphasis) if b.emphasis else b.text}")
    out += [f"removed: {r.line} {r.rule}: {r.text}" for r in anthology.removed]
    return out


def cases():
    for path in sorted(FIXTURES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if not text.startswith("# Cases"):
            continue  # a whole source (collection.txt), used by a test below
        for chunk in text.split("\n## ")[1:]:
            title, _, body = chunk.partition("\n")
            given, _, expected = body.partition("\n.\n")
            yield pytest.param(given + "\n", expected.strip("\n").splitlines(), id=f"{path.stem}: {title}")


@pytest.mark.parametrize("given, expected", list(cases()))
def test_structure_case(tmp_path, given, expected):
    assert outline(build(tmp_path, given)) == expected


def test_hard_wrapped_paragraphs_unwrapped_and_dehyphenated(tmp_path):
    body = ("The river was high that year and the ferry could not cross for many\n"
            "days, so the people of the town waited on the bank and watched the\n"
            "brown water carry whole trees past them toward the sea, and a well-\n"
            "known boatman said he had never seen such a flood in his life, not\n"
            "once in sixty years of work upon it, and nobody doubted him.\n\n"
            "When the water fell at last they found the old mill had been car-\n"
            "ried away entirely, wheel and stones and all, and only the founda-\n"
            "tions remained to show where it had stood since their grandfathers.\n\n"
            "Nobody was carrying anything that day; the foundations were bare.\n\n")
    a = build(tmp_path, "THE FLOOD\n\n" + body * 2, split={"car", "ried", "founda", "tions"})
    paragraphs = [b.text for b in a.stories[0].blocks]
    assert len(paragraphs) == 6 and "car-ried" not in " ".join(paragraphs)
    assert "well-known" in paragraphs[0] and "carried away" in paragraphs[1] and "foundations" in paragraphs[1]


def test_collection_with_licence_and_contents(tmp_path):
    text = (FIXTURES / "collection.txt").read_text(encoding="utf-8")
    a = build(tmp_path, text, "collection.txt")
    assert [s.title for s in a.stories] == ["THE MILLER’S DAUGHTER", "A WINTER CROSSING", "THE LAST LETTER"]
    assert [b.text for b in a.stories[1].headings()] == ["I", "II"]
    rules = {r.rule for r in a.removed}
    assert {"etext-licence", "source-contents", "front-matter"} <= rules
    assert not any("Gutenberg" in b.words() for s in a.stories for b in s.blocks)


def test_config_overrides(tmp_path):
    text = "Alpha Story\nText of alpha.\n* * *\nBeta Story\nText of beta.\nGamma line to split\nText of gamma.\n"
    config = Config(title="Book", order=("beta-story",), exclude=("Alpha Story",),
                    titles={"beta-story": "Beta, Retitled"}, split_before=("Gamma line to split",))
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.txt").write_text(text, encoding="utf-8")
    a = pipeline.recover(folder, config)
    assert [s.title for s in a.stories] == ["Beta, Retitled", "Gamma line to split"] and a.title == "Book"


@pytest.mark.parametrize("title", ["../../etc/passwd", "\u202e\u200bTitle", "!!!"])
def test_ids_are_safe_slugs(tmp_path, title):
    a = build(tmp_path, f"{title}\nSome text of the story here.\n")
    assert a.stories[0].id.replace("-", "").isalnum() and "/" not in a.stories[0].id


def test_dask_setting_from_toml_and_the_command_line(tmp_path, monkeypatch):
    """`dask` in anthology.toml, overridden by pipeline.build's ``dask`` (`pubpipe build --dask`,
    `pubpipe serve --dask` for its deployment, or PUBPIPE_DASK as those options' value); the
    environment is no channel of its own; neither changes the parsing cache key."""
    from dataclasses import replace

    import typer.main

    from pubpipe import cli
    from pubpipe.cache import digest
    from pubpipe.orchestrate.serving import deployment_parameters
    (tmp_path / "sources").mkdir()
    (tmp_path / "anthology.toml").write_text('dask = "tcp://10.0.0.5:8786"\n', encoding="utf-8")
    monkeypatch.setenv("PUBPIPE_DASK", "local")
    from_toml = intake.load_settings(str(tmp_path / "sources"), None)
    assert from_toml.dask == "tcp://10.0.0.5:8786"  # the environment is read by the command line alone
    served = deployment_parameters(tmp_path / "sources", tmp_path / "out", None, dask="local")
    assert (served["dask"], served["force"]) == ("local", False)
    assert "dask" not in deployment_parameters(tmp_path / "sources", tmp_path / "out", None)
    assert deployment_parameters(tmp_path / "sources", tmp_path / "out", None, force=True)["force"] is True
    assert digest(from_toml) == digest(replace(from_toml, dask="local")) == digest(Config())
    commands = typer.main.get_command(cli.app).commands
    envvars = {(command, p.name): p.envvar for command in ("build", "serve") for p in commands[command].params}
    assert envvars[("build", "dask")] == envvars[("serve", "dask")] == "PUBPIPE_DASK"
    assert envvars[("serve", "force")] == "PUBPIPE_FORCE" and envvars[("build", "force")] is None


def test_a_learned_model_starts_stories_and_labels_headings_where_it_labelled_units():
    """Units carry a model's label, confidence and article start; a signal and a block rule use them."""
    from pubpipe.recover.clean import clean_source
    from pubpipe.read.ingest import Line, RawSource
    from pubpipe.recover.structure import build_blocks, split_file
    texts = ["Harvest Time", "The grain came in early this year, and the barns were full.",
             "what the model calls a heading", "More of the same story, told in a long sentence here.",
             "a plain line the model says starts an article", "Its body, one sentence long and plain."]
    lines = tuple(Line(n, t) for n, t in enumerate("\n\n".join(texts).split("\n"), 1))  # line 1, 3, 5…
    src = clean_source(RawSource("a.txt", lines, "utf-8"))
    without, _ = split_file(src)
    assert len(without) == 1 and [b.type for b in build_blocks(without[0])] == ["paragraph"] * 5
    guesses = {5: ("heading", 0.81, 0.1), 9: ("title", 0.7, 0.93), 11: ("paragraph", 0.9, 0.02)}
    drafts, _ = split_file(src, guesses=guesses)
    assert [d.title for d in drafts] == ["Harvest Time", "a plain line the model says starts an article"]
    assert [b.type for b in build_blocks(drafts[0])] == ["paragraph", "heading", "paragraph"]
    decided = [(d.what, d.rule, round(d.confidence, 2)) for d in drafts[0].decisions + drafts[1].decisions]
    assert ("heading", "model", 0.81) in decided and ("story start", "model", 0.93) in decided


KEEP_TEXT = ("The Harvest\nThe first part of the story is told here, at some length.\n"
             "Share this article\nThe rest of the story, told at some length too.\n")


def test_keep_in_config_keeps_a_line_a_rule_dropped(tmp_path):
    kept = build(tmp_path, KEEP_TEXT, config=Config(keep=("  Share   this article ",)))
    assert not kept.removed and "Share this article" in [b.text for b in kept.stories[0].blocks]
    assert [(d.what, d.rule, d.line) for d in kept.review if d.what == "kept"] == [("kept", "share-buttons", 3)]
    dropped = build(tmp_path, KEEP_TEXT)
    assert [r.rule for r in dropped.removed] == ["share-buttons"]
    # the same line in another case is not the line staff listed
    assert build(tmp_path, KEEP_TEXT, config=Config(keep=("share this article",))).removed


def test_keep_saves_front_matter_from_cleaning_and_from_structure(tmp_path):
    text = (FIXTURES / "collection.txt").read_text(encoding="utf-8")
    a = build(tmp_path, text, "collection.txt", config=Config(keep=("THREE TALES",)))
    assert "THREE TALES" not in [r.text for r in a.removed]
    assert a.stories[0].title == "THREE TALES" and len(a.stories) == 4


def test_keep_is_part_of_the_parsing_cache_key():
    from pubpipe.cache import digest
    assert digest(Config(keep=("A line",))) != digest(Config())


@pytest.mark.parametrize("toml, message", [
    ('keep = "Share this article"', None),
    ("keep = [1, 2]", r"'keep' must be a list of strings; list the lines to keep as report\.md shows them"),
    ('keep = ["  "]', r"'keep' has an empty string, which matches no line"),
    ('keep = ["two\\nlines"]', r"'keep' entry 'two\\nlines' spans more than one line; give each line as its own string"),
    ("keep = {a = 1}", r"'keep' must be a list of strings"),
])
def test_keep_is_validated_with_a_message_naming_the_file(tmp_path, toml, message):
    from pubpipe.config import load_config
    from pubpipe.errors import ConfigError
    path = tmp_path / "anthology.toml"
    path.write_text(toml + "\n", encoding="utf-8")
    if message is None:
        assert load_config(path).keep == ("Share this article",)
        return
    with pytest.raises(ConfigError, match=r"^" + str(path).replace(".", r"\.") + ": " + message) as err:
        load_config(path)
    assert "\n" not in str(err.value)


def test_report_lists_the_least_certain_decisions_of_each_story(tmp_path):
    from pubpipe.recover.anthology import REVIEW_PER_STORY
    from pubpipe.publish.report import render_report
    headings = "".join(f"Part Number {n}\nA paragraph of the story, number {n}, in a sentence.\n" for n in range(8))
    a = build(tmp_path, "A Long Story\nIt opens here.\n" + headings + "Share this article\n")
    review = [d for d in a.review if d.story == "a-long-story"]
    assert len(review) == REVIEW_PER_STORY == 5
    assert [d.confidence for d in review] == sorted(d.confidence for d in review)
    assert {d.what for d in review} == {"heading"} and all(d.rule == "heading-shape" for d in review)
    report = render_report(a, {})
    section = report[report.index("## Decisions to check"):report.index("## Removed lines")]
    assert "| `a-long-story` | 3 | heading | heading-shape | 0.70 | Part Number 0 |" in section
    assert "add its text as the report shows it to `keep` in anthology.toml" in section
    assert section.count("| `a-long-story` |") == 5
    assert [d["rule"] for d in a.to_dict()["review"]] == ["heading-shape"] * 5
