#!/usr/bin/env bash
# Installs the system packages mailtutor needs to build and run on Debian or Ubuntu.
# Does nothing elsewhere (macOS and Windows need nothing extra) or when all are present.
set -euo pipefail

command -v apt-get >/dev/null 2>&1 || exit 0
command -v dpkg-query >/dev/null 2>&1 || exit 0

packages=(
  # Build: a C compiler and pkg-config for -sys crates; OpenSSL for native-tls;
  # Wayland headers for eframe's winit backend.
  build-essential pkg-config libssl-dev libwayland-dev libxkbcommon-dev
  # Run: X11 and OpenGL libraries that eframe loads at start-up.
  libx11-6 libxcursor1 libxrandr2 libxi6 libgl1 libegl1 libgl1-mesa-dri
  # Tests and screenshots: a virtual display, a clicker, image tools, and real mail clients.
  xvfb xauth x11-utils xdotool imagemagick swaks libnet-ssleay-perl libio-socket-ssl-perl python3 curl isync
  # check-server's test scores aiosmtpd, a second real SMTP server.
  python3-aiosmtpd
  # The durability test watches the practice server's fsyncs.
  strace
  # Captures: tshark reads the saved pcapng files, tcpdump records real clients on loopback.
  tshark tcpdump
)
for extra in "$@"; do packages+=("$extra"); done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "mailtutor: please install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "mailtutor: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
