"""The Jinja templates: one HTML source of a story, shared by every renderer (PDF, EPUB, web).

Templates and stylesheets live in ``styles/``; each target adds its own stylesheet.
Autoescape is on everywhere: everything that comes from a source is text.
"""

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jinja2


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
    from . import labels  # one label text per element, shared by every renderer (styles/labels.html.j2)
    env.globals["labels"] = labels
    return env


def render_template(template: str, **context) -> str:
    """Render one template of ``styles/`` with the shared environment."""
    return environment().get_template(template).render(**context)
