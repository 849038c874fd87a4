# Shared by the bench scripts.
# `rounds RUNS CMD...` runs each CMD (a shell command line) once per round,
# in turn, for RUNS rounds, so that a machine whose speed drifts (a shared
# VM) slows every tool alike. It prints one line per CMD: the median wall
# seconds, then the median over rounds of the first CMD's time divided by
# this CMD's (how many times faster than the first this one is, paired
# within each round). Exit codes 0 and 1 count as success: a blocking
# verdict is a result, not a failure.
rounds() {
  python3 - "$@" <<'PY'
import subprocess, sys, time, statistics
runs, cmds = int(sys.argv[1]), sys.argv[2:]
ts = [[] for _ in cmds]
for _ in range(runs):
    for i, cmd in enumerate(cmds):
        t = time.perf_counter()
        r = subprocess.run(["bash", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts[i].append(time.perf_counter() - t)
        if r.returncode not in (0, 1):
            sys.exit(f"{cmd} exited {r.returncode}")
for i in range(len(cmds)):
    paired = statistics.median(a / b for a, b in zip(ts[0], ts[i]))
    print(f"{statistics.median(ts[i]):.3f} {paired:.3f}")
PY
}
