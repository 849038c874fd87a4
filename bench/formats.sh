#!/usr/bin/env bash
# bench/formats.sh [MB] [RUNS]
# The JUnit and SARIF readers (issue 18): a gate counting failed test cases
# over a generated MB-megabyte JUnit report, and one counting error results
# over a MB-megabyte SARIF log, through `tollgate gates`, against Python
# (xml.etree.ElementTree, json) computing the same counts; the counts are
# printed and must agree. Then both readers over the corpus files, if present.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
MB=${1:-100} RUNS=${2:-5}
cargo build --release -q -p tollgate-cli
T=$PWD/target/release/tollgate
WORK=$(mktemp -d /tmp/tollgate-bench-formats.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$T" init --workspace "$WORK" --profile minimal >/dev/null
# The readers parse a document whole: raise the read limit above its size.
sed -i "s/^max_read_bytes = .*/max_read_bytes = $(( (MB + 50) * 1000000 ))/" "$WORK/tollgate.toml"
cat >>"$WORK/tollgate.toml" <<EOF

[[gate]]
id = "failed-tests"
description = "failed test cases"
source = "junit"
files = "reports/*.xml"
where = { outcome = "failed" }
aggregate = "count"
op = ">="
threshold = 0

[[gate]]
id = "sarif-errors"
description = "SARIF results of level error"
source = "sarif"
files = "lint/*.sarif"
where = { level = "error" }
aggregate = "count"
op = ">="
threshold = 0
EOF
mkdir "$WORK/reports" "$WORK/lint"
python3 - "$WORK" "$MB" <<'PY'
import json, sys
work, mb = sys.argv[1], int(sys.argv[2])
target = mb * 1_000_000
with open(f"{work}/reports/big.xml", "w") as f:
    f.write('<?xml version="1.0"?>\n<testsuites>\n')
    n, size = 0, 0
    while size < target:
        s = f'  <testsuite name="s{n}">\n'
        for i in range(50):
            fail = '<failure message="boom">trace line\n</failure>' if (n * 50 + i) % 17 == 0 else ''
            s += f'    <testcase classname="pkg.C{n}" name="test_{i}" time="0.{i:03d}">{fail}</testcase>\n'
        s += '  </testsuite>\n'
        f.write(s); size += len(s); n += 1
    f.write('</testsuites>\n')
results, size, i = [], 0, 0
levels = ["error", "warning", "note", None]
while size < target:
    r = {"ruleId": f"R{i % 40}", "message": {"text": f"finding number {i} in a long message " * 2},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"src/f{i % 500}.c"}, "region": {"startLine": i % 900 + 1}}}]}
    if levels[i % 4]:
        r["level"] = levels[i % 4]
    results.append(r); size += len(json.dumps(r)); i += 1
json.dump({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "gen"}}, "results": results}]},
          open(f"{work}/lint/big.sarif", "w"))
PY
cat >"$WORK/peer.py" <<'PY'
import json, sys, xml.etree.ElementTree as ET
kind, path = sys.argv[1], sys.argv[2]
if kind == "junit":
    root = ET.parse(path).getroot()
    print(sum(1 for c in root.iter("testcase") if c.find("error") is None and c.find("failure") is not None))
else:
    log = json.load(open(path, encoding="utf-8-sig"))
    n = 0
    for run in log["runs"]:
        rules = {x.get("id"): x for x in run["tool"]["driver"].get("rules", [])}
        for r in run.get("results", []):
            default = rules.get(r.get("ruleId"), {}).get("defaultConfiguration", {}).get("level", "warning")
            n += r.get("level", "none" if r.get("kind", "fail") != "fail" else default) == "error"
    print(n)
PY
count() { "$T" --workspace "$WORK" gates --only "$1" --json | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["gates"][0]["value"]))'; }
echo "== counts (tollgate, python)"
echo "junit failed: $(count failed-tests), $(python3 "$WORK/peer.py" junit "$WORK/reports/big.xml")"
echo "sarif errors: $(count sarif-errors), $(python3 "$WORK/peer.py" sarif "$WORK/lint/big.sarif")"
jsize=$(stat -c %s "$WORK/reports/big.xml") ssize=$(stat -c %s "$WORK/lint/big.sarif")
res=$(rounds "$RUNS" \
  "$T --workspace $WORK gates --only failed-tests" \
  "python3 $WORK/peer.py junit $WORK/reports/big.xml" \
  "$T --workspace $WORK gates --only sarif-errors" \
  "python3 $WORK/peer.py sarif $WORK/lint/big.sarif")
tj=$(sed -n 1p <<<"$res") pj=$(sed -n 2p <<<"$res") ts=$(sed -n 3p <<<"$res") ps=$(sed -n 4p <<<"$res")
mbs() { python3 -c "print(f'{$1 / 1e6 / ${2%% *}:.0f} MB/s')"; }
echo "== $RUNS runs, medians"
echo "JUnit $((jsize / 1000000)) MB: tollgate ${tj%% *} s ($(mbs "$jsize" "$tj")), ElementTree ${pj%% *} s ($(mbs "$jsize" "$pj")); python/tollgate time $(paired "$pj" "$tj")"
echo "SARIF $((ssize / 1000000)) MB: tollgate ${ts%% *} s ($(mbs "$ssize" "$ts")), json ${ps%% *} s ($(mbs "$ssize" "$ps")); python/tollgate time $(paired "$ps" "$ts")"
CORPUS=${TOLLGATE_CORPUS:-../shared/corpus}/formats
if [ -d "$CORPUS" ]; then
  rm "$WORK"/reports/* "$WORK"/lint/*
  cp "$CORPUS"/junit/* "$WORK/reports/"
  for f in "$CORPUS"/sarif/*; do cp "$f" "$WORK/lint/$(basename "$f").sarif"; done
  echo "== corpus: $(ls "$WORK/reports" | wc -l) JUnit, $(ls "$WORK/lint" | wc -l) SARIF files"
  echo "junit failed: $(count failed-tests), $(for f in "$WORK"/reports/*; do python3 "$WORK/peer.py" junit "$f"; done | python3 -c 'import sys; print(sum(int(l) for l in sys.stdin))')"
  echo "sarif errors: $(count sarif-errors), $(for f in "$WORK"/lint/*; do python3 "$WORK/peer.py" sarif "$f"; done | python3 -c 'import sys; print(sum(int(l) for l in sys.stdin))')"
  res=$(rounds "$RUNS" "$T --workspace $WORK gates")
  echo "both gates over the corpus: ${res%% *} s"
fi
