"""The Jinja templates: one HTML source of a story, shared by every renderer (PDF, EPUB, web).

Templates and stylesheets live in ``styles/``; each target adds its own stylesheet.
Autoescape is on everywhere: everything that comes from a source is text.
"""

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jinja2
import markupsafe

from pubpipe import inline


def styles_dir() -> Path:
    """The folder holding templates, stylesheets and images."""
    return Path(str(files("pubpipe.styles")))


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja environment every renderer uses (autoescape on, strict undefined)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(styles_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["rich"] = rich
    env.filters["rich_paragraphs"] = rich_paragraphs
    env.filters["rich_stanzas"] = rich_stanzas
    from pubpipe.render import labels as labels  # one label text per element, shared by every renderer (styles/labels.html.j2)
    env.globals["labels"] = labels
    return env


def rich(text: str, spans: tuple = ()) -> markupsafe.Markup:
    """A block's text for a template: escaped as autoescape would, with its emphasis as <em>/<strong>."""
    return markupsafe.Markup(inline.to_html(text, spans, escape=markupsafe.escape))


def rich_paragraphs(text: str, spans: tuple = ()) -> list:
    """`rich` of each paragraph of a quotation (paragraphs separated by a blank line)."""
    return [rich(para, own) for para, own in inline.paragraphs(text, spans)]


def rich_stanzas(text: str, spans: tuple = ()) -> list:
    """A set-apart block's groups of lines (separated by a blank line), each a list of `rich` lines."""
    return [[rich(line, own) for line, own in inline.paragraphs(group, spans_of, "\n")]
            for group, spans_of in inline.paragraphs(text, spans)]


def compile_all() -> None:
    """Compile every template of ``styles/`` now, into the shared environment's cache (the warm build
    process does, for the builds it forks: `pubpipe.orchestrate.warm.PREPARED`). Jinja checks a
    cached template's file before each use: one edited since is compiled again."""
    env = environment()
    for name in env.list_templates(extensions=["j2"]):
        env.get_template(name)


def render_template(template: str, **context) -> str:
    """Render one template of ``styles/`` with the shared environment."""
    return environment().get_template(template).render(**context)
