"""The recovery steps of the build, as plain functions: clean and structure — the model recovered
from what `pubpipe.read.intake` read (`pubpipe.pipeline.recover` runs both).

Each step takes and returns plain values (the ingested sources, the model), so it can be called and
tested without Prefect (the flow runs each as its task).
"""

from pubpipe.anthology import build_anthology
from pubpipe.clean import clean_all
from pubpipe.config import Config
from pubpipe.errors import NothingToPublish
from pubpipe.model import Anthology
from pubpipe.read.intake import Ingested


def clean(ingested: Ingested, config: Config) -> list:
    """Run the cleaning registry over every source, then the learned line model over text sources
    that are a web page's text (pubpipe.recover.apply: it drops furniture and tags what it keeps)."""
    from pubpipe.recover.apply import recover  # issue 16: the line model (loads LightGBM only here)
    cleaned = clean_all(list(ingested.sources), config.residue, config.keep)
    return recover(list(ingested.sources), cleaned, keep=config.keep)


def structure(cleaned: list, ingested: Ingested, config: Config) -> Anthology:
    """Recover the stories; raise NothingToPublish when there are none."""
    # what ingest left out of saved pages (pubpipe.read.webpage), then what cleaning dropped
    removed = tuple(r for s in ingested.sources for r in s.removed) + tuple(r for c in cleaned for r in c.removed)
    facts = tuple({"file": s.file, "encoding": s.encoding, "repairs": list(s.repairs), "kind": s.kind,
                   "lines": max((l.number for l in s.lines), default=0)} for s in ingested.sources)
    anthology = build_anthology(cleaned, config, removed, list(ingested.problems), facts)
    if not anthology.stories:
        reasons = "; ".join(f"{p.file}: {p.message}" for p in ingested.problems) or "no source files"
        raise NothingToPublish(f"no publishable story in the sources ({reasons})")
    return anthology
