"""E-mail messages saved as files (.eml: a newsletter or a press release as it arrived) read as
sources, with Python's own `email` package (MIME parts, transfer encodings, charsets, encoded
headers): the message's subject is its story's title, its date the story's dateline, and its body
is read as what it is —

- an HTML body (what newsletters send) goes through the saved-page path (`pubpipe.read.webpage`:
  trafilatura, pubpipe's own reader as the fallback), as a saved web page would;
- a plain-text body becomes paragraphs at its blank lines (e-mail wraps its lines at about 72
  characters; a line break inside a paragraph is not a new paragraph), read by
  `pubpipe.read.dom`; lines quoted with ``>`` are a quote.

The sender is not taken as the author: a newsletter's From is its organisation or a mailing address.
Attachments are left out (and said). Line numbers are those of the body as read (the file's own
lines are encoded: quoted-printable or base64), as a Word document's are its paragraphs.
"""

import email
import email.policy
import html
import re
from email.utils import parsedate_to_datetime

from pubpipe.errors import SourceError
from pubpipe.read.lines import one_line

HEADER_END = re.compile(rb"\r?\n\r?\n")
HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:", re.M)


def looks_like_mail(data: bytes) -> bool:
    """Whether the bytes open with mail headers (a From, Subject or Date among them)."""
    head = data[:16384]
    end = HEADER_END.search(head)
    if end is None:
        return False
    names = {m.group(0)[:-1].lower() for m in HEADER.finditer(head[:end.start()])}
    return bool(names & {b"from", b"subject", b"date"}) and b"from" in names


def _date(message) -> str:
    try:
        when = parsedate_to_datetime(str(message["date"])) if message["date"] else None
    except (TypeError, ValueError, IndexError):
        return ""
    return when.date().isoformat() if when is not None else ""


def _plain_html(text: str) -> str:
    """A plain-text body as HTML: a paragraph at each blank line, ``>`` lines a quote."""
    out = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = [l for l in block.split("\n") if l.strip()]
        if not lines:
            continue
        if all(l.lstrip().startswith(">") for l in lines):
            inner = " ".join(l.lstrip()[1:].strip() for l in lines)
            out.append(f"<blockquote><p>{html.escape(inner)}</p></blockquote>")
        else:
            out.append(f"<p>{html.escape(' '.join(l.strip() for l in lines))}</p>")
    return "\n".join(out)


def read_mail(name: str, data: bytes) -> dict:
    """The message's parts pubpipe reads: ``subject``, ``date`` (YYYY-MM-DD or ""), ``html`` (an
    HTML body, or None) or ``text`` (a plain-text body as HTML paragraphs), ``charset`` (the
    body's), ``attachments`` (how many were left out). Raises
    SourceError naming the file when it holds no body pubpipe can read."""
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
        body = message.get_body(preferencelist=("html", "plain"))
        content = body.get_content() if body is not None else None
    except Exception as exc:  # noqa: BLE001 — the email package raises many kinds on a damaged message
        raise SourceError(name, f"cannot be read as an e-mail message ({type(exc).__name__}); save the message "
                          "again from the mail program, or copy its text into a .txt file", "source.mail-unreadable") from exc
    if not isinstance(content, str) or not content.strip():
        raise SourceError(name, "the e-mail message has no text or HTML body; check that it is the right file, or "
                          "copy its text into a .txt file", "source.empty")
    attachments = sum(1 for _ in message.iter_attachments()) if message.is_multipart() else 0
    out = {"subject": one_line(message["subject"]), "date": _date(message), "attachments": attachments,
           "charset": body.get_content_charset() or "us-ascii"}
    if body.get_content_subtype() == "html":
        out["html"] = content
    else:
        out["html"] = None
        out["text"] = _plain_html(content)
    return out
