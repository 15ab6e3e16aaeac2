"""Rebuild the shipped line model from the labelled lines, byte for byte.

    python training/train.py [--data training/data/lines.jsonl.gz] [--out src/pubpipe/recover/linemodel.json.gz]

    python training/train.py --check     # rebuild in memory and compare with the shipped file

Deterministic: LightGBM on one thread with `deterministic`, a fixed seed and row-wise histograms,
documents in a fixed order, the file gzip-compressed with no timestamp. About 5 minutes of CPU.
tests/test_linemodel.py checks on every run that the shipped file was made from the data and code
as they are (INPUTS' digests), and with PUBPIPE_TRAIN_TEST=1 rebuilds it and compares the bytes.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402


# What the model is made from: the labelled lines and the code that computes features and trains.
# Their digests go into the model file; tests/test_linemodel.py checks them on every run (cheap) and
# rebuilds the file byte for byte when asked (PUBPIPE_TRAIN_TEST=1: minutes).
INPUTS = ("training/data/lines.jsonl.gz", "training/common.py", "training/train.py", "src/pubpipe/recover/features.py",
          "src/pubpipe/recover/stopwords.py", "src/pubpipe/recover/segment.py", "src/pubpipe/recover/linemodel.py")


def digests(data: Path = C.DATA) -> dict:
    """sha256 of each of INPUTS (the data as given)."""
    out = {}
    for name in INPUTS:
        path = data if name == INPUTS[0] else C.REPO / name
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def pack(spec: dict) -> bytes:
    """The model file's bytes: sorted JSON, gzip without a timestamp."""
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(json.dumps(spec, sort_keys=True).encode("utf-8"))
    return raw.getvalue()


def build(data: Path = C.DATA) -> bytes:
    """The model file's bytes, trained on every labelled document of `data`."""
    docs = C.load_docs(data)
    C.featurize(docs)
    model = C.train_model(docs)
    spec = {"format": "pubpipe/linemodel@1", "labels": list(C.LABELS), "features": list(C.F.NAMES),
            "stages": [s.model_to_string(num_iteration=-1) for s in model["stages"]],
            "start": model["start"].model_to_string(num_iteration=-1), "settings": dict(C.SETTINGS),
            "trained_from": digests(data)}
    return pack(spec)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=C.DATA)
    ap.add_argument("--out", type=Path, default=C.REPO / "src" / "pubpipe" / "recover" / "linemodel.json.gz")
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = ap.parse_args(argv)
    blob = build(args.data)
    if args.check:
        same = args.out.read_bytes() == blob
        print(f"{args.out}: {'rebuilt byte for byte' if same else 'DIFFERS from a rebuild'}")
        return 0 if same else 1
    args.out.write_bytes(blob)
    print(f"{args.out}: {len(blob) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
