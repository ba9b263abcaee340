#!/bin/sh
# Side by side with peers: Phòng họp không giấy, Hocuspocus and pycrdt-websocket
# under the same neutral Yjs load generator. See load/README.md.
#   load/peers/run.sh [--servers phonghop,hocuspocus,pycrdt] [--scenarios 1,2,3,4]
#                     [--duration 25] [--json var/peers.json]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py="$root/.venv/bin/python"
[ -x "$py" ] || { echo "no $py: run 'make test-deps' first" >&2; exit 1; }
# The generator and the Hocuspocus server: locked npm packages.
if [ ! -d "$here/node_modules/yjs" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
# pycrdt-websocket in a venv of its own, so its pycrdt never meets the server's.
if [ ! -x "$here/.venv/bin/python" ]; then
  "$py" -c 'import sys; print(sys.base_prefix)' >/dev/null
  "$("$py" -c 'import sys; print(sys.base_prefix)')/bin/python3" -m venv "$here/.venv"
  "$here/.venv/bin/pip" install --quiet -r "$here/requirements-pycrdt.txt"
fi
exec "$py" "$here/run.py" "$@"
