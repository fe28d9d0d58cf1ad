#!/usr/bin/env bash
# Install everything the archive needs on Debian (run as root): system packages, a virtualenv, Python packages.
# Usage: scripts/setup.sh [--test]   (--test also installs the test tools and Chromium for browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

pkgs=(tesseract-ocr tesseract-ocr-rus tesseract-ocr-kaz poppler-utils hunspell-kk fonts-dejavu-core postgresql-15-rum)
[ "$want_test" = 1 ] && pkgs+=(chromium wrk nodejs)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages (install them as root): ${missing[*]}" >&2
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check --upgrade pip >/dev/null
if [ "$want_test" = 1 ]; then
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-test.txt
  # axe-core for tests/test_a11y.py and Lighthouse for bench/lighthouse.py, inside the (git-ignored) virtualenv.
  node_pkgs=(axe-core@4.14.1 lighthouse@12.8.2)
  installed=1
  for spec in "${node_pkgs[@]}"; do
    grep -qs "\"version\": \"${spec##*@}\"" ".venv/node/node_modules/${spec%@*}/package.json" || installed=0
  done
  if [ "$installed" = 0 ]; then
    # npm comes with some nodejs builds and is a Debian package of its own for others
    if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null || true
    fi
    if command -v npm >/dev/null; then
      npm install --prefix .venv/node --no-audit --no-fund --loglevel=error "${node_pkgs[@]}" >/dev/null \
        || echo "npm install failed: tests/test_a11y.py and bench/lighthouse.py will be skipped" >&2
    else
      echo "npm missing: tests/test_a11y.py and bench/lighthouse.py will be skipped" >&2
    fi
  fi
else
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
fi
echo "Setup done: $(.venv/bin/python --version)"
