#!/usr/bin/env bash
# Rewrite constraints.txt (the exact versions ./setup.sh installs) from .venv: installs pubpipe[test]
# there *without* the old pins, so a dependency added to pyproject.toml is resolved and a pin that
# no longer fits is moved (pip keeps every installed version that still satisfies pyproject.toml),
# then writes name==version for pubpipe's dependencies and theirs, all the way down.
#   ./refresh-constraints.sh             # after adding or changing a dependency in pyproject.toml
#   ./refresh-constraints.sh --upgrade   # the newest versions pyproject.toml allows, everywhere
# Then run the tests with what it wrote (./setup.sh --test && .venv/bin/python -m pytest), check a
# Prefect server's log (DEVELOPERS.md, "constraints.txt") and commit constraints.txt with them.
set -euo pipefail
cd "$(dirname "$0")"
trap 'rm -f constraints.txt.new' EXIT

upgrade=()
[[ "${1:-}" == "--upgrade" ]] && upgrade=(--upgrade --upgrade-strategy eager)
python3 -m venv .venv
.venv/bin/python -m pip install -q ${upgrade[@]+"${upgrade[@]}"} -e ".[test]"
.venv/bin/python -m pip check
.venv/bin/python - > constraints.txt.new <<'PY'
"""Pin every distribution pubpipe[test] needs, transitively, at the version installed here."""
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

SKIP = {"pubpipe", "pip", "setuptools", "wheel"}  # the project itself and the installer's own tools
pins, todo = {}, [("pubpipe", frozenset({"test"}))]
seen = set()
while todo:
    name, extras = todo.pop()
    if (name, extras) in seen:
        continue
    seen.add((name, extras))
    dist = distribution(name)
    if canonicalize_name(name) not in SKIP:
        pins[canonicalize_name(name)] = f"{dist.metadata['Name']}=={dist.version}"
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras | {""}):
            continue
        try:
            distribution(req.name)
        except PackageNotFoundError:
            raise SystemExit(f"{name} needs {req}, which is not installed: run ./setup.sh --test first")
        todo.append((req.name, frozenset(req.extras)))
print("# The exact versions pubpipe's tests ran with; ./setup.sh installs with `pip install -c constraints.txt`.")
print("# Written by ./refresh-constraints.sh (DEVELOPERS.md, \"constraints.txt\"): do not edit by hand.")
for key in sorted(pins):
    print(pins[key])
PY
mv constraints.txt.new constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages; now run ./setup.sh --test && .venv/bin/python -m pytest"
