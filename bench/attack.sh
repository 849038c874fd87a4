#!/usr/bin/env bash
# The hardening issue's attacks, run against the release binary on fresh
# demo workspaces. Each attack is tried, then judged: caught (tollgate ended
# in time with the expected exit code and said what was wrong, naming the
# path) or missed. Prints a table of tried, caught and missed per family.
# Usage: bench/attack.sh [FILTER]   (FILTER: run only families matching it)
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p tollgate-cli
T="$PWD/target/release/tollgate"
FILTER="${1:-}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
DEMO="$WORK/demo"
"$T" demo "$DEMO" --seed 7 --date 2026-11-20 >/dev/null
declare -A TRIED CAUGHT
MISSED=()

# A fresh copy of the demo workspace, printed.
fresh() { local d; d="$(mktemp -d "$WORK/ws.XXXX")"; cp -a "$DEMO/." "$d/"; echo "$d"; }
bundle_area() { echo "$(ls -d "$1"/Logs/TelemetryBundles/*/ | head -1)Telemetry"; }

# `judge FAMILY NAME WANT_CODE NEEDLE -- CMD...`: run CMD with a 20 s limit;
# caught when it ends in time with WANT_CODE (or any non-zero for "nz") and
# its output holds NEEDLE.
judge() {
  local fam="$1" name="$2" want="$3" needle="$4"; shift 5
  [[ -n "$FILTER" && "$fam" != *"$FILTER"* ]] && return
  TRIED[$fam]=$(( ${TRIED[$fam]:-0} + 1 ))
  local out code
  out="$(timeout -k 2 20 "$@" </dev/null 2>&1)"; code=$?
  local ok=1
  [[ $code == 124 || $code == 137 ]] && ok=0
  if [[ "$want" == nz ]]; then [[ $code != 0 ]] || ok=0; else [[ $code == "$want" ]] || ok=0; fi
  [[ -z "$needle" || "$out" == *"$needle"* ]] || ok=0
  if (( ok )); then
    CAUGHT[$fam]=$(( ${CAUGHT[$fam]:-0} + 1 ))
  else
    MISSED+=("$fam: $name (exit $code) $(head -c 300 <<<"$out" | tr '\n' ' ')")
  fi
}

# Replace PATH by a special file of KIND: fifo, zero (symlink to /dev/zero),
# loop (symlink loop) or dir.
plant() {
  local path="$1" kind="$2"
  rm -rf "$path"
  case "$kind" in
    fifo) mkfifo "$path" ;;
    zero) ln -s /dev/zero "$path" ;;
    loop) ln -s "$path" "$path" ;;
    dir) mkdir "$path" ;;
  esac
}

# --- 1. never hang --------------------------------------------------------
for kind in fifo zero loop dir; do
  ws="$(fresh)"; a="$(bundle_area "$ws")"
  plant "$a/QueueDelayHistory.csv" "$kind"
  judge hang "artifact is $kind: bundle verify" 1 QueueDelayHistory.csv -- "$T" --workspace "$ws" bundle verify "$(dirname "$a")"
  judge hang "artifact is $kind: verify" 1 QueueDelayHistory.csv -- "$T" --workspace "$ws" verify
  ws="$(fresh)"; a="$(bundle_area "$ws")"
  "$T" --workspace "$ws" key gen >/dev/null 2>&1
  "$T" --workspace "$ws" bundle sign "$(dirname "$a")" >/dev/null 2>&1
  plant "$a/QueueDelayHistory.csv" "$kind"
  judge hang "artifact of a signed bundle is $kind: bundle verify" 1 QueueDelayHistory.csv -- "$T" --workspace "$ws" bundle verify "$(dirname "$a")"
  ws="$(fresh)"; a="$(bundle_area "$ws")"
  plant "$a/orphan.csv" "$kind"
  # (an empty folder in an area holds no file, so it is no orphan)
  [[ $kind != dir ]] && judge hang "orphan $kind in an area: bundle verify" nz orphan.csv -- "$T" --workspace "$ws" bundle verify "$(dirname "$a")"
  for doc in StateTrace_TaskBoard.md StateTrace_Quarterly_Roadmap.md CODEX_BACKLOG.md Release.md; do
    ws="$(fresh)"; plant "$ws/docs/$doc" "$kind"
    judge hang "docs/$doc is $kind: docs check" 1 "$doc" -- "$T" --workspace "$ws" docs check
  done
  ws="$(fresh)"; plant "$ws/docs/RiskRegister.md" "$kind"
  judge hang "risk register is $kind: risk check" nz RiskRegister.md -- "$T" --workspace "$ws" risk check "$ws/Logs/Verification/VerificationSummary-latest.json"
  ws="$(fresh)"; plant "$ws/docs/StateTrace_TaskBoard.md" "$kind"
  judge hang "task board is $kind: dashboard" 0 StateTrace_TaskBoard.md -- bash -c "'$T' --workspace '$ws' dashboard --out '$ws.dash' >/dev/null && grep -o 'StateTrace_TaskBoard.md' '$ws.dash/index.html' | head -1"
  ws="$(fresh)"; rel="$(ls -d "$ws"/Logs/Releases/*/ 2>/dev/null | head -1)"
  if [[ -n "$rel" ]]; then
    v="$(basename "$rel")"
    plant "$rel/gates.json" "$kind"
    judge hang "release file is $kind: release status" 1 gates.json -- "$T" --workspace "$ws" release status "$v"
    judge hang "release file is $kind: approve" nz gates.json -- "$T" --workspace "$ws" approve "$v" --by qa --role QA
  fi
  ws="$(fresh)"; plant "$ws/.tollgate/ledger-head.json" "$kind"
  judge hang "ledger head is $kind: ledger verify" nz ledger-head.json -- "$T" --workspace "$ws" ledger verify
  ws="$(fresh)"; plant "$ws/tollgate.toml" "$kind"
  judge failclosed "tollgate.toml is $kind: gates" 2 tollgate.toml -- "$T" --workspace "$ws" gates
done

# `serve_attack KIND`: serve a workspace whose task board and newest bundle
# artifact are KIND; the API answers in time and SIGTERM stops the server.
serve_attack() {
  local kind="$1" ws a port pid
  ws="$(fresh)"; a="$(bundle_area "$ws")"
  plant "$ws/docs/StateTrace_TaskBoard.md" "$kind"; plant "$a/QueueDelayHistory.csv" "$kind"
  port=$(( 20000 + RANDOM % 20000 ))
  "$T" --workspace "$ws" serve --addr "127.0.0.1:$port" >"$ws.serve.log" 2>&1 & pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/api/status" && break; sleep 0.1; done
  judge hang "task board and artifact are $kind: serve /api/status" 0 '"verdict"' -- curl -s -m 15 "http://127.0.0.1:$port/api/status"
  judge hang "task board and artifact are $kind: serve /" 0 'StateTrace_TaskBoard.md' -- curl -s -m 15 "http://127.0.0.1:$port/"
  kill -TERM "$pid"
  judge hang "task board and artifact are $kind: SIGTERM stops serve" 0 "" -- bash -c "for i in \$(seq 100); do kill -0 $pid 2>/dev/null || exit 0; sleep 0.1; done; kill -9 $pid; exit 1"
  wait "$pid" 2>/dev/null
}
for kind in fifo zero loop; do serve_attack "$kind"; done

# --- 1. a hung run must not silence verification ---------------------------
ws="$(fresh)"
printf '{"pid":999999999,"host":"gone","started_at":"2026-01-01T00:00:00Z"}' >"$ws/.tollgate/verify.lock"
judge lock "lock left by a dead pid: verify --scheduled runs" nz "took over the lock" -- "$T" --workspace "$ws" verify --scheduled --json
ws="$(fresh)"
printf '{"pid":4242,"host":"ci-old","started_at":"2026-01-01T00:00:00Z"}' >"$ws/.tollgate/verify.lock"
judge lock "over-age lock held: verify --scheduled fails" 1 "pid 4242 on ci-old" -- flock "$ws/.tollgate/verify.lock" "$T" --workspace "$ws" verify --scheduled

# --- 6. fail closed ---------------------------------------------------------
ws="$(fresh)"
judge failclosed "closed pipe: gates | head -1" 0 "" -- bash -c "'$T' --workspace '$ws' gates | head -1 >/dev/null; exit \${PIPESTATUS[0]/1/0}"
judge failclosed "closed pipe: ledger log | head -1" 0 "" -- bash -c "'$T' --workspace '$ws' ledger log | head -1 >/dev/null; exit \${PIPESTATUS[0]}"

# --- 3. a rewritten history is caught (against a committed checkpoint) ----
signed() { local d; d="$(fresh)"; "$T" --workspace "$d" key gen >/dev/null 2>&1; "$T" --workspace "$d" ledger checkpoint >/dev/null 2>&1; echo "$d"; }
# Another demo's ledger: a self-consistent chain of the same shape.
ws="$(signed)"; other="$WORK/demo2"; "$T" demo "$other" --seed 7 --date 2026-11-20 >/dev/null
cp "$other/.tollgate/ledger.db" "$other/.tollgate/ledger-head.json" "$ws/.tollgate/"
judge ledger "rebuilt self-consistent chain: ledger verify" 1 "the chain was rewritten" -- "$T" --workspace "$ws" ledger verify
v="$(ls "$ws/Logs/ReleaseEvidence" | head -1)"
judge ledger "rebuilt chain: release status not shippable" 1 "release.ledger" -- "$T" --workspace "$ws" release status "$v"
ws="$(signed)"; db="$ws/.tollgate/ledger.db"
last=$(sqlite3 "$db" "SELECT max(seq) FROM entries"); keep=$((last - 2))
sqlite3 "$db" "DELETE FROM entries WHERE seq > $keep"
printf '{"seq":%d,"hash":"%s"}' "$keep" "$(sqlite3 "$db" "SELECT hash FROM entries WHERE seq = $keep")" >"$ws/.tollgate/ledger-head.json"
judge ledger "truncation + rewritten head: ledger verify" 1 "shorter than this checkpoint" -- "$T" --workspace "$ws" ledger verify
rm "$ws/.tollgate/ledger-head.json"
judge ledger "truncation + deleted head: ledger verify" 1 "head file is missing while checkpoints exist" -- "$T" --workspace "$ws" ledger verify
ws="$(fresh)"; v="$(ls "$ws/Logs/ReleaseEvidence" | head -1)"
"$T" --workspace "$ws" approve "$v" --by qa --role QA --override "attack script" >/dev/null 2>&1
sqlite3 "$ws/.tollgate/ledger.db" "UPDATE entries SET payload = replace(payload, '\"qa\"', '\"ciso\"') WHERE kind = 'approval'"
judge ledger "edited approver: release status" 1 "release.ledger" -- "$T" --workspace "$ws" release status "$v"
judge ledger "edited approver: approve refuses to append" 2 "ledger" -- "$T" --workspace "$ws" approve "$v" --by x --role QA --override "attack script"
ws="$(fresh)"; echo '{not json' >"$ws/.tollgate/ledger-head.json"
judge ledger "corrupt head: approve refuses" 2 "ledger" -- "$T" --workspace "$ws" approve "$v" --by qa --role QA --override "attack script"
ws="$(signed)"; a="$(bundle_area "$ws")"; "$T" --workspace "$ws" bundle sign "$(dirname "$a")" >/dev/null 2>&1; rm -f "$a"/*.intoto.jsonl
judge ledger "deleted bundle envelope: bundle verify" 1 "the ledger records that this was signed" -- "$T" --workspace "$ws" bundle verify "$(dirname "$a")"

# --- 4. races and kill points -------------------------------------------------
ws="$(fresh)"
judge race "8 concurrent same-name publishes: one wins" 0 "" -- bash -c "
  for i in 1 2 3 4 5 6 7 8; do '$T' --workspace '$ws' bundle publish --name SameN >/dev/null 2>&1 & done; wait
  n=\$('$T' --workspace '$ws' ledger log --json | grep -o '\"subject\": *\"SameN/' | wc -l); [ \"\$n\" = 1 ] && [ ! -e '$ws/Logs/TelemetryBundles/SameN/.superseded' ]"
before=$("$T" --workspace "$ws" ledger log --json | grep -c '"kind": *"approval"')
judge race "8 concurrent identical approvals (case, spaces): one recorded" 0 "" -- bash -c "
  for n in qa QA ' qa' 'qa ' Qa qA 'QA ' qa; do '$T' --workspace '$ws' approve '$v' --by \"\$n\" --role QA --override 'attack script' >/dev/null 2>&1 & done; wait
  c=\$('$T' --workspace '$ws' ledger log --json | grep -c '\"kind\": *\"approval\"'); [ \"\$c\" = $((before + 1)) ]"
ws="$(fresh)"
TOLLGATE_FAULT=publish.before-ledger "$T" --workspace "$ws" bundle publish --name Killed >/dev/null 2>&1
judge race "publish killed before its ledger entry: re-run records it" 0 "unrecorded" -- "$T" --workspace "$ws" bundle publish --name Killed
ws="$(fresh)"
TOLLGATE_FAULT=verify.before-ledger "$T" --workspace "$ws" verify >/dev/null 2>&1
judge race "verify killed before its ledger entry: ledger verify lists the orphan" 0 "ledger.unrecorded-run" -- "$T" --workspace "$ws" ledger verify

# --- 5. inputs stay inside ------------------------------------------------------
ws="$(fresh)"; "$T" --workspace "$ws" key gen >/dev/null 2>&1
for add in "$ws/.tollgate/keys/tollgate.key" /etc/hostname /proc/self/environ; do
  judge inputs "--add $add" 2 "--add" -- "$T" --workspace "$ws" bundle publish --name In --no-discover --add "Extra=$add"
done
ln -s /etc/hostname "$ws/docs/link.txt"
judge inputs "--add a symlink leading out" 2 "outside the workspace" -- "$T" --workspace "$ws" bundle publish --name In --no-discover --add "Extra=$ws/docs/link.txt"
ws="$(fresh)"; v="$(ls "$ws/Logs/ReleaseEvidence" | head -1)"
"$T" --workspace "$ws" approve "$v" --by "$(printf 'mallory\n  #99 by CISO \033[32m')" --role QA --override "attack script" >/dev/null 2>&1
judge inputs "newline and ANSI in --by: escaped in release status" 0 'mallory\n' -- bash -c "'$T' --workspace '$ws' release status '$v' | grep -v \$'\033' | grep -v '^ *#99'"

# --- table -----------------------------------------------------------------
printf '%-12s %6s %7s %7s\n' family tried caught missed
for fam in hang lock failclosed ledger race inputs; do
  t=${TRIED[$fam]:-0}; c=${CAUGHT[$fam]:-0}
  (( t )) && printf '%-12s %6d %7d %7d\n' "$fam" "$t" "$c" $((t - c))
done
for m in "${MISSED[@]}"; do echo "MISSED $m"; done
(( ${#MISSED[@]} == 0 ))
