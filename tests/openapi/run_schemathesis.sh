#!/usr/bin/env bash
# Checks spec/openapi.yaml against a running emulator with schemathesis (PyPI).
#
#   tests/openapi/run_schemathesis.sh [BASE_URL]
#
# With BASE_URL (e.g. http://127.0.0.1:8787) it tests that server, which must run with
# the limits off and fast renders:
#   seedance-emulator --no-limit --no-media-limit --time-scale 1000 --credits 1000000000
# Without it, it builds and starts that emulator itself on a free port (port 0; the URL is
# read from its banner) and stops it afterwards.
#
# schemathesis comes from $SCHEMATHESIS, else `schemathesis` on PATH, else a venv it
# creates in target/schemathesis-venv (pip install schemathesis).
#
# Checks: every schemathesis check except `positive_data_acceptance`: the server refuses
# some schema-valid bodies on purpose, by rules JSON Schema cannot express (4k needs
# tier pro, seed not on channel real, image-to-video needs image_url, public URLs only,
# prompt lint), so "valid per schema" does not mean "accepted".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

ST="${SCHEMATHESIS:-}"
if [[ -z "$ST" ]]; then
  if command -v schemathesis >/dev/null 2>&1; then
    ST="$(command -v schemathesis)"
  else
    VENV="$ROOT/target/schemathesis-venv"
    if [[ ! -x "$VENV/bin/schemathesis" ]]; then
      python3 -m venv "$VENV"
      "$VENV/bin/pip" install --quiet --disable-pip-version-check schemathesis
    fi
    ST="$VENV/bin/schemathesis"
  fi
fi

BASE="${1:-}"
EMU_PID=""
cleanup() { if [[ -n "$EMU_PID" ]]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
if [[ -z "$BASE" ]]; then
  cargo build --quiet -p seedance-emulator
  LOG="$(mktemp)"
  "$ROOT/target/debug/seedance-emulator" --listen 127.0.0.1:0 --cdn-listen 127.0.0.1:0 \
    --no-limit --no-media-limit --time-scale 1000 --credits 1000000000 >"$LOG" &
  EMU_PID=$!
  for _ in $(seq 1 100); do
    BASE="$(sed -n 's/^ *API: *\(http[^ ]*\).*/\1/p' "$LOG" | head -n 1)"
    [[ -n "$BASE" ]] && break
    sleep 0.1
  done
  [[ -n "$BASE" ]] || { echo "emulator did not start:" >&2; cat "$LOG" >&2; exit 1; }
  for _ in $(seq 1 100); do
    if curl -fsS "$BASE/_emulator/info" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
fi

"$ST" run "$ROOT/spec/openapi.yaml" \
  --url "$BASE" \
  --header "Authorization: Bearer ${SEEDANCE_API_KEY:-sk_test_seedance}" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" \
  --generation-deterministic \
  --workers 1 \
  "${@:2}"
