"""Dates, in one place: the build's moment (SOURCE_DATE_EPOCH), month names, date text for readers.

Every output that carries a date asks here, so a bad ``SOURCE_DATE_EPOCH`` gets one message and
the PDF, the EPUB and the web never disagree on what it means. Month names are written out, not
``strftime("%B")``: that follows the process's locale.
"""

import os
import re
from datetime import date, datetime, timezone
from typing import Optional

from .errors import PubpipeError

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTHS, 1)}
MONTH_NUMBERS.update({name[:3]: number for name, number in list(MONTH_NUMBERS.items())})
MONTH_NUMBERS["sept"] = 9
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ENV = "SOURCE_DATE_EPOCH"


class BadEpoch(PubpipeError, ValueError):
    """SOURCE_DATE_EPOCH is set to something that is not whole seconds since 1970."""


def source_date_epoch() -> Optional[int]:
    """``SOURCE_DATE_EPOCH`` (reproducible-builds.org) as seconds since 1970, or None when unset."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > 253402300799:  # up to 9999-12-31T23:59:59Z
        raise BadEpoch(f"SOURCE_DATE_EPOCH must be whole seconds since 1970 (e.g. 1700000000), not {value!r}: "
                       "unset it or fix it")
    return int(value)


def epoch_text() -> str:
    """``SOURCE_DATE_EPOCH`` as it is set ("" when unset), for the cache and build keys: every date
    in the outputs comes from it."""
    return os.environ.get(ENV, "")


def build_moment() -> Optional[datetime]:
    """The build's moment (UTC) from ``SOURCE_DATE_EPOCH``, or None when it is not set."""
    epoch = source_date_epoch()
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=timezone.utc)


def w3c(moment: datetime) -> str:
    """``2023-11-14T22:13:20Z`` (the form PDF metadata and EPUB's dcterms:modified take)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> datetime:
    return datetime.now(timezone.utc)


def stamp() -> datetime:
    """The build's moment for a format that requires one (an Atom feed's ``updated``, EPUB's
    ``dcterms:modified``, the PDF's dates): ``SOURCE_DATE_EPOCH`` when set, else the time of the
    build itself (UTC, whole seconds). Never a made-up date: where no format requires one, an
    output shows no build date at all."""
    return build_moment() or now().replace(microsecond=0)


WORDS_DATE = re.compile(r"(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[A-Za-z]{3,9})\.?,?\s+(?P<year>\d{4})"
                        r"|(?P<month2>[A-Za-z]{3,9})\.?,?\s+(?:(?P<day2>\d{1,2})(?:st|nd|rd|th)?,?\s+)?(?P<year2>\d{4}))")


def iso_from_text(text: str) -> Optional[str]:
    """The first written-out date of ``text`` in ISO 8601: ``June 1, 2008`` and ``1 June 2008`` ->
    ``2008-06-01``; ``April, 2002`` -> ``2002-04`` (a month is all it says); else None."""
    for m in WORDS_DATE.finditer(text or ""):
        month = MONTH_NUMBERS.get((m["month"] or m["month2"] or "").lower().rstrip("."))
        if not month:
            continue
        day, year = m["day"] or m["day2"], int(m["year"] or m["year2"])
        if not day:
            return f"{year:04d}-{month:02d}"
        try:
            return date(year, month, int(day)).isoformat()
        except ValueError:
            return None
    return None


def parse_iso(text: Optional[str]) -> Optional[date]:
    """A ``YYYY-MM-DD`` date, or None for anything else (a year, a free-text date, nothing)."""
    if not text or not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def date_text(iso: Optional[str]) -> str:
    """``2016-11-03`` -> ``3 November 2016``, ``2002-04`` -> ``April 2002``; other text (a year, a
    free-text date) is returned as it is."""
    day = parse_iso(iso)
    if day:
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    month = re.fullmatch(r"(\d{4})-(\d{2})", iso or "")
    if month and 1 <= int(month[2]) <= 12:
        return f"{MONTHS[int(month[2]) - 1]} {month[1]}"
    return iso or ""
