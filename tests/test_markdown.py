"""Markdown files are read (markdown-it-py, into the saved-page path) with the structure their
writer marked: titles, headings, lists, quotes, emphasis, front matter; their own line numbers."""

import json

import pytest

from pubpipe import pipeline
from pubpipe.config import Config
from pubpipe.errors import SourceError
from pubpipe.publish import summary
from pubpipe.read.ingest import parse_source

HARBOUR = """\
---
title: The Harbour at Dawn
author:
  - Jane Doe
  - Tom Reed
date: 2026-11-20
---

The boats went out before sunrise, as they had every morning for a *hundred* years.
Nobody remembers a day they did not, and **nobody** wants to.

## What the fishermen said

- Nets are mended by hand
- Prices are set at the [quay](https://example.org/quay)

1. Load the boat
2. Sail at four

> The sea gives and the sea takes, and it never asks first.
>
> — Tom Reed, fisherman

![a boat at the quay](boat.jpg)

The market
----------

By noon the fish were sold; snake_case_names and 2 * 3 stay as they are.

# A Second Story

Its own text, long enough to read as a paragraph of a story about the quay and the boats.
"""


def anthology_of(tmp_path, files: dict) -> tuple:
    """(anthology.json as written, the ingested sources) of a sources folder holding `files`."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for name, text in files.items():
        (sources / name).write_text(text, encoding="utf-8")
    ingested, anthology = pipeline.ingest_and_recover(sources, Config())
    path = summary.write_anthology(anthology, tmp_path)
    return json.loads(path.read_text(encoding="utf-8")), ingested


def test_a_markdown_file_keeps_its_structure_and_its_line_numbers(tmp_path):
    data, ingested = anthology_of(tmp_path, {"harbour.md": HARBOUR})
    assert not ingested.problems
    first, second = data["stories"]
    # the front matter: title, both authors, the date
    assert first["title"] == "The Harbour at Dawn"
    assert first["byline"] == {"name": "Jane Doe and Tom Reed", "role": None}
    assert first["dateline"]["date"] == "2026-11-20"
    assert [{k: v for k, v in b.items() if k != "line"} for b in first["blocks"]] == [
        {"type": "paragraph", "text": "The boats went out before sunrise, as they had every morning for a hundred "
                                      "years. Nobody remembers a day they did not, and nobody wants to.",
         "html": "The boats went out before sunrise, as they had every morning for a <em>hundred</em> "
                 "years. Nobody remembers a day they did not, and <strong>nobody</strong> wants to."},
        {"type": "heading", "text": "What the fishermen said"},
        {"type": "list", "ordered": False, "items": ["Nets are mended by hand", "Prices are set at the quay"]},
        {"type": "list", "ordered": True, "items": ["Load the boat", "Sail at four"]},
        {"type": "quote", "text": "The sea gives and the sea takes, and it never asks first.",
         "attribution": "Tom Reed, fisherman"},
        {"type": "heading", "text": "The market"},  # a setext heading
        {"type": "paragraph", "text": "By noon the fish were sold; snake_case_names and 2 * 3 stay as they are."},
    ]
    # each block on the line of the file its Markdown starts on
    lines = HARBOUR.split("\n")
    for block in first["blocks"]:
        words = (block.get("text") or block["items"][0]).split()[:3]
        assert all(w in lines[block["line"] - 1] for w in words if w.isalpha()), block
    assert (second["title"], [b["type"] for b in second["blocks"]]) == ("A Second Story", ["paragraph"])
    assert second["source"]["first_line"] == lines.index("# A Second Story") + 1
    assert "read as Markdown (its headings, lists, quotes and emphasis kept)" in data["sources"][0]["repairs"]
    text = json.dumps(data["stories"], ensure_ascii=False)
    assert "#" not in text and "**" not in text and "](" not in text and "boat.jpg" not in text


def test_a_title_in_the_text_wins_over_the_front_matter():
    source = parse_source("note.md", b"---\ntitle: From the front matter\nauthor: Ann Lee\n---\n\n"
                                     b"# The Text's Own Title\n\nA paragraph of text.\n")
    assert [(l.tag, l.text) for l in source.lines] == [
        ("title", "The Text's Own Title"), ("byline", "Ann Lee"), ("p", "A paragraph of text.")]


@pytest.mark.parametrize("text", [
    "---\njust: [unclosed\n---\n\nA paragraph after a rule.\n",  # not YAML
    "---\nA sentence, not a mapping.\n---\n\nA paragraph after a rule.\n",
])
def test_a_rule_at_the_top_that_is_not_front_matter_stays_text(text):
    source = parse_source("odd.md", text.encode())
    assert source.lines[-1].text == "A paragraph after a rule."
    assert not any(l.tag in ("byline", "dateline") for l in source.lines)


def test_an_empty_markdown_file_is_named_with_what_to_do():
    with pytest.raises(SourceError) as info:
        parse_source("drafts/empty.md", b"---\ntitle: Only a title\n---\n\n<!-- nothing yet -->\n")
    assert str(info.value) == "drafts/empty.md: the Markdown file holds no text; check that it is the right file"
    assert info.value.code == "source.empty"


def test_a_pdf_named_md_is_refused_as_a_pdf():
    with pytest.raises(SourceError) as info:
        parse_source("report.md", b"%PDF-1.7\n" + bytes(100))
    assert info.value.code == "source.pdf"


def test_a_browser_copy_saved_as_md_is_read_as_plain_text():
    copy = ("Home\nNews\nSport\nThe Harbour at Dawn\nBy Jane Doe\n"
            "The boats went out before sunrise, as they had every morning for a hundred years.\n"
            "Nobody remembers a day they did not, and nobody wants to.\n")
    source = parse_source("copy.md", copy.encode())
    assert source.kind == "text" and len(source.lines) == copy.count("\n") + 1
    assert not any("Markdown" in r for r in source.repairs)


def test_toml_front_matter_as_hugo_writes_it():
    source = parse_source("post.md", b'+++\ntitle = "Quay Notes"\ndate = 2026-11-02\nauthors = ["Ann Lee"]\n+++\n\n'
                                     b"A paragraph of the post.\n")
    assert [(l.number, l.tag, l.text) for l in source.lines] == [
        (2, "title", "Quay Notes"), (4, "byline", "Ann Lee"), (3, "dateline", "2026-11-02"), (7, "p", "A paragraph of the post.")]
