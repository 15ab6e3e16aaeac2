"""The EPUB anthology and its cover."""
