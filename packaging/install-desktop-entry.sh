#!/usr/bin/env bash
# Put Segan Studio into the desktop's application menu (for the current user), pointing at this bundle
# folder wherever it was unpacked:
#   bash install-desktop-entry.sh           # run from anywhere; it finds the bundle beside itself
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$apps" "$icons"
cp "$here/segan-studio.png" "$icons/segan-studio.png"
sed "s|^Exec=segan-studio|Exec=\"$here/segan-studio\"|" "$here/segan-studio.desktop" > "$apps/segan-studio.desktop.tmp"
mv "$apps/segan-studio.desktop.tmp" "$apps/segan-studio.desktop"
echo "installed $apps/segan-studio.desktop (runs $here/segan-studio)"
