#!/usr/bin/env bash
# Starts opsbot. With nothing configured it runs the embedded demo cluster and the local console.
# Installs dependencies and builds when needed; loads ./config.env if present.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1; then
  echo "opsbot: Node.js 20.15 or newer is required (https://nodejs.org)" >&2
  exit 1
fi
# 20.15: zlib.crc32 (chart PNGs)
if [ "$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 20 || (a === 20 && b >= 15) ? 1 : 0')" != 1 ]; then
  echo "opsbot: Node.js 20.15 or newer is required (found $(node --version))" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "opsbot: installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# Rebuild when any source is newer than the build.
if [ ! -f dist/src/main.js ] || [ -n "$(find src commands cards package.json tsconfig.json tsconfig.build.json -newer dist/src/main.js -print -quit 2>/dev/null)" ]; then
  echo "opsbot: building…" >&2
  rm -rf dist
  npx --no-install tsc -p tsconfig.build.json >&2
fi

if [ -f config.env ]; then
  set -a
  # shellcheck disable=SC1091
  . ./config.env
  set +a
fi

exec node --enable-source-maps dist/src/main.js "$@"
