#!/usr/bin/env bash
# Refresh the interface translations (Russian, Kazakh; English is the source language):
#   1. extract every marked string from archive/**.py and templates/**.html into translations/messages.pot,
#   2. merge new/changed strings into translations/{ru,kk}/LC_MESSAGES/messages.po,
#   3. compile the .po files into the .mo files the app loads,
#   4. exit non-zero, listing them, if any message is untranslated or fuzzy (needs a translator's eye).
# After adding or changing a _("...") string: run this, translate what it lists in both .po files
# (msgstr; for ngettext strings all msgstr[N] forms), and run it again until it exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL=.venv/bin/pybabel
PYTHON=.venv/bin/python
[ -x "$PYBABEL" ] || PYBABEL=pybabel
[ -x "$PYTHON" ] || PYTHON=python3
LOCALES="ru kk"

"$PYBABEL" extract -F babel.cfg -k _l -k N_ -k Message -k UploadError -k OCR_MISSING_MESSAGE -o translations/messages.pot \
  --add-comments=TRANSLATORS: --sort-by-file \
  --project="Kelisim Archive" --copyright-holder="Kelisim Archive" .

for loc in $LOCALES; do
  po="translations/$loc/LC_MESSAGES/messages.po"
  if [ -f "$po" ]; then
    "$PYBABEL" update -i translations/messages.pot -d translations -l "$loc"
  else
    "$PYBABEL" init -i translations/messages.pot -d translations -l "$loc"
  fi
done

"$PYBABEL" compile -d translations --statistics

# List what still needs a translator: empty msgstr (any plural form), fuzzy entries, placeholder errors.
"$PYTHON" - $LOCALES <<'PY'
import sys
from babel.messages.pofile import read_po

missing = 0
for loc in sys.argv[1:]:
    path = f"translations/{loc}/LC_MESSAGES/messages.po"
    with open(path, "rb") as f:
        catalog = read_po(f, locale=loc)
    if catalog.fuzzy:
        print(f"{path}: the catalog header is marked fuzzy; remove 'fuzzy' from its first comment")
        missing += 1
    for msg in catalog:
        if not msg.id:
            continue
        strings = msg.string if isinstance(msg.string, (list, tuple)) else [msg.string]
        problem = None
        if not all(s and s.strip() for s in strings):
            problem = "untranslated"
        elif msg.fuzzy:
            problem = "fuzzy (check the translation, then delete the '#, fuzzy' line)"
        if problem:
            msgid = msg.id[0] if isinstance(msg.id, (list, tuple)) else msg.id
            where = ", ".join(f"{fn}:{ln}" for fn, ln in msg.locations[:3])
            print(f"{path}:{msg.lineno}: {problem}: {msgid!r}  ({where})")
            missing += 1
    for msg, errors in catalog.check():
        for err in errors:
            print(f"{path}:{msg.lineno}: {err}: {msg.id!r}")
            missing += 1
if missing:
    print(f"{missing} message(s) need translation; edit the .po files above and run scripts/i18n.sh again.")
    sys.exit(1)
print("All messages are translated.")
PY
