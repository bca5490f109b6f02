#!/usr/bin/env bash
# Installs every Debian package needed to build, test and run dfs. Idempotent; silent when all present.
set -euo pipefail

PACKAGES=(
  # build
  meson ninja-build pkg-config g++ ccache git
  # libraries
  capnproto libcapnp-dev libfuse3-dev librocksdb-dev libzstd-dev libssl-dev
  # tests and coverage
  libgtest-dev libgmock-dev gcovr fio attr acl python3 rsync netcat-openbsd procps coreutils
  # tests/integration/real_programs.sh (git is above)
  tar make gcc diffutils findutils
  # tests/integration/xattr_acl.sh: attr, acl (above), setpriv, setcap
  util-linux libcap2-bin
  # runtime
  fuse3
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root and no sudo" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
       "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: apt-get failed" >&2
  exit 1
fi
echo "install-deps: done" >&2
