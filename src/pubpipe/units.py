"""Quantities written for people: one form in the report, the web pages and the terminal."""


def human_size(size_bytes: int) -> str:
    """A file size for readers, in decimal units: ``812 bytes``, ``45 KB``, ``1.2 MB``."""
    if size_bytes < 1000:
        return f"{size_bytes} byte{'' if size_bytes == 1 else 's'}"
    value = float(size_bytes)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1000
        if value < 999.95 or unit == "TB":
            break
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
