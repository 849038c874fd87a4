# Shared by the bench scripts: `median RUNS CMD...` prints the median wall
# seconds of CMD over RUNS runs (exit codes 0 and 1 count as success: a
# blocking verdict is a result, not a failure).
median() {
  python3 - "$@" <<'PY'
import subprocess, sys, time, statistics
runs, cmd = int(sys.argv[1]), sys.argv[2:]
ts = []
for _ in range(runs):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ts.append(time.perf_counter() - t)
    if r.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} exited {r.returncode}")
print(f"{statistics.median(ts):.3f}")
PY
}
