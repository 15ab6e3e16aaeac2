"""Which gold words the held-out build loses on realweb's copy (or scrape) form, and why.

    python training/losses.py --cache /tmp/cv.npz [--form copy] [--reading '{"gap_lines": 3}'] [--lines]

Runs the held-out pages (their cached held-out probabilities, as `evaluate.py --build-only`)
through the build's own stages and counts each gold 4-gram the published text lacks (the scorer's
false negatives, `realweb_score.py`) by the cause of its loss: the copy line it comes from and what
became of that line — dropped by a named cleaning rule, by the model (above the main article's kept
text, inside it, after it; with the body probability the model gave it), by one of
`recover.apply`'s own rules, kept but lost after (structure, a byline or dateline, which the scorer
does not count), or not in the copy at all. Per-page recall is averaged over pages, so the causes
are also given as recall lost (each lost shingle weighs 1/(gold shingles of its page) / pages).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402
import evaluate as E  # noqa: E402
import render  # noqa: E402
from pubpipe.recover import decode as DEC  # noqa: E402

RS = E.RS


def load(form: str, cache: Path, models: Path = None, folds: int = 5) -> tuple:
    every = C.load_docs()
    docs = [d for d in every if d["doc"].startswith(f"realweb/{form}/")]
    C.featurize(docs)
    if models is not None:  # each page's fold model, to read a page again as the build does (evaluate.py --models)
        import gzip

        from pubpipe.recover.linemodel import LineModel

        groups = E.cv_groups(every)
        fold = C.folds_of([g for g in groups.values() if g is not None], folds)
        by_fold = {}
        for d in docs:
            j = fold[groups[d["doc"]]]
            if j not in by_fold:
                with gzip.open(models / f"fold-{j}.json.gz", "rt", encoding="utf-8") as f:
                    by_fold[j] = LineModel(json.load(f))
            d["model"] = by_fold[j]
    with np.load(cache) as z:
        for d in docs:
            d["p"], d["p1"] = z["p:" + d["doc"]], z["p1:" + d["doc"]]
            d["start_p"] = (z["sr:" + d["doc"]], z["sp:" + d["doc"]])
    gold = {p["id"]: p for p in json.loads((render.CORPORA["realweb"] / "gold.json").read_text(encoding="utf-8"))["pages"]}
    return docs, gold


def build(docs: list, gold: dict, reading: DEC.Settings) -> tuple:
    """(anthology dict, {file: recovered CleanSource}) of the pages through the build's stages."""
    import shutil
    import tempfile

    from pubpipe.recover import steps
    from pubpipe.recover.clean import clean_all
    from pubpipe.config import Config
    from pubpipe.read import intake
    from pubpipe.recover.apply import recover

    named = sorted(((gold[E.page_of(d)[2]]["file"], d) for d in docs), key=lambda n: n[0])
    folder = Path(tempfile.mkdtemp(prefix="pubpipe-losses-"))
    try:
        for name, d in named:
            (folder / name).write_text("\n".join(d["lines"]) + "\n", encoding="utf-8")
        config = Config()
        ingested = intake.ingest(intake.snapshot(str(folder), config), config)
        cleaned = clean_all(list(ingested.sources), config.residue, config.keep)
        recovered = recover(list(ingested.sources), cleaned, model=E.HeldOut([d for _, d in named], reading),
                            keep=config.keep)
        read = {c.file: r is not c for r, c in zip(recovered, cleaned)}
        anthology = steps.structure(recovered, ingested, config).to_dict()
        return anthology, {r.file: r for r in recovered}, read
    finally:
        shutil.rmtree(folder)


def line_tokens(lines: list) -> tuple:
    """(tokens of the whole text, the line of each token) as the scorer tokenizes a text."""
    toks, owner = [], []
    for i, line in enumerate(lines):
        t = RS.tokenize(line)
        toks += t
        owner += [i] * len(t)
    return toks, owner


def causes(d: dict, page: dict, stories: list, src, read: bool) -> tuple:
    """(Counter of cause -> lost gold shingles, gold shingles, [(line, cause, lost)])."""
    lines = d["lines"]
    g = RS.shingles(page.get("body") or "")
    published = RS.shingles("\n".join(RS.story_text(s) for s in stories))
    lost = g - published
    total = sum(g.values())
    removed = {r.line - 1: r.code for r in src.removed if r.line}
    alive = {l.number - 1: (l.tag or "") for l in src.lines if l.text.strip()}
    toks, owner = line_tokens(lines)
    where = defaultdict(list)
    for k in range(len(toks) - 3):
        where[tuple(toks[k:k + 4])].append(k)
    body = np.zeros(len(lines))
    label = [""] * len(lines)
    for r, i in enumerate(d["idx"]):
        body[i] = 1.0 - d["p"][r, 0]
        label[i] = C.LABELS[int(d["p"][r].argmax())]
    # the main article's span: lines kept (alive, not dropped) whose shingles are gold's
    gold_lines = sorted(i for i in alive if i not in removed and any(
        sh in g for sh in RS.ngrams(RS.tokenize(lines[i]))))
    lo, hi = (gold_lines[0], gold_lines[-1]) if gold_lines else (len(lines), -1)
    out, detail = Counter(), []
    for sh, n in lost.items():
        at = where.get(sh)
        if not at:
            out["not in the copy"] += n
            continue
        # a shingle the gold holds n times more than the published text: its showings in the copy
        # on a dropped line first (a line repeated down the page, kept once, dropped later)
        spans = [sorted(set(owner[k:k + 4])) for k in at]
        spans.sort(key=lambda span: not any(i in removed or i not in alive for i in span))
        for span in (spans * n)[:n]:
            gone = [i for i in span if i in removed or i not in alive]
            if not gone:
                tags = {alive.get(i) for i in span}
                why = "kept: byline/dateline tag" if tags & {"byline", "dateline"} else "kept, lost after (structure, order)"
            else:
                i = gone[0]
                code = removed.get(i, "gone")
                if not read:
                    why = f"rules only: {code}"
                elif code == "model":
                    pos = "above" if i < lo else "below" if i > hi else "inside"
                    b = body[i]
                    bucket = "<0.1" if b < 0.1 else "0.1-0.2" if b < 0.2 else "0.2-0.3" if b < 0.3 else "0.3-0.4"
                    why = f"model {pos} {bucket}"
                else:
                    why = f"rule {code}"
                detail.append((i, why))
            out[why] += 1
    return out, total, detail


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--models", type=Path, help="each fold's model (evaluate.py --models): pages read again as the build does")
    ap.add_argument("--form", default="copy")
    ap.add_argument("--reading", type=json.loads)
    ap.add_argument("--lines", action="store_true", help="list each lost line with its cause")
    args = ap.parse_args(argv)
    reading = DEC.Settings(**{**DEC.DEFAULT.__dict__, **(args.reading or {})})
    docs, gold = load(args.form, args.cache, args.models)
    anthology, recovered, read = build(docs, gold, reading)
    pages = [gold[E.page_of(d)[2]] for d in docs]
    per_page = RS.stories_by_page(anthology, pages)
    s = RS.score_pages(pages, anthology)["summary"]
    print(f"build realweb {args.form}: P {s['P']:.4f} R {s['R']:.4f} F1 {s['F1']:.4f} title {s['title']} one-story {s['one_story']}")
    shingles, recall = Counter(), Counter()
    pages_hit = defaultdict(set)
    for d, page in zip(docs, pages):
        c, total, detail = causes(d, page, per_page[page["id"]], recovered[page["file"]], read[page["file"]])
        for why, n in c.items():
            shingles[why] += n
            recall[why] += n / max(total, 1) / len(pages)
            pages_hit[why].add(page["id"])
        if args.lines:
            seen = set()
            for i, why in detail:
                if i not in seen:
                    seen.add(i)
                    lost = sum(1 for j, w in detail if j == i)
                    b = 1.0 - d["p"][d["idx"].index(i), 0] if i in d["idx"] else -1
                    print(f"{page['id'][:8]} {i:4d} {why:24} body {b:.2f} lost {lost:3d} | {d['lines'][i][:100]}")
    print(f"{'cause':40} {'shingles':>8} {'recall':>7} pages")
    for why, n in shingles.most_common():
        print(f"{why:40} {n:8d} {recall[why]:7.4f} {len(pages_hit[why])}")
    print(f"{'all':40} {sum(shingles.values()):8d} {sum(recall.values()):7.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
