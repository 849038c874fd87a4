#!/usr/bin/env bash
# Benchmark: `tollgate serve` under load. For each workspace (the demo, and
# the StateTrace corpus when present) and each of `/`, `/api/status` and
# `/api/gates`: REQUESTS requests at concurrency CONC by ApacheBench (ab),
# ROUNDS times; prints the median over rounds of p50 and p99 (ms), and the
# failed and non-2xx counts summed over rounds. Goal: p99 < 20 ms on the
# demo, and no request assesses (so none re-hashes a bundle).
# Usage: bench/serve.sh [REQUESTS] [CONC] [ROUNDS]   (default 2000 16 3)
# TOLLGATE_BIN=path benchmarks another build (e.g. an older commit's).
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
conc=${2:-16}
rounds=${3:-3}
command -v ab >/dev/null || { apt-get update -qq && apt-get install -y -qq apache2-utils; }
if [ -z "${TOLLGATE_BIN:-}" ]; then
  cargo build --release -q
  bin=$PWD/target/release/tollgate
else
  bin=$TOLLGATE_BIN
fi
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$bin" demo "$tmp/demo" --seed 1 --days 7 >/dev/null
workspaces=("demo=$tmp/demo")
corpus=${TOLLGATE_CORPUS:-../shared/corpus}/statetrace
[ -d "$corpus" ] && workspaces+=("statetrace-corpus=$corpus")

for entry in "${workspaces[@]}"; do
  name=${entry%%=*}
  ws=${entry#*=}
  "$bin" --workspace "$ws" serve --addr 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
  pid=$!
  for _ in $(seq 1 600); do grep -q "listening on" "$tmp/serve.out" && break; sleep 0.1; done
  base=$(sed -n 's/^listening on //p' "$tmp/serve.out")
  [ -n "$base" ] || { cat "$tmp/serve.err" >&2; exit 2; }
  for path in / /api/status /api/gates; do
    curl -sf "$base$path" >/dev/null
    for r in $(seq 1 "$rounds"); do
      ab -q -n "$requests" -c "$conc" "$base$path" >"$tmp/ab-$r.txt" 2>&1 || true
    done
    python3 - "$name" "$path" "$tmp" "$rounds" <<'PY'
import re, statistics, sys
name, path, tmp, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p50, p99, failed, non2xx = [], [], 0, 0
for r in range(1, rounds + 1):
    t = open(f"{tmp}/ab-{r}.txt").read()
    p50.append(int(re.search(r"^\s*50%\s+(\d+)", t, re.M).group(1)))
    p99.append(int(re.search(r"^\s*99%\s+(\d+)", t, re.M).group(1)))
    failed += int(re.search(r"^Failed requests:\s+(\d+)", t, re.M).group(1))
    m = re.search(r"^Non-2xx responses:\s+(\d+)", t, re.M)
    non2xx += int(m.group(1)) if m else 0
print(f"{name:18} {path:12} p50 {statistics.median(p50):6.1f} ms  p99 {statistics.median(p99):6.1f} ms  "
      f"failed {failed}  non-2xx {non2xx}  (rounds p99: {p99})")
PY
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
