"""Label every line of the training pages from the pages themselves; write training/data/lines.jsonl.gz.

    python training/render.py            # once: renders the saved pages (cached under /tmp)
    python training/labels.py [--cache /tmp/pubpipe-render] [--out training/data/lines.jsonl.gz]

Sources of labelled lines, one record (a "document") each:
- realweb and modern, `copy` form: the lines of `document.body.innerText` (render.py), each with
  the element its text came from;
- realweb and modern, `scrape` form: every text node a line (BeautifulSoup, as realweb's
  `scrape/` was made; checked equal to it), each with its element;
- the project's own corpora (`sources/` with shared/eval/gold/seeds.json, tests/corpus*/ with
  their gold.json), from their gold structure.

A line of a saved page is in the body when most of its words are in the gold body, aligned in
order (difflib over the page's and the gold's word tokens, runs of 4 tokens or more, as the
benchmark's 4-gram metric counts). Then its element gives the fine label. The label set:
residue, title, byline, dateline, heading, paragraph, quote, attribution, item, caption.
Class names and itemprops of the *training* pages make some labels (byline, dateline, caption);
they are never features: at inference there is only text.

Deterministic: the same inputs give the same bytes (sorted documents, gzip mtime 0).
"""
from __future__ import annotations

import argparse
import difflib
import gzip
import io
import json
import re
import sys
import unicodedata
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = render.SHARED
LABELS = ("residue", "title", "byline", "dateline", "heading", "paragraph", "quote", "attribution", "item", "caption")
BODY = {"heading", "paragraph", "quote", "attribution", "item", "caption"}
TOKEN = re.compile(r"\w+")
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
REGION_ROLES = {"navigation": "nav", "banner": "header", "contentinfo": "footer", "complementary": "aside",
                "search": "form", "menu": "nav", "menubar": "nav"}
AUTHORISH = re.compile(r"author|byline|by-line|writer|contributor|reporter", re.I)
DATEISH = re.compile(r"date|time|publish|posted|updated|timestamp", re.I)
CAPTIONISH = re.compile(r"caption|credit", re.I)
BY = re.compile(r"^(?:by|written by|posted by|words by|story by|reporting by)\b", re.I)
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
DATE_TEXT = re.compile(r"\b%s,? \d{1,2}\b|\b\d{1,2},? %s|\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b\d{1,2}:\d\d\b|"
                       r"\b\d+ (?:min(?:ute)?|hour|hr|day|week|month)s? ago\b|\d{4}년|\d{1,2}월 \d{1,2}일" % (MONTH, MONTH), re.I)
NAMEISH = re.compile(r"[A-ZÀ-Þ]|[^\W\d_a-zà-ÿ]")
NEAR = 12


def tokens(text: str) -> list:
    return TOKEN.findall(unicodedata.normalize("NFKC", text or "").lower())


def host_of(url: str) -> str:
    host = (urlparse(url or "").hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


# ---------------------------------------------------------------- body: aligned with the gold

def gold_share(lines: list, gold: str, min_run: int = 4) -> list:
    """Per line, the share of its word tokens aligned, in order, with the gold body's tokens in
    runs of `min_run` tokens or more (a run may cross lines: a one-word heading between two gold
    paragraphs is in the body)."""
    page, owner = [], []
    for i, line in enumerate(lines):
        for tok in tokens(line):
            page.append(tok)
            owner.append(i)
    gold_tokens = tokens(gold)
    hit = [0] * len(lines)
    matcher = difflib.SequenceMatcher(None, page, gold_tokens, autojunk=False)
    for a, _, size in matcher.get_matching_blocks():
        if size >= min(min_run, len(gold_tokens)):
            for k in range(a, a + size):
                hit[owner[k]] += 1
    counts = [len(tokens(line)) for line in lines]
    return [h / c if c else 0.0 for h, c in zip(hit, counts)]


# ---------------------------------------------------------------- elements

def element(chains: list) -> dict:
    """What the page marked a line as, from the ancestor chains ([tag, class, itemprop, role, rel,
    id], nearest first) of the text nodes it holds."""
    first = chains[0] if chains else []
    tags = [c[0] for c in first]
    info = {"heading": next((t for t in tags if t in HEADINGS), None),
            "li": "li" in tags, "ordered": False, "blockquote": "blockquote" in tags or "q" in tags,
            "figcaption": "figcaption" in tags or "caption" in tags,
            "cell": "td" in tags or "th" in tags, "button": False, "regions": set(),
            "authorish": False, "dateish": False, "captionish": False, "cite": "cite" in tags,
            "link_only": bool(chains) and all(any(c[0] == "a" for c in ch) for ch in chains),
            "bold_only": bool(chains) and all(any(c[0] in ("b", "strong") for c in ch[:3]) for ch in chains)}
    if info["li"]:
        for c in first[tags.index("li") + 1:]:
            if c[0] in ("ol", "ul"):
                info["ordered"] = c[0] == "ol"
                break
    for ch in chains:
        for depth, (tag, cls, prop, role, rel, ident) in enumerate(ch):
            if tag in ("nav", "header", "footer", "aside", "form"):
                info["regions"].add(tag)
            if role in REGION_ROLES:
                info["regions"].add(REGION_ROLES[role])
            if tag == "button" or role == "button":
                info["button"] = True
            names = " ".join((cls, prop, rel, ident))
            if depth < 4 and AUTHORISH.search(names):
                info["authorish"] = True
            if depth < 3 and (tag == "time" or DATEISH.search(names)):
                info["dateish"] = True
            if depth < 4 and CAPTIONISH.search(names):
                info["captionish"] = True
    return info


def headline_refs(page: dict) -> list:
    refs = [page.get("headline") or ""] + list((page.get("headline_variants") or {}).values())
    return [r for r in refs if r]


def title_match(line: str, refs: list) -> bool:
    """The scorer's title test (realweb_score.title_match), restated so labels need no import."""
    p = tokens(line)
    if not p:
        return False
    for ref in refs:
        r = tokens(ref)
        if not r:
            continue
        if p == r:
            return True
        short, long_ = (p, r) if len(p) <= len(r) else (r, p)
        if f" {' '.join(short)} " in f" {' '.join(long_)} " and (len(short) >= 5 or len(short) >= 0.6 * len(long_)):
            return True
    return False


def page_labels(lines: list, infos: list, page: dict) -> tuple:
    """Labels of one page's lines ("" for blank lines) and their gold shares."""
    share = gold_share(lines, page.get("body") or "")
    body = [bool(line.strip()) and s >= 0.5 for line, s in zip(lines, share)]
    labels = ["" if not line.strip() else "residue" for line in lines]
    first_body = next((i for i, b in enumerate(body) if b), None)
    last_body = max((i for i, b in enumerate(body) if b), default=None)
    # the headline: a matching line, in an <h1> first, else the last one before the body starts
    refs = headline_refs(page)
    cands = [i for i, line in enumerate(lines) if line.strip() and len(line.split()) <= 40 and title_match(line, refs)]
    title = None
    if cands:
        h1 = [i for i in cands if infos[i]["heading"] == "h1"]
        before = [i for i in cands if first_body is None or i <= first_body + 2]
        title = (h1 or before or cands)[0] if h1 else (before[-1] if before else cands[0])
        labels[title] = "title"
    anchor = title if title is not None else first_body
    for i, line in enumerate(lines):
        if not line.strip() or i == title:
            continue
        info, words = infos[i], len(line.split())
        near = anchor is not None and -NEAR <= i - anchor <= NEAR and (first_body is None or i <= first_body + 3) \
            or last_body is not None and 0 < i - last_body <= 4
        short = words <= 12
        text = line.strip()
        if short and near and (BY.match(text) and len(text.split()) > 1 or info["authorish"] and not body[i]
                               and NAMEISH.search(text) and not re.search(r"\d", text)):
            labels[i] = "byline"
        elif short and near and not body[i] and (DATE_TEXT.search(text) or info["dateish"] and re.search(r"\d", text)) \
                and not re.search(r"©|copyright", text, re.I):
            labels[i] = "dateline"
        elif body[i]:
            labels[i] = body_kind(lines, infos, i, labels)
    return labels, share


def body_kind(lines: list, infos: list, i: int, labels: list) -> str:
    info, text = infos[i], lines[i].strip()
    words = len(text.split())
    if info["blockquote"]:
        if info["cite"] or (text[:1] in "—–-―" and words <= 15):
            return "attribution"
        return "quote"
    if text[:1] in "—–―" and words <= 15:
        prev = next((labels[j] for j in range(i - 1, -1, -1) if labels[j]), "")
        if prev == "quote":
            return "attribution"
    if info["figcaption"] or info["captionish"]:
        return "caption"
    if info["heading"]:
        return "heading"
    if info["li"]:
        return "item"
    if info["bold_only"] and words <= 15 and not text.endswith((".", ",", ";")):
        return "heading"
    return "paragraph"


# ---------------------------------------------------------------- forms

def copy_document(corpus: str, page: dict, cache: Path) -> dict:
    record = render.load(corpus, cache, page["id"])
    rendered = record["text"].rstrip("\n").split("\n")
    want = (render.CORPORA[corpus] / "copy" / f"{page['id']}.txt").read_text(encoding="utf-8")
    lines = want.rstrip("\n").split("\n")
    nodes = record["lines"]
    if lines != rendered:
        # the rendering differs from copy/ (1 page of 310: its footer does not render here):
        # lines of copy/ the rendering lacks get no element
        print(f"{corpus} {page['id']}: rendering differs from copy/; aligned", file=sys.stderr)
        nodes = [[] for _ in lines]
        for a, b, size in difflib.SequenceMatcher(None, lines, rendered, autojunk=False).get_matching_blocks():
            for k in range(size):
                nodes[a + k] = record["lines"][b + k]
    infos = [element([record["nodes"][n] for n in ids]) for ids in nodes]
    labels, share = page_labels(lines, infos, page)
    return {"doc": f"{corpus}/copy/{page['id']}", "group": host_of(page.get("url")), "lines": lines,
            "labels": labels, "share": [round(s, 2) for s in share]}


def scrape_lines(html: str) -> tuple:
    """The scrape form (BeautifulSoup(lxml) get_text('\\n') without script/style/noscript/template,
    lines stripped, runs of blank lines made one) with each line's ancestor chain."""
    from bs4 import BeautifulSoup
    from bs4.element import CData, NavigableString

    soup = BeautifulSoup(html, "lxml")
    for t in soup(["script", "style", "noscript", "template"]):
        t.decompose()
    lines, chains = [], []
    for s in soup.descendants:
        if type(s) not in (NavigableString, CData):
            continue
        chain = []
        for e in s.parents:
            if e.name in ("body", "html", "[document]"):
                break
            attr = lambda k: " ".join(e.get(k)) if isinstance(e.get(k), list) else (e.get(k) or "")  # noqa: E731
            chain.append([e.name, attr("class")[:120], attr("itemprop"), attr("role"), attr("rel"), attr("id")[:60]])
        for piece in str(s).split("\n"):
            lines.append(piece.strip())
            chains.append(chain)
    # get_text joins the strings with "\n"; runs of blank lines become one; ends trimmed
    out, out_chains = [], []
    for line, chain in zip(lines, chains):
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
        out_chains.append(chain)
    while out and not out[-1]:
        out.pop()
        out_chains.pop()
    return out, out_chains


def scrape_document(corpus: str, page: dict) -> dict:
    html = gzip.open(render.CORPORA[corpus] / "html" / f"{page['id']}.html.gz").read().decode("utf-8")
    lines, chains = scrape_lines(html)
    given = render.CORPORA[corpus] / "scrape" / f"{page['id']}.txt"
    if given.exists() and "\n".join(lines) + "\n" != given.read_text(encoding="utf-8"):
        raise SystemExit(f"{corpus} {page['id']}: scrape_lines differs from scrape/")
    infos = [element([c]) for c in chains]
    labels, share = page_labels(lines, infos, page)
    return {"doc": f"{corpus}/scrape/{page['id']}", "group": host_of(page.get("url")), "lines": lines,
            "labels": labels, "share": [round(s, 2) for s in share]}


# ---------------------------------------------------------------- the project's own corpora

def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = re.sub(r"[\u2018\u2019\u201a\u201b]", "'", text)
    text = re.sub(r"[\u201c\u201d\u201e\u201f]", '"', text)
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text).replace("\u2026", "...").replace("_", "")
    return re.sub(r"\s+", " ", text).strip()


def _find_across(normed: list, needle: str, start: int):
    """The line where `needle` ends, searching the lines from `start` joined by spaces (hard-wrapped
    text breaks a phrase over lines)."""
    offsets, parts, pos = [], [], 0
    for i in range(start, len(normed)):
        if normed[i]:
            parts.append(normed[i])
            offsets.append((pos, i))
            pos += len(normed[i]) + 1
    joined = " ".join(parts)
    at = joined.find(needle)
    if at < 0:
        return None
    end = at + len(needle) - 1
    return max(i for p, i in offsets if p <= end)


def project_documents(gold_path: Path, sources: Path, group: str) -> list:
    """Labelled lines of a project corpus from its gold structure (score.py's format): each story
    from its title line to its last words; headings, quotes and their attributions, list items,
    bylines, datelines as gold names them; gold's removed lines and everything outside the stories
    residue. Text is decoded as ingest does (so the lines are the ones the model will see)."""
    sys.path.insert(0, str(REPO / "src"))
    from pubpipe.config import Limits
    from pubpipe.read.ingest import parse_source

    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    removed = [_norm(r) for r in gold.get("removed", [])]
    docs = []
    for name in sorted({s["file"] for s in gold["stories"]}):
        path = sources / name
        if path.suffix.lower() in (".html", ".htm"):
            continue
        src = parse_source(name, path.read_bytes(), Limits())
        lines = [l.text for l in src.lines]
        normed = [_norm(l) for l in lines]
        labels = ["" if not l.strip() else "residue" for l in lines]
        at = 0
        for story in [s for s in gold["stories"] if s["file"] == name]:
            t = _norm(story["title"])
            start = next((i for i in range(at, len(lines)) if normed[i] == t), None)
            if start is None:
                start = next((i for i in range(at, len(lines)) if normed[i] and t in normed[i] and len(normed[i]) < 2 * len(t) + 40), None)
            first = _norm(story["first_words"])
            last = _norm(story["last_words"])
            if start is None:
                start = next((i for i in range(at, len(lines)) if first[:40] in normed[i]), None)
                if start is None:
                    continue
                start -= 1
            else:
                labels[start] = "title"
            end = _find_across(normed, last[-40:], start + 1)
            end = len(lines) - 1 if end is None else end
            in_quote = None
            for i in range(start + 1, end + 1):
                n = normed[i]
                if not n:
                    in_quote = None
                    continue
                if any(n.startswith(r) or n == r for r in removed):
                    continue
                by = story.get("byline") or {}
                date = story.get("dateline") or {}
                if by and _norm(by.get("name")) in n and len(n.split()) <= 14:
                    labels[i] = "byline"
                elif date and date.get("source") and n.startswith(_norm(date["source"])) and len(n.split()) <= 6:
                    labels[i] = "dateline"
                elif any(n == _norm(h) or n.rstrip(".:") == _norm(h).rstrip(".:") for h in story.get("headings") or []):
                    labels[i] = "heading"
                elif any(_norm(q["attribution"]) in n and len(n) <= len(_norm(q["attribution"])) + 6 for q in story.get("quotes") or []):
                    labels[i] = "attribution"
                elif any(n.lstrip('"').startswith(_norm(q["starts"])[:30]) for q in story.get("quotes") or []):
                    labels[i] = in_quote = "quote"
                elif any(_norm(x)[:30] in n for x in story.get("list_items") or []) and len(n) < 400:
                    labels[i] = "item"
                elif in_quote:
                    labels[i] = "quote"
                else:
                    labels[i] = "paragraph"
            at = end + 1
        docs.append({"doc": f"{group}/{name}", "group": group, "lines": lines, "labels": labels})
    return docs


def split_long(doc: dict, head: int = 1500, tail: int = 400) -> list:
    """A very long file (a book) as its opening and its end, so one book does not outweigh the web."""
    n = len(doc["lines"])
    if n <= head + tail:
        return [doc]
    return [dict(doc, doc=doc["doc"] + "#head", lines=doc["lines"][:head], labels=doc["labels"][:head]),
            dict(doc, doc=doc["doc"] + "#tail", lines=doc["lines"][-tail:], labels=doc["labels"][-tail:])]


def all_documents(cache: Path) -> list:
    docs = []
    for corpus in ("realweb", "modern"):
        pages = json.loads((render.CORPORA[corpus] / "gold.json").read_text(encoding="utf-8"))["pages"]
        for page in pages:
            docs.append(copy_document(corpus, page, cache))
            docs.append(scrape_document(corpus, page))
    for gold, sources, group in ((SHARED / "eval" / "gold" / "seeds.json", REPO / "sources", "project:sources"),
                                 (REPO / "tests" / "corpus" / "gold.json", REPO / "tests" / "corpus" / "sources", "project:corpus"),
                                 (REPO / "tests" / "corpus2" / "gold.json", REPO / "tests" / "corpus2" / "sources", "project:corpus2")):
        for doc in project_documents(gold, sources, group):
            docs += split_long(doc)
    return sorted(docs, key=lambda d: d["doc"])


def write(docs: list, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
        for d in docs:
            f.write((json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    out.write_bytes(raw.getvalue())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/pubpipe-render"))
    ap.add_argument("--out", type=Path, default=REPO / "training" / "data" / "lines.jsonl.gz")
    args = ap.parse_args(argv)
    render.main(["--cache", str(args.cache)])
    docs = all_documents(args.cache)
    write(docs, args.out)
    from collections import Counter
    counts = Counter(l for d in docs for l in d["labels"] if l)
    print(f"{len(docs)} documents, {sum(counts.values())} labelled lines: {dict(counts.most_common())}; "
          f"{args.out} {args.out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
