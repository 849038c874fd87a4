#!/usr/bin/env bash
# bench/ledger.sh [APPENDS] [RUNS] [MIB]
# The team-scale stores (issue 17), on this machine's throwaway servers:
# - ledger appends per second, 1 writer and 8 concurrent writers, SQLite
#   against PostgreSQL (APPENDS entries in all per run, through Ledger::append
#   as every command appends: the ledger_append example);
# - `ledger verify` at 1,000 and 10,000 entries, SQLite and PostgreSQL;
# - push and pull of a MIB-MiB bundle (default 1 GiB, 16 files) against a
#   local docker-registry, each against `skopeo copy` of the same artifact
#   (registry <-> an OCI layout folder; without --preserve-digests, which
#   skopeo 1.9 refuses for an OCI 1.1 index: it re-writes the index without
#   artifactType, the same blobs moved), plus `bundle verify oci://` streaming it.
# Needs postgresql, docker-registry and skopeo (apt-get install them).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
APPENDS=${1:-400} RUNS=${2:-5} MIB=${3:-1024}
cargo build --release -q -p tollgate-cli
cargo build --release -q -p tollgate --example ledger_append
T=$PWD/target/release/tollgate A=$PWD/target/release/examples/ledger_append
WORK=$(mktemp -d /tmp/tollgate-bench-ledger.XXXXXX)
chmod 755 "$WORK"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
REG_PID=""
cleanup() {
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null || true
  [ -d "$WORK/pg" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# PostgreSQL: a cluster on a free 127.0.0.1 port, trust auth, one database per use.
PGPORT=$(free_port)
mkdir "$WORK/pg" "$WORK/sock" && chown postgres "$WORK/pg" "$WORK/sock" 2>/dev/null || true
as_pg "$PGBIN/initdb" -D "$WORK/pg" -A trust -U tollgate >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/sock/log" -w \
  -o "-p $PGPORT -k $WORK/sock -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
newdb() { as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U tollgate "$1"; echo "postgres://tollgate@127.0.0.1:$PGPORT/$1"; }
newws() { mkdir -p "$1" && "$T" init --workspace "$1" --profile minimal >/dev/null; }

echo "== appends: $APPENDS per run, $RUNS runs (entries/s = $APPENDS / median s)"
newws "$WORK/s1"; newws "$WORK/s8"; newws "$WORK/p1"; newws "$WORK/p8"
P1=$(newdb p1) P8=$(newdb p8)
eight() { echo "for w in 1 2 3 4 5 6 7 8; do $1 $(( APPENDS / 8 )) w\$w & done; wait"; }
res=$(rounds "$RUNS" \
  "$A $WORK/s1 $APPENDS" \
  "TOLLGATE_LEDGER_URL=$P1 $A $WORK/p1 $APPENDS" \
  "$(eight "$A $WORK/s8")" \
  "$(eight "TOLLGATE_LEDGER_URL=$P8 $A $WORK/p8")")
names=("SQLite, 1 writer" "PostgreSQL, 1 writer" "SQLite, 8 writers" "PostgreSQL, 8 writers")
i=0
while read -r line; do
  med=${line%% *}
  printf '%-24s %8.0f entries/s  (median %ss; rounds: %s)\n' "${names[$i]}" \
    "$(python3 -c "print($APPENDS / $med)")" "$med" "${line#* }"
  i=$((i + 1))
done <<<"$res"
for ws in s1 s8; do
  "$T" --workspace "$WORK/$ws" ledger verify >/dev/null || { echo "$ws: the chain does not verify" >&2; exit 1; }
done
TOLLGATE_LEDGER_URL=$P1 "$T" --workspace "$WORK/p1" ledger verify >/dev/null
TOLLGATE_LEDGER_URL=$P8 "$T" --workspace "$WORK/p8" ledger verify >/dev/null
echo "(every chain verifies)"

echo "== ledger verify, $RUNS runs"
for n in 1000 10000; do
  newws "$WORK/vs$n"; newws "$WORK/vp$n"; url=$(newdb "vp$n")
  "$A" "$WORK/vs$n" "$n"
  TOLLGATE_LEDGER_URL=$url "$A" "$WORK/vp$n" "$n"
  res=$(rounds "$RUNS" \
    "$T --workspace $WORK/vs$n ledger verify" \
    "TOLLGATE_LEDGER_URL=$url $T --workspace $WORK/vp$n ledger verify")
  s=$(sed -n 1p <<<"$res") p=$(sed -n 2p <<<"$res")
  echo "$n entries: SQLite ${s%% *} s, PostgreSQL ${p%% *} s (PostgreSQL/SQLite $(paired "$p" "$s"))"
done

echo "== registry: a $MIB MiB bundle of 16 files, $RUNS runs"
REGPORT=$(free_port)
mkdir "$WORK/reg"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
  "$WORK/reg/data" "$REGPORT" >"$WORK/reg/config.yml"
docker-registry serve "$WORK/reg/config.yml" >/dev/null 2>&1 &
REG_PID=$!
until curl -sf "http://127.0.0.1:$REGPORT/v2/" >/dev/null; do sleep 0.1; done
newws "$WORK/big"
mkdir "$WORK/big/data"
for i in $(seq -w 1 16); do
  head -c $(( MIB * 1048576 / 16 )) /dev/urandom >"$WORK/big/data/part-$i.bin"
done
"$T" --workspace "$WORK/big" bundle publish --name big --no-discover --add "Data=$WORK/big/data/*" >/dev/null
rm -rf "$WORK/big/data"
R=127.0.0.1:$REGPORT
# skopeo remembers where it has seen each blob and mounts it from there
# instead of sending it: each skopeo run gets a fresh cache (as a non-root
# user when root, whose cache lives in /var/lib/containers).
mkdir -m 777 "$WORK/sk"
SK="env XDG_DATA_HOME=$WORK/sk/xdg\$(date +%s%N) skopeo"
[ "$(id -u)" = 0 ] && SK="runuser -u postgres -- $SK"
"$T" --workspace "$WORK/big" bundle push big --to "oci://$R/base:big" >/dev/null
skopeo copy -q --all --src-tls-verify=false "docker://$R/base:big" "oci:$WORK/sk/layout:big"
# A new repository per push, so that every blob is sent.
res=$(rounds "$RUNS" \
  "$T --workspace $WORK/big bundle push big --to oci://$R/t\$(date +%s%N)" \
  "$SK copy -q --all --dest-tls-verify=false oci:$WORK/sk/layout:big docker://$R/s\$(date +%s%N):big" \
  "rm -rf $WORK/pulled && $T --workspace $WORK/big bundle pull oci://$R/base:big --to $WORK/pulled" \
  "rm -rf $WORK/sk/pull && $SK copy -q --all --src-tls-verify=false docker://$R/base:big oci:$WORK/sk/pull:big" \
  "$T --workspace $WORK/big bundle verify oci://$R/base:big")
tp=$(sed -n 1p <<<"$res") sp=$(sed -n 2p <<<"$res") tl=$(sed -n 3p <<<"$res") sl=$(sed -n 4p <<<"$res") tv=$(sed -n 5p <<<"$res")
mibs() { python3 -c "print(f'{$MIB / ${1%% *}:.0f} MiB/s')"; }
echo "push:   tollgate ${tp%% *} s ($(mibs "$tp")), skopeo copy ${sp%% *} s ($(mibs "$sp")); tollgate/skopeo time $(paired "$tp" "$sp")"
echo "pull:   tollgate ${tl%% *} s ($(mibs "$tl"), verification included), skopeo copy ${sl%% *} s ($(mibs "$sl")); tollgate/skopeo time $(paired "$tl" "$sl")"
echo "verify oci://: ${tv%% *} s ($(mibs "$tv")), streamed, no local copy"
