#!/usr/bin/env bash
# Rebuilds assets/fonts/NotoSansSC-GB2312.otf: Noto Sans CJK SC (OFL 1.1, Debian's
# fonts-noto-cjk, face 2 of the collection) cut down to ASCII, common punctuation and the
# GB2312 character set, so Chinese renders on machines with no CJK font installed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh fonts-noto-cjk python3-pip
python3 -c 'import fontTools' 2>/dev/null || python3 -m pip install --quiet fonttools
src=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
chars=$(mktemp)
python3 - "$chars" <<'PY'
import sys
out = set(chr(c) for c in range(0x20, 0x7f))
out.update("…–—‘’“”•·×÷→←↑↓√∞≤≥≠±°§©®™€£¥")
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            out.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
open(sys.argv[1], "w", encoding="utf-8").write("".join(sorted(out)))
PY
python3 -m fontTools.subset "$src" --font-number=2 --text-file="$chars" \
  --layout-features='*' --no-hinting --desubroutinize \
  --output-file=assets/fonts/NotoSansSC-GB2312.otf
rm -f "$chars"
ls -l assets/fonts/NotoSansSC-GB2312.otf
