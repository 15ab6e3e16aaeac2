"""E-mail messages (.eml) are read with Python's email package: the subject titles the story, the
date is its dateline, an HTML body goes the saved-page way, a plain one becomes its paragraphs."""

from email.message import EmailMessage

import pytest

from pubpipe.errors import SourceError
from pubpipe.read.ingest import parse_source

WRAPPED = ("Dear friends,\n\nThis winter the café on Quay Street opens its doors every morning to anyone who needs a\n"
           "warm drink and a meal. Volunteers from the food bank run it, and the bakery next door\ngives the bread.\n\n"
           "> We never ask why someone comes in.\n> We ask what they would like.\n\nThank you,\nThe food bank team\n")
PAGE = ("<html><head><title>Newsletter</title></head><body><table><tr><td><h1>The café opens its doors</h1>"
        "<p>This winter the café on Quay Street opens its doors every morning to anyone who needs a warm drink "
        "and a <em>meal</em>. Volunteers from the food bank run it, and the bakery next door gives the bread.</p>"
        "<p>The café is open from seven until noon, every day of the week, until the end of March, and "
        "donations of tea are welcome at the front desk.</p></td></tr></table></body></html>")


def message(subject="Winter appeal: the café opens", html=None, attachment=False) -> bytes:
    m = EmailMessage()
    m["From"] = "Harbour Food Bank <news@food.example>"
    m["Subject"] = subject
    m["Date"] = "Tue, 01 Dec 2026 09:30:00 +0100"
    m.set_content(WRAPPED)
    if html:
        m.add_alternative(html, subtype="html")
    if attachment:
        m.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="flyer.pdf")
    return bytes(m)


def test_a_plain_message_is_its_subject_date_and_paragraphs():
    source = parse_source("notice.eml", message(attachment=True))
    assert source.kind == "html" and source.encoding == "utf-8"
    assert [(l.tag, l.text) for l in source.lines] == [
        ("title", "Winter appeal: the café opens"), ("dateline", "2026-12-01"), ("p", "Dear friends,"),
        ("p", "This winter the café on Quay Street opens its doors every morning to anyone who needs a warm drink "
              "and a meal. Volunteers from the food bank run it, and the bakery next door gives the bread."),
        ("quote", "We never ask why someone comes in. We ask what they would like."),
        ("p", "Thank you, The food bank team")]
    assert source.repairs == ("read as an e-mail message", "1 attachment(s) left out")


def test_an_html_message_is_read_as_a_saved_page_with_its_own_headline():
    source = parse_source("appeal.eml", message(html=PAGE))
    tagged = [(l.tag, l.text) for l in source.lines]
    assert tagged[0] == ("title", "The café opens its doors")  # the body's headline before the subject
    assert ("dateline", "2026-12-01") in tagged
    assert not any("Dear friends" in text for _, text in tagged)  # the HTML part, not the plain one
    assert any(tag == "p" and "\ufdd0meal\ufdd1" in text for tag, text in tagged)  # its emphasis kept
    assert "read as an e-mail message" in source.repairs


def test_text_named_eml_is_read_as_text():
    source = parse_source("draft.eml", b"Not a message at all.\nJust two lines of text.\n")
    assert source.kind == "text" and source.lines[0].text == "Not a message at all."


def test_a_message_without_a_body_and_an_outlook_message_are_named():
    m = EmailMessage()
    m["From"], m["Subject"] = "a@b.example", "Nothing"
    m.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="flyer.pdf")
    with pytest.raises(SourceError) as info:
        parse_source("inbox/empty.eml", bytes(m))
    assert str(info.value).startswith("inbox/empty.eml: the e-mail message has no text or HTML body")
    assert "\n" not in str(info.value)
    with pytest.raises(SourceError) as info:
        parse_source("forwarded.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    assert str(info.value).startswith("forwarded.msg: is an Outlook message (.msg), which pubpipe cannot read")
