"""The publish flow end to end under Prefect, and the command line around it."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader

from helpers import previous_output
from pubpipe.render.pdf import reading as pdf

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ["anthology.json", "report.md", "web/index.html", "web/snippets.json", "web/feed.xml"]
pytestmark = pytest.mark.usefixtures("session_prefect_home")  # its builds use the session's PREFECT_HOME (conftest.py)


@pytest.fixture(scope="module")
def built(prefect_harness, tmp_path_factory):
    from pubpipe_flows.publish import publish
    work = tmp_path_factory.mktemp("flow")
    shutil.copytree(ROOT / "sources", work / "sources")
    shutil.copy(ROOT / "anthology.toml", work / "anthology.toml")
    result = publish(sources=str(work / "sources"), output=str(work / "output"), config="")
    return work, result


def test_every_output_of_the_contract(built):
    work, result = built
    out = work / "output"
    assert result.exit_code == 0 and not result.problems
    anthology = json.loads((out / "anthology.json").read_text(encoding="utf-8"))
    slug = anthology["slug"]
    assert anthology["schema"] == "pubpipe/anthology@1" and anthology["title"] == "Love, Money and Freedom"
    for name in CONTRACT + [f"{slug}.pdf", f"{slug}-print.pdf", f"{slug}.epub"]:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    for story in anthology["stories"]:
        assert (out / "web" / "stories" / f"{story['id']}.html").is_file()
        assert (out / "web" / "snippets" / f"{story['id']}.html").is_file()
    assert len(PdfReader(str(out / f"{slug}-print.pdf")).pages) * 2 % 4 == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "EPUBCheck 5.3 passed" in report and "HTML Snippets Powered By" in report
    assert not list(work.glob(".output.*staging*"))


def test_a_bad_source_is_skipped_and_named(prefect_harness, tmp_path):
    from pubpipe_flows.publish import publish
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    (tmp_path / "sources" / "broken.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    result = publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "out"), config="")
    assert result.exit_code == 1 and [p.file for p in result.problems] == ["broken.txt"]
    assert "broken.txt" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_nothing_publishable_leaves_previous_output(prefect_harness, tmp_path):
    from pubpipe.errors import NothingToPublish
    from pubpipe_flows.publish import publish
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "empty.txt").write_text("   \n")
    before = previous_output(tmp_path / "out", {"keep.txt": "previous build"})
    with pytest.raises(NothingToPublish, match="empty.txt"):
        publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "out"), config="")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before


def test_cli_check_on_the_built_output(built):
    work, _ = built
    run = subprocess.run([sys.executable, "-m", "pubpipe.cli", "check", "--output", str(work / "output")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "EPUBCheck 5.3 passed" in run.stdout


def test_cli_build_exit_code_2_without_sources(tmp_path):
    run = subprocess.run([sys.executable, "-m", "pubpipe.cli", "build", "--sources", str(tmp_path / "nope"),
                          "--output", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "does not exist" in run.stderr
    # one article given as the sources: named as a file, with the folder to pass instead
    article = tmp_path / "story.txt"
    article.write_text("Title\n\nA paragraph.\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pubpipe.cli", "build", "--sources", str(article),
                          "--output", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and f"{article} is a file, not a folder" in run.stderr and str(tmp_path) in run.stderr
    assert run.stderr.count("\n") <= 2 and "Traceback" not in run.stderr and not (tmp_path / "out").exists()


HERE = pdf.Layout(here=True)
"""The PDF laid out in the test's process: a layout process would not see a wrapped layout function."""


def _counting(monkeypatch, target: str):
    """Wrap the function at dotted `target` so the test can see how often the flow called it (a
    layout function of `pubpipe.render.pdf.reading`: in a build given ``layout=HERE``)."""
    module_name, name = target.rsplit(".", 1)
    module = __import__(module_name, fromlist=[name])
    original, calls = getattr(module, name), []

    def wrapper(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, wrapper)
    return calls


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_unchanged_rebuild_skips_parsing_and_rendering_but_writes(built, monkeypatch):
    from pubpipe_flows.publish import publish
    work, _ = built
    parsed = _counting(monkeypatch, "pubpipe.read.intake.parse_source")
    pdfs = _counting(monkeypatch, "pubpipe.render.pdf.reading.render_stories")
    epubs = _counting(monkeypatch, "pubpipe.render.epub.book._book")  # once per EPUB made
    (work / "output" / "anthology.json").unlink()  # writing is never skipped by a cache hit
    result = publish(sources=str(work / "sources"), output=str(work / "output"), config="", layout=HERE)
    assert result.exit_code == 0 and (parsed, pdfs, epubs) == ([], [], [])
    assert (work / "output" / "anthology.json").is_file()


def test_changed_source_is_parsed_and_rendered_again(prefect_harness, tmp_path, monkeypatch):
    from pubpipe_flows.publish import publish
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    first = sorted((tmp_path / "sources").glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + f"\nA closing line written by {tmp_path.name}.\n", encoding="utf-8")
    pdfs = _counting(monkeypatch, "pubpipe.render.pdf.reading.render_stories")
    result = publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "out"), config="", layout=HERE)
    assert result.exit_code == 0 and len(pdfs) == 1
    assert tmp_path.name in (tmp_path / "out" / "anthology.json").read_text(encoding="utf-8")


def test_failed_validation_leaves_previous_output_exactly(built, monkeypatch):
    from pubpipe.errors import ValidationFailed
    from pubpipe.publish.validate import Findings
    from pubpipe_flows.publish import publish
    work, _ = built
    before = _tree(work / "output")
    monkeypatch.setattr("pubpipe.publish.summary.check_output", lambda folder, run_epubcheck=True: Findings(errors=["forced failure"]))
    with pytest.raises(ValidationFailed, match="forced failure"):  # force: although the output is up to date
        publish(sources=str(work / "sources"), output=str(work / "output"), config="", force=True)
    assert _tree(work / "output") == before
    assert not list(work.glob(".output.staging*"))


def test_a_source_edited_during_the_build(prefect_harness, tmp_path, monkeypatch):
    """The build publishes the version it read at its start and says which file changed."""
    from pubpipe_flows.publish import publish
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    victim = sorted((tmp_path / "sources").glob("*.txt"))[-1]
    # A line no other build has, so that its PDF part is laid out (not a cache hit of an earlier
    # build of the samples in this PREFECT_HOME) and the edit below happens during this build.
    victim.write_text(victim.read_text(encoding="utf-8") + f"\nA closing line of build {uuid.uuid4().hex}.\n",
                      encoding="utf-8")
    original, render = victim.read_text(encoding="utf-8"), pdf.render_stories

    def render_and_edit(*args):
        victim.write_text(original + f"\nAn edit made while {tmp_path.name} was building.\n", encoding="utf-8")
        return render(*args)
    monkeypatch.setattr(pdf, "render_stories", render_and_edit)
    result = publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "out"), config="", layout=HERE)
    assert result.exit_code == 0
    assert tmp_path.name not in (tmp_path / "out" / "anthology.json").read_text(encoding="utf-8")
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "Sources changed during the build" in report and victim.name in report
    assert result.edited == (victim.name,)


def test_one_changed_story_re_renders_only_its_web_page(prefect_harness, tmp_path, monkeypatch):
    """A word changed in the middle story: its page and snippet, its part of the PDF (one story a
    part here) and the EPUB are rendered again; the other stories' pages and PDF parts come from
    the cache (and are still written)."""
    from pubpipe_flows.publish import publish
    sources = tmp_path / "sources"
    sources.mkdir()
    stories = [(f"The {name} Story", f"The {name.lower()} story opens on a quiet street in spring. "
                f"Neighbours talk about the {name.lower()} news for a long time.") for name in ("First", "Middle", "Last")]
    text = "\n\n* * *\n\n".join(f"{title}\n\n{body}" for title, body in stories) + "\n"
    (sources / "three.txt").write_text(text, encoding="utf-8")
    one_a_part = pdf.Layout(part_words=(1, 1))  # a PDF part per story
    publish(sources=str(sources), output=str(tmp_path / "out"), config="", layout=one_a_part)
    (sources / "three.txt").write_text(text.replace("middle news", "middle rumours"), encoding="utf-8")
    pages = _counting(monkeypatch, "pubpipe.render.web.site.story_web")
    pdfs = _counting(monkeypatch, "pubpipe.render.pdf.reading.render_stories")
    epubs = _counting(monkeypatch, "pubpipe.render.epub.book._book")  # once per EPUB made
    # Laid out here this time (where the counter sees it): the parts' cache keys are the same.
    result = publish(sources=str(sources), output=str(tmp_path / "out"), config="",
                     layout=dataclasses.replace(one_a_part, here=True))
    assert result.exit_code == 0 and len(epubs) == 1
    assert [args[1].id for args in pages] == ["the-middle-story"]
    assert [[s.id for s in args[0].stories] for args in pdfs] == [["the-middle-story"]]  # its PDF part alone
    web = tmp_path / "out" / "web"
    assert "middle rumours" in (web / "stories" / "the-middle-story.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (web / "stories").glob("*.html")) == [
        "the-first-story.html", "the-last-story.html", "the-middle-story.html"]
    pdf_size = (tmp_path / "out" / next(n for n in result.outputs if n.endswith(".pdf") and "-print" not in n)).stat().st_size
    first = (web / "stories" / "the-first-story.html").read_text(encoding="utf-8")
    from pubpipe.units import human_size
    assert "\x00" not in first and human_size(pdf_size) in first  # the cached page got today's sizes


def test_one_changed_story_lays_out_only_its_piece(prefect_harness, tmp_path, monkeypatch):
    """A book of one part in three pieces (a story each, running on from one another): a word changed
    in the middle story lays out its piece alone; the last piece, on the hand it had, comes from the
    cache. A middle story made longer by an odd number of pages moves the last story to the other
    hand: it is laid out again, from that hand."""
    from pubpipe_flows.publish import publish
    sources = tmp_path / "sources"
    sources.mkdir()
    body = ("The {0} story opens on a quiet street in spring. Neighbours talk about the {0} news for a "
            "long time, and the baker on the corner keeps a loaf back for whoever asks about it.")
    for n, name in enumerate(("First", "Middle", "Last")):
        (sources / f"{n}-{name.lower()}.txt").write_text(f"The {name} Story\n\n{body.format(name.lower())}\n",
                                                         encoding="utf-8")
    middle = sources / "1-middle.txt"
    text = middle.read_text(encoding="utf-8")
    in_pieces = pdf.Layout(part_words=(10**9, 10**9), piece_words=(1, 1), here=True)
    laid, render = [], pdf.render_stories

    def recorded(part, *args):
        done = render(part, *args)
        laid.append(([s.id for s in part.stories], args[-1], done.pages))  # ids, verso, pages
        return done
    monkeypatch.setattr(pdf, "render_stories", recorded)

    def build(middle_text):
        middle.write_text(middle_text, encoding="utf-8")
        laid.clear()
        assert publish(sources=str(sources), output=str(tmp_path / "out"), config="", layout=in_pieces).exit_code == 0
        return list(laid)
    first = build(text)
    assert [ids for ids, _, _ in first] == [["the-first-story"], ["the-middle-story"], ["the-last-story"]]
    middle_pages = first[1][2]
    assert build(text.replace("middle news", "middle rumours")) == [(["the-middle-story"], first[1][1], middle_pages)]
    for paragraphs in range(6, 90, 6):  # a middle story longer by an odd number of pages
        more = [f"On day {n} of the spring the middle story went on, as the neighbours told it to "
                f"{paragraphs + n} others by the river and the mill." for n in range(paragraphs)]
        again = build(text + "\n" + "\n\n".join(more) + "\n")
        if (again[0][2] - middle_pages) % 2:
            break
    else:
        pytest.fail("no middle story an odd number of pages longer")
    assert [(ids, verso) for ids, verso, _ in again] == [(["the-middle-story"], first[1][1]),
                                                         (["the-last-story"], not first[2][1])]


def test_story_pages_fan_out_to_a_dask_cluster(prefect_harness, tmp_path, monkeypatch):
    """With the flow's ``dask`` a scheduler's address, each batch of story pages (here one story a
    batch: up to `DASK_WEB_TASKS` stories) is a task on that Dask cluster (a LocalCluster of two worker
    processes); the output is the same as without."""
    from distributed import Client, LocalCluster, get_task_stream
    from pubpipe_flows.publish import publish
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        with get_task_stream(client) as stream:
            result = publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "dask"), config="",
                             dask=cluster.scheduler_address)
        workers = {t["worker"] for t in stream.data}
        cluster_workers = set(client.scheduler_info()["workers"])
    assert result.exit_code == 0
    stories = json.loads((tmp_path / "dask" / "anthology.json").read_text(encoding="utf-8"))["stories"]
    assert len(stream.data) == len(stories) and workers and workers <= cluster_workers
    publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "threads"), config="")
    assert _tree(tmp_path / "dask" / "web") == _tree(tmp_path / "threads" / "web")


def test_up_to_date_output_is_left_alone(built, monkeypatch):
    """Nothing changed since the build that published the output: the flow parses, renders and
    writes nothing and returns that build's result; an edited output file makes it build again."""
    from pubpipe_flows.publish import publish
    work, first = built
    before = {p: p.stat().st_mtime_ns for p in (work / "output").rglob("*")}
    parsed = _counting(monkeypatch, "pubpipe.read.intake.parse_source")
    result = publish(sources=str(work / "sources"), output=str(work / "output"), config="")
    assert result.message == "up to date" and parsed == []
    assert (result.exit_code, result.outputs) == (first.exit_code, first.outputs)
    assert {p: p.stat().st_mtime_ns for p in (work / "output").rglob("*")} == before
    page = next((work / "output" / "web" / "stories").glob("*.html"))
    page.write_text("defaced", encoding="utf-8")
    result = publish(sources=str(work / "sources"), output=str(work / "output"), config="")
    assert result.message != "up to date" and "defaced" not in page.read_text(encoding="utf-8")


def test_cli_says_up_to_date_without_starting_prefect(tmp_path):
    """The second `pubpipe build` of unchanged sources answers from the manifest, before Prefect
    is imported; --force builds anyway."""
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PUBPIPE_FORCE")}
    cli = [sys.executable, "-m", "pubpipe.cli", "build", "--sources", str(tmp_path / "sources"),
           "--output", str(tmp_path / "out")]
    first = subprocess.run(cli, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    probe = tmp_path / "probe.py"
    probe.write_text("import runpy, sys\ntry:\n"
                     "    runpy.run_module('pubpipe.cli', run_name='__main__')\nfinally:\n"
                     "    print('prefect imported:', 'prefect' in sys.modules)\n", encoding="utf-8")
    again = subprocess.run([sys.executable, str(probe), *cli[3:]], capture_output=True, text=True, env=env)
    assert again.returncode == 0 and "is up to date" in again.stdout, again.stderr
    assert "prefect imported: False" in again.stdout
    forced = subprocess.run([*cli, "--force"], capture_output=True, text=True, env=env)
    assert forced.returncode == 0 and "Published into" in forced.stdout, forced.stderr
