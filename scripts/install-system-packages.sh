#!/usr/bin/env bash
# Debian/Ubuntu packages the tests and the demo need: namespaced SSH test hosts (debootstrap,
# sshd, iproute2), stand-in driver packages (equivs, dpkg-dev, apt-utils), the browser check of
# the HTML report (chromium). Idempotent: installs only what is missing.
set -euo pipefail

packages=(
  debootstrap equivs dpkg-dev apt-utils
  openssh-server openssh-client iproute2 procps psmisc rsync
  chromium chromium-driver fonts-dejavu-core
  git make shellcheck
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install-system-packages: need root to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "install-system-packages: installing ${missing[*]}"
${SUDO:-} apt-get update -qq >/dev/null 2>&1 || ${SUDO:-} apt-get update -qq
DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
