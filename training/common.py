"""Shared by train.py and evaluate.py: the labelled lines, their features, folds by site, the trees."""
from __future__ import annotations

import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from pubpipe.recover import features as F  # noqa: E402
from pubpipe.recover import segment as SEG  # noqa: E402
from pubpipe.recover.linemodel import LABELS, context_features  # noqa: E402

DATA = REPO / "training" / "data" / "lines.jsonl.gz"
LABEL_INDEX = {name: k for k, name in enumerate(LABELS)}
PARAMS = {"objective": "multiclass", "num_class": len(LABELS), "num_leaves": 31, "learning_rate": 0.1,
          "min_data_in_leaf": 40, "feature_fraction": 0.9, "lambda_l2": 1.0, "num_threads": 1,
          "deterministic": True, "force_row_wise": True, "seed": 0, "verbose": -1}
ROUNDS = (80, 80)
INNER = 3
# decoding settings shipped with the model (segment.Settings), chosen by cross-validation on pasted
# modern pages (evaluate.py); the 0.5 / 60 of before split 16 of 37 realweb concat files right, these 27-28
SETTINGS = {"threshold": 0.4, "start": 0.2, "min_words": 30}
START_PARAMS = {"objective": "binary", "num_leaves": 15, "learning_rate": 0.05, "min_data_in_leaf": 20,
                   "lambda_l2": 1.0, "num_threads": 1, "deterministic": True, "force_row_wise": True, "seed": 0,
                   "verbose": -1}
START_ROUNDS = 150
WEIGHTS = {"title": 5.0, "byline": 3.0, "dateline": 2.0}


def load_docs(path: Path = DATA) -> list:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def build_set(doc: dict) -> str:
    """The 'build' a document belongs to (its folder of sources): corpus and form."""
    parts = doc["doc"].split("/")
    return "/".join(parts[:2]) if not parts[0].startswith("project:") else parts[0]


def featurize(docs: list) -> None:
    """Adds to each doc: idx (non-blank lines), x (features), y (label indexes)."""
    sets = defaultdict(list)
    for d in docs:
        sets[build_set(d)].append(d)
    for members in sets.values():
        repeated = F.repeated_across([d["lines"] for d in members])
        for d in members:
            d["idx"], d["x"] = F.features(d["lines"], repeated)
            d["y"] = np.array([LABEL_INDEX[d["labels"][i]] for i in d["idx"]], dtype=np.int32)


def stack(docs: list, key: str = "x") -> tuple:
    xs = [d[key] for d in docs if len(d["idx"])]
    ys = [d["y"] for d in docs if len(d["idx"])]
    return np.vstack(xs), np.concatenate(ys)


def train_booster(x: np.ndarray, y: np.ndarray, rounds: int):
    import lightgbm as lgb

    weight = np.ones(len(y))
    for name, w in WEIGHTS.items():
        weight[y == LABEL_INDEX[name]] = w
    data = lgb.Dataset(x, label=y, weight=weight, params={"verbose": -1, "max_bin": 63}, free_raw_data=True)
    return lgb.train(dict(PARAMS), data, num_boost_round=rounds)


def folds_of(groups: list, k: int) -> dict:
    """Group -> fold (0..k-1): groups sorted by size, largest first, each to the lightest fold."""
    sizes = defaultdict(int)
    for g in groups:
        sizes[g] += 1
    load = [0] * k
    fold = {}
    for g, n in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        j = min(range(k), key=lambda j: (load[j], j))
        fold[g] = j
        load[j] += n
    return fold


def pasted(docs: list, share: float = 0.5, seed: int = 0) -> list:
    """Files as staff paste them: the copy texts of training pages three to a file, joined with one
    blank line (as concat/ is made), so the model sees articles that start mid-file. `share` of
    the copy documents, chosen and grouped by a seeded shuffle; featurized."""
    copies = sorted((d for d in docs if "/copy/" in d["doc"]), key=lambda d: d["doc"])
    rng = np.random.RandomState(seed)
    order = [copies[k] for k in rng.permutation(len(copies))][:int(len(copies) * share) // 3 * 3]
    out = []
    for k in range(0, len(order), 3):
        lines, labels, starts = [], [], []
        for d in order[k:k + 3]:
            if lines:
                lines.append("")
                labels.append("")
                starts.append(len(lines))
            body = d["lines"]
            while body and not body[-1].strip():
                body = body[:-1]
            lines += body
            labels += d["labels"][:len(body)]
        out.append({"doc": "pasted/" + "+".join(d["doc"].rsplit("/", 1)[1][:8] for d in order[k:k + 3]),
                    "group": order[k]["group"], "lines": lines, "labels": labels, "starts": starts})
    repeated = F.repeated_across([d["lines"] for d in out])
    for d in out:
        d["idx"], d["x"] = F.features(d["lines"], repeated)
        d["y"] = np.array([LABEL_INDEX[d["labels"][i]] for i in d["idx"]], dtype=np.int32)
    return out


def train_model(docs: list, inner: int = INNER, rounds: tuple = ROUNDS, two_stages: bool = True, paste: float = 0.5,
                extra_paste: int = 2, keep: dict = None) -> dict:
    """The two stages trained on `docs` (featurized) and on pasted files made of them, and the
    start model. Stage two and the start model learn from stage-one probabilities that stage one
    made without seeing the document: out of fold, `inner` folds by site (a pasted file is made of
    pages of one fold). The start model also sees `extra_paste` more sets of pasted files."""
    fold = folds_of([d["group"] for d in docs], inner)
    of = {d["doc"]: fold[d["group"]] for d in docs}
    extra = []
    for j in range(inner):
        members = [d for d in docs if of[d["doc"]] == j]
        if paste:
            made = pasted(members, paste, seed=j)
            of.update({d["doc"]: j for d in made})
            docs = docs + made
        for k in range(extra_paste):
            more = pasted(members, 1.0, seed=1000 + 10 * j + k)
            for d in more:
                d["doc"] += f"#{k}"
            of.update({d["doc"]: j for d in more})
            extra += more
    first = train_booster(*stack(docs), rounds[0])
    if not two_stages:
        return {"stages": [first], "start": None}
    for j in range(inner):
        booster = train_booster(*stack([d for d in docs if of[d["doc"]] != j]), rounds[0])
        for d in docs + extra:
            if of[d["doc"]] == j and len(d["idx"]):
                d["oof"] = booster.predict(d["x"], num_threads=1)
    for d in docs:
        if len(d["idx"]):
            d["x2"] = np.hstack([d["x"], context_features(d["oof"])])
    second = train_booster(*stack(docs, "x2"), rounds[1])
    if keep is not None:  # for experiments with the start model (evaluate.py --dump)
        keep["docs"] = [{k: d[k] for k in ("doc", "group", "lines", "labels", "oof") if k in d} for d in docs + extra]
    return {"stages": [first, second], "start": train_start(docs + extra)}


def start_examples(doc: dict) -> tuple:
    """Candidate article starts of a document (from its out-of-fold first-stage probabilities)
    and whether each is one: the title line of each page of a pasted file, of each story of a
    project file, of a single page."""
    texts = [doc["lines"][i] for i in doc["idx"]]
    rows, x = SEG.candidates(texts, doc["oof"], doc["x"])
    y = [int(doc["labels"][doc["idx"][r]] == "title") for r in rows]
    return x, np.array(y, dtype=np.int32)


def train_start(docs: list):
    """The start model: does an article start at this line."""
    import lightgbm as lgb

    xs, ys = [], []
    for d in docs:
        if len(d["idx"]) >= 3 and "oof" in d:
            x, y = start_examples(d)
            xs.append(x)
            ys.append(y)
    data = lgb.Dataset(np.vstack(xs), label=np.concatenate(ys), params={"verbose": -1, "max_bin": 63}, free_raw_data=True)
    return lgb.train(dict(START_PARAMS), data, num_boost_round=START_ROUNDS)


def predict(model: dict, x: np.ndarray, first: bool = False):
    """Label probabilities of the last stage (with `first`: and of the first stage)."""
    stages = model["stages"]
    probs = p1 = stages[0].predict(x, num_threads=1)
    if len(stages) > 1:
        probs = stages[1].predict(np.hstack([x, context_features(probs)]), num_threads=1)
    return (probs, p1) if first else probs
