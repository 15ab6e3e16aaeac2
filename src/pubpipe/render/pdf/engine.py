"""What a layout process lays the book out with — WeasyPrint and pubpipe's layer over it — imported at
once: the module each layout process imports as it starts (`pubpipe.orchestrate.processes.warm_up`,
``LAYOUT_MODULE``), so that its first layout does not pay for the imports (~0.5 s of CPU).

The build process imports `pubpipe.render.pdf.reading` (the flow's steps) and never this: it lays
nothing out, and WeasyPrint's import was on its start's critical path (issue 19).
"""

import weasyprint  # noqa: F401
import weasyprint.pdf  # noqa: F401 (the writer, which write_pdf imports on first use)

from pubpipe.render.pdf import fetcher, fontcache, layoutspeed, reading, relayout, tags  # noqa: F401
