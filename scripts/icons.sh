#!/usr/bin/env bash
# Renders assets/icon/mailtutor.svg to the PNG sizes desktops ask for (rsvg-convert, from
# Debian's librsvg2-bin), and the PNGs to a Windows .ico (ImageMagick). The results are
# committed; rerun this after changing the SVG.
set -euo pipefail
cd "$(dirname "$0")/../assets/icon"
command -v rsvg-convert >/dev/null || {
    echo "rsvg-convert is missing: apt-get install librsvg2-bin" >&2
    exit 1
}
for size in 16 24 32 48 64 128 256 512; do
    rsvg-convert -w "$size" -h "$size" mailtutor.svg -o "mailtutor-$size.png"
done
ls -l mailtutor-*.png
# The Windows icon (Explorer and the task bar), with the sizes Windows picks from.
convert mailtutor-16.png mailtutor-24.png mailtutor-32.png mailtutor-48.png mailtutor-64.png \
    mailtutor-128.png mailtutor-256.png mailtutor.ico
ls -l mailtutor.ico
