#!/usr/bin/env bash
# Benchmark: `tollgate rollup` and one event gate (p95 of LatencyMs per Site)
# over >= 2 GB of StateTrace-shaped JSON lines, against DuckDB (read_json +
# SQL) and jq computing the same aggregate, in one run; page cache warm.
# DuckDB also computes the rollup's core (count, avg, p95, max, sum per day,
# event and scope) to compare with `tollgate rollup` on like work.
# Also peak RSS of rollup over 0.5 GB and over the whole input.
# Usage: bench/rollup.sh [SCALE] [DAYS] [RUNS]   (default 3300 8 3: ~2.1 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-3300}; days=${2:-8}; runs=${3:-3}
command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq; }
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb
cargo build --release -q
bin=$PWD/target/release/tollgate
work=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "generating ($scale x $days days)..."
"$bin" demo "$work/ws" --scale "$scale" --days "$days" --date 2026-01-08 > /dev/null
ws=$work/ws; dir=$ws/Logs/IngestionMetrics
cat >> "$ws/tollgate.toml" <<'TOML'

[[gate]]
id = "bench-latency-p95-per-site"
plan = "Bench"
description = "DatabaseWriteLatency p95 per site over every day"
source = "events"
newest = 100000
event = "DatabaseWriteLatency"
select = "LatencyMs"
group_by = "Site"
aggregate = "p95"
op = "<"
threshold = 950
TOML
mapfile -t files < <(ls "$dir"/????-??-??.json | sort)
bytes=$(cat "${files[@]}" | wc -c)
half=("${files[@]:0:$(( ${#files[@]} / 4 ))}")
half_bytes=$(cat "${half[@]}" | wc -c)
cat "${files[@]}" > /dev/null  # warm the page cache

. bench/lib.sh
cat > "$work/duck.py" <<PY
import duckdb
con = duckdb.connect()
rows = con.sql("""select Site, quantile_cont(LatencyMs, 0.95) from read_json('$dir/????-??-??.json',
  format='newline_delimited', columns={'EventName':'VARCHAR','Site':'VARCHAR','LatencyMs':'DOUBLE'})
  where EventName = 'DatabaseWriteLatency' group by Site order by Site""").fetchall()
print(" ".join(f"{s}={v:.3f}" for s, v in rows))
PY
# The rollup's core in SQL: count, avg, p95, max, sum, deleted rows and
# distinct hosts per day, event and site, and per day and event (scope All).
cat > "$work/duck_rollup.py" <<PY
import duckdb
con = duckdb.connect()
con.sql("""with e as (
  select EventName, Site, left(Timestamp, 10) as Day, Hostname, DeletedRows,
         coalesce(DurationSeconds, LatencyMs, Rows, SiteCacheFetchDurationMs, QueueBuildDelayMs) as v
  from read_json('$dir/????-??-??.json', format='newline_delimited', columns={
    'EventName':'VARCHAR','Site':'VARCHAR','Timestamp':'VARCHAR','Hostname':'VARCHAR',
    'DurationSeconds':'DOUBLE','LatencyMs':'DOUBLE','Rows':'DOUBLE','DeletedRows':'DOUBLE',
    'SiteCacheFetchDurationMs':'DOUBLE','QueueBuildDelayMs':'DOUBLE'}))
  select Day, EventName, Site, count(*), avg(v), quantile_cont(v, 0.95), max(v), sum(v),
         sum(DeletedRows), count(distinct Hostname)
  from e group by grouping sets ((Day, EventName, Site), (Day, EventName))""").fetchall()
PY
# jq parses and projects every line; sort and awk compute the same linear p95.
cat > "$work/jq.sh" <<'SH'
jq -r 'select(.EventName=="DatabaseWriteLatency") | "\(.Site) \(.LatencyMs)"' "$@" | LC_ALL=C sort -k1,1 -k2,2g | awk '
  function flush() { if (n) { p = (n-1)*0.95; lo = int(p); hi = (p > lo) ? lo+1 : lo;
    printf "%s=%.3f ", site, v[lo+1] + (v[hi+1]-v[lo+1])*(p-lo) } n = 0 }
  $1 != site { flush(); site = $1 }
  { v[++n] = $2 }
  END { flush(); print "" }'
SH

echo "answers (must agree):"
echo "  tollgate: $("$bin" --workspace "$ws" gates --only bench-latency-p95-per-site --json | python3 -c "import json,sys; g=json.load(sys.stdin)['gates'][0]; print(' '.join(f\"{p['name']}={p['value']:.3f}\" for p in g['groups']))")"
echo "  duckdb:   $(python3 "$work/duck.py")"
echo "  jq:       $(bash "$work/jq.sh" "${files[@]}")"

# One round runs every tool once, in turn (see rounds in bench/lib.sh).
mapfile -t timing < <(rounds "$runs" \
  "python3 $work/duck.py" \
  "$bin --workspace $ws gates --only bench-latency-p95-per-site" \
  "$bin --workspace $ws rollup --out $work/r.csv" \
  "python3 $work/duck_rollup.py" \
  "bash $work/jq.sh ${files[*]}")
read -r t_duck _ <<< "${timing[0]}"
read -r t_gate _ <<< "${timing[1]}"
read -r t_roll _ <<< "${timing[2]}"
read -r t_duck_roll _ <<< "${timing[3]}"
read -r t_jq _ <<< "${timing[4]}"
# Each tollgate command against its DuckDB peer, paired within each round.
x_gate=$(paired "${timing[0]}" "${timing[1]}")
x_roll=$(paired "${timing[3]}" "${timing[2]}")
rss_half=$( { /usr/bin/time -f %M "$bin" --workspace "$ws" rollup --out "$work/h.csv" "${half[@]}" > /dev/null; } 2>&1 | tail -1)
rss_full=$( { /usr/bin/time -f %M "$bin" --workspace "$ws" rollup --out "$work/f.csv" > /dev/null; } 2>&1 | tail -1)
rss_gate=$( { /usr/bin/time -f %M "$bin" --workspace "$ws" gates --only bench-latency-p95-per-site > /dev/null; } 2>&1 | tail -1)
rss_duck_roll=$( { /usr/bin/time -f %M python3 "$work/duck_rollup.py" > /dev/null; } 2>&1 | tail -1)
python3 - "$bytes" "$half_bytes" "$(nproc)" "$t_roll" "$t_gate" "$t_duck" "$t_jq" "$rss_half" "$rss_full" "$rss_gate" "${#files[@]}" "$t_duck_roll" "$rss_duck_roll" "$x_gate" "$x_roll" <<'PY'
import sys
b, hb, cores = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
roll, gate, duck, jq = map(float, sys.argv[4:8])
rh, rf, rg, n = int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10]), int(sys.argv[11])
duck_roll, rdr = float(sys.argv[12]), int(sys.argv[13])
x_gate, x_roll = float(sys.argv[14]), float(sys.argv[15])
mb = b / 1e6
print(f"input: {n} day files, {b/1e9:.2f} GB, {cores} cores, page cache warm, median of interleaved rounds")
for name, t in [("tollgate rollup", roll), ("tollgate gate p95/site", gate), ("duckdb read_json+SQL", duck), ("duckdb rollup core SQL", duck_roll), ("jq | sort | awk", jq)]:
    print(f"{name:24} {t:8.3f} s  {mb/t:8.0f} MB/s  {mb/t/cores:6.0f} MB/s/core")
print(f"ratios (median of per-round ratios): gate vs duckdb {x_gate:.2f}x, rollup vs duckdb's rollup core {x_roll:.2f}x; gate vs jq {jq/gate:.0f}x (medians)")
print(f"peak RSS rollup: {rh/1024:.1f} MB over {hb/1e9:.2f} GB, {rf/1024:.1f} MB over {b/1e9:.2f} GB; gate: {rg/1024:.1f} MB; duckdb rollup core: {rdr/1024:.1f} MB")
PY
