"""What every benchmark script shares: the machine's description and appending to RESULTS.md."""

import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    """CPU model, cores and memory, for the results' heading."""
    model = platform.processor() or platform.machine()
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model} · {os.cpu_count()} cores · {memory:.0f} GiB"


def append(text: str) -> None:
    """Print a results section and append it to benchmarks/RESULTS.md."""
    print(text)
    with open(RESULTS, "a", encoding="utf-8") as out:
        out.write(text)
