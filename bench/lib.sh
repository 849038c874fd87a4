# Shared by the bench scripts.
# `rounds RUNS CMD...` runs each CMD (a shell command line) once per round,
# in turn, for RUNS rounds, so that a machine whose speed drifts (a shared
# VM) slows every tool alike. It prints one line per CMD: its median wall
# seconds, then its seconds in each round. Exit codes 0 and 1 count as
# success: a blocking verdict is a result, not a failure.
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
for t in ts:
    print(f"{statistics.median(t):.3f} " + " ".join(f"{x:.3f}" for x in t))
PY
}

# `paired A B`, given two lines printed by one `rounds`: the median over
# rounds of A's seconds divided by B's (how many times faster B is, paired
# within each round).
paired() {
  python3 - "$1" "$2" <<'PY'
import sys, statistics
a, b = (list(map(float, s.split()[1:])) for s in sys.argv[1:3])
print(f"{statistics.median(x / y for x, y in zip(a, b)):.3f}")
PY
}
