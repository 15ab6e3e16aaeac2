"""The recovery steps of the build, as plain functions: clean and structure — the model recovered
from what `pubpipe.read.intake` read (`pubpipe.pipeline.recover` runs both).

Each step takes and returns plain values (the ingested sources, the model), so it can be called and
tested without Prefect (the flow runs each as its task). In a build, both run in the build's recovery
process (`pubpipe.orchestrate.processes.in_recovery`: what they hold while they work is given back
when it ends); called elsewhere, here.
"""

from dataclasses import replace

from pubpipe.recover.anthology import build_anthology
from pubpipe.recover.clean import clean_source, shared_context
from pubpipe.config import Config
from pubpipe.errors import NothingToPublish
from pubpipe.model import Anthology
from pubpipe.orchestrate.processes import in_recovery, on_both_cores
from pubpipe.read.intake import Ingested


def prepare() -> None:
    """What the recovery process loads as it starts (`processes.start_recovery_process`), while the
    build does other things: the line model (LightGBM with it) and the stop lists."""
    from pubpipe.recover import apply
    from pubpipe.recover.stopwords import _lists as stoplists
    apply.shipped()
    stoplists()


def clean(ingested: Ingested, config: Config) -> list:
    """`_clean`, in the build's recovery process if it has one (`processes.in_recovery`); there,
    the result worked out `ahead` if it was."""
    return in_recovery("recovering the stories", _clean_or_ahead, ingested, config)


def structure(cleaned: list, ingested: Ingested, config: Config) -> Anthology:
    """`_structure`, in the build's recovery process if it has one (`processes.in_recovery`); there,
    the result worked out `ahead` if it was."""
    return in_recovery("recovering the stories", _structure_or_ahead, cleaned, ingested, config)


_AHEAD: dict = {}
"""Results `ahead` worked out in this process, by `_key` of their step and inputs (each taken once)."""


def _key(step: str, *inputs) -> str:
    """The step and the digests of its inputs (`pubpipe.cache.digest`, as the flow's task cache keys
    them: equal digests, equal results) under this build's SOURCE_DATE_EPOCH."""
    from pubpipe import cache, dates
    return "|".join([step, dates.epoch_text(), *(cache.digest(value) for value in inputs)])


def ahead(sources: str, config: str | None) -> tuple | None:
    """Recover the stories of the folder ``sources`` (with ``config``, anthology.toml or None) as the
    build's flow will — the same steps, the same inputs read from the same files — and keep the
    results for its `clean` and `structure` (issue 19): `pubpipe build` asks the recovery process
    for this as it starts, and the stories are recovered while it imports Prefect (about 2 s on the
    other core). Should a file change meanwhile, the flow's inputs differ and it recovers them
    itself; anything that goes wrong here is left for the flow to meet (None is returned).

    Returns (the anthology, whether its stories open on rectos): what `pubpipe build` lays out
    ahead of the flow too (`pubpipe.render.pdf.reading.lay_out_ahead`)."""
    from pubpipe.read import intake
    try:
        settings = intake.load_settings(sources, config)
        ingested = intake.ingest(intake.snapshot(sources, settings), settings)
        cleaned = _clean(ingested, settings)
        _AHEAD.clear()
        _AHEAD[_key("clean", ingested, settings)] = cleaned
        anthology = _structure(cleaned, ingested, settings)
        _AHEAD[_key("structure", cleaned, ingested, settings)] = anthology
        return anthology, settings.stories_open == "recto"
    except Exception:  # (a bad anthology.toml, an unreadable file: the flow says so)
        _AHEAD.clear()
        return None


def _or_ahead(step: str, work, *inputs):
    """What `ahead` worked out for ``step`` of these ``inputs`` (taken: once), else ``work(*inputs)``."""
    if _AHEAD:
        found = _AHEAD.pop(_key(step, *inputs), None)
        if found is not None:
            return found
    return work(*inputs)


def _clean_or_ahead(ingested: Ingested, config: Config) -> list:
    return _or_ahead("clean", _clean, ingested, config)


def _structure_or_ahead(cleaned: list, ingested: Ingested, config: Config) -> Anthology:
    return _or_ahead("structure", _structure, cleaned, ingested, config)


def _clean(ingested: Ingested, config: Config) -> list:
    """Let the learned line model choose each saved page's reading (pubpipe.recover.pages: one of
    trafilatura's two, trimmed at the article's edges; a CleanSource's `reading` when it is not
    ingest's), run the cleaning registry over every source, then the line model over text sources
    that are a web page's text (pubpipe.recover.apply: it drops furniture and tags what it keeps).

    The work of each source — its cleaning, the model's features of its lines — is independent of
    the others' once what they share is known (the lines repeated across sources): it is done on
    both cores (`processes.on_both_cores`; the same results as one after the other)."""
    from pubpipe.recover import apply  # issue 16: the line model (loads LightGBM only here)
    from pubpipe.recover import features as F
    from pubpipe.recover.stopwords import _lists as stoplists  # read once a process (cached)
    from pubpipe.recover import pages
    model = apply.shipped()
    # saved pages: the reading of trafilatura's two the model prefers, trimmed at its edges
    # (pubpipe.recover.pages); in this process: a forked helper must not predict
    sources = pages.choose(list(ingested.sources), model, config.keep)
    ctx = shared_context(sources, config.residue, config.keep)
    texts = apply.text_lines(sources) if model is not None else {}
    repeated = F.repeated_across(list(texts.values())) if texts else None

    def one(src):
        lines = texts.get(src.file)
        return clean_source(src, ctx), (F.features(lines, repeated) if lines is not None else None)

    done = on_both_cores("recovering the stories", one, sources, [len(s.lines) for s in sources],
                         prepare=stoplists if texts else None)  # the stop lists read once, before the fork
    cleaned = [replace(c, reading=src) if pages.changed(src, before) else c
               for (c, _), src, before in zip(done, sources, ingested.sources)]
    if model is None:
        return cleaned
    features = {src.file: f for src, (_, f) in zip(sources, done) if src.file in texts}
    return apply.recover(sources, cleaned, model, keep=config.keep, features=features, repeated=repeated)


def _structure(cleaned: list, ingested: Ingested, config: Config) -> Anthology:
    """Recover the stories; raise NothingToPublish when there are none."""
    # what ingest left out of saved pages (pubpipe.read.webpage; the reading recovery chose, where it
    # chose another: pubpipe.recover.pages), then what cleaning dropped
    readings = {c.file: c.reading for c in cleaned if c.reading is not None}
    sources = [readings.get(s.file, s) for s in ingested.sources]
    removed = tuple(r for s in sources for r in s.removed) + tuple(r for c in cleaned for r in c.removed)
    facts = tuple({"file": s.file, "encoding": s.encoding, "repairs": list(s.repairs), "kind": s.kind,
                   "lines": max((l.number for l in s.lines), default=0),
                   **{k: v for k, v in (("url", s.url), ("site", s.site)) if v}}  # a saved page's origin
                  for s in sources)
    anthology = build_anthology(cleaned, config, removed, list(ingested.problems), facts)
    if not anthology.stories:
        reasons = "; ".join(f"{p.file}: {p.message}" for p in ingested.problems) or "no source files"
        raise NothingToPublish(f"no publishable story in the sources ({reasons})")
    return anthology
