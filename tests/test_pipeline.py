"""pubpipe.pipeline: the whole build as one function, its steps through a runner; the renderer
protocol (pubpipe.render)."""

from pathlib import Path

import pytest

from pubpipe import pipeline
from pubpipe.render import Rendered, write
from pubpipe.orchestrate.runner import Local
from pubpipe.render.epub import book as epub
from pubpipe.render.pdf import reading as pdf
from test_golden import EPOCH, GOLDEN, published

ROOT = Path(__file__).resolve().parents[1]


class Recording(Local):
    """The default runner, noting every step it is given."""

    def __init__(self):
        self.steps = []

    def call(self, step, *args):
        self.steps.append(step)
        return super().call(step, *args)

    def submit(self, step, *args):
        self.steps.append(step)
        return super().submit(step, *args)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("pipeline") / "output"
    run = Recording()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.setattr(pdf, "LEAD_SECONDS", 60)  # (the order below, however slow the machine)
        result = pipeline.build(ROOT / "sources", out, run=run)
    return out, result, run.steps


def test_the_default_runner_publishes_the_golden_outputs(built, tmp_path):
    """pipeline.build without Prefect publishes, from the sample sources, what tests/golden/ holds
    (anthology.json, the web folder, the EPUB unpacked, the PDFs' text), with a report and a build
    record (tests/test_golden.py compares the same build's outputs and refreshes them)."""
    out, result, _ = built
    assert result.exit_code == 0 and result.output == str(out)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(result.outputs) <= files and {"report.md", ".pubpipe-build.json"} <= files
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_text(encoding="utf-8") for p in GOLDEN.rglob("*") if p.is_file()}
    found = published(out, tmp_path)
    assert sorted(found) == sorted(golden)
    assert [name for name in golden if found[name] != golden[name]] == []


def test_every_step_has_its_task_in_the_flow(built):
    """The Prefect flow runs the same pipeline: every step the build took (its renderers' steps too)
    is one the flow has a task for."""
    from pubpipe_flows.publish import TASKS
    _, _, steps = built
    assert steps and [f"{s.__module__}.{s.__qualname__}" for s in steps if s not in TASKS] == []


def test_the_other_renderers_start_once_the_pdfs_first_piece_is_under_way(built):
    """The PDF's layout is the build's critical path: the EPUB (and after it the web pages) is asked
    for only once the PDF's first piece has been handed to its layout (reading._wait_under_way)."""
    _, _, steps = built
    assert steps.index(pdf.lay_out_part) < steps.index(epub.render)


def test_an_up_to_date_output_is_left_alone_unless_forced(built, monkeypatch):
    out, first, _ = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    again = pipeline.build(ROOT / "sources", out)
    assert again.message == "up to date" and again.outputs == first.outputs
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_a_step_the_flow_has_no_task_for_is_named():
    from pubpipe.errors import PubpipeError
    from pubpipe_flows.publish import Tasks

    def unknown_step():
        pass
    with pytest.raises(PubpipeError, match=r"no task for the step test_pipeline\..*unknown_step: add one to TASKS"):
        Tasks().call(unknown_step)


def test_recover_is_the_model_of_the_sources():
    anthology = pipeline.recover(ROOT / "sources")
    golden = (GOLDEN / "anthology.json").read_text(encoding="utf-8")
    assert [s.id for s in anthology.stories] and all(f'"id": "{s.id}"' in golden for s in anthology.stories)


def test_write_puts_rendered_files_in_a_folder_and_removes_only_its_own_stale_ones(tmp_path):
    (tmp_path / "web" / "stories").mkdir(parents=True)
    (tmp_path / "web" / "stories" / "gone.html").write_text("a story no longer there")
    (tmp_path / "web" / "notes.txt").write_text("not the renderer's")
    rendered = Rendered({"web/index.html": b"<p>index</p>", "web/stories/kept.html": b"<p>kept</p>"},
                        owns=("web/stories/*.html",))
    written = write(rendered, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == ["web/index.html", "web/stories/kept.html"]
    assert sorted(p.name for p in (tmp_path / "web" / "stories").iterdir()) == ["kept.html"]
    assert (tmp_path / "web" / "notes.txt").read_text() == "not the renderer's"
    with pytest.raises(ValueError, match="2 files"):
        rendered.name
    assert Rendered({"a.epub": b"PK"}).data == b"PK"


def test_without_base_url_the_report_warns_and_web_stands_alone(built):
    """Before (issue 18): no word about base_url (relative share and snippet links, no canonical
    address) and downloads linked outside web/. The samples set no base_url: report.md says so in
    one line, and web/ holds the three downloads, every link inside it resolving."""
    from pubpipe.publish.validate import broken_links
    out, _, _ = built
    report = (out / "report.md").read_text(encoding="utf-8")
    assert len([line for line in report.splitlines() if "'base_url' is not set" in line]) == 1
    pdfs = sorted(p.name for p in out.glob("*.pdf")) + sorted(p.name for p in out.glob("*.epub"))
    assert sorted(p.name for p in (out / "web" / "downloads").iterdir()) == sorted(pdfs) and len(pdfs) == 3
    for name in pdfs:
        assert (out / "web" / "downloads" / name).read_bytes() == (out / name).read_bytes()
    assert broken_links(out / "web") == []


def test_a_long_book_is_told_from_its_sources_text_before_its_stories_are_recovered():
    """`pipeline._long`: enough text for `processes.FRESH_FROM_PAGES` pages at `CHARS_PER_PAGE`."""
    from types import SimpleNamespace
    from pubpipe import pipeline
    from pubpipe.orchestrate import processes

    def read(chars: int):
        line = SimpleNamespace(text="x" * 1000)
        return SimpleNamespace(sources=(SimpleNamespace(lines=(line,) * (chars // 1000)),))
    enough = processes.FRESH_FROM_PAGES * pipeline.CHARS_PER_PAGE
    assert pipeline._long(read(enough))
    assert not pipeline._long(read(enough - 1000))


def test_the_helpers_import_what_the_build_runs_in_them():
    """`processes.start_helpers` names the modules (it cannot import them): the names must be theirs —
    the layout processes' is `pubpipe.render.pdf.engine`, which imports the layout's modules and
    WeasyPrint (reading itself imports WeasyPrint only as it lays out: the build process imports it)."""
    import importlib
    import subprocess
    import sys

    from pubpipe.orchestrate import processes
    from pubpipe.recover import steps
    from pubpipe.render.pdf import engine
    assert (processes.RECOVERY_MODULE, processes.LAYOUT_MODULE) == (steps.__name__, engine.__name__)
    code = (f"import sys, importlib; importlib.import_module({processes.LAYOUT_MODULE!r}); "
            "print(sorted(m for m in ('weasyprint.layout', 'weasyprint.pdf', 'pubpipe.render.pdf.reading', "
            "'pubpipe.render.pdf.relayout', 'pubpipe.render.pdf.fontcache', 'pubpipe.render.pdf.fetcher') "
            "if m not in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", (done.stdout, done.stderr[-1000:])
    importlib.import_module(processes.RECOVERY_MODULE)


def test_the_stories_recovered_ahead_are_the_flows_and_taken_only_for_its_inputs(tmp_path, monkeypatch):
    """`steps.ahead` (what `pubpipe build` asks the recovery process for while it imports Prefect)
    keeps the results of clean and structure; the flow's steps take them only for equal inputs
    (equal digests), once, and they are what the steps would have made."""
    import shutil

    from pubpipe.read import intake
    from pubpipe.recover import steps
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "sources", sources)
    steps.ahead(str(sources), None)
    assert len(steps._AHEAD) == 2
    settings = intake.load_settings(str(sources), None)
    ingested = intake.ingest(intake.snapshot(str(sources), settings), settings)
    kept = dict(steps._AHEAD)
    cleaned = steps._clean_or_ahead(ingested, settings)
    assert any(cleaned is v for v in kept.values()) and cleaned == steps._clean(ingested, settings)
    anthology = steps._structure_or_ahead(cleaned, ingested, settings)
    assert any(anthology is v for v in kept.values()) and not steps._AHEAD
    assert anthology == steps._structure(cleaned, ingested, settings)
    # A source edited since: the flow's inputs differ, its steps work them out themselves.
    steps.ahead(str(sources), None)
    first = sorted(sources.iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nOne more line, written after.\n", encoding="utf-8")
    edited = intake.ingest(intake.snapshot(str(sources), settings), settings)
    again = steps._clean_or_ahead(edited, settings)
    assert not any(again is v for v in kept.values()) and len(steps._AHEAD) == 2
    steps._AHEAD.clear()
    # Nothing to read: nothing kept, no error (the flow says what is wrong).
    steps.ahead(str(tmp_path / "missing"), None)
    assert not steps._AHEAD


def test_a_book_that_may_be_long_starts_its_layout_processes_after_its_stories(tmp_path, monkeypatch):
    """A book whose sources' bytes may make `FRESH_FROM_PAGES` pages starts no layout process before
    its stories are recovered (the recovery holds the most memory then: issue 19), and they start
    after; a short book starts them at once."""
    import shutil

    from pubpipe import pipeline
    from pubpipe.orchestrate import processes
    from pubpipe.render.pdf import reading as pdf
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    events = []
    monkeypatch.setattr(processes, "start_recovery_process", lambda module: events.append("recovery"))
    monkeypatch.setattr(processes, "warm_up", lambda module, **how: events.append("layout"))
    processes.start_helpers(layout=False)
    assert events == ["recovery"]
    events.clear()
    processes.start_helpers()
    assert events == ["recovery", "layout"]

    def recover(*args, **kwargs):
        events.append("stories")
        return real(*args, **kwargs)
    real = pipeline._recover
    monkeypatch.setattr(pipeline, "_recover", recover)
    monkeypatch.setattr(pipeline, "_long", lambda ingested: True)
    for long in (True, False):
        events.clear()
        monkeypatch.setattr(processes, "may_be_long", lambda sources: long)
        pipeline.build(tmp_path / "sources", tmp_path / f"out-{long}", layout=pdf.Layout(level=False), force=True)
        assert events[:3] == (["recovery", "stories", "layout"] if long else ["recovery", "layout", "stories"]), events


def test_the_print_edition_made_beside_the_assembly_is_taken_as_it_is():
    """The pipeline takes the print edition the reading edition's assembly made beside it, and runs
    no imposition step: from the reading edition's future (the flow's runner) or from the reading
    edition itself (a runner that resolves what it hands over, as benchmarks/stage_times.py's does)."""
    from concurrent.futures import Future
    from pubpipe import pipeline
    from pubpipe.render import Rendered
    from pubpipe.render.pdf.parts import PdfInfo
    printed = Rendered({"b-print.pdf": b"%PDF"})
    reading = Rendered({"b.pdf": b"%PDF"}, PdfInfo(pages=4, story_pages={}, print_edition=printed))
    future = Future()
    future.set_result(reading)

    class NoStep:
        def call(self, *args):
            raise AssertionError("imposed again")
    assert pipeline._impose(NoStep(), future, None) is printed
    assert pipeline._impose(NoStep(), reading, None) is printed
