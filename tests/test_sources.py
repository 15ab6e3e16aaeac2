"""The sources folder: nothing is read through a link that leads out of it; editor backups,
temporary files and copies of other sources are skipped with a warning that leaves the exit code
alone; every skipped file is named on stderr and in report.md."""

import os
from pathlib import Path

import pytest

from pubpipe import pipeline
from pubpipe.read import intake
from pubpipe.publish import summary
from pubpipe.config import Config
from pubpipe.publish.manifest import already_published, build_key, write_manifest
from pubpipe.model import Anthology
from pubpipe.publish.report import render_report

STORY = ("The Long Winter\n\nBy Ann Lee\n\nThe snow came early that year and the village was cut off for weeks.\n\n"
         "The children built a tunnel to the school and the teacher came on skis.\n")
SECRET = "root:x:0:0:correct-horse-battery-staple:/root:/bin/bash\n"


def story(title: str) -> str:
    return STORY.replace("The Long Winter", title)


@pytest.fixture
def folder(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "winter.txt").write_text(STORY, encoding="utf-8")
    return sources


def read(sources: Path):
    snap = intake.snapshot(str(sources), Config())
    return snap, {p.file: p for p in snap.problems}


def test_links_leading_outside_are_never_read(folder, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (outside / "article.txt").write_text(story("An Outside Story"), encoding="utf-8")
    os.symlink(outside / "secret.txt", folder / "notes.txt")
    os.symlink("/etc/passwd", folder / "passwd.txt")
    os.symlink(outside, folder / "more")
    os.symlink("../elsewhere/secret.txt", folder / "relative.txt")
    snap, problems = read(folder)
    assert [name for name, _ in snap.files] == ["winter.txt"]
    assert not any(b"root:" in data or b"Outside" in data for _, data in snap.files)
    for name in ("notes.txt", "passwd.txt", "relative.txt"):
        p = problems[name]
        assert (p.code, p.severity) == ("source.outside", "error")
        assert p.message.startswith("is a link to a file outside the sources folder; not read")
    assert problems["more"].message.startswith("is a link to a folder outside the sources folder")
    ingested = intake.ingest(snap, Config())
    result = summary.result(Path("out"), {}, ingested)
    assert result.exit_code == 1 and {p.file for p in result.problems} == {"notes.txt", "passwd.txt", "relative.txt", "more"}


def test_a_link_swapped_in_after_the_scan_is_not_followed(folder, tmp_path):
    """read_bytes checks where the file really is when it opens it, not only when it was listed."""
    from pubpipe.errors import SourceError
    from pubpipe.read.ingest import read_bytes
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    os.symlink(tmp_path / "secret.txt", folder / "late.txt")
    with pytest.raises(SourceError) as info:
        read_bytes(folder / "late.txt", "late.txt", root=folder)
    assert info.value.code == "source.outside"


def test_links_that_stay_inside_are_read(folder):
    (folder / "sub").mkdir()
    (folder / "sub" / "spring.txt").write_text(story("The Early Spring"), encoding="utf-8")
    (folder / ".drafts").mkdir()
    (folder / ".drafts" / "summer.txt").write_text(story("The Dry Summer"), encoding="utf-8")
    os.symlink("sub/spring.txt", folder / "alias.txt")  # the same file twice: the real name is kept
    os.symlink("sub", folder / "again")  # a folder already read: its files once
    os.symlink(".drafts", folder / "drafts")  # a hidden folder, shown through a link
    os.symlink(".", folder / "loop")  # no endless walk
    snap, problems = read(folder)
    assert [name for name, _ in snap.files] == ["drafts/summer.txt", "sub/spring.txt", "winter.txt"]
    assert list(problems) == ["alias.txt"]
    assert (problems["alias.txt"].code, problems["alias.txt"].severity) == ("source.duplicate", "warning")
    assert "sub/spring.txt" in problems["alias.txt"].message


def test_a_link_to_nothing_is_named(folder):
    os.symlink("gone.txt", folder / "dangling.txt")
    _, problems = read(folder)
    assert (problems["dangling.txt"].code, problems["dangling.txt"].severity) == ("source.broken-link", "error")


@pytest.mark.parametrize("name, kind", [
    ("winter.txt~", "an editor backup"),
    (".winter.txt.swp", "a Vim swap file"),
    (".winter.txt.swo", "a Vim swap file"),
    ("~$harbour.docx", "a Word lock file"),
    ("#winter.txt#", "an Emacs autosave file"),
    (".~lock.harbour.docx#", "a LibreOffice lock file"),
    ("winter.txt.bak", "a backup copy"),
    ("draft.tmp", "a temporary file"),
    ("article.txt.crdownload", "an unfinished download"),
])
def test_backups_and_temporary_files_are_skipped_with_a_warning(folder, name, kind):
    (folder / name).write_text(story("A Backup Story"), encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # hidden system files: not even named
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(64))
    snap, problems = read(folder)
    assert [n for n, _ in snap.files] == ["winter.txt"]
    assert list(problems) == [name]
    p = problems[name]
    assert (p.code, p.severity) == ("source.backup", "warning") and p.message.startswith(f"looks like {kind}, not an article")
    result = summary.result(Path("out"), {}, intake.ingest(snap, Config()))
    assert (result.exit_code, result.problems, [w.file for w in result.warnings]) == (0, (), [name])


@pytest.mark.parametrize("names, kept", [
    (["winter.txt", "winter (copy).txt", "Copy of winter.txt", "winter - Copy.txt", "winter copy 2.txt"], "winter.txt"),
    (["a (1).txt", "b.txt"], "b.txt"),  # the canonical name, not the first one
    (["notes/a.txt", "a.txt"], "a.txt"),  # then the shallowest
])
def test_copies_of_a_source_are_skipped_naming_the_one_kept(tmp_path, names, kept):
    sources = tmp_path / "sources"
    for name in names:
        (sources / name).parent.mkdir(parents=True, exist_ok=True)
        (sources / name).write_text(STORY, encoding="utf-8")
    (sources / "empty.txt").write_text("", encoding="utf-8")  # two empty files are two problems, not copies
    (sources / "empty2.txt").write_text("", encoding="utf-8")
    snap, problems = read(sources)
    assert [n for n, _ in snap.files] == sorted([kept, "empty.txt", "empty2.txt"])
    for name in names:
        if name != kept:
            assert (problems[name].code, problems[name].severity) == ("source.duplicate", "warning")
            assert problems[name].message.startswith(f"has the same content as {kept}, which is published")
    anthology = pipeline.recover(sources, Config())
    assert len(anthology.stories) == 1 and anthology.stories[0].source.file == kept  # no "-2", "-3" copies


def test_warnings_are_said_and_reported_apart_from_problems(folder):
    from pubpipe.orchestrate import progress
    (folder / "winter.txt~").write_text(STORY + "An older ending.\n", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    snap, _ = read(folder)
    ingested = intake.ingest(snap, Config())
    said = []
    listener = lambda event, data: said.append((event, data))  # noqa: E731 (what `pubpipe build` shows)
    progress.listen(listener)
    try:
        summary.say_problems(ingested.problems)
    finally:
        progress.stop_listening(listener)
    assert said == [("problem", {"text": "skipped scan.pdf: is a PDF, which pubpipe cannot read; copy the article's "
                                 "text into a .txt file (or save the web page as .html) [source.pdf]", "error": True}),
                    ("problem", {"text": "warning: winter.txt~: looks like an editor backup, not an article; skipped "
                                 "(rename it if it is an article) [source.backup]", "error": False})]
    report = render_report(Anthology(title="T", stories=()), {}, ingested.problems)
    assert "1 problem(s) with sources; 1 file(s) skipped on purpose" in report
    skipped = report.split("## Sources skipped or cut short")[1].split("## Files skipped on purpose")
    assert "scan.pdf" in skipped[0] and "winter.txt~" not in skipped[0]
    assert "winter.txt~" in skipped[1].split("##")[0] and "scan.pdf" not in skipped[1].split("##")[0]
    assert summary.result(Path("out"), {}, ingested).exit_code == 1


def test_report_lists_each_diagnostic_once_and_anthology_json_keeps_its_shapes(folder):
    """A skipped source, a file skipped on purpose and a story with no body are each listed
    once in report.md (a skipped source used to stand under "Sources skipped" and again under
    "Warnings"); anthology.json's `warnings` keep their ``[code] file[:line]: message`` lines and
    read back as the same diagnostics."""
    (folder / "winter.txt~").write_text(STORY + "An older ending.\n", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    (folder / "untitled.txt").write_text("A Title Alone\n", encoding="utf-8")
    ingested, anthology = pipeline.ingest_and_recover(folder, Config())
    report = render_report(anthology, {}, ingested.problems)
    assert report.count("scan.pdf") == 1 and report.count("winter.txt~") == 1
    assert report.count("has no body") == 1 and "1 warning(s)" in report
    warnings = report.split("## Warnings")[1].split("##")[0]
    assert "untitled.txt:1: 'A Title Alone' has no body" in warnings and "scan.pdf" not in warnings
    data = anthology.to_dict()
    assert data["warnings"][:2] == [
        "[source.pdf] scan.pdf: is a PDF, which pubpipe cannot read; copy the article's text into a .txt file "
        "(or save the web page as .html)",
        "[source.backup] winter.txt~: looks like an editor backup, not an article; skipped (rename it if it is "
        "an article)"]
    assert data["warnings"][2] == "[structure.empty-story] untitled.txt:1: 'A Title Alone' has no body; kept as a title only"
    assert Anthology.from_dict(data).to_dict() == data


def test_nothing_changed_still_answers_from_the_record(folder, tmp_path):
    """Skipped files are part of what a build is made of: the same folder gives the same key, and a
    build whose only findings are warnings is recorded (and answered) with exit code 0."""
    (folder / "winter (copy).txt").write_text(STORY, encoding="utf-8")
    (folder / "winter.txt~").write_text(STORY, encoding="utf-8")
    config = Config()
    key = build_key(intake.snapshot(str(folder), config), config)
    assert build_key(intake.snapshot(str(folder), config), config) == key
    result = summary.result(tmp_path / "out", {}, intake.ingest(intake.snapshot(str(folder), config), config))
    assert result.exit_code == 0 and len(result.warnings) == 2
    out = tmp_path / "out"
    out.mkdir()
    write_manifest(out, key, result)
    again = already_published(out, key)
    assert (again.exit_code, again.problems) == (0, ())
    (folder / "winter (copy).txt").unlink()
    assert build_key(intake.snapshot(str(folder), config), config) != key


def test_files_edited_meanwhile_ignore_skipped_files(folder):
    """A backup or a copy appearing while a build runs is not a source changed during the build."""
    snap = intake.snapshot(str(folder), Config())
    (folder / "winter.txt~").write_text("typing", encoding="utf-8")
    (folder / ".winter.txt.swp").write_bytes(b"b0VIM 9.0")
    assert intake.changed_since(snap) == []
    (folder / "winter (copy).txt").write_text(STORY, encoding="utf-8")
    snap = intake.snapshot(str(folder), Config())
    assert intake.changed_since(snap) == []
