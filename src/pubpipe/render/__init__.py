"""The renderer protocol: each output is made by one ``render`` function that returns a `Rendered`.

=====================  ==============================================================  ======================  ===============
renderer               entry point                                                     files                   ``info``
=====================  ==============================================================  ======================  ===============
reading edition (PDF)  ``pubpipe.render.pdf.reading.render(anthology, run, recto=…,    ``<slug>.pdf``          ``PdfInfo``
                       layout=…)``
print edition          ``pubpipe.render.pdf.imposition.render(reading, layout=…)``     ``<slug>-print.pdf``    ``ImposeInfo``
EPUB                   ``pubpipe.render.epub.book.render(anthology)``                  ``<slug>.epub``         None
web                    ``pubpipe.render.web.site.render(anthology, downloads,          ``web/index.html``, …   None
                       base_url=…, dask=…, run=…)``
=====================  ==============================================================  ======================  ===============

(``layout``: how and where the PDF is laid out, `pubpipe.render.pdf.reading.Layout`; the defaults are every build's.)

A renderer reads the model (the print edition: the reading edition's bytes) and never writes to
disk: its result can be cached on content, checked, and written — by `write`, the one function
that puts rendered files into a folder. The renderers made of several steps (the PDF's parts,
front matter and folio sheet; the web's site and batches of story pages) call them through a
runner (`pubpipe.orchestrate.runner`): in this process by default, as Prefect tasks — each cached on its own
inputs — in the publish flow.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Rendered:
    """What a renderer made: files, not yet written, and what it learnt making them."""

    files: dict
    """File name (relative to the output folder, ``/``-separated) -> its bytes."""
    info: Any = None
    """What the renderer reported (`pubpipe.render.pdf.parts.PdfInfo`, `pubpipe.render.pdf.imposition.ImposeInfo`), or None."""
    owns: tuple = field(default=())
    """Glob patterns (relative to the output folder) of files only this renderer makes: `write`
    removes those it did not make this time (the page of a story no longer in the anthology)."""

    @property
    def name(self) -> str:
        """The name of the one file of a single-file output (the PDF, the EPUB)."""
        return self._only()[0]

    @property
    def data(self) -> bytes:
        """The bytes of the one file of a single-file output."""
        return self._only()[1]

    def _only(self) -> tuple:
        if len(self.files) != 1:
            raise ValueError(f"a rendered output of {len(self.files)} files has no single name or data")
        return next(iter(self.files.items()))


def write(rendered: Rendered, folder: Path) -> list:
    """Write the rendered files into ``folder`` (folders made as needed); remove the files matching
    its ``owns`` patterns that it did not make. Returns the paths written, in the renderer's order."""
    folder = Path(folder)
    written = []
    for name, data in rendered.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    made = {path.resolve() for path in written}
    for pattern in rendered.owns:
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and path.resolve() not in made:
                path.unlink()
    return written
