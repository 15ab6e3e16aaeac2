"""DAISY Ace on the fixture EPUB: no serious or critical accessibility violation.

Needs ``node_modules/.bin/ace-puppeteer`` (``npm ci``) and ``/usr/bin/chromium``, both installed by
``./setup.sh --test``; skipped, saying so, when either is missing. Two Ace runs, a few seconds each.
"""

import json
import zipfile
from pathlib import Path

import pytest

from pubpipe.publish import ace as ace
from helpers import write_epub
from pubpipe.model import Anthology

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "anthology.json"
ACE = ROOT / "node_modules" / ".bin" / "ace-puppeteer"
CHROMIUM = Path("/usr/bin/chromium")
MISSING = [str(p) for p in (ACE, CHROMIUM) if not p.is_file()]
needs_ace = pytest.mark.skipif(bool(MISSING), reason=f"DAISY Ace cannot run: {', '.join(MISSING)} missing "
                                                     "(install with ./setup.sh --test)")


@pytest.fixture(scope="module")
def fixture_epub(tmp_path_factory) -> Path:
    mp = pytest.MonkeyPatch()
    mp.delenv("SOURCE_DATE_EPOCH", raising=False)
    try:
        anthology = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
        return write_epub(anthology, tmp_path_factory.mktemp("ace") / "fixture.epub")
    finally:
        mp.undo()


def damaged_copy(epub: Path, target: Path) -> Path:
    """The EPUB with the cover's alt text removed and a paragraph in unreadable grey."""
    with zipfile.ZipFile(epub) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "EPUB/cover.xhtml":
                data = data.replace(b" alt=", b" data-alt=")
            elif info.filename == "EPUB/stories/promise.xhtml":
                data = data.replace(b'<p class="p">', b'<p class="p" style="color:#ddd;background:#fff">', 1)
            zout.writestr(info, data)
    return target


@needs_ace
def test_fixture_epub_has_no_serious_or_critical_violation(fixture_epub, tmp_path):
    # assert_accessible raises AceFailed listing every serious and critical violation.
    report = ace.assert_accessible(fixture_epub, ace=ACE, browser=CHROMIUM, timeout=120,
                                   report_dir=tmp_path / "report")
    assert report.version, "no Ace version in the report: did Ace run?"
    assert (tmp_path / "report" / "report.html").is_file()


@needs_ace
def test_ace_fails_a_damaged_epub(fixture_epub, tmp_path, capsys):
    """The negative control: the check really runs axe and really fails the EPUB."""
    broken = damaged_copy(fixture_epub, tmp_path / "broken.epub")
    assert ace.main([str(broken), "--report", str(tmp_path / "report")]) == 1
    assert "critical image-alt in cover.xhtml" in capsys.readouterr().err
    report = ace.parse_report(json.loads((tmp_path / "report" / "report.json").read_text()))
    assert {(v.impact, v.rule) for v in report.blocking} >= {("critical", "image-alt"),
                                                            ("serious", "color-contrast")}


def test_parse_report_keeps_failures_only():
    data = {"earl:result": {"earl:outcome": "fail"},
            "earl:assertedBy": {"doap:release": {"doap:revision": "1.4.6"}},
            "assertions": [{"earl:testSubject": {"url": "a.xhtml"}, "assertions": [
                {"earl:result": {"earl:outcome": "fail", "dct:description": "Too pale\nmore", "html": "<p>\n x</p>"},
                 "earl:test": {"earl:impact": "serious", "dct:title": "color-contrast"}},
                {"earl:result": {"earl:outcome": "fail", "dct:description": "Minor thing"},
                 "earl:test": {"earl:impact": "minor", "dct:title": "region"}},
                {"earl:result": {"earl:outcome": "pass"},
                 "earl:test": {"earl:impact": "critical", "dct:title": "image-alt"}}]}]}
    report = ace.parse_report(data)
    assert report.version == "1.4.6" and report.outcome == "fail"
    assert [str(v) for v in report.blocking] == ["serious color-contrast in a.xhtml: Too pale <p> x</p>"]
    assert [v.rule for v in report.violations] == ["color-contrast", "region"]
    failed = ace.AceFailed(Path("b.epub"), report.blocking)
    assert isinstance(failed, ValueError) and "b.epub: DAISY Ace found 1 serious" in str(failed)


def test_missing_ace_is_reported_not_crashed(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ace, "find_ace", lambda: None)
    epub = tmp_path / "x.epub"
    epub.write_bytes(b"PK")
    with pytest.raises(ace.AceUnavailable, match="not installed"):
        ace.run_ace(epub)
    assert ace.main([str(epub)]) == 2
    assert "cannot check" in capsys.readouterr().err
