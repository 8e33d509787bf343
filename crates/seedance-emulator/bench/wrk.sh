#!/usr/bin/env bash
# Benchmark (not a test): requests per second the emulator serves on loopback for
# GET /api/v1/tasks/{id}, with the limits off, measured by wrk (Debian: apt-get install wrk).
#
#   crates/seedance-emulator/bench/wrk.sh [DURATION_SECS=10] [CONNECTIONS=64] [THREADS=2]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$ROOT"
DUR="${1:-10}"; CONNS="${2:-64}"; THREADS="${3:-2}"
PORT="${SEEDANCE_BENCH_PORT:-18797}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
cargo build --release --quiet -p seedance-emulator
./target/release/seedance-emulator --listen "127.0.0.1:$PORT" --cdn-listen 127.0.0.1:0 \
  --no-limit --no-media-limit --time-scale 1000 >/dev/null &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fsS "$BASE/_emulator/info" >/dev/null 2>&1 && break; sleep 0.1; done
ID=$(curl -fsS -X POST "$BASE/api/v1/video/seedance2" -H 'Authorization: Bearer sk_test_seedance' \
  -H 'Content-Type: application/json' -d '{"prompt":"A glass train crossing a snowy bridge"}' \
  | sed -E 's/.*"id":"([^"]+)".*/\1/')
sleep 0.3
echo "GET $BASE/api/v1/tasks/$ID  (${DUR}s, $CONNS connections, $THREADS threads, $(nproc) cores)"
wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" -H 'Authorization: Bearer sk_test_seedance' "$BASE/api/v1/tasks/$ID"
