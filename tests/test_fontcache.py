"""Static instances of the variable fonts made once and kept (pubpipe.render.pdf.fontcache, issue 19)."""

import dataclasses
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import fontpkg_inter
import pytest
import weasyprint
from fontTools.ttLib import TTFont

from pubpipe.render.pdf import fontcache
from pubpipe.render.pdf import reading as pdf
from pubpipe.model import Anthology

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
INTER = (fontpkg_inter.ROOT / "files" / "Inter[opsz,wght].ttf").read_bytes()
AT = (("opsz", 14.0), ("wght", 400.0))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder and an empty memory for the test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fontcache, "_MEMORY", {})
    return tmp_path / "cache" / "pubpipe" / "font-instances"


def test_an_instance_is_made_once_and_kept_on_disk(cache, monkeypatch):
    made = fontcache.static_instance(INTER, 0, AT)
    static = TTFont(io.BytesIO(made))
    assert "fvar" not in static and "gvar" not in static and "GSUB" not in static
    assert static["OS/2"].usWeightClass == 400
    files = list(cache.iterdir())
    assert [f.name for f in files] == [f"{fontcache.key(INTER, 0, AT)}.ttf"]
    assert files[0].read_bytes() == made

    def refuse(*args):
        raise AssertionError("made again")
    monkeypatch.setattr(fontcache, "make_instance", refuse)
    assert fontcache.static_instance(INTER, 0, AT) == made  # from memory
    monkeypatch.setattr(fontcache, "_MEMORY", {})
    assert fontcache.static_instance(INTER, 0, AT) == made  # from disk, as another build's process would


def test_the_key_names_the_font_the_location_and_fonttools(monkeypatch):
    key = fontcache.key(INTER, 0, AT)
    assert fontcache.key(INTER + b"\0", 0, AT) != key
    assert fontcache.key(INTER, 0, (("opsz", 14.0), ("wght", 700.0))) != key
    monkeypatch.setattr(fontcache.fontTools, "version", "0.0.1")
    assert fontcache.key(INTER, 0, AT) != key


def test_a_location_is_clamped_to_the_axes_as_the_instancer_clamps_it():
    axes = {a.axisTag: a for a in TTFont(io.BytesIO(INTER))["fvar"].axes}  # opsz 14-32
    assert fontcache.location({"wght": 400, "opsz": 9.5}, axes) == AT
    assert fontcache.location({"opsz": 40, "wght": 400, "weight": 3}, axes) == (("opsz", 32.0), ("wght", 400.0))


def test_a_broken_cache_file_is_replaced_and_an_unwritable_cache_costs_only_time(cache, tmp_path, monkeypatch):
    cache.mkdir(parents=True)
    path = cache / f"{fontcache.key(INTER, 0, AT)}.ttf"
    path.write_bytes(b"")  # a file left empty (a full disk)
    made = fontcache.static_instance(INTER, 0, AT)
    assert path.read_bytes() == made and made[:4] == b"\x00\x01\x00\x00"
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setattr(fontcache, "_MEMORY", {})
    assert fontcache.static_instance(INTER, 0, AT) == made
    assert not list(cache.glob(".tmp-*"))


def test_two_processes_making_the_same_instance_each_leave_a_whole_file(cache, tmp_path):
    code = ("import sys; from pubpipe.render.pdf import fontcache; import fontpkg_inter;"
            "data = (fontpkg_inter.ROOT / 'files' / 'Inter[opsz,wght].ttf').read_bytes();"
            "sys.stdout.write(fontcache.key(data, 0, ((\"opsz\", 14.0), (\"wght\", 400.0))) + ' ' +"
            "str(len(fontcache.static_instance(data, 0, ((\"opsz\", 14.0), (\"wght\", 400.0))))))")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    both = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].split() for p in both]
    assert all(p.returncode == 0 for p in both)
    assert outs[0] == outs[1]
    assert [f.name for f in cache.iterdir()] == [f"{outs[0][0]}.ttf"]  # no temporary file left
    assert len((cache / f"{outs[0][0]}.ttf").read_bytes()) == int(outs[0][1])


def _story_pdf(epoch: str, monkeypatch) -> bytes:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    anthology = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    return pdf.render_stories(dataclasses.replace(anthology, stories=anthology.stories[:1])).data


def test_the_pdf_is_the_same_from_a_cold_or_a_warm_cache_and_shows_what_weasyprint_shows(cache, tmp_path,
                                                                                       monkeypatch):
    cold = _story_pdf("1700000000", monkeypatch)
    assert len(list(cache.iterdir())) >= 3  # body, headings, running heads…
    monkeypatch.setattr(fontcache, "_MEMORY", {})
    warm = _story_pdf("1700000000", monkeypatch)
    assert warm == cold  # byte for byte: the instances' timestamps are the build's, not the cache's
    assert _story_pdf("1800000000", monkeypatch) != cold  # …and they follow SOURCE_DATE_EPOCH
    fontcache.uninstall()
    monkeypatch.setattr(fontcache, "install", lambda: False)
    own = _story_pdf("1700000000", monkeypatch)
    for name, data in (("cached", cold), ("weasyprint", own)):
        (tmp_path / f"{name}.pdf").write_bytes(data)
    text = [subprocess.run(["pdftotext", str(tmp_path / f"{n}.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout for n in ("cached", "weasyprint")]
    assert text[0] == text[1] and "fvar" not in cold.decode("latin-1")
    assert _glyphs(cold) == _glyphs(own)  # every embedded glyph's outline and every width the same


def _glyphs(data: bytes) -> dict:
    import pikepdf
    found = {}
    with pikepdf.open(io.BytesIO(data)) as book:
        for page in book.pages:
            for name, font in page.Resources.get("/Font", {}).items():
                descendant = font.DescendantFonts[0]
                program = TTFont(io.BytesIO(descendant.FontDescriptor.FontFile2.read_bytes()))
                glyf = program["glyf"]
                outlines = tuple(tuple(glyf[g].getCoordinates(glyf)[0]) if glyf[g].numberOfContours else ()
                                 for g in program.getGlyphOrder())
                found[str(font.BaseFont)] = (outlines, str(descendant.get("/W")), "fvar" in program)
    return found


def test_installed_only_over_the_weasyprint_it_was_written_for(monkeypatch):
    fontcache.uninstall()
    monkeypatch.setattr(weasyprint, "__version__", "99.0")
    assert fontcache.install() is False
    assert weasyprint.pdf.fonts.Font.clean is fontcache._original_clean
    monkeypatch.setattr(weasyprint, "__version__", fontcache.KNOWN_VERSION)
    assert fontcache.install() is True and fontcache.install() is True
    assert weasyprint.pdf.fonts.Font.clean is fontcache.clean


def test_threads_share_one_memory(cache):
    results = []
    threads = [threading.Thread(target=lambda: results.append(fontcache.static_instance(INTER, 0, AT)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(fontcache._MEMORY) == 1
