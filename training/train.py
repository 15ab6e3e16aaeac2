"""Rebuild the shipped line model from the labelled lines, byte for byte.

    python training/train.py [--data training/data/lines.jsonl.gz] [--out src/pubpipe/recover/linemodel.json.gz]

Deterministic: LightGBM on one thread with `deterministic`, a fixed seed and row-wise histograms,
documents in a fixed order, the file gzip-compressed with no timestamp. tests/test_linemodel.py
runs this and compares the bytes with the shipped file.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as C  # noqa: E402


def build(data: Path = C.DATA) -> bytes:
    """The model file's bytes, trained on every labelled document of `data`."""
    docs = C.load_docs(data)
    C.featurize(docs)
    model = C.train_model(docs)
    spec = {"format": "pubpipe/linemodel@1", "labels": list(C.LABELS), "features": list(C.F.NAMES),
            "stages": [s.model_to_string(num_iteration=-1) for s in model["stages"]],
            "start": model["start"].model_to_string(num_iteration=-1), "settings": dict(C.SETTINGS)}
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(json.dumps(spec, sort_keys=True).encode("utf-8"))
    return raw.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=C.DATA)
    ap.add_argument("--out", type=Path, default=C.REPO / "src" / "pubpipe" / "recover" / "linemodel.json.gz")
    args = ap.parse_args(argv)
    blob = build(args.data)
    args.out.write_bytes(blob)
    print(f"{args.out}: {len(blob) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
