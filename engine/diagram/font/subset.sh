#!/bin/sh
# Makes NotoSansSC-diagram.otf, the subset of Noto Sans CJK SC the PNG export draws
# CJK text with: the runes listed in chars.txt (go test ./engine/diagram -run
# TestFontCoversDiagrams -update-font-chars rewrites it), plus ASCII.
# Needs fonttools (apt-get install python3-fonttools; PYTHON names the interpreter
# that has it) and fonts-noto-cjk.
set -eu
cd "$(dirname "$0")"
src=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
# The face of the collection whose name is Noto Sans CJK SC.
n=$("${PYTHON:-python3}" -c 'import sys
from fontTools.ttLib import TTCollection
for i, f in enumerate(TTCollection(sys.argv[1]).fonts):
    if f["name"].getDebugName(1) == "Noto Sans CJK SC": print(i); break' "$src")
"${PYTHON:-python3}" -m fontTools.subset "$src" --font-number="$n" --text-file=chars.txt --text=' ' \
  --layout-features='' --no-hinting --desubroutinize --name-IDs='*' \
  --output-file=NotoSansSC-diagram.otf
