#!/usr/bin/env bash
# Install the Debian/Ubuntu packages HAFS Studio needs, if any are missing.
#   scripts/system-deps.sh run    what the studio window needs (Qt's xcb platform, fonts, EGL)
#   scripts/system-deps.sh test   the above plus what the test suite starts for real
# Uses apt-get as root, or sudo when available; otherwise prints the command to run and fails.
set -euo pipefail

profile="${1:-run}"
build=(python3-venv python3-dev g++ cmake)
run=(libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
     libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
     libxcb-randr0 libxcb-render-util0 libxcb-image0 fonts-dejavu-core)
test_only=(openssh-server openssh-client ripgrep)

packages=("${build[@]}" "${run[@]}")
if [[ "$profile" == "test" ]]; then
  packages+=("${test_only[@]}")
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; make sure these are installed: ${packages[*]}" >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "system-deps: please install: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
