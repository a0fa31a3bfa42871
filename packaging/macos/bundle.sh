#!/usr/bin/env bash
# Wraps target/release/mailtutor in mailtutor.app (with the icon) and zips it as
# target/mailtutor-macos.zip. Runs on macOS (iconutil, ditto), after `cargo build --release`.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
app=target/mailtutor.app
rm -rf "$app" target/mailtutor.iconset
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources" target/mailtutor.iconset
cp target/release/mailtutor "$app/Contents/MacOS/"
sed "s/VERSION/$version/g" packaging/macos/Info.plist >"$app/Contents/Info.plist"
for size in 16 32 128 256 512; do
    cp "assets/icon/mailtutor-$size.png" "target/mailtutor.iconset/icon_${size}x${size}.png"
done
for size in 16 32 128 256; do
    cp "assets/icon/mailtutor-$((size * 2)).png" "target/mailtutor.iconset/icon_${size}x${size}@2x.png"
done
iconutil -c icns target/mailtutor.iconset -o "$app/Contents/Resources/mailtutor.icns"
ditto -c -k --keepParent "$app" target/mailtutor-macos.zip
echo "built target/mailtutor-macos.zip"
