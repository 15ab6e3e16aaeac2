"""One reading of SOURCE_DATE_EPOCH and one date text for every output."""
import json
import subprocess
import sys

import pytest

from pubpipe import dates
from pubpipe.render.epub import book as epub
from pubpipe.render import labels
from pubpipe.render.pdf import reading as pdf
from pubpipe.render.web import site as web
from pubpipe.model import Anthology, Dateline, SourceSpan, Story

CLI = [sys.executable, "-m", "pubpipe.cli"]


def _anthology() -> Anthology:
    story = Story(id="a", title="A", blocks=(), source=SourceSpan("a.txt", 1, 3),
                  dateline=Dateline(source="Desk", date="2016-11-03"))
    return Anthology(title="T", stories=(story,))


def _web_date() -> str:
    """The date the web folder carries (snippets.json's ``updated``), as its renderer stamps it."""
    rows = json.loads(web.render(_anthology()).files["web/snippets.json"])
    return {row["updated"] for row in rows}.pop()


@pytest.mark.parametrize("value", ["-5", "yesterday", "1.5", "99999999999999"])
def test_a_bad_epoch_is_refused_the_same_way_by_every_output(monkeypatch, value):
    """Before: -5 gave 1969 in the PDF, 1970 in the EPUB and an error on the web."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    messages = set()
    for read in (_web_date, epub.source_date_epoch, pdf.created_date):
        with pytest.raises(dates.BadEpoch) as caught:
            read()
        messages.add(str(caught.value))
    assert len(messages) == 1 and f"not {value!r}" in messages.pop()


def test_every_output_reads_the_same_moment(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert _web_date() == "2023-11-14"
    assert epub.source_date_epoch() == 1700000000
    assert pdf.created_date() == "2023-11-14T22:13:20Z"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    # Unset: the build's own time (issue 18), never a story's dateline (2016) nor a fixed fallback.
    today = dates.now().date().isoformat()
    assert _web_date() == today
    assert abs(epub.source_date_epoch() - dates.now().timestamp()) < 60
    assert pdf.created_date().startswith(today)


def test_written_out_dates_of_a_source_header():
    assert dates.iso_from_text("June 1, 2008 [eBook #1661]") == "2008-06-01"
    assert dates.iso_from_text("Release Date: April, 2002 [EBook #3172]") == "2002-04"
    assert dates.iso_from_text("3 November 2016") == "2016-11-03"
    assert dates.iso_from_text("no date here") is None and dates.iso_from_text("Smarch 3, 2001") is None
    assert dates.date_text("2002-04") == "April 2002" and dates.date_text("1898") == "1898"


def test_date_text_is_one_english_form_whatever_the_locale():
    assert dates.date_text("2016-11-03") == "3 November 2016"
    assert dates.date_text("2016-02-30") == "2016-02-30"  # not a date: left as written
    assert dates.date_text("Spring 2016") == "Spring 2016" and dates.date_text(None) == ""
    assert labels.dateline(_anthology().stories[0]).text == "Desk, 3 November 2016"


def test_the_cli_refuses_a_bad_epoch_before_building(tmp_path):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "a.txt").write_text("Title\n\nText.\n")
    run = subprocess.run(CLI + ["build"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "SOURCE_DATE_EPOCH": "-5",
                              "XDG_STATE_HOME": str(tmp_path / "state")})
    assert run.returncode == 2, run.stderr
    assert "SOURCE_DATE_EPOCH must be whole seconds since 1970" in run.stderr and run.stderr.count("\n") <= 2
    assert not (tmp_path / "output").exists()
