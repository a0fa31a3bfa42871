#!/usr/bin/env bash
# Rebuilds assets/fonts/NotoSansSC-GB2312.otf: Noto Sans CJK SC (OFL 1.1, Debian's
# fonts-noto-cjk, face 2 of the collection) cut down to ASCII, common punctuation, the symbols
# terminals print and the GB2312 character set, so Chinese renders on machines with no CJK
# font installed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh fonts-noto-cjk fonts-dejavu-core python3-pip
python3 -c 'import fontTools' 2>/dev/null || python3 -m pip install --quiet fonttools
src=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
chars=$(mktemp)
python3 - "$chars" <<'PY'
import sys
out = set(chr(c) for c in range(0x20, 0x7f))
out.update("…–—‘’“”•·×÷→←↑↓√∞≤≥≠±°§©®™€£¥")
# What shell prompts, terminals and tutorials print around a session: arrows (⇒), box
# drawing, blocks, shapes, symbols and dingbats (✓), as far as the font has them.
for lo, hi in [(0x2190, 0x21FF), (0x2500, 0x259F), (0x25A0, 0x26FF), (0x2700, 0x27BF)]:
    out.update(chr(c) for c in range(lo, hi + 1))
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
# The terminal symbols Noto lacks (➜ and ❯ of zsh prompts, most dingbats), from DejaVu Sans
# (Bitstream Vera license, assets/fonts/DejaVu-LICENSE.txt), as a second fallback.
python3 -m fontTools.subset /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
  --unicodes=2190-21FF,2500-27BF --layout-features='' --no-hinting \
  --output-file=assets/fonts/DejaVuSans-Symbols.ttf
ls -l assets/fonts/DejaVuSans-Symbols.ttf
