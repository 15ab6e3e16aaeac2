"""A character no available font can draw stops the reading edition, named, instead of printing a box;
the build then leaves out the story that holds it and publishes the rest."""

import dataclasses
import json
import logging
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from pubpipe import pdf
from pubpipe.errors import PubpipeError
from pubpipe.model import Anthology, Block
from pubpipe.pdfglyphs import (MissingGlyphs, describe, private_use, stories_holding,
                               watch_missing_glyphs, where)

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
LINEAR_B = "\U00010000"  # LINEAR B SYLLABLE B008 A: no Debian font package this project installs has it
PRIVATE = "\ue000"       # Inter has a glyph here, but it is Inter's own symbol, not what the source meant
UNASSIGNED = "\u0378"


def anthology_with(story_id: str, text: str) -> Anthology:
    """The fixture with one paragraph of ``text`` added to story ``story_id``."""
    anthology = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    stories = tuple(dataclasses.replace(s, blocks=s.blocks + (Block(type="paragraph", text=text),))
                    if s.id == story_id else s for s in anthology.stories)
    return dataclasses.replace(anthology, stories=stories)


def test_a_character_without_a_glyph_fails_the_pdf_by_name(tmp_path):
    anthology = anthology_with("promise", f"The tablet reads {LINEAR_B} and {UNASSIGNED}.")
    anthology = dataclasses.replace(anthology, stories=tuple(
        dataclasses.replace(s, title=s.title + " " + PRIVATE) if s.id == "korean" else s
        for s in anthology.stories))
    out = tmp_path / "book.pdf"
    with pytest.raises(MissingGlyphs) as caught:
        pdf.render_pdf(anthology, out)
    error = caught.value
    assert isinstance(error, PubpipeError)
    assert error.missing == {LINEAR_B: ("promise",), UNASSIGNED: ("promise",), PRIVATE: ("korean",)}
    message = str(error)
    assert "U+10000 LINEAR B SYLLABLE B008 A in story 'promise'" in message
    assert "U+0378 (an unassigned code point) in story 'promise'" in message
    assert "U+E000 (a private-use character: no agreed glyph) in story 'korean'" in message
    assert not out.exists(), "no PDF with empty boxes may be written"


def test_scripts_the_fonts_cover_render(tmp_path):
    # Greek and Cyrillic (Literata), Hangul and Han (Noto CJK), symbols a book uses.
    anthology = anthology_with("promise", "Ελληνικά, кириллица, 한국어, 中文, № 5 — “quoted” … €12 ½ ©")
    info = pdf.render_pdf(anthology, tmp_path / "book.pdf")
    assert info.pages > 0
    if shutil.which("pdffonts"):  # and by the project's fonts, not whatever else the machine has
        rows = subprocess.run(["pdffonts", str(tmp_path / "book.pdf")], check=True, capture_output=True,
                              text=True).stdout.splitlines()[2:]
        names = [row.split()[0].split("+", 1)[-1] for row in rows]
        assert all(n.startswith(("Literata", "Inter", "Noto-S")) for n in names), names


def test_descriptions_and_places():
    assert describe(LINEAR_B) == "U+10000 LINEAR B SYLLABLE B008 A"
    assert describe(UNASSIGNED) == "U+0378 (an unassigned code point)"
    assert describe("\U000F0001").startswith("U+F0001 (a private-use character")
    assert where(()) == "the book's title, subtitle or publisher"
    assert where(("a",)) == "story 'a'" and where(("a", "b")) == "stories 'a', 'b'"


def test_private_use_is_found_everywhere_the_book_prints_but_not_in_file_names():
    anthology = anthology_with("promise", "plain")
    assert private_use(anthology) == set()
    assert private_use(dataclasses.replace(anthology, publisher="Org " + PRIVATE)) == {PRIVATE}
    moved = tuple(dataclasses.replace(s, source=dataclasses.replace(s.source, file=PRIVATE + ".txt"))
                  for s in anthology.stories)
    assert private_use(dataclasses.replace(anthology, stories=moved)) == set()
    assert stories_holding(anthology_with("korean", "x" + LINEAR_B), [LINEAR_B]) == {LINEAR_B: ("korean",)}


def test_the_watch_hears_only_its_own_thread():
    logger = logging.getLogger("weasyprint")
    notdef = '.notdef glyph rendered for Unicode string unsupported by fonts: "%s" (U+%04X)'
    with watch_missing_glyphs() as found:
        other = threading.Thread(target=logger.warning, args=(notdef, "\u0379", 0x379))
        other.start()
        other.join()
        logger.warning(notdef, UNASSIGNED, ord(UNASSIGNED))
        logger.warning("some other warning (U+0041)")
    assert found == {UNASSIGNED}


def test_the_watch_works_when_weasyprint_is_silenced():
    logger = logging.getLogger("weasyprint")
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with watch_missing_glyphs() as found:
            logger.warning('.notdef glyph rendered for Unicode string unsupported by fonts: "x" (U+10000)')
        assert found == {LINEAR_B} and logger.level == logging.ERROR
    finally:
        logger.setLevel(before)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_story_no_font_can_show_costs_only_itself(prefect_harness, tmp_path):
    """The story holding the character is left out of every output and named with its file; the
    rest is published (exit code 1), and the reading edition holds no empty box."""
    from pubpipe_flows.publish import publish
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    first = sorted((tmp_path / "sources").iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + f"\nThe tablet reads {LINEAR_B} here.\n",
                     encoding="utf-8")
    result = publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "out"), config="")
    assert result.exit_code == 1
    [problem] = result.problems
    assert problem.file == first.name and problem.code == "story.glyphs"
    assert "U+10000 LINEAR B SYLLABLE B008 A" in problem.reason and "left out" in problem.reason
    built = json.loads((tmp_path / "out" / "anthology.json").read_text(encoding="utf-8"))
    assert built["stories"] and all(LINEAR_B not in json.dumps(s, ensure_ascii=False) for s in built["stories"])
    left_out = problem.reason.split("'")[1]
    assert left_out not in [s["title"] for s in built["stories"]]
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "LINEAR B SYLLABLE B008 A" in report and first.name in report
    book = next((tmp_path / "out").glob("*[!t].pdf"))
    assert LINEAR_B not in subprocess.run(["pdftotext", str(book), "-"], capture_output=True, text=True).stdout


def test_a_character_in_the_book_title_publishes_nothing(prefect_harness, tmp_path):
    """No story to leave out can save a title no font can show: nothing is published."""
    from pubpipe_flows.publish import publish
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    (tmp_path / "anthology.toml").write_text(f'title = "Tablets {LINEAR_B}"\n', encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("previous build")
    with pytest.raises(MissingGlyphs, match="U\\+10000 LINEAR B SYLLABLE B008 A in the book's title"):
        publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "out"), config=str(tmp_path / "anthology.toml"))
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_leave_out_keeps_the_rest_and_names_each_story():
    from pubpipe.build import leave_out
    from pubpipe.stages import Ingested
    anthology = anthology_with("promise", f"The tablet reads {LINEAR_B}.")
    kept, ingested = leave_out(anthology, Ingested(()), MissingGlyphs({LINEAR_B: ("promise",)}))
    assert [s.id for s in kept.stories] == [s.id for s in anthology.stories if s.id != "promise"]
    [problem] = ingested.problems
    promise = next(s for s in anthology.stories if s.id == "promise")
    assert problem.file == promise.source.file and f"story '{promise.title}' left out" in problem.reason
    everyone = MissingGlyphs({LINEAR_B: tuple(s.id for s in anthology.stories)})
    with pytest.raises(MissingGlyphs):
        leave_out(anthology, Ingested(()), everyone)
    with pytest.raises(MissingGlyphs):
        leave_out(anthology, Ingested(()), MissingGlyphs({LINEAR_B: ()}))


def test_the_error_survives_pickling():
    import pickle
    error = MissingGlyphs({LINEAR_B: ("promise",)})
    again = pickle.loads(pickle.dumps(error))
    assert again.missing == error.missing and str(again) == str(error)
    assert str(error).endswith("or remove it from the sources")
