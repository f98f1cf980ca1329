#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests when it is missing. Playwright's own browser
# download needs the internet beyond package registries, so we use the distribution's build.
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  "$CHROMIUM" --version
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: Chromium is not at $CHROMIUM and apt-get is not available." >&2
  echo "Install Chromium (or Chrome) and set CHROMIUM=/path/to/binary." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "Installing Debian's chromium package (needed by the browser tests)..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
"$CHROMIUM" --version
