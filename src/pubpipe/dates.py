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


class BadEpoch(PubpipeError, ValueError):
    """SOURCE_DATE_EPOCH is set to something that is not whole seconds since 1970."""


def source_date_epoch() -> Optional[int]:
    """``SOURCE_DATE_EPOCH`` (reproducible-builds.org) as seconds since 1970, or None when unset."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > 253402300799:  # up to 9999-12-31T23:59:59Z
        raise BadEpoch(f"SOURCE_DATE_EPOCH must be whole seconds since 1970 (e.g. 1700000000), not {value!r}: "
                       "unset it or fix it")
    return int(value)


def build_moment() -> Optional[datetime]:
    """The build's moment (UTC) from ``SOURCE_DATE_EPOCH``, or None when it is not set."""
    epoch = source_date_epoch()
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=timezone.utc)


def w3c(moment: datetime) -> str:
    """``2023-11-14T22:13:20Z`` (the form PDF metadata and EPUB's dcterms:modified take)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> datetime:
    return datetime.now(timezone.utc)


def parse_iso(text: Optional[str]) -> Optional[date]:
    """A ``YYYY-MM-DD`` date, or None for anything else (a year, a free-text date, nothing)."""
    if not text or not ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def date_text(iso: Optional[str]) -> str:
    """``2016-11-03`` -> ``3 November 2016``; text that is not a full date is returned as it is."""
    day = parse_iso(iso)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else (iso or "")
