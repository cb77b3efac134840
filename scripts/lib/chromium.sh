#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; its own browser
# download cannot work here). Sourced by scripts/test.

# Installs chromium when it is missing and we are root (apt-get); otherwise says exactly what to
# install. Never fails the caller: the browser tests fail on their own, naming what is missing.
chromium_ensure() {
  [[ -x /usr/bin/chromium ]] && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    printf '[chromium] /usr/bin/chromium is missing; installing Debian'\''s chromium (apt-get)\n' >&2
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 && [[ -x /usr/bin/chromium ]]; then
      printf '[chromium] installed %s\n' "$(/usr/bin/chromium --version 2>/dev/null || echo chromium)" >&2
      return 0
    fi
    printf '[chromium] apt-get install chromium failed; the browser tests will fail\n' >&2
    return 0
  fi
  printf '[chromium] /usr/bin/chromium is missing and this is not root: install it with\n[chromium]   sudo apt-get install -y chromium\n[chromium] (until then the browser tests fail)\n' >&2
  return 0
}
