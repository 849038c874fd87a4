#!/usr/bin/env bash
# Benchmark: `tollgate bundle verify` against `sha256sum -c` over the same
# >= 1 GiB bundle of >= 500 files, page cache warm, in one run.
# Usage: bench/hash.sh [FILES] [MIB_PER_FILE] [RUNS]   (default 520 2 5)
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-520}; mib=${2:-2}; runs=${3:-5}
cargo build --release -q
bin=$PWD/target/release/tollgate
work=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bin" --workspace "$work" init --profile minimal >/dev/null
mkdir -p "$work/src"
python3 - "$work/src" "$files" "$mib" <<'PY'
import os, sys
d, n, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
block = os.urandom(1 << 20)
for i in range(n):
    with open(os.path.join(d, f"artifact-{i:04d}.bin"), "wb") as f:
        for j in range(mib):
            f.write(bytes([i % 256, j % 256]) + block[2:])
PY
"$bin" --workspace "$work" bundle publish --name Bench --area Data --no-discover --allow-unredacted \
  --add "Blob=$work/src/*" >/dev/null
area="$work/evidence/bundles/Bench/Data"
bytes=$(du -cb "$area"/*.bin | tail -1 | cut -f1)
(cd "$area" && python3 -c "
import json; m=json.load(open('manifest.json'))
print('\n'.join(a['Hash'].lower()+'  '+a['TargetFile'] for a in m['Artifacts']))" > "$work/SHA256SUMS")
cat "$area"/*.bin > /dev/null  # warm the page cache

. bench/lib.sh
mapfile -t timing < <(rounds "$runs" \
  "cd '$area' && sha256sum -c --quiet '$work/SHA256SUMS'" \
  "$bin --workspace '$work' bundle verify Bench --summary '$work/summary.json' --force")
read -r t_sum _ <<< "${timing[0]}"
read -r t_tg _ <<< "${timing[1]}"
x_tg=$(paired "${timing[0]}" "${timing[1]}")
# The per-core ceiling: OpenSSL's hand-written SHA-NI code on 1 MiB blocks.
# And what OpenSSL reaches on all cores at once (-multi): two vCPUs of a VM
# do not scale perfectly, and no tool can beat that either.
speed() { openssl speed -evp sha256 -bytes 1048576 -seconds 2 "$@" 2>/dev/null | awk '/^sha256/ {sub("k","",$2); print $2*1000}' | tail -1 || true; }
ceiling=$(speed)
together=$(speed -multi "$(nproc)")
python3 - "$bytes" "$files" "$t_tg" "$t_sum" "$(nproc)" "${ceiling:-0}" "$x_tg" "${together:-0}" <<'PY'
import sys
b, n, tg, s, cores = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
ceiling, paired, together = float(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8])
print(f"bundle: {n} files, {b/2**30:.2f} GiB, {cores} cores, page cache warm, median of interleaved rounds")
print(f"tollgate bundle verify: {tg:.3f} s  {b/tg/1e9:.2f} GB/s")
print(f"sha256sum -c:           {s:.3f} s  {b/s/1e9:.2f} GB/s")
print(f"ratio: tollgate is {paired:.1f}x sha256sum (median of per-round ratios)")
if ceiling:
    print(f"ceiling: openssl SHA-NI {ceiling/1e9:.2f} GB/s per core; {cores} cores = {cores*ceiling/1e9:.2f} GB/s "
          f"= {cores*ceiling/(b/s):.1f}x sha256sum; tollgate reaches {b/tg/(cores*ceiling):.0%} of it")
if together:
    print(f"openssl on {cores} cores at once (-multi {cores}): {together/1e9:.2f} GB/s; tollgate reaches {b/tg/together:.0%} of it")
PY
