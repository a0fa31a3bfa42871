#!/usr/bin/env bash
# Builds the Debian package with cargo-deb, installs it with apt, and checks the installed
# program: the menu entry and icons are in place, `mailtutor explain` prints, and the window
# opens from /usr/bin under Xvfb and plays a whole send inside STARTTLS (screenshot in DIR).
#   scripts/deb-smoke.sh [DIR]   (default target/deb-smoke)
set -euo pipefail
cd "$(dirname "$0")/.."
shots=$(realpath -m "${1:-target/deb-smoke}")
scripts/setup-debian.sh desktop-file-utils dpkg-dev
command -v cargo-deb >/dev/null || cargo install cargo-deb --version 3.8.0 --locked
cargo deb --locked
deb=$(ls -t target/debian/mailtutor_*.deb | head -n 1)
echo "built $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Depends Recommends

sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --reinstall "$PWD/$deb" >/dev/null

fail() { echo "FAIL: $*" >&2; exit 1; }
for f in /usr/bin/mailtutor /usr/share/applications/mailtutor.desktop \
    /usr/share/icons/hicolor/48x48/apps/mailtutor.png \
    /usr/share/icons/hicolor/scalable/apps/mailtutor.svg; do
    [ -f "$f" ] || fail "the package did not install $f"
done
desktop-file-validate /usr/share/applications/mailtutor.desktop
/usr/bin/mailtutor explain 535 | grep -qF "535  Authentication credentials invalid." ||
    fail "the installed mailtutor does not explain 535"
echo "ok: installed files, menu entry, explain"

mkdir -p "$shots"
work=$(mktemp -d)
display=:93
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
app=
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
export DISPLAY=$display XDG_DATA_HOME=$work XDG_CONFIG_HOME=$work
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
# Started from its installed path, as the menu entry does.
(cd / && exec /usr/bin/mailtutor --demo send-tls) >"$work/window.log" 2>&1 &
app=$!
win=$(timeout 60 xdotool search --sync --onlyvisible --name '^mailtutor$' | head -n 1)
[ -n "$win" ] || fail "the installed window did not open"
xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800
xdotool mousemove 1279 799
for _ in $(seq 300); do grep -q "demo: done" "$work/window.log" && break; sleep 0.1; done
for want in 'demo: done' '*  TLS established' 'S: 235 ' 'S: 250 2.0.0 Ok: queued' 'S: 221 '; do
    grep -qF -- "$want" "$work/window.log" || { cat "$work/window.log" >&2; fail "no '$want'"; }
done
sleep 1
import -window root "$shots/deb-window.png"
echo "ok: the installed window sent a mail inside STARTTLS; screenshot $shots/deb-window.png"

# The dependencies a fresh system needs: a minimal Debian 12 (debootstrap minbase) gets only
# the package and what apt pulls in for it, and its window must open too. Needs root.
if [ "$(id -u)" != 0 ]; then
    echo "SKIPPED: the fresh-Debian check needs root (debootstrap, chroot)"
    exit 0
fi
scripts/setup-debian.sh debootstrap
root=$work/fresh
cleanup_root() {
    for m in tmp/.X11-unix dev proc; do umount "$root/$m" 2>/dev/null || true; done
}
trap 'kill $app $xvfb 2>/dev/null || true; cleanup_root; rm -rf --one-file-system "$work"' EXIT
kill "$app" 2>/dev/null || true
start=$SECONDS
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail "$work/debootstrap.log" >&2; fail "debootstrap"; }
cp "$deb" "$root/tmp/"
echo "deb http://deb.debian.org/debian bookworm main" >"$root/etc/apt/sources.list"
mount --bind /proc "$root/proc"
mount --bind /dev "$root/dev"
mkdir -p "$root/tmp/.X11-unix"
mount --bind /tmp/.X11-unix "$root/tmp/.X11-unix"
chroot "$root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq /tmp/$(basename "$deb")" >"$work/fresh-install.log" 2>&1 ||
    { tail "$work/fresh-install.log" >&2; fail "apt could not install the package on a fresh Debian"; }
echo "fresh Debian 12 with the package: $(chroot "$root" dpkg -l | grep -c '^ii') packages"
chroot "$root" env DISPLAY="$DISPLAY" HOME=/root /usr/bin/mailtutor --demo send-tls \
    >"$work/fresh.log" 2>&1 &
app=$!
for _ in $(seq 300); do grep -q "demo: done" "$work/fresh.log" && break; sleep 0.1; done
for want in 'demo: done' '*  TLS established' 'S: 250 2.0.0 Ok: queued' 'S: 221 '; do
    grep -qF -- "$want" "$work/fresh.log" || { cat "$work/fresh.log" >&2; fail "fresh Debian: no '$want'"; }
done
import -window root "$shots/deb-fresh-window.png"
echo "ok: on a fresh Debian 12 the package installs and its window sends inside STARTTLS ($((SECONDS - start)) s)"
