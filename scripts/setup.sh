#!/usr/bin/env bash
# Install everything the archive needs on Debian (run as root): system packages, a virtualenv, Python packages.
# Usage: scripts/setup.sh [--test]   (--test also installs the test tools and Chromium for browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

pkgs=(tesseract-ocr tesseract-ocr-rus tesseract-ocr-kaz poppler-utils hunspell-kk fonts-dejavu-core postgresql-15-rum)
[ "$want_test" = 1 ] && pkgs+=(chromium wrk)
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
else
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
fi
echo "Setup done: $(.venv/bin/python --version)"
