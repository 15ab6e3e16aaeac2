"""Templates, stylesheets and images the renderers use (importable as pubpipe.styles)."""
