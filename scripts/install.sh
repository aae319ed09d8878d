#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for Deskpilot: the system packages it needs, then the npm packages.
#   scripts/install.sh          - what the app needs to run
#   scripts/install.sh --test   - plus what the end-to-end tests need (Xvfb desktop, Chromium, xterm, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

runtime_packages=(
  xdotool xclip x11-utils x11-xserver-utils  # input fallbacks, clipboard, display enumeration (xrandr, xwininfo)
  libxtst6 libxinerama1 libpng16-16          # libraries nut-js's native module loads
  imagemagick                                # screenshot-desktop's capture path on X11 (import)
  wmctrl python3                             # OSWorld-style task setup steps
  adb                                         # phones: the adb client the Android backend runs (README "Phones")
)
test_packages=(
  xvfb xauth openbox xterm chromium fonts-dejavu-core fonts-noto-cjk fonts-noto-color-emoji
  xserver-xorg-core xserver-xorg-video-dummy  # a real multi-monitor X server for test/screen/multimonitor.test.ts
  zip unzip git                               # published OSWorld tasks in test/tasks unpack and push repositories
  redis-server openssl                        # the real Redis the queue tests (test/tasks/queue*) start on loopback, plain and TLS
  socat                                       # chrome tasks forward the DevTools port (test/tasks/chrome-tasks.test.ts)
  tmux                                        # the task desktop terminal's text for vm_terminal_output (test/tasks/os-tasks.test.ts)
  libreoffice-calc libreoffice-writer libreoffice-impress  # test/tasks/office: files LibreOffice writes, published office tasks end to end
  gimp vlc thunderbird ffmpeg                 # published GIMP, VLC, Thunderbird tasks end to end (test/tasks/gimp-vlc-tasks.test.ts); ffmpeg: media metrics
)

packages=("${runtime_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then packages+=("${test_packages[@]}"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install.sh: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Electron's binary comes from outside the npm registry. The tests (engine, CLI, browser UI) do not need it, so the
# test set-up skips it; the app set-up downloads it unless ELECTRON_SKIP_BINARY_DOWNLOAD=1 is set.
if [[ "${1:-}" == "--test" ]]; then export ELECTRON_SKIP_BINARY_DOWNLOAD="${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}"; fi
npm ci --no-audit --no-fund
