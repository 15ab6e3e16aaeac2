"""Which learner for the line model: a linear-chain CRF (python-crfsuite) or gradient-boosted trees
(LightGBM, one stage), on the same features, folds and pages as evaluate.py.

    python training/compare.py [--folds 5] [--crf-iterations 150]

For each fold (pages grouped by site, as evaluate.py), both learners train on the other folds'
documents and label the held-out copy and scrape pages; the lines labelled as article are scored
with realweb_score (4-gram P/R/F1), and line labels with per-label F1. The two-stage model and the
article splitter are evaluate.py's; this script only compares learners. python-crfsuite is not a
dependency of pubpipe: `pip install python-crfsuite` to run it.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402
import evaluate as E  # noqa: E402


def crf_items(x: np.ndarray) -> list:
    """crfsuite items: each line's features as {name: value} (zeros left out: crfsuite's default)."""
    names = C.F.NAMES
    return [{names[k]: float(v) for k, v in enumerate(row) if v} for row in x]


def train_crf(docs: list, iterations: int, path: str):
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    for d in docs:
        if len(d["idx"]):
            trainer.append(crf_items(d["x"]), [C.LABELS[k] for k in d["y"]])
    trainer.set_params({"c1": 0.05, "c2": 0.01, "max_iterations": iterations, "feature.possible_transitions": True})
    trainer.train(path)
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    return tagger


def crf_probs(tagger, x: np.ndarray) -> np.ndarray:
    tagger.set(crf_items(x))
    return np.array([[tagger.marginal(label, i) for label in C.LABELS] for i in range(len(x))])


def scores(docs: list, key: str, gold: dict, threshold: float = 0.5) -> dict:
    out = {}
    for form in ("copy", "scrape"):
        members = [d for d in docs if key in d and d["doc"].startswith(f"realweb/{form}/")]
        pages = [gold[E.page_of(d)[2]] for d in members]
        anthology = {"stories": [E.story(gold[E.page_of(d)[2]]["file"], d["lines"], d["idx"], d[key], threshold)
                                 for d in members]}
        s = E.RS.score_pages(pages, anthology)["summary"]
        out[form] = (s["P"], s["R"], s["F1"], s["title"], s["pages"])
    tp, pred, true = Counter(), Counter(), Counter()
    for d in docs:
        if key in d:
            for yt, yp in zip(d["y"], d[key].argmax(axis=1)):
                true[yt] += 1
                pred[yp] += 1
                tp[yt] += yt == yp
    f1 = {}
    for k, name in enumerate(C.LABELS):
        p = tp[k] / pred[k] if pred[k] else 0.0
        r = tp[k] / true[k] if true[k] else 0.0
        f1[name] = round(2 * p * r / (p + r) if p + r else 0.0, 3)
    out["lines"] = f1
    out["macro"] = round(float(np.mean(list(f1.values()))), 3)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--crf-iterations", type=int, default=150)
    args = ap.parse_args(argv)
    t0 = time.time()
    docs = C.load_docs()
    C.featurize(docs)
    groups = E.cv_groups(docs)
    fold = C.folds_of([g for g in groups.values() if g is not None], args.folds)
    import json
    gold = {p["id"]: p for p in json.loads((E.render.CORPORA["realweb"] / "gold.json").read_text(encoding="utf-8"))["pages"]}
    timing = Counter()
    for j in range(args.folds):
        train = [d for d in docs if groups[d["doc"]] is None or fold[groups[d["doc"]]] != j]
        test = [d for d in docs if groups[d["doc"]] is not None and fold[groups[d["doc"]]] == j and len(d["idx"])]
        t = time.time()
        booster = C.train_booster(*C.stack(train), C.ROUNDS[0])
        timing["gbt"] += time.time() - t
        t = time.time()
        tagger = train_crf(train, args.crf_iterations, f"/tmp/pubpipe-crf-fold{j}.crfsuite")
        timing["crf"] += time.time() - t
        for d in test:
            d["gbt"] = booster.predict(d["x"], num_threads=1)
            d["crf"] = crf_probs(tagger, d["x"])
        print(f"fold {j}: {time.time() - t0:.0f}s", file=sys.stderr)
    for key in ("gbt", "crf"):
        s = scores(docs, key, gold)
        print(f"{key}: copy P/R/F1 {s['copy'][0]:.3f}/{s['copy'][1]:.3f}/{s['copy'][2]:.3f} title {s['copy'][3]}/{s['copy'][4]}; "
              f"scrape {s['scrape'][0]:.3f}/{s['scrape'][1]:.3f}/{s['scrape'][2]:.3f}; line F1 macro {s['macro']} "
              f"{s['lines']}; training {timing[key]:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
