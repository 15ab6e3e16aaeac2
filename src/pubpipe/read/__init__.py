"""Reading sources: every file of the sources folder to numbered lines (text, saved pages, Word)."""
