"""Text sources (issue 16): realweb's copy, scrape and concat forms through pubpipe's own stages.

    .venv/bin/python benchmarks/realweb_text.py                 # copy, scrape, concat
    .venv/bin/python benchmarks/realweb_text.py --form copy --no-model   # the rules alone, for comparison
    .venv/bin/python benchmarks/realweb_text.py --append        # also append the table to RESULTS.md

For each form of ``../shared/corpus/realweb`` it runs the build's stages as plain functions (settings,
snapshot, ingest, clean — with the learned line model, `pubpipe.recover.apply` —, structure,
``anthology.json``: the same calls the flow's tasks make, without rendering), times clean and
structure, and scores the anthology with ``../shared/eval/realweb_score.py GOLD ANTHOLOGY --form F``,
beside *publishing everything* (every non-blank line of each file as one story, untitled).

The shipped model was trained on these pages: these figures are what a user of this build gets on
them, not a measure of pages it never saw. That measure is training/evaluate.py's (cross-validation
by site); benchmarks/RESULTS.md, "Text sources (issue 16)", holds both.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
SCORER = SHARED / "eval" / "realweb_score.py"
CORPUS = SHARED / "corpus" / "realweb"
FORMS = ("copy", "scrape", "concat")


def pubpipe_stages(folder: Path, out: Path, model: bool = True) -> dict:
    """The build's stages up to anthology.json, as plain functions; seconds taken by each (wall
    clock, and CPU time as `*_cpu`: this process's and its helpers', `processes.on_both_cores`; on a
    shared machine the wall clock says little)."""
    sys.path.insert(0, str(ROOT / "src"))
    from pubpipe.recover import steps
    from pubpipe.publish import summary
    from pubpipe.read import intake
    from pubpipe.recover import apply
    if not model:
        apply.shipped = lambda: None
    apply.shipped()  # loading the model file is not the stage's time
    config = intake.load_settings(str(folder), None)
    marks = [(time.perf_counter(), _cpu())]
    ingested = intake.ingest(intake.snapshot(str(folder), config), config)
    marks.append((time.perf_counter(), _cpu()))
    cleaned = steps.clean(ingested, config)
    marks.append((time.perf_counter(), _cpu()))
    anthology = steps.structure(cleaned, ingested, config)
    marks.append((time.perf_counter(), _cpu()))
    out.mkdir(parents=True, exist_ok=True)
    summary.write_anthology(anthology, out)
    took = {}
    for k, name in enumerate(("ingest", "clean", "structure")):
        took[name] = marks[k + 1][0] - marks[k][0]
        took[name + "_cpu"] = marks[k + 1][1] - marks[k][1]
    return took


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended (the stages' helpers)."""
    own, ended = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


def everything(folder: Path, out: Path) -> None:
    """Publishing everything: each file one untitled story of all its non-blank lines."""
    stories = []
    for path in sorted(folder.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").split("\n")
        stories.append({"id": path.stem, "title": "", "source": {"file": path.name},
                        "blocks": [{"type": "paragraph", "text": l} for l in lines if l.strip()]})
    out.mkdir(parents=True, exist_ok=True)
    (out / "anthology.json").write_text(json.dumps({"stories": stories}, ensure_ascii=False), encoding="utf-8")


def score(anthology: Path, form: str) -> dict:
    """The scorer's figures for one anthology (its last line, parsed)."""
    done = subprocess.run([sys.executable, str(SCORER), str(CORPUS / "gold.json"), str(anthology), "--form", form,
                           "--worst", "0"], capture_output=True, text=True, check=True)
    last = done.stdout.strip().splitlines()[-1]
    words = last.split()
    figures = {}
    for k in range(2, len(words) - 1):
        if words[k] in ("P", "R", "F1", "one-story", "title", "split-ok", "boundary"):
            figures[words[k]] = words[k + 1]
    figures["line"] = last
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--form", action="append", choices=FORMS, help="default: all three")
    parser.add_argument("--work", type=Path, default=Path("/tmp/pubpipe-realweb-text"))
    parser.add_argument("--no-model", action="store_true", help="the cleaning rules and structure heuristics alone")
    parser.add_argument("--append", action="store_true", help="append the table to benchmarks/RESULTS.md")
    parser.add_argument("--note", default="", help="a line saying what code this is (added to the table)")
    args = parser.parse_args()
    rows = []
    for form in args.form or FORMS:
        folder = CORPUS / form
        ours = args.work / form / ("rules" if args.no_model else "pubpipe")
        seconds = pubpipe_stages(folder, ours, model=not args.no_model)
        base = args.work / form / "everything"
        everything(folder, base)
        for who, out, s in (("pubpipe" + (" (rules only)" if args.no_model else ""), ours, seconds),
                            ("publishing everything", base, None)):
            figures = score(out / "anthology.json", form)
            took = (f"  (clean {s['clean']:.1f} s, structure {s['structure']:.1f} s; CPU {s['clean_cpu']:.1f} s, "
                    f"{s['structure_cpu']:.1f} s)") if s else ""
            print(f"{form:>7} {who:<26} {figures['line']}{took}")
            rows.append((form, who, figures, s))
    if args.append:
        from results import append, machine
        table = [f"\n### Text sources through pubpipe's stages — {date.today().isoformat()}\n",
                 f"{machine()} · shipped model, trained on these pages (see the cross-validated figures)"
                 + (f" · {args.note}" if args.note else "") + "\n\n",
                 "| form | what | P | R | F1 | one story | headline as title | files split right | clean + structure: CPU s (wall s) |\n",
                 "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"]
        for form, who, f, s in rows:
            took = f"{s['clean_cpu'] + s['structure_cpu']:.1f} ({s['clean'] + s['structure']:.1f})" if s else ""
            table.append(f"| {form} | {who} | {f['P']} | {f['R']} | {f['F1']} | {f.get('one-story', '')} | "
                         f"{f.get('title', '')} | {f.get('split-ok', '')} | {took} |\n")
        append("".join(table))


if __name__ == "__main__":
    main()
