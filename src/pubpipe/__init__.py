"""pubpipe: raw article text in, a PDF booklet, an EPUB anthology and web snippets out."""

__version__ = "0.1.0"
