#!/usr/bin/env bash
# Packages terraform-provider-hybridk8s as the Terraform provider registry
# protocol lays out a release, into dist/ (or --out DIR):
#
#   terraform-provider-hybridk8s_<V>_<os>_<arch>.zip   one file, terraform-provider-hybridk8s_v<V> (0755)
#   terraform-provider-hybridk8s_<V>_manifest.json     {"version":1,"metadata":{"protocol_versions":["5.0"]}}
#   terraform-provider-hybridk8s_<V>_SHA256SUMS        sha256sum lines over every zip of <V> in the folder and the manifest
#
# V is the crate's version. By default the release binary is built with
# cargo-zigbuild against glibc 2.28 (x86_64-unknown-linux-gnu.2.28), so it
# runs on RHEL 8, Ubuntu 20.04 and newer; zig (PyPI `ziglang`) and
# cargo-zigbuild (PyPI `cargo-zigbuild`) are installed into target/tools/zig,
# nothing onto the machine. The packaging fails if the binary needs a newer
# glibc than that.
#
#   --binary PATH     package this already-built binary as it is (its glibc
#                     needs are printed; checked only with --max-glibc);
#                     a binary the script builds is packaged without debug info
#   --native          build with plain `cargo build --release` for the host's
#                     glibc (printed; checked only with --max-glibc)
#   --max-glibc X.Y   fail if the binary needs a glibc newer than X.Y
#   --out DIR         write there instead of dist/
set -euo pipefail
CALLER="$PWD"
cd "$(dirname "$0")/.."
ROOT="$PWD"

NAME=terraform-provider-hybridk8s
GLIBC_FLOOR=2.28
ZIGLANG_VERSION=0.17.1
CARGO_ZIGBUILD_VERSION=0.24.1

die() { echo "package.sh: error: $*" >&2; exit 1; }
say() { echo "package.sh: $*" >&2; }

binary=""
strip=1
native=0
max_glibc=""
out="$ROOT/dist"
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || die "--binary needs a path"; binary="$2"; shift 2 ;;
    --native) native=1; shift ;;
    --max-glibc) [ $# -ge 2 ] || die "--max-glibc needs a version such as 2.28"; max_glibc="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a folder"; out="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument \`$1\` (see --help)" ;;
  esac
done
[ -z "$binary" ] || [ "$native" = 0 ] || die "--binary and --native exclude each other"
# Paths given are the caller's.
case "$binary" in ""|/*) ;; *) binary="$CALLER/$binary" ;; esac
case "$out" in /*) ;; *) out="$CALLER/$out" ;; esac
[ -z "$max_glibc" ] || [[ "$max_glibc" =~ ^[0-9]+\.[0-9]+$ ]] || die "--max-glibc wants X.Y, not \`$max_glibc\`"

version="$(cargo metadata --no-deps --format-version 1 --manifest-path "$ROOT/Cargo.toml" \
  | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "hybridk8s"))')"
[ -n "$version" ] || die "no version in Cargo.toml"

host="$(rustc -vV | sed -n 's/^host: //p')"
case "$host" in
  x86_64-*) arch=amd64 ;;
  aarch64-*) arch=arm64 ;;
  *) die "no Terraform arch name for $host" ;;
esac
case "$host" in
  *-linux-*) os=linux ;;
  *) die "only Linux builds are packaged (host $host)" ;;
esac

# The GLIBC_x.y versions the ELF file needs (its version references),
# highest last; empty for none (a static binary).
glibc_needs() {
  local symbols
  symbols="$(readelf -V -W "$1")" || die "readelf cannot read $1 (not an ELF file?)"
  { grep -o 'GLIBC_[0-9][0-9.]*' <<<"$symbols" || true; } | sed 's/^GLIBC_//' | sort -u -V
}
command -v readelf >/dev/null || die "readelf (binutils) is needed to read which glibc the binary needs"

if [ -n "$binary" ]; then
  [ -f "$binary" ] || die "no binary at $binary"
  strip=0
elif [ "$native" = 1 ]; then
  say "building $NAME $version natively (cargo build --release): it needs the build host's glibc"
  cargo build --locked --release --bin "$NAME"
  binary="$ROOT/target/release/$NAME"
else
  ZIG="$ROOT/target/tools/zig"
  installed="$ZIG/installed-ziglang-$ZIGLANG_VERSION-cargo-zigbuild-$CARGO_ZIGBUILD_VERSION"
  if [ ! -f "$installed" ]; then
    say "installing ziglang $ZIGLANG_VERSION and cargo-zigbuild $CARGO_ZIGBUILD_VERSION (PyPI) into $ZIG"
    rm -rf "$ZIG"
    python3 -m venv "$ZIG" >&2
    "$ZIG/bin/python" -m pip install -q --disable-pip-version-check \
      "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" >&2 \
      || die "could not install zig into $ZIG; \`--native\` builds for this host's glibc instead"
    touch "$installed"
  fi
  triple="${host}.${GLIBC_FLOOR}"
  say "building $NAME $version for glibc $GLIBC_FLOOR (cargo zigbuild --release --target $triple)"
  # cargo-zigbuild finds zig through the venv's `python3 -m ziglang`.
  PATH="$ZIG/bin:$PATH" cargo zigbuild --locked --release --target "$triple" --bin "$NAME"
  binary="$ROOT/target/$host/release/$NAME"
  max_glibc="${max_glibc:-$GLIBC_FLOOR}"
fi

needs="$(glibc_needs "$binary" | tail -1)"
if [ -n "$needs" ]; then
  say "$binary needs glibc >= $needs ($os/$arch)"
  if [ -n "$max_glibc" ] && [ "$(printf '%s\n%s\n' "$needs" "$max_glibc" | sort -V | tail -1)" != "$max_glibc" ]; then
    die "$binary needs glibc $needs, newer than $max_glibc: it would not run on the oldest supported systems"
  fi
else
  say "$binary needs no glibc symbol versions"
fi

mkdir -p "$out"
tmp="$(mktemp -d "$out/.package.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# A build ships without its line tables (about six times smaller; the
# symbols stay, so a backtrace still names functions).
if [ "$strip" = 1 ]; then
  objcopy --strip-debug "$binary" "$tmp/stripped" || die "objcopy cannot strip $binary"
  say "stripped debug info: $(stat -c %s "$binary") -> $(stat -c %s "$tmp/stripped") bytes"
  binary="$tmp/stripped"
fi

prefix="${NAME}_${version}"
zip="${prefix}_${os}_${arch}.zip"
manifest="${prefix}_manifest.json"
sums="${prefix}_SHA256SUMS"

# One member, mode 0755, fixed timestamp: the same binary gives the same zip.
python3 - "$binary" "${NAME}_v${version}" "$tmp/$zip" <<'EOF'
import sys, zipfile
src, member, dst = sys.argv[1:]
info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
info.create_system = 3  # Unix: external_attr carries the mode
info.external_attr = (0o100755 << 16)
info.compress_type = zipfile.ZIP_DEFLATED
with open(src, "rb") as f, zipfile.ZipFile(dst, "w") as z:
    z.writestr(info, f.read(), compresslevel=9)
EOF
printf '%s' '{"version":1,"metadata":{"protocol_versions":["5.0"]}}' > "$tmp/$manifest"
mv -f "$tmp/$zip" "$out/$zip"
mv -f "$tmp/$manifest" "$out/$manifest"

# Every platform's zip of this version packaged here so far, and the manifest.
(cd "$out" && sha256sum "${prefix}"_*.zip "$manifest") > "$tmp/$sums"
mv -f "$tmp/$sums" "$out/$sums"

say "wrote $out/$zip, $manifest, $sums"
