"""Saved web pages (issue 16): pubpipe's html form against trafilatura alone, scored in one run.

    .venv/bin/python benchmarks/saved_pages.py                      # realweb and modern, stages only
    .venv/bin/python benchmarks/saved_pages.py --corpus realweb --build   # through `pubpipe build`
    .venv/bin/python benchmarks/saved_pages.py --append            # also append the table to RESULTS.md
    .venv/bin/python benchmarks/saved_pages.py --held-out /tmp/base/models   # each page read by a model
                                                                   # that never saw its site

For each corpus of ``../shared/corpus`` (``html/<id>.html.gz`` and ``gold.json``) it decompresses the
pages into ``--work`` (default ``/tmp/pubpipe-saved-pages``), then writes two anthology files:

- **pubpipe**: the build's own stages as plain functions (settings, snapshot, ingest, clean,
  structure, ``anthology.json``: the same calls the flow's tasks make, without rendering); with
  ``--build``, a real ``pubpipe build`` of the folder instead (minutes: it lays out every page's PDF);
- **trafilatura alone**: ``trafilatura.extract(page)`` with its defaults (plain text, comments
  included), one story per page whose blocks are its output's lines and whose title is empty (its
  text output has none), in the ``anthology.json`` shape the scorer reads; and the same with the
  title of trafilatura's own metadata as the story's title (the scorer counts a title as published
  text, which the gold bodies mostly do not hold: a title costs precision);

and scores both with ``../shared/eval/realweb_score.py GOLD ANTHOLOGY --form html``, printing the
scorer's last line for each and a table (with ``--append``, also added to ``benchmarks/RESULTS.md``).
"""

import argparse
import gzip
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
SCORER = SHARED / "eval" / "realweb_score.py"


def unpack(corpus: Path, folder: Path) -> Path:
    """``corpus/html/*.html.gz`` to ``folder/<id>.html`` (only what is missing or different)."""
    folder.mkdir(parents=True, exist_ok=True)
    for packed in sorted((corpus / "html").glob("*.html.gz")):
        target = folder / packed.name[:-3]
        data = gzip.decompress(packed.read_bytes())
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    return folder


def pubpipe_stages(pages: Path, out: Path, options: dict = None) -> float:
    """The build's stages up to anthology.json, as plain functions; returns the seconds taken.
    `options`: trafilatura options to use instead of pubpipe's (`pubpipe.read.webpage.EXTRACT_OPTIONS`)."""
    sys.path.insert(0, str(ROOT / "src"))
    from pubpipe import pipeline
    from pubpipe.publish import summary
    from pubpipe.orchestrate import progress
    from pubpipe.read import webpage
    webpage.EXTRACT_OPTIONS.update(options or {})
    progress.listen(lambda event, data: print(f"  {data['text']}", file=sys.stderr) if event == "problem" else None)
    started = time.perf_counter()
    anthology = pipeline.recover(pages)
    out.mkdir(parents=True, exist_ok=True)
    summary.write_anthology(anthology, out)
    return time.perf_counter() - started


def held_out_stages(pages: Path, out: Path, models: Path, corpus: str) -> float:
    """`pubpipe_stages`, each page read by the line model that never saw its site: the fold models
    `training/evaluate.py --models DIR` writes (DIR/fold-J.json.gz), the folds as it makes them (by
    site, over the copy and scrape forms of the same pages). Returns the seconds taken."""
    import gzip
    import shutil
    import tempfile
    sys.path.insert(0, str(ROOT / "training"))
    sys.path.insert(0, str(ROOT / "src"))
    import common as C
    import evaluate as E
    from pubpipe import pipeline
    from pubpipe.publish import summary
    from pubpipe.recover import linemodel
    docs = C.load_docs()
    groups = E.cv_groups(docs)
    fold = C.folds_of([g for g in groups.values() if g is not None], len(list(models.glob("fold-*.json.gz"))))
    page_fold = {d["doc"].split("/")[2]: fold[groups[d["doc"]]] for d in docs
                 if d["doc"].startswith((f"{corpus}/copy/", f"{corpus}/scrape/"))}
    stories, seconds = [], 0.0
    for path in sorted(models.glob("fold-*.json.gz")):
        j = int(path.name.split("-")[1].split(".")[0])
        with gzip.open(path, "rt", encoding="utf-8") as f:
            model = linemodel.LineModel(json.load(f))
        folder = Path(tempfile.mkdtemp(prefix=f"pubpipe-held-out-{j}-"))
        try:
            for page in sorted(pages.glob("*.html")):
                if page_fold.get(page.stem) == j:
                    shutil.copy(page, folder / page.name)
            linemodel.shipped = lambda: model
            started = time.perf_counter()
            anthology = pipeline.recover(folder)
            seconds += time.perf_counter() - started
            summary.write_anthology(anthology, folder)
            stories += json.loads((folder / "anthology.json").read_text(encoding="utf-8"))["stories"]
        finally:
            shutil.rmtree(folder)
    missing = [p.stem for p in pages.glob("*.html") if p.stem not in page_fold]
    if missing:
        raise SystemExit(f"{len(missing)} pages are in no fold (e.g. {missing[0]}): no held-out model reads them")
    out.mkdir(parents=True, exist_ok=True)
    (out / "anthology.json").write_text(json.dumps({"stories": stories}, ensure_ascii=False), encoding="utf-8")
    return seconds


def pubpipe_build(pages: Path, out: Path) -> float:
    """A real `pubpipe build --force` of the folder; returns its wall time."""
    started = time.perf_counter()
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "pubpipe"), "build", "--sources", str(pages),
                           "--output", str(out), "--force", "--quiet"], check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"pubpipe build of {pages} failed (exit {done.returncode})")
    return time.perf_counter() - started


def trafilatura_alone(pages: Path, out: Path, titled: bool = False) -> float:
    """trafilatura.extract with its defaults on every page, as an anthology.json the scorer reads;
    `titled`: with the title of trafilatura's own metadata as the story's title (the scorer counts a
    title as published text, and pubpipe publishes one)."""
    import trafilatura
    started = time.perf_counter()
    stories = []
    for page in sorted(pages.glob("*.html")):
        markup = page.read_text(encoding="utf-8", errors="replace")
        text = trafilatura.extract(markup) or ""
        title = (trafilatura.extract_metadata(markup).title or "") if titled else ""
        blocks = [{"type": "paragraph", "text": line} for line in text.split("\n") if line.strip()]
        stories.append({"id": page.stem, "title": title, "source": {"file": page.name}, "blocks": blocks})
    out.mkdir(parents=True, exist_ok=True)
    (out / "anthology.json").write_text(json.dumps({"stories": stories}, ensure_ascii=False), encoding="utf-8")
    return time.perf_counter() - started


def score(gold: Path, anthology: Path) -> dict:
    """The scorer's figures for one anthology (its last line, parsed)."""
    done = subprocess.run([sys.executable, str(SCORER), str(gold), str(anthology), "--form", "html", "--worst", "0"],
                          capture_output=True, text=True, check=True)
    last = done.stdout.strip().splitlines()[-1].split()
    # realweb score: P x R x F1 x one-story a/n title b/n
    figures = dict(zip(last[2::2], last[3::2]))
    return {"P": float(figures["P"]), "R": float(figures["R"]), "F1": float(figures["F1"]),
            "one-story": figures["one-story"], "title": figures["title"], "line": done.stdout.strip().splitlines()[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", action="append", help="realweb, modern, or a folder with html/ and gold.json "
                        "(repeatable; default: realweb and modern)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/pubpipe-saved-pages"))
    parser.add_argument("--build", action="store_true", help="run `pubpipe build` instead of the stages")
    parser.add_argument("--append", action="store_true", help="append the table to benchmarks/RESULTS.md")
    parser.add_argument("--note", default="", help="a line saying what code this is (added to the table)")
    parser.add_argument("--options", type=json.loads, default={},
                        help='trafilatura options over pubpipe\'s, as JSON: \'{"favor_recall": true}\' (stages only)')
    parser.add_argument("--no-alone", action="store_true", help="skip trafilatura alone")
    parser.add_argument("--held-out", type=Path, metavar="DIR",
                        help="read each page with the fold model that never saw its site (DIR: the fold models of "
                        "`training/evaluate.py --models DIR`; realweb and modern only; stages only)")
    args = parser.parse_args()
    rows = []
    for name in args.corpus or ["realweb", "modern"]:
        corpus = Path(name) if "/" in name else SHARED / "corpus" / name
        label = corpus.name
        pages = unpack(corpus, args.work / label / "html")
        gold = corpus / "gold.json"
        ours = args.work / label / "pubpipe"
        if args.held_out:
            seconds = held_out_stages(pages, ours, args.held_out, label)
        else:
            seconds = pubpipe_build(pages, ours) if args.build else pubpipe_stages(pages, ours, args.options)
        runs = [("pubpipe", ours, seconds)]
        if not args.no_alone:
            theirs = args.work / label / "trafilatura"
            runs.append(("trafilatura alone", theirs, trafilatura_alone(pages, theirs)))
            titled = args.work / label / "trafilatura-titled"
            runs.append(("trafilatura alone + its title", titled, trafilatura_alone(pages, titled, True)))
        for who, out, s in runs:
            figures = score(gold, out / "anthology.json")
            print(f"{label:>8} {who:<30} {figures['line']}  ({s:.1f} s)")
            rows.append((label, who, figures, s))
    if args.append:
        from results import append, machine
        import trafilatura
        how = "`pubpipe build`" if args.build else "the build's stages up to anthology.json (no rendering)"
        table = [f"\n### Saved pages: pubpipe against trafilatura alone — {date.today().isoformat()}\n",
                 f"{machine()} · trafilatura {trafilatura.__version__} · pubpipe through {how}"
                 + (f" · {args.note}" if args.note else "") + "\n\n",
                 "| corpus | extractor | P | R | F1 | one story | headline as title | seconds |\n",
                 "| --- | --- | --- | --- | --- | --- | --- | --- |\n"]
        for label, who, f, s in rows:
            table.append(f"| {label} | {who} | {f['P']:.3f} | {f['R']:.3f} | {f['F1']:.3f} | {f['one-story']} | "
                         f"{f['title']} | {s:.1f} |\n")
        append("".join(table))


if __name__ == "__main__":
    main()
