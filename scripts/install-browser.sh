#!/usr/bin/env bash
# The system Chromium and CJK fonts for the dashboard's browser tests (tests/dashboard/).
# Debian packages, not Playwright's download: the tests launch /usr/bin/chromium.
# Idempotent: does nothing when both packages are already installed.
set -euo pipefail
if [ -x /usr/bin/chromium ] && dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  echo "chromium and CJK fonts already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-noto-cjk
