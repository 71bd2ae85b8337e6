#!/usr/bin/env bash
# Download the charting library the admin console serves itself (no CDN at run time):
# Chart.js from the npm registry, checked against a pinned SHA-512, into bot/web/static/vendor/.
# Fetched code is never committed (vendor/ carries its own .gitignore). Idempotent: an
# existing file of the right version is kept. Usage: bot/web/fetch_static.sh
set -euo pipefail

CHARTJS_VERSION="4.5.1"
# sha512 of chart.js-4.5.1.tgz, as in the registry's "integrity" field (hex here).
CHARTJS_SHA512="1888df893f5d6e61d18988ba365db2142abb924c1d929d56fe5a7627df6b5f4ca8f6d8091a7de5290013ced2236f9b55b5ebdc06d21d202356aa5ab9f84f3f3f"

VENDOR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/static/vendor"
TARGET="$VENDOR/chart.umd.js"
STAMP="$VENDOR/chart.js.version"

mkdir -p "$VENDOR"
printf '*\n!.gitignore\n' > "$VENDOR/.gitignore"

if [[ -f "$TARGET" && -f "$STAMP" && "$(cat "$STAMP")" == "$CHARTJS_VERSION" ]]; then
  echo "chart.js $CHARTJS_VERSION already in $VENDOR"
  exit 0
fi

command -v npm >/dev/null || { echo "需要 npm 来下载 chart.js（apt-get install npm）" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "chart.js@$CHARTJS_VERSION" >/dev/null)
TARBALL="$WORK/chart.js-$CHARTJS_VERSION.tgz"
ACTUAL="$(sha512sum "$TARBALL" | cut -d' ' -f1)"
if [[ "$ACTUAL" != "$CHARTJS_SHA512" ]]; then
  echo "chart.js $CHARTJS_VERSION: checksum mismatch (got $ACTUAL)" >&2
  exit 1
fi
tar -xzf "$TARBALL" -C "$WORK" package/dist/chart.umd.js package/LICENSE.md
cp "$WORK/package/dist/chart.umd.js" "$TARGET"
cp "$WORK/package/LICENSE.md" "$VENDOR/chart.js.LICENSE.md"
echo "$CHARTJS_VERSION" > "$STAMP"
echo "chart.js $CHARTJS_VERSION → $TARGET"
