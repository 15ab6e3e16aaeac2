#!/usr/bin/env bash
# One-time (and idempotent) set-up on a Debian/Ubuntu machine: system packages, then a virtualenv
# in .venv with pubpipe installed. `./setup.sh --test` also installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")"

# poppler-utils: pdfinfo/pdffonts/pdftotext for PDF checks; libharfbuzz-subset0: fast font
# subsetting in WeasyPrint; fonts-noto-cjk: Korean and other CJK text; fonts-noto-color-emoji: emoji
# (WeasyPrint embeds its colour bitmaps); fonts-noto-core: symbols (Noto Sans Symbols, Symbols2) and
# most other scripts (Devanagari, Thai, Arabic…); fontconfig: fc-list, which tells pubpipe which
# characters the fonts can show; pango: WeasyPrint's layout.
packages=(poppler-utils libharfbuzz-subset0 fonts-noto-cjk fonts-noto-color-emoji fonts-noto-core fontconfig
          libpango-1.0-0 libpangoft2-1.0-0)
command -v java >/dev/null || packages+=(default-jre-headless)   # EPUBCheck runs on Java
if [[ "${1:-}" == "--test" ]]; then
  # pandoc: the EPUB round trip reads the EPUB with a program nobody here wrote; chromium: DAISY Ace
  # and the web screenshots; nodejs/npm: Ace and the Nu HTML Checker come from the npm registry.
  packages+=(pandoc chromium)
  command -v npm >/dev/null || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv  # re-making an existing one re-runs ensurepip (seconds)
# constraints.txt: the exact versions the tests ran with (see DEVELOPERS.md); it only constrains,
# so a dependency it does not list yet is resolved as usual.
# A re-run skips pip (30 s even with nothing to do) when .venv already holds this checkout's
# editable pubpipe installed from the same pyproject.toml and constraints.txt (and [test] when asked).
extra=""; [[ "${1:-}" == "--test" ]] && extra="[test]"
stamp=.venv/.pubpipe-setup
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1) $PWD"
here=$(.venv/bin/python -c 'import importlib.util as u, pathlib; print(pathlib.Path(u.find_spec("pubpipe").origin).resolve().parents[2])' 2>/dev/null || true)
if [[ -f $stamp && "$here" == "$PWD" ]] && { grep -qxF "$want [test]" "$stamp" || grep -qxF "$want $extra" "$stamp"; }; then
  echo "setup.sh: .venv is up to date (pyproject.toml and constraints.txt unchanged since it was installed)"
else
  .venv/bin/python -m pip install -q -e ".$extra" -c constraints.txt
  echo "$want $extra" > "$stamp"
fi

if [[ "${1:-}" == "--test" ]]; then
  # DAISY Ace and vnu-jar, pinned by package-lock.json; --ignore-scripts: puppeteer must not try to
  # download a browser (Ace uses Debian's chromium through PUPPETEER_EXECUTABLE_PATH).
  if [[ -L node_modules ]]; then
    # A link to another checkout's node_modules (a git worktree): npm ci would empty that folder.
    echo "setup.sh: node_modules is a link to $(readlink node_modules); leaving it as it is"
  elif [[ -x node_modules/.bin/ace-puppeteer && -f node_modules/.pubpipe-lock ]] &&
       cmp -s package-lock.json node_modules/.pubpipe-lock; then
    echo "setup.sh: node_modules is up to date (package-lock.json unchanged since npm ci)"
  else
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.pubpipe-lock  # what the next run compares with
  fi
fi
