"""The record a build leaves in its output (.pubpipe-build.json) and what it is compared with."""

import json

from pubpipe.publish.manifest import NAME, already_published, differences, write_manifest
from pubpipe.model import problem
from pubpipe.publish.result import BuildResult
from pubpipe.publish.validate import Findings, check_manifest


def test_record_compare_and_check(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<p>hi</p>", encoding="utf-8")
    (tmp_path / "report.md").write_text("# report", encoding="utf-8")
    result = BuildResult(1, str(tmp_path), {"report.md": {"size": 8, "pages": None}},
                         (problem("a.txt", "file is empty", "source.empty"),))
    write_manifest(tmp_path, "key-1", result)
    recorded = json.loads((tmp_path / NAME).read_text(encoding="utf-8"))["files"]
    assert sorted(recorded) == ["report.md", "web/index.html"] and differences(tmp_path, recorded) == []
    again = already_published(tmp_path, "key-1")
    assert (again.exit_code, again.outputs, again.problems, again.message) == (
        1, result.outputs, result.problems, "up to date")
    assert already_published(tmp_path, "key-2") is None
    found = Findings()
    check_manifest(tmp_path, found)
    assert found.passed == [f"{NAME}: all 2 files as published"] and not found.errors
    (tmp_path / "web" / "index.html").write_text("<p>defaced</p>", encoding="utf-8")
    (tmp_path / "extra.txt").write_text("dropped here", encoding="utf-8")
    (tmp_path / "report.md").unlink()
    assert differences(tmp_path, recorded) == ["extra.txt", "report.md", "web/index.html"]
    assert already_published(tmp_path, "key-1") is None
    found = Findings()
    check_manifest(tmp_path, found)
    assert found.errors == [f"{NAME}: changed, missing or added since the build published them: "
                            "extra.txt, report.md, web/index.html"]
    (tmp_path / NAME).write_text("{not json", encoding="utf-8")
    found = Findings()
    check_manifest(tmp_path, found)
    assert found.errors[0].startswith(f"{NAME}: unreadable") and already_published(tmp_path, "key-1") is None


def test_settings_that_shape_nothing_are_declared_once_and_change_no_key(tmp_path):
    """Which settings shape no output is said on the Config field; the build key (manifest) and
    the parsing cache key (cache) both follow it. base_url shapes the web pages only: it changes
    the build key, not the stories' cache key. (Before, the two lists disagreed on base_url.)"""
    from dataclasses import replace

    from pubpipe.read import intake
    from pubpipe.cache import digest
    from pubpipe.config import Config, Limits
    from pubpipe.publish.manifest import build_key
    from dataclasses import fields
    declared = {f.name: f.metadata.get("shapes") for f in fields(Config) + fields(Limits) if f.metadata}
    assert declared == {"schedule": "nothing", "timezone": "nothing", "dask": "nothing", "base_url": "web",
                        "stories_open": "pdf", "path": "nothing", "epubcheck_seconds": "nothing"}
    (tmp_path / "a.txt").write_text("Title\n\nA paragraph.\n", encoding="utf-8")
    base = Config()
    snap = intake.snapshot(str(tmp_path), base)
    same = replace(base, schedule="* * * * *", timezone="Asia/Seoul", dask="local", path="/elsewhere.toml",
                   limits=Limits(epubcheck_seconds=900))
    assert build_key(snap, same) == build_key(snap, base) and digest(same) == digest(base)
    linked = replace(base, base_url="https://example.org/web/")
    assert build_key(snap, linked) != build_key(snap, base) and digest(linked) == digest(base)
    recto = replace(base, stories_open="recto")  # shapes the PDF only
    assert build_key(snap, recto) != build_key(snap, base) and digest(recto) == digest(base)
    for shaping in (replace(base, title="Other"), replace(base, limits=Limits(max_line_chars=99))):
        assert build_key(snap, shaping) != build_key(snap, base) and digest(shaping) != digest(base)
    # The PDF's layout settings: where it is laid out shapes nothing; how it is cut into parts does.
    from pubpipe.render.pdf.reading import Layout
    assert build_key(snap, base, Layout(here=True)) == build_key(snap, base, Layout()) == build_key(snap, base)
    assert build_key(snap, base, Layout(part_words=(1, 1))) != build_key(snap, base, Layout())


def test_cache_keys_come_from_the_content_never_from_how_it_was_made(tmp_path):
    """Every input of a cached step digests through one canonical JSON serialisation of the model:
    the same fresh, after the task cache's pickle round trip and made anew, wherever the sources lie;
    one changed word changes it; a value with no canonical form is refused, never pickled."""
    import pickle

    import pytest

    from pubpipe.recover import steps
    from pubpipe.read import intake
    from pubpipe.render.web import site as web
    from pubpipe.cache import canonical, digest
    from pubpipe.config import Config
    text = "The Long Winter\n\nBy Ann Lee\n\nThe snow came early that year.\n\nShare this article\n"
    built = []
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text(text, encoding="utf-8")
        snap = intake.snapshot(str(tmp_path / folder), Config())
        ingested = intake.ingest(snap, Config())
        cleaned = steps.clean(ingested, Config())
        anthology = steps.structure(cleaned, ingested, Config())
        batch = web.StoryBatch(((anthology.stories[0], None, None),))
        built.append([snap, ingested, cleaned, anthology, batch])
    assert built[0][3].removed and built[0][1].sources[0].kind == "text"
    for made, again in zip(*built):
        assert digest(made) == digest(again) == digest(pickle.loads(pickle.dumps(made)))
    assert canonical(built[0][0]).startswith(b"[1,") and str(tmp_path).encode() not in canonical(built[0][0])
    (tmp_path / "one" / "a.txt").write_text(text.replace("early", "late"), encoding="utf-8")
    assert digest(intake.snapshot(str(tmp_path / "one"), Config())) != digest(built[0][0])
    with pytest.raises(TypeError, match="no canonical form for a object"):
        digest([object()])
