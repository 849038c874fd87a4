#!/usr/bin/env bash
# Benchmark: `tollgate docs check` over the StateTrace corpus docs (every rule:
# board, CSV, plans, plan index, roadmap, backlog, narrative columns, cited
# evidence paths and README hashes). Goal: < 100 ms wall. Median of RUNS.
# Usage: bench/docs.sh [RUNS]   (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${1:-15}
corpus=${TOLLGATE_CORPUS:-../shared/corpus}/statetrace
[ -d "$corpus/docs" ] || { echo "corpus not found at $corpus" >&2; exit 2; }
cargo build --release -q
bin=$PWD/target/release/tollgate
bytes=$(find "$corpus/docs" -name '*.md' -o -name '*.csv' | xargs cat | wc -c)
echo "corpus docs: $((bytes / 1024)) KiB of markdown and CSV"
echo "tollgate docs check: $(rounds "$runs" "$bin --workspace '$corpus' docs check" | cut -d' ' -f1) s (median of $runs)"
