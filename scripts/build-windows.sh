#!/usr/bin/env bash
# Cross-builds mailtutor.exe for 64-bit Windows on Debian (no Rust needed on the Windows
# side) and packs mailtutor-windows-x86_64.zip. Debian's rustc-web/cargo-web (a Rust with the
# standard library's source) build std for the target; mingw-w64 links.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 zip)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
target=x86_64-pc-windows-gnu
# Debian's toolchain, not a rustup one that may come first on PATH.
export RUSTC=/usr/bin/rustc
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_DIR=target/windows
/usr/bin/cargo build --release --locked --bin mailtutor \
    -Zbuild-std=std,panic_abort --target "$target"
exe=$CARGO_TARGET_DIR/$target/release/mailtutor.exe
# build.rs only warns when it cannot embed the icon; a release without it is a failed build.
x86_64-w64-mingw32-objdump -h "$exe" | grep -q '\.rsrc' ||
    { echo "mailtutor.exe has no resources (icon): see the build's warnings" >&2; exit 1; }
out=target/mailtutor-windows-x86_64
rm -rf "$out" "$out.zip"
mkdir -p "$out"
cp "$exe" "$out/"
cp packaging/windows/README.txt LICENSE-MIT LICENSE-APACHE assets/fonts/OFL.txt assets/fonts/DejaVu-LICENSE.txt "$out/"
# Windows readers expect CRLF in a text file.
for f in "$out"/*.txt "$out"/LICENSE-*; do sed -i 's/\r*$/\r/' "$f"; done
(cd "$(dirname "$out")" && zip -qr "$(basename "$out").zip" "$(basename "$out")")
echo "built $exe ($(du -h "$exe" | cut -f1)) and $out.zip ($(du -h "$out.zip" | cut -f1))"
