"""Recognisers for the pieces of a story found in raw text: each takes a unit's text and says what it is.

They look at shape (length, case, punctuation, markers), never at any particular article's words.
"""

import re
from datetime import date
from typing import Optional

from ..dates import MONTH_NUMBERS
from ..model import Byline, Dateline, Series

OPEN_QUOTES = "“\"«„‘'「『"
LIST_ITEM = re.compile(r"^\s*(?:(?P<bullet>[-*•▪◦‣●])|(?P<number>\d{1,3})[.)]|(?P<letter>[a-z])\))\s+(?P<text>\S.*)$")
DASH_LINE = re.compile(r"^\s*(?:[–—―]|-{1,2})\s*(?P<rest>\S.*)$")
NAME_WORD = r"(?:[A-Z][\w’'.-]*|[a-z]{1,3}|[A-Z]\.)"
NAME = rf"(?P<name>[A-Z][\w’'.-]*(?:\s+{NAME_WORD}){{0,4}})"
CREDIT = r"(?:story|text|words|reporting|interview|photos?|pictures|images)(?:\s+(?:and|&)\s+(?:photos?|pictures|images|words|text|video))?(?:\s+by|\s*:)"
TOP_BYLINE = re.compile(rf"^(?:by|written by|reported by|posted by|author:|byline:|(?P<credit>{CREDIT}))\s*:?\s+(?-i:{NAME})"
                        r"(?:\s*(?:,|\s[-–—]|\|)\s*(?P<role>.{1,80}))?$", re.I)
ALL_CAPS_NAME = re.compile(r"^[A-Z][A-Z’'.-]+(?:\s+[A-Z][A-Z’'.-]*){0,4}$")
NOTE = re.compile(r"\b(?:(?:was|were) (?:originally|first) (?:written|published|posted|appeared)|originally "
                  r"(?:written|published|appeared|posted)|first (?:published|appeared) (?:in|on|at)|"
                  r"(?:re)?printed with (?:kind )?permission|republished (?:with|from|by)|"
                  r"this (?:article|story|post|piece) (?:was|first|originally|is an? (?:edited|updated))|"
                  r"^(?:editor[’']?s note|note|photo(?:graph)?s?|image|illustration|translated by|translation)\s*:|"
                  r"^\[(?:illustration|transcriber[’']?s note|footnote|note)\b)", re.I)
NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
ROMAN = re.compile(r"^[IVXLC]+$", re.I)
PART = r"(?:part|pt\.?|episode|chapter|installment|instalment)\s+(?P<part>\d+|[IVXLC]+|\w+)"
SERIES_PIPE = re.compile(rf"^(?P<title>.+?)\s+\|\s+(?P<series>.+?)\s*(?:[:,]|\s[-–—])?\s*{PART}\W*$", re.I)
SERIES_TAIL = re.compile(rf"^(?P<title>.+?)\s*(?::|,|\s[-–—]|\()\s*{PART}\)?\W*$", re.I)

MONTHS = MONTH_NUMBERS  # month name or abbreviation (lower case) -> number
NUMERIC_DATE = r"(?P<d1>\d{1,4})[./-](?P<d2>\d{1,2})[./-](?P<d3>\d{1,4})"
WORD_DATE = (r"(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[A-Za-z]{3,9})\.?,?\s+(?P<year>\d{4})"
             r"|(?P<month2>[A-Za-z]{3,9})\.?\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year2>\d{4}))")
DATELINE = re.compile(
    rf"^(?P<source>[A-Z][^()\n]{{1,60}}?)\s*(?:\(|,\s*)(?P<date>{NUMERIC_DATE}|{WORD_DATE})\)?"
    r"\s*(?P<dashes>(?:[-–—]{1,3}\s*){1,3}|:\s+)\s*(?P<rest>.*)$")


SECTION_NUMBER = re.compile(r"^(?:(?:chapter|part|section|book)\s+)?(?:[IVXLC]{1,7}|\d{1,3})\.?$", re.I)
CHAPTER = re.compile(r"^(?:chapter|book|canto|letter)\s+(?:[IVXLC]{1,7}|\d{1,3}|the \w+|\w+)\b[.:—–-]?(?:\s+\S.{0,80})?$", re.I)


def section_number(text: str) -> bool:
    """A section number or chapter heading inside a story: `II`, `3.`, `CHAPTER IV`, `CHAPTER I. THE ARRIVAL`."""
    text = text.strip()
    return bool(SECTION_NUMBER.match(text)) or (len(text.split()) <= 12 and bool(CHAPTER.match(text)))


def list_item(text: str) -> Optional[tuple]:
    """(ordered, item text) for a list line (`- item`, `• item`, `1. item`), else None."""
    m = LIST_ITEM.match(text)
    if not m:
        return None
    return (m.group("bullet") is None, m.group("text").strip())


def dash_line(text: str) -> Optional[str]:
    """The text after a leading dash (`– Name, detail`, `--NAME - role`), else None."""
    m = DASH_LINE.match(text)
    return m.group("rest").strip() if m and len(m.group("rest").split()) <= 16 else None


def quote_like(text: str) -> bool:
    """Text that opens with a quotation mark."""
    return bool(text) and text[0] in OPEN_QUOTES


def heading_like(text: str, max_words: int = 14) -> bool:
    """A bare short line: few words, no sentence-ending period or comma, starts like a title."""
    words = text.split()
    if not words or len(words) > max_words or len(text) > 110:
        return False
    if text.rstrip().endswith((".", ",", ";", ":", "!", "”", '"', "’", "'", ")")) and not text.endswith("..."):
        return False
    first = text.lstrip("“\"‘'(¿¡")[:1]
    caseless = first.isalpha() and not first.isupper() and not first.islower()  # Hangul, CJK, Arabic…
    if not first or not (first.isupper() or first.isdigit() or caseless or not first.isalpha()
                         and first.isprintable() and not first.isspace() and first not in "-–—*•"):
        return False
    return not list_item(text) and not dash_line(text) and any(ch.isalpha() for ch in text)


def byline_role(text: str) -> bool:
    """A line under a byline naming the writer's role (`Staff reporter`, `Correspondent in Lagos`)."""
    words = text.split()
    return 1 <= len(words) <= 5 and heading_like(text) and not any(ch.isdigit() for ch in text) \
        and not text.rstrip().endswith("?")


def normal_case(name: str) -> str:
    """`SOKEEL PARK` -> `Sokeel Park`; names already in mixed case are kept."""
    if name.isupper():
        return " ".join(w.capitalize() if not re.fullmatch(r"[IVX]+", w) else w for w in name.split())
    return name


def top_byline(text: str) -> Optional[Byline]:
    """`By Jane Doe` / `By JANE DOE, Reuters` / `홍길동 기자` -> Byline, else None."""
    korean = korean_byline(text) if not KOREAN_AGENCY.match(text) else None
    if korean:
        return korean
    m = TOP_BYLINE.match(text.strip())
    if not m or len(text.split()) > 16:
        return None
    credit = re.sub(r"(?:\s+by|\s*:)$", "", m.group("credit") or "", flags=re.I)  # "Story and photos" is a role
    name, role = m.group("name").strip(" ,"), (m.group("role") or "").strip() or credit
    if not role:
        name, role = _glued_role(name)
    return Byline(normal_case(name), role or None)


LABEL_ONLY = re.compile(r"^(?:by|written by|reported by|posted by|words by|authors?|byline)\s*:?$", re.I)
PATH_SEPARATORS = re.compile(r"\s[>»›/|]\s")
ROLE_WORDS = re.compile(r"\b(?:reporter|writer|editor|columnist|correspondent|contributor|staff|producer|analyst|"
                        r"critic|photographer|journalist|author|director|chief|manager|founder|president|"
                        r"officer|officials?|fellow|professor|researcher|intern|anchor|host)\b", re.I)
BY_PREFIX = re.compile(r"^(?:by|written by|reported by|posted by|words by)\s*:?\s+", re.I)
NOT_NAME = {"on", "at", "in", "for", "updated", "published", "posted", "last", "|", "-", "–", "—"}
NAME_LINK = {"and", "&", "de", "da", "del", "van", "von", "der", "den", "la", "le", "bin", "al"}


def _name_before_the_rest(text: str) -> Optional[str]:
    """`By Jane Doe 2019-11-18T20:51Z Science` / `By Jane Doe@handle Nov 18, 2019` / `Posted by
    Jane Doe on November 19` -> `Jane Doe`: the capitalised words after the label, up to the
    first word that is not part of a name (a date, a handle, an e-mail address, "on")."""
    match = BY_PREFIX.match(text)
    if not match:
        return None
    name = []
    for raw in text[match.end():].split():
        word = raw.split("@")[0].rstrip(",;|")
        if not word or any(ch.isdigit() for ch in word) or word.lower() in NOT_NAME \
                or word.lower().rstrip(".") in MONTH_NUMBERS:
            break
        if word[:1].isupper() or (name and word.lower() in NAME_LINK):
            name.append(word)
        else:
            break
        if raw != raw.rstrip(",;|") or "@" in raw:
            break
    while name and name[-1].lower() in NAME_LINK:
        name.pop()
    return " ".join(name) if 2 <= len(name) <= 6 else None


GLUED_ROLE = re.compile(r"^(?P<name>.*[a-z’'])(?P<role>[A-Z][\w’'-]*(?:\s+[\w’'&,-]+){0,5})$")


def _glued_role(name: str) -> tuple:
    """(name, role) of a name a page's copy glued to its role (`Jane DoeStaff Writer`, two elements
    with no space between: the tail names a role); (name, "") otherwise (`Sandee LaMotte`)."""
    glued = GLUED_ROLE.match(name)
    if glued and ROLE_WORDS.search(glued.group("role")) and " " in glued.group("name").strip():
        return glued.group("name"), glued.group("role")
    return name, ""


def labelled_byline(text: str) -> Optional[Byline]:
    """A line a learned model labelled as a byline, read with care: `By Jane Doe, Reuters` as
    `top_byline` reads it; a bare name, its role split off where a page's copy glued them
    (`Jane DoeStaff Writer`, two elements with no space between); None for what no byline is —
    a label alone (`Author:`), a breadcrumb or menu path (`Blog > Food > Recipes`), a long line,
    digits (a date, a count): those stay in the text."""
    text = text.strip()
    found = top_byline(text)
    if found is not None:
        return found
    name = _name_before_the_rest(text)
    if name is not None:
        return Byline(normal_case(name), None)
    words = text.split()
    if not words or LABEL_ONLY.match(text) or len(PATH_SEPARATORS.findall(text)) >= 1 or len(words) > 8 \
            or any(ch.isdigit() for ch in text) or text.endswith((".", "?", "!", ":")):
        return None
    name, role = _name_and_role(text)
    if not role:
        name, role = _glued_role(name)
    if not 1 <= len(name.split()) <= 5 or not all(w[:1].isupper() for w in name.split() if w.isalpha() and len(w) > 3):
        return None
    return Byline(normal_case(name.strip()), role.strip() or None)


def bottom_byline(text: str) -> Optional[Byline]:
    """`--JANE DOE - role` / `— Jane Doe, role` / `홍길동 기자` at a story's end -> Byline, else None."""
    korean = korean_byline(text) if not KOREAN_AGENCY.match(text) else None
    if korean:
        return korean
    rest = dash_line(text)
    if rest is None:
        return None
    name, role = _name_and_role(rest)
    words = name.split()
    if not 1 <= len(words) <= 5 or not all(w[:1].isupper() for w in words if w.isalpha() and len(w) > 3):
        return None
    return Byline(normal_case(name), role or None)


def _name_and_role(rest: str) -> tuple:
    parts = re.split(r"\s+[-–—|]\s+|,\s+|\s*\|\s*", rest, maxsplit=1)
    return parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")


def _iso(groups: dict) -> Optional[str]:
    try:
        if groups.get("d1"):
            a, b, c = (int(groups[k]) for k in ("d1", "d2", "d3"))
            if a > 31:
                return date(a, b, c).isoformat()
            year = c + 2000 if c < 100 else c
            return date(year, b, a).isoformat() if b <= 12 else date(year, a, b).isoformat()
        day = groups.get("day") or groups.get("day2")
        month = (groups.get("month") or groups.get("month2") or "").lower()
        year = groups.get("year") or groups.get("year2")
        if month in MONTHS and day and year:
            return date(int(year), MONTHS[month], int(day)).isoformat()
    except ValueError:
        return None
    return None


PLACE_DATELINE = re.compile(r"^(?P<source>[A-Z][A-Z.'-]+(?:[ ,]+[A-Z][A-Z.'-]+){0,3}(?:\s*\([A-Z][\w .&-]{1,30}\))?)"
                            r"\s*(?P<dashes>[-–—]{1,2}|:)\s+(?P<rest>\S.*)$")
KOREAN_AGENCY = re.compile(r"^\((?P<source>[^()=]{1,20})=(?P<agency>[^()]{1,20})\)\s*(?:(?P<name>[가-힣]{2,4})\s*"
                           r"(?P<role>기자|특파원|통신원)\s*)?=?\s*(?P<rest>.*)$")


def place_dateline(text: str) -> Optional[tuple]:
    """(Dateline, rest) for `GENEVA — text`, `WASHINGTON (Reuters) - text`, `(서울=연합뉴스) 기자 = text`."""
    m = KOREAN_AGENCY.match(text)
    if m:
        written = text[:m.start("rest")].strip()
        return Dateline(m.group("source").strip(), None, written), m.group("rest").strip()
    m = PLACE_DATELINE.match(text)
    if not m or sum(ch.isalpha() for ch in m.group("source")) < 3:
        return None
    return Dateline(m.group("source").strip(" ,"), None, m.group("source").strip()), m.group("rest").strip()


def korean_byline(text: str) -> Optional[Byline]:
    """`홍길동 기자` (with an optional e-mail) alone on a line, or inside a `(서울=연합뉴스) 홍길동 기자 =` opening."""
    m = KOREAN_AGENCY.match(text)
    if m and m.group("name"):
        return Byline(m.group("name"), m.group("role"))
    m = re.match(r"^(?:(?:글|사진|글·사진|취재|정리)\s*[:=]?\s*)?(?P<name>[가-힣]{2,4})\s*(?P<role>기자|특파원|객원기자|논설위원|통신원|칼럼니스트)"
                 r"(?:\s*\(?[\w.+-]+@[\w.-]+\)?)?$", text.strip())
    return Byline(m.group("name"), m.group("role")) if m else None


READING_TIME = r"(?:\s*[·|•,–—-]\s*\d{1,3}\s*min(?:ute)?s?(?: read)?)?"
DATE_LINE = re.compile(rf"^(?:(?:입력|등록|작성|게재|기사입력|승인|published|updated|date|dated)\s*:?\s*(?:on\s+)?)?"
                       rf"(?:(?P<y>\d{{4}})[.\-/]\s?(?P<m>\d{{1,2}})[.\-/]\s?(?P<d>\d{{1,2}})\.?|{WORD_DATE})"
                       rf"(?P<rest>{READING_TIME}$|\s+\d{{1,2}}:\d{{2}}.*$|\s*\|.*$)", re.I)


def date_line(text: str) -> Optional[tuple]:
    """(Dateline with no source, "") for a line that only says when: `입력 2021.09.14 11:32`, `Published: 3 May 2020`."""
    m = DATE_LINE.match(text.strip())
    if not m or len(m.group("rest").split()) > 8 or re.search(r"[.!?]\s", m.group("rest")):
        return None
    groups = m.groupdict()
    iso = _iso({"d1": groups["y"], "d2": groups["m"], "d3": groups["d"]}) if groups["y"] else _iso(groups)
    return (Dateline("", iso, text.strip()), "") if iso else None


def dateline(text: str) -> Optional[tuple]:
    """(Dateline, rest of the paragraph) for `Place (15.02.2019) – – text` and similar, else None."""
    m = DATELINE.match(text)
    if not m:
        return date_line(text) or place_dateline(text)
    iso = _iso(m.groupdict())
    source = m.group("source").strip(" ,")
    if iso is None or len(source.split()) > 6:
        return None
    written = text[:m.start("dashes")].strip()
    return Dateline(source, iso, written), m.group("rest").strip()


def series_title(text: str) -> Optional[tuple]:
    """(title, Series) for `Title | Series: Part 1` or `Title: Part 2`, else None."""
    for pattern in (SERIES_PIPE, SERIES_TAIL):
        m = pattern.match(text.strip())
        if not m:
            continue
        raw = m.group("part")
        part = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw.lower()) or (_roman(raw) if ROMAN.match(raw) else None)
        if part is None:
            continue
        title = m.group("title").strip(" |:-–—")
        name = m.groupdict().get("series") or title
        label = text.strip()[len(m.group("title")):].strip(" |")
        return title, Series(name.strip(" :,"), part), label
    return None


def _roman(text: str) -> Optional[int]:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total, previous = 0, 0
    for ch in reversed(text.lower()):
        value = values[ch]
        total += -value if value < previous else value
        previous = max(previous, value)
    return total or None


APPEAL = re.compile(r"^(?:please\s+)?(?:help|support|donate|give|sponsor|stand with)\b[^.!?]*[.!]?$", re.I)
APPEAL_WORDS = 25


def appeal(text: str) -> bool:
    """One sentence asking the reader to give or help ("Help more families …", "Support our work today")."""
    return len(text.split()) <= APPEAL_WORDS and APPEAL.match(text.strip()) is not None


def is_note(text: str) -> bool:
    """Editorial text that is not the story: credit lines, editor's notes, photo credits."""
    return len(text.split()) <= 60 and bool(NOTE.search(text))
