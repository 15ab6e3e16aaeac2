"""Cross-validate the line model by site and score it with the benchmark's own metric.

    python training/evaluate.py [--folds 5] [--one-stage] [--threshold 0.5] [--cache /tmp/cv.npz]

With --cache, each fold's held-out probabilities (both stages' label probabilities and the start
model's) are written to the file after training; a later run with the same --cache and settings reads
them instead of training (minutes instead of half an hour), to score changes of decoding
(pubpipe.recover.decode, the splitter's settings, thresholds) on the very same probabilities.

Folds group pages by URL host (realweb and modern are distinct sites); a realweb page also stays
with the other pages of its `concat/` file, so every concat file is scored by a model that saw
none of its pages. The project's own corpora are always in training (they are scored by
score.py, not here). Each held-out page's `copy/` and `scrape/` lines are labelled; the lines
labelled title or body are its published text, scored with shared/eval/realweb_score.py (imported
by path): 4-gram P/R/F1, title = headline, byline found where the page shows one; `concat/` files
are split into stories at the lines labelled title and scored with the scorer's concat mode.
Baselines on the same pages: publishing everything, and today's pubpipe (clean + structure).
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402
from pubpipe.recover import segment as SEG  # noqa: E402
from pubpipe.recover import decode as DEC  # noqa: E402
import render  # noqa: E402
from labels import host_of  # noqa: E402

spec = importlib.util.spec_from_file_location("realweb_score", render.SHARED / "eval" / "realweb_score.py")
RS = importlib.util.module_from_spec(spec)
spec.loader.exec_module(RS)
TITLE_MIN = 0.0
ANTHOLOGIES = None
"""--anthologies: the folder where `built` keeps each held-out anthology (None: none kept)."""
BODY_ROWS = [C.LABEL_INDEX[x] for x in ("heading", "paragraph", "quote", "attribution", "item", "caption")]


# ---------------------------------------------------------------- stories from labelled lines

def story(file: str, lines: list, idx: list, probs: np.ndarray, threshold: float, first: int = 0,
          reading: DEC.Settings = DEC.DEFAULT) -> dict:
    """One story (the scorer's shape) of the lines idx[first:], decoded as the build decodes an
    article (pubpipe.recover.decode): its title, its byline (`byline_line`: the line's index, not
    scored by the scorer) and its kept lines as blocks; lines whose likeliest label but residue is
    byline or dateline are no blocks (the build takes them as metadata)."""
    texts = [lines[i] for i in idx]
    found = DEC.read_article(probs, texts, reading) if len(idx) else DEC.Reading(None, None)
    keep = DEC.kept(probs, threshold, reading) if len(idx) else []
    title_row = found.title
    title = lines[idx[title_row]].strip() if title_row is not None else ""
    blocks = [{"type": "paragraph", "text": lines[idx[r]].strip()} for r in range(len(idx))
              if r != title_row and r != found.byline and keep[r] and probs[r, 1:].argmax() + 1 not in (2, 3)]
    span = [idx[0] + 1, idx[-1] + 1] if idx else [1, 1]
    return {"title": title, "blocks": blocks, "byline_line": None if found.byline is None else idx[found.byline],
            "source": {"file": file, "first_line": span[0] + first, "last_line": span[1] + first}}


def split_stories(file: str, d: dict, settings, reading: DEC.Settings = DEC.DEFAULT) -> list:
    """Stories of a file holding one or several pages, split where segment.starts says."""
    lines, idx, probs = d["lines"], d["idx"], d["p"]
    texts = [lines[i] for i in idx]
    if "start_p" not in d:
        d["start_p"] = SEG.start_probabilities(texts, d["p1"], d["x"], d["start"])
    cuts = SEG.choose(texts, probs, *d["start_p"], settings)
    out = []
    for a, b in zip(cuts, cuts[1:] + [len(idx)]):
        s = story(file, lines, idx[a:b], probs[a:b], settings.threshold, reading=reading)
        if s["blocks"]:
            out.append(s)
    return out


# ---------------------------------------------------------------- folds

def cv_groups(docs: list) -> dict:
    """doc -> CV group: hosts, joined with the other pages of the same concat file."""
    gold = json.loads((render.CORPORA["realweb"] / "gold.json").read_text(encoding="utf-8"))
    parent: dict = {}

    def find(a):
        while parent.setdefault(a, a) != a:
            a = parent[a]
        return a

    for p in gold["pages"]:
        parent[find("host:" + host_of(p["url"]))] = find("concat:" + p["concat_file"])
    out = {}
    for d in docs:
        out[d["doc"]] = None if d["group"].startswith("project:") else find("host:" + d["group"])
    return out


def modern_pasted(docs: list, groups: dict, fold: dict, k: int) -> tuple:
    """Pasted files made of modern pages as concat/ is made of realweb's (three pages of one fold
    to a file, by id), to choose the splitting settings on pages other than realweb's."""
    files, entries = [], []
    for j in range(k):
        ids = sorted(d["doc"].split("/")[2] for d in docs if d["doc"].startswith("modern/copy/")
                     and fold[groups[d["doc"]]] == j)
        for a in range(0, len(ids) - 2, 3):
            pages = ids[a:a + 3] if a + 6 <= len(ids) else ids[a:]
            texts = [(render.CORPORA["modern"] / "copy" / f"{p}.txt").read_text(encoding="utf-8") for p in pages]
            name = f"pasted-{len(files) + 1:02d}.txt"
            files.append({"doc": "modern/pasted/" + name, "file": name, "pages": pages, "fold": j,
                          "lines": RS.concat_join(texts).split("\n"), "labels": [], "group": ""})
            entries.append({"file": name, "pages": pages})
            if a + 6 > len(ids):
                break
    return files, entries


def page_of(doc: dict) -> tuple:
    corpus, form, pid = doc["doc"].split("/", 2)
    return corpus, form, pid


# ---------------------------------------------------------------- today's pubpipe

def pubpipe_today(folder: Path, names: list) -> dict:
    """Today's pubpipe (ingest, clean, structure; no rendering) over `folder`: anthology dict."""
    from pubpipe import pipeline
    from pubpipe.config import Config

    return pipeline.recover(folder, Config()).to_dict()


# ---------------------------------------------------------------- the run

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--one-stage", action="store_true")
    ap.add_argument("--threshold", type=float, nargs="*", default=[0.5])
    ap.add_argument("--today", action="store_true", help="also score today's pubpipe (slow)")
    ap.add_argument("--rounds", type=int, nargs=2, default=list(C.ROUNDS))
    ap.add_argument("--inner", type=int, default=C.INNER)
    ap.add_argument("--paste", type=float, default=0.5)
    ap.add_argument("--weights", type=json.loads, help='label weights, e.g. {"title": 5}')
    ap.add_argument("--dump", type=Path, help="keep each fold's training documents with their out-of-fold probabilities here")
    ap.add_argument("--save", type=Path, help="keep the held-out probabilities here (npz) for later analysis")
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--cache", type=Path, help="held-out probabilities of every fold (npz): read when it exists, else written")
    ap.add_argument("--models", type=Path, help="each fold's model (DIR/fold-J.json.gz, the shipped file's format): written "
                    "when trained; with --build and --cache, read, so that the build reads a pasted file's later part "
                    "again (recover.apply.read_again) with the model that held its pages out")
    ap.add_argument("--reading", type=json.loads, help='decoding settings (pubpipe.recover.decode.Settings), e.g. {"gap_lines": 3}')
    ap.add_argument("--legacy", action="store_true", help="decode as before pubpipe.recover.decode (for comparison)")
    ap.add_argument("--build", action="store_true", help="also score the held-out pages through the build's own stages")
    ap.add_argument("--build-only", action="store_true", help="only that (needs --cache)")
    ap.add_argument("--concat-only", action="store_true", help="with --build-only: only realweb's pasted files")
    ap.add_argument("--show-splits", action="store_true", help="with --build: list the pasted files split wrong")
    ap.add_argument("--anthologies", type=Path, help="with --build: keep each held-out anthology (DIR/WHAT.json, "
                    "the build's anthology.json of those files) to inspect")
    ap.add_argument("--pages", type=Path, help="with --build: write each held-out page's figures here (JSON lines: "
                    "the build's title and byline against the page's, its stories, whether the model read it)")
    args = ap.parse_args(argv)
    t0 = time.time()
    if args.weights is not None:
        C.WEIGHTS = args.weights
    docs = C.load_docs()
    C.featurize(docs)
    groups = cv_groups(docs)
    fold = C.folds_of([g for g in groups.values() if g is not None], args.folds)
    gold = {c: {p["id"]: p for p in json.loads((render.CORPORA[c] / "gold.json").read_text(encoding="utf-8"))["pages"]}
            for c in ("realweb", "modern")}
    concat = json.loads((render.CORPORA["realweb"] / "gold.json").read_text(encoding="utf-8"))["concat"]
    concat_docs = []
    for entry in concat:
        text = (render.CORPORA["realweb"] / "concat" / entry["file"]).read_text(encoding="utf-8")
        concat_docs.append({"doc": "realweb/concat/" + entry["file"], "file": entry["file"], "pages": entry["pages"],
                            "lines": text.split("\n"), "labels": [], "group": ""})
    for d in concat_docs:
        d["fold"] = fold[groups["realweb/copy/" + d["pages"][0]]]
    pasted_docs, pasted_entries = modern_pasted(docs, groups, fold, args.folds)
    for members in (concat_docs, pasted_docs):
        repeated = C.F.repeated_across([d["lines"] for d in members])
        for d in members:
            d["idx"], d["x"] = C.F.features(d["lines"], repeated)
    print(f"features: {time.time() - t0:.0f}s", file=sys.stderr)
    every = docs + concat_docs + pasted_docs
    meta = cache_meta(args)
    if args.cache and args.cache.exists():
        read_cache(args.cache, meta, every)
        print(f"probabilities read from {args.cache}: {time.time() - t0:.0f}s", file=sys.stderr)
    for j in range(args.folds if not (args.cache and args.cache.exists()) else 0):
        train = [d for d in docs if groups[d["doc"]] is None or fold[groups[d["doc"]]] != j]
        keep = {} if args.dump else None
        model = C.train_model(train, inner=args.inner, rounds=tuple(args.rounds), two_stages=not args.one_stage,
                               paste=args.paste, keep=keep)
        if args.models:
            args.models.mkdir(parents=True, exist_ok=True)
            (args.models / f"fold-{j}.json.gz").write_bytes(model_file(model))
        if args.dump:
            import pickle
            args.dump.mkdir(parents=True, exist_ok=True)
            with open(args.dump / f"fold{j}.pkl", "wb") as f:
                pickle.dump(keep["docs"], f)
        held = [d for d in docs if groups[d["doc"]] is not None and fold[groups[d["doc"]]] == j and len(d["idx"])]
        held += [d for d in concat_docs + pasted_docs if d["fold"] == j]
        for d in held:
            d["p"], d["p1"] = C.predict(model, d["x"], first=True)
            d["start"] = model["start"]
            if args.cache:  # the start model's probabilities too: the cache holds no model
                d["start_p"] = SEG.start_probabilities([d["lines"][i] for i in d["idx"]], d["p1"], d["x"], d["start"])
        print(f"fold {j}: {len(train)} training documents, {time.time() - t0:.0f}s", file=sys.stderr)
    if args.cache and not args.cache.exists():
        write_cache(args.cache, meta, every)
    if args.save:
        np.savez_compressed(args.save, **{d["doc"]: d["p"] for d in every if "p" in d},
                            **{"p1:" + d["doc"]: d["p1"] for d in every if "p1" in d})
    reading = DEC.LEGACY if args.legacy else DEC.Settings(**{**DEC.DEFAULT.__dict__, **(args.reading or {})})
    print(f"decoding: {reading}", file=sys.stderr)
    results = {} if args.build_only else report(docs, concat_docs, gold, concat, args.threshold, pasted_docs,
                                                pasted_entries, reading)
    results["reading"] = reading.__dict__
    if args.models and (args.build or args.build_only):
        from pubpipe.recover.linemodel import LineModel

        by_fold = {}
        for d in every:
            if "p" in d and "fold" not in d:
                d["fold"] = fold[groups[d["doc"]]]
        for j in sorted({d["fold"] for d in every if "p" in d}):
            with gzip.open(args.models / f"fold-{j}.json.gz", "rt", encoding="utf-8") as f:
                by_fold[j] = LineModel(json.load(f))
        for d in every:
            if "p" in d:
                d["model"] = by_fold[d["fold"]]
        print(f"fold models read from {args.models}: the build reads pasted files again", file=sys.stderr)
    global ANTHOLOGIES
    ANTHOLOGIES = args.anthologies
    if args.build or args.build_only:
        results["build"] = {} if args.concat_only else through_build(docs, gold, reading, args.pages)
        results["build"]["realweb/concat"] = concat_through_build(concat_docs, gold, concat, reading, args.show_splits)
    if args.today:
        results["today"] = today(gold, concat)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


def model_file(model: dict) -> bytes:
    """A fold's model as the shipped file holds one (train.py's format; no digests: it is no build's)."""
    import train

    return train.pack({"format": "pubpipe/linemodel@1", "labels": list(C.LABELS), "features": list(C.F.NAMES),
                       "stages": [s.model_to_string(num_iteration=-1) for s in model["stages"]],
                       "start": model["start"].model_to_string(num_iteration=-1), "settings": dict(C.SETTINGS)})


def cache_meta(args) -> str:
    """What the cached probabilities depend on besides the code: the data and training settings."""
    import hashlib

    return json.dumps({"data": hashlib.sha256(C.DATA.read_bytes()).hexdigest(), "folds": args.folds,
                       "one_stage": args.one_stage, "rounds": list(args.rounds), "inner": args.inner,
                       "paste": args.paste, "weights": C.WEIGHTS}, sort_keys=True)


def write_cache(path: Path, meta: str, every: list) -> None:
    arrays = {"meta": np.array(meta)}
    for d in every:
        if "p" in d:
            arrays["p:" + d["doc"]] = d["p"]
            arrays["p1:" + d["doc"]] = d["p1"]
            rows, sp = d.get("start_p", (np.zeros(0, dtype=np.int64), np.zeros(0)))
            arrays["sr:" + d["doc"]] = np.asarray(rows, dtype=np.int64)
            arrays["sp:" + d["doc"]] = np.asarray(sp, dtype=np.float64)
    np.savez_compressed(path, **arrays)
    print(f"held-out probabilities written to {path}", file=sys.stderr)


def read_cache(path: Path, meta: str, every: list) -> None:
    with np.load(path) as z:
        if str(z["meta"]) != meta:
            raise SystemExit(f"{path}: made from other data or training settings; delete it or give another --cache")
        for d in every:
            if "p:" + d["doc"] in z:
                d["p"], d["p1"] = z["p:" + d["doc"]], z["p1:" + d["doc"]]
                d["start_p"] = (z["sr:" + d["doc"]], z["sp:" + d["doc"]])


def report(docs, concat_docs, gold, concat, thresholds, pasted_docs=(), pasted_entries=(),
           reading: DEC.Settings = DEC.DEFAULT) -> dict:
    results = {}
    by_form = defaultdict(list)
    for d in docs:
        if "p" in d:
            corpus, form, pid = page_of(d)
            by_form[(corpus, form)].append(d)
    for (corpus, form), members in sorted(by_form.items()):
        pages = [gold[corpus][page_of(d)[2]] for d in members]
        everything = {"stories": [{"title": "", "blocks": [{"type": "paragraph", "text": l} for l in d["lines"] if l.strip()],
                                   "source": {"file": gold[corpus][page_of(d)[2]]["file"]}} for d in members]}
        base = RS.score_pages(pages, everything)["summary"]
        print(f"{corpus:8} {form:6} publish everything: P {base['P']:.3f} R {base['R']:.3f} F1 {base['F1']:.3f}")
        for t in thresholds:
            stories = [story(gold[corpus][page_of(d)[2]]["file"], d["lines"], d["idx"], d["p"], t, reading=reading)
                       for d in members]
            s = RS.score_pages(pages, {"stories": stories})["summary"]
            shown = near = taken = 0
            for d, st in zip(members, stories):
                gold_by = {i for i in d["idx"] if d["labels"][i] == "byline"}
                if gold_by:
                    shown += 1
                    # before: any line labelled byline within a line of the gold one
                    pred = {d["idx"][r] for r in range(len(d["idx"])) if d["p"][r].argmax() == 2}
                    near += any(abs(a - b) <= 1 for a in pred for b in gold_by)
                    # the byline the decoding takes is a gold byline line
                    taken += st["byline_line"] in gold_by
            key = f"{corpus}/{form}@{t}"
            results[key] = {"P": s["P"], "R": s["R"], "F1": s["F1"], "title": s["title"], "pages": s["pages"],
                            "byline": [taken, shown], "byline_near": [near, shown], "everything": base["F1"]}
            print(f"{corpus:8} {form:6} t={t:.2f}: P {s['P']:.3f} R {s['R']:.3f} F1 {s['F1']:.3f} title {s['title']}/{s['pages']}"
                  f" byline taken {taken}/{shown} (labelled near: {near}/{shown})")
    # per-label line F1 (argmax), all held-out lines
    tp, pred, true = Counter(), Counter(), Counter()
    for d in docs:
        if "p" in d:
            for yt, yp in zip(d["y"], d["p"].argmax(axis=1)):
                true[yt] += 1
                pred[yp] += 1
                tp[yt] += yt == yp
    line_f1 = {}
    for k, name in enumerate(C.LABELS):
        p = tp[k] / pred[k] if pred[k] else 0.0
        r = tp[k] / true[k] if true[k] else 0.0
        line_f1[name] = [round(p, 3), round(r, 3), round(2 * p * r / (p + r) if p + r else 0.0, 3), true[k]]
    print("lines (P, R, F1, n):", line_f1)
    results["lines"] = line_f1
    modern_pages = [gold["modern"][p] for e in pasted_entries for p in e["pages"]]
    modern_texts = RS.concat_copy_texts(modern_pages, render.CORPORA["modern"] / "copy")
    best = None
    for t in thresholds:
        for bound in (0.2, 0.35, 0.5, 0.7):
            for min_words in (30, 60, 120):
                settings = SEG.Settings(threshold=t, start=bound, min_words=min_words)
                anthology = {"stories": [s for d in pasted_docs for s in split_stories(d["file"], d, settings, reading)]}
                r = RS.score_concat(modern_pages, anthology, pasted_entries, modern_texts)["summary"]
                key = (r["split_ok"], r["F1"])
                if best is None or key > best[0]:
                    best = (key, settings, r)
    (_, settings, r) = best
    print(f"modern   pasted {settings}: F1 {r['F1']:.3f} split-ok {r['split_ok']}/{r['files']} boundary {r['boundary']}/{r['pages']}")
    results["modern/pasted"] = {"settings": settings.__dict__, "F1": r["F1"], "split_ok": r["split_ok"], "files": r["files"]}
    pages = list(gold["realweb"].values())
    copy_texts = RS.concat_copy_texts(pages, render.CORPORA["realweb"] / "copy")
    for kind in ("copy", "scrape"):
        singles = [d for d in docs if "p" in d and f"/{kind}/" in d["doc"]]
        one = sum(len(split_stories("x", d, settings, reading)) <= 1 for d in singles)
        results[f"one-story/{kind}"] = [one, len(singles)]
        print(f"single pages ({kind}) left as one story by the splitter: {one}/{len(singles)}")
    for settings in (settings, SEG.Settings()):
        anthology = {"stories": [s for d in concat_docs for s in split_stories(d["file"], d, settings, reading)]}
        r = RS.score_concat(pages, anthology, concat, copy_texts)["summary"]
        results.setdefault("realweb/concat", []).append({"settings": settings.__dict__, **{k: r[k] for k in ("P", "R", "F1", "split_ok", "files", "boundary", "title", "pages")}})
        print(f"realweb  concat {settings}: P {r['P']:.3f} R {r['R']:.3f} F1 {r['F1']:.3f} split-ok {r['split_ok']}/{r['files']} "
              f"boundary {r['boundary']}/{r['pages']} title {r['title']}/{r['pages']}")
    return results


# ---------------------------------------------------------------- through the build

class HeldOut:
    """Stands in for the shipped LineModel in recover.apply: each text's decisions and articles
    decoded (linemodel.decide, as the build decodes) from the held-out probabilities of its page.
    recover.apply.read_again reads a pasted file's later part again with the model: only when each
    member has its fold's model (`--models`); the cache holds probabilities of whole files only."""

    def __init__(self, members: list, reading: DEC.Settings):
        from pubpipe.recover.linemodel import LABELS

        self.settings = SEG.Settings(**C.SETTINGS)
        self.members, self.reading, self.labels = members, reading, LABELS
        self.reads_again = all("model" in d for d in members)
        self.read_once = False

    def read_all(self, texts: list, repeated=None) -> list:
        from pubpipe.recover.linemodel import decide

        if self.read_once:
            # recover reads every text once (this call's first), then read_again parts of some (a
            # later part, a run within): each read by the model that held out the member it is part of
            out = []
            for rest in texts:
                owner = [d for d, whole in zip(self.members, self.texts) if _part_of(rest, whole)]
                assert owner, "a text read again that is no part of a text read first"
                out += owner[0]["model"].read_all([rest], repeated)
            return out
        assert len(texts) == len(self.members)
        self.read_once, self.texts = self.reads_again, texts
        out = []
        for lines, d in zip(texts, self.members):
            # ingest's lines, numbered as the page's (it only normalises characters: invisible ones go)
            n = min(len(lines), len(d["lines"]))
            if any(t.strip() for t in lines[n:] + d["lines"][n:]):
                # ingest split or joined lines (a character it reads as a line break): left to the rules
                print(f"{d['doc']}: ingest's lines are not the page's; not read by the model here", file=sys.stderr)
                out.append(([None] * len(lines), []))
                continue
            decisions, articles = decide(d["lines"], d["idx"], d["p"], *d["start_p"], self.settings, self.labels,
                                         self.reading)
            out.append((decisions + [None] * (len(lines) - len(decisions)), articles))
        return out


def _part_of(part: list, whole: list) -> bool:
    """Are the lines of `part` lines of `whole`, one after another (its end, or a run within it)?"""
    n = len(part)
    return any(whole[k:k + n] == part for k in range(len(whole) - n, -1, -1))


def byline_matches(name: str, gold_lines: list) -> bool:
    """The byline's name is in a line the page marked as its byline (word tokens, in order; the last
    may run into the next element where the page's copy glued them: "Michael HiltzikBusiness
    Columnist" holds "Michael Hiltzik")."""
    words = " ".join(RS.tokenize(name))
    return bool(words) and any(f" {words} " in f" {' '.join(RS.tokenize(g))} " or _glued_in(name, g)
                               for g in gold_lines)


def _glued_in(name: str, line: str) -> bool:
    """`name` in `line` with its last word glued to a capitalised next word (no space between)."""
    return re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, name.split())) + r"(?=[A-Z])", line) is not None


def built(named: list, reading: DEC.Settings, what: str) -> tuple:
    """(the anthology as a dict, whether the model read each file, CPU s) of `named` — (file name,
    document with held-out probabilities) pairs — written to a folder and taken through the build's
    own stages: ingest, the cleaning rules, recover.apply with the held-out probabilities decoded as
    the build decodes them, structure."""
    import shutil
    import tempfile

    from pubpipe.recover import steps
    from pubpipe.read import intake
    from pubpipe.recover.clean import clean_all
    from pubpipe.config import Config
    from pubpipe.recover.apply import recover

    named = sorted(named, key=lambda n: n[0])
    folder = Path(tempfile.mkdtemp(prefix=f"pubpipe-eval-{what}-"))
    try:
        for name, d in named:
            (folder / name).write_text("\n".join(d["lines"]) + "\n", encoding="utf-8")
        config = Config()
        t0 = time.process_time()
        ingested = intake.ingest(intake.snapshot(str(folder), config), config)
        assert [src.file for src in ingested.sources] == [name for name, _ in named], f"{what}: sources not as written"
        cleaned = clean_all(list(ingested.sources), config.residue, config.keep)
        recovered = recover(list(ingested.sources), cleaned, model=HeldOut([d for _, d in named], reading),
                            keep=config.keep)
        read_by_model = [r is not c for r, c in zip(recovered, cleaned)]
        anthology = steps.structure(recovered, ingested, config).to_dict()
        if ANTHOLOGIES is not None:
            ANTHOLOGIES.mkdir(parents=True, exist_ok=True)
            (ANTHOLOGIES / f"{what}.json").write_text(json.dumps(anthology, indent=1, ensure_ascii=False), encoding="utf-8")
        return anthology, read_by_model, time.process_time() - t0
    finally:
        shutil.rmtree(folder)


def concat_through_build(concat_docs: list, gold: dict, concat: list, reading: DEC.Settings, show: bool = False) -> dict:
    """realweb's pasted files (`concat/`) through the build's own stages, as `through_build` runs the
    pages (each file's held-out probabilities: its pages' fold never saw them), scored with the
    scorer's concat mode: split right, F1, one page's text in one story; `show`: print each file
    split wrong, with its stories' line ranges and titles."""
    members = [d for d in concat_docs if "p" in d and "start_p" in d]
    anthology, _, _ = built([(d["file"], d) for d in members], reading, "realweb-concat")
    pages = list(gold["realweb"].values())
    entries = [e for e in concat if e["file"] in {d["file"] for d in members}]
    if show:
        for e in entries:
            st = [s for s in anthology["stories"] if s["source"]["file"] == e["file"]]
            if len(st) != len(e["pages"]):
                print(e["file"], len(e["pages"]), [(s["source"]["first_line"], s["source"]["last_line"], s["title"][:40]) for s in st])
    r = RS.score_concat(pages, anthology, entries, RS.concat_copy_texts(pages, render.CORPORA["realweb"] / "copy"))["summary"]
    print(f"build    realweb  concat: P {r['P']:.3f} R {r['R']:.3f} F1 {r['F1']:.3f} split-ok {r['split_ok']}/{r['files']} "
          f"one-story {r['one_story']}/{r['pages']} title {r['title']}/{r['pages']}")
    return {k: r[k] for k in ("P", "R", "F1", "split_ok", "files", "one_story", "title", "pages")}


def through_build(docs: list, gold: dict, reading: DEC.Settings, pages_out: Path = None) -> dict:
    """The held-out pages of each corpus and form through the build's own stages — ingest, the
    cleaning rules, recover.apply with the pages' held-out probabilities decoded as the build decodes
    them, structure — scored with realweb_score.py; the byline: the main story's byline (what the
    build publishes) names the person of a line the page marks as its byline."""
    out, rows = {}, []
    by_form = defaultdict(list)
    for d in docs:
        if "p" in d and "start_p" in d:
            by_form[page_of(d)[:2]].append(d)
    for (corpus, form), members in sorted(by_form.items()):
        members = sorted(members, key=lambda d: gold[corpus][page_of(d)[2]]["file"])
        anthology, read_by_model, took = built([(gold[corpus][page_of(d)[2]]["file"], d) for d in members],
                                               reading, f"{corpus}-{form}")
        pages = [gold[corpus][page_of(d)[2]] for d in members]
        scored = RS.score_pages(pages, anthology)
        s = scored["summary"]
        per_page = RS.stories_by_page(anthology, pages)
        shown = taken = 0
        for d, page in zip(members, pages):
            gold_by = [d["lines"][i] for i in d["idx"] if d["labels"][i] == "byline"]
            main = RS.main_story(per_page[page["id"]], page.get("body") or "")
            found = bool(main and main.get("byline") and byline_matches(main["byline"]["name"], gold_by))
            if gold_by:
                shown += 1
                taken += found
            if pages_out is not None:
                line_level = story(page["file"], d["lines"], d["idx"], d["p"], C.SETTINGS["threshold"], reading=reading)
                row = scored["rows"][page["id"]]
                rows.append({"page": f"{corpus}/{form}/{page['id']}", "read_by_model": read_by_model[members.index(d)],
                             "title_ok": row["title_match"], "title": row["title"], "headlines": RS.headlines(page),
                             "line_title": line_level["title"],
                             "line_title_ok": RS.title_match(line_level["title"], RS.headlines(page)),
                             "stories": row["stories"], "main_is_first": row["main_is_first"],
                             "story_titles": [s.get("title") for s in per_page[page["id"]]],
                             "P": round(row["p"], 3), "R": round(row["r"], 3), "gold_byline": gold_by,
                             "byline": (main or {}).get("byline"), "byline_ok": found})
        key = f"{corpus}/{form}"
        out[key] = {"P": s["P"], "R": s["R"], "F1": s["F1"], "title": s["title"], "one_story": s["one_story"],
                    "pages": s["pages"], "byline": [taken, shown], "cpu": round(took, 1)}
        print(f"build    {corpus:8} {form:6}: P {s['P']:.3f} R {s['R']:.3f} F1 {s['F1']:.3f} title {s['title']}/{s['pages']} "
              f"one-story {s['one_story']}/{s['pages']} byline {taken}/{shown} ({took:.1f} s CPU)")
    if pages_out is not None:
        pages_out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


def today(gold, concat) -> dict:
    out = {}
    for corpus, form in (("realweb", "copy"), ("realweb", "scrape"), ("modern", "copy")):
        anthology = pubpipe_today(render.CORPORA[corpus] / form, [])
        s = RS.score_pages(list(gold[corpus].values()), anthology)["summary"]
        out[f"{corpus}/{form}"] = {"P": s["P"], "R": s["R"], "F1": s["F1"], "title": s["title"]}
        print(f"today's pubpipe {corpus} {form}: P {s['P']:.3f} R {s['R']:.3f} F1 {s['F1']:.3f} title {s['title']}/{s['pages']}")
    return out


if __name__ == "__main__":
    sys.exit(main())
