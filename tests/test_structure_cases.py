"""Structure recovery on small made-up sources, one shape at a time."""

from pathlib import Path

import pytest

from pubpipe import pipeline, stages
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


def test_stories_separated_by_a_rule_line(tmp_path):
    a = build(tmp_path, "First Story\nIt began in spring.\nIt ended in autumn.\n* * *\nSecond Story\nAnother tale.\n")
    assert [s.title for s in a.stories] == ["First Story", "Second Story"]


def test_title_subtitle_byline_dateline(tmp_path):
    a = build(tmp_path, "Water Returns to the Valley\nA drought ends after six years\nBy Ana Ruiz\n"
                        "GENEVA (12.03.2021) – – Rain fell for the first time in years.\nFarmers celebrated.\n")
    s = a.stories[0]
    assert s.subtitle == "A drought ends after six years" and s.byline.name == "Ana Ruiz"
    assert (s.dateline.source, s.dateline.date) == ("GENEVA", "2021-03-12")
    assert s.blocks[0].text == "Rain fell for the first time in years."


def test_byline_and_dateline_open_a_new_story_without_other_signal(tmp_path):
    a = build(tmp_path, "One\nA first story, told in full.\nTwo Is Here\nBy Kim Lee\nThe second story.\n")
    assert [s.title for s in a.stories] == ["One", "Two Is Here"] and a.stories[1].byline.name == "Kim Lee"


def test_bottom_byline_without_dashes(tmp_path):
    a = build(tmp_path, "A Title\nThe story is told here in a sentence.\nBy Jane Doe\n")
    assert a.stories[0].byline.name == "Jane Doe" and kinds(a.stories[0]) == ["paragraph"]


def test_quote_with_hyphen_attribution_and_ordered_list(tmp_path):
    a = build(tmp_path, "Title Here\nShe explained the plan.\n“We will not stop.”\n-- Amal, volunteer\n"
                        "1. Gather water.\n2. Share it.\nThe end came.\n")
    s = a.stories[0]
    assert kinds(s) == ["paragraph", "quote", "list", "paragraph"]
    assert s.blocks[1].attribution == "Amal, volunteer" and s.blocks[1].text == "We will not stop."
    assert s.blocks[2].ordered and s.blocks[2].items == ("Gather water.", "Share it.")


def test_series_forms(tmp_path):
    a = build(tmp_path, "The Crossing: Part 2\nText of the second part.\n")
    assert a.stories[0].title == "The Crossing" and a.stories[0].series.part == 2


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


def test_korean_story_language_byline_and_residue(tmp_path):
    text = ("북한 장마당의 봄\n(서울=뉴스) 홍길동 기자 = 북한의 장마당은 주민들의 생활을 크게 바꾸어 놓았다.\n"
            "시장에서는 쌀과 옥수수, 중국산 옷과 휴대전화까지 거래된다고 탈북민들은 전한다.\n"
            "상인들은 단속을 피해 밤에도 장사를 이어간다고 한다.\nⓒ 뉴스, 무단 전재 및 재배포 금지\n공유하기\n")
    a = build(tmp_path, text)
    s = a.stories[0]
    assert s.language == "ko" and s.byline.name == "홍길동" and s.dateline.source == "서울"
    assert [r.rule for r in a.removed] == ["copyright-footer", "share-buttons"]


def test_config_overrides(tmp_path):
    text = "Alpha Story\nText of alpha.\n* * *\nBeta Story\nText of beta.\nGamma line to split\nText of gamma.\n"
    config = Config(title="Book", order=("beta-story",), exclude=("Alpha Story",),
                    titles={"beta-story": "Beta, Retitled"}, split_before=("Gamma line to split",))
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.txt").write_text(text, encoding="utf-8")
    a = pipeline.recover(folder, config)
    assert [s.title for s in a.stories] == ["Beta, Retitled", "Gamma line to split"] and a.title == "Book"


def test_same_title_twice_gets_distinct_ids(tmp_path):
    a = build(tmp_path, "Same Title\nOne text.\n* * *\nSame Title\nOther text.\n")
    assert [s.id for s in a.stories] == ["same-title", "same-title-2"]


@pytest.mark.parametrize("title", ["../../etc/passwd", "\u202e\u200bTitle", "!!!"])
def test_ids_are_safe_slugs(tmp_path, title):
    a = build(tmp_path, f"{title}\nSome text of the story here.\n")
    assert a.stories[0].id.replace("-", "").isalnum() and "/" not in a.stories[0].id


def test_dask_setting_from_toml_and_environment(tmp_path, monkeypatch):
    """`dask` in anthology.toml, overridden by PUBPIPE_DASK; neither changes the parsing cache key."""
    from pubpipe.cache import digest
    (tmp_path / "sources").mkdir()
    (tmp_path / "anthology.toml").write_text('dask = "tcp://10.0.0.5:8786"\n', encoding="utf-8")
    monkeypatch.delenv("PUBPIPE_DASK", raising=False)
    from_toml = stages.load_settings(str(tmp_path / "sources"), None)
    assert from_toml.dask == "tcp://10.0.0.5:8786"
    monkeypatch.setenv("PUBPIPE_DASK", "local")
    overridden = stages.load_settings(str(tmp_path / "sources"), None)
    assert overridden.dask == "local"
    assert digest(from_toml) == digest(overridden) == digest(Config())
