"""The web output: readers' pages, snippets, feed, cover and fonts, all through one sanitiser."""
