#!/bin/bash
# A real Slurm run of examples/slurm/: a one-node cluster on this machine, a 4-task job array of
# a small Sobol sweep and the merge job after it, compared byte for byte with the same sweep
# run unsplit.
#
#   sudo scripts/slurm-e2e.sh
#
# Needs root: it installs Debian's slurm-wlm and munge where missing, starts munged as the
# munge user (unless one is running), and slurmctld and slurmd as root with a generated
# slurm.conf (this machine's CPUs and memory, proctrack/linuxproc, task/none,
# select/cons_tres) in a temporary folder. It stops the daemons it started and removes the
# folder on exit, whatever happens. It leaves /etc alone, except that Debian's munge package
# creates /etc/munge/munge.key when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [[ $(id -u) -ne 0 ]]; then
    echo "slurm-e2e: run as root (it installs packages and starts slurmctld, slurmd, munged)" >&2
    exit 2
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing slurm-wlm and munge"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
echo "== $(slurmctld -V), $(munged -V 2>&1 | head -1)"

echo "== building sidelines"
cargo build --release --quiet
BIN=$ROOT/target/release/sidelines

WORK=$(mktemp -d /tmp/sidelines-slurm.XXXXXX)
chmod 755 "$WORK"
STARTED_MUNGE=""
cleanup() {
    set +e
    if [[ -f $WORK/slurmctld.pid ]] || [[ -f $WORK/slurmd.pid ]]; then
        echo "== stopping slurmctld and slurmd"
        for p in slurmd slurmctld; do
            [[ -f $WORK/$p.pid ]] && kill "$(cat "$WORK/$p.pid")" 2>/dev/null
        done
        sleep 1
    fi
    if [[ -n $STARTED_MUNGE ]]; then
        echo "== stopping munged"
        kill "$(cat /run/munge/munged.pid 2>/dev/null)" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# munge: Debian's package makes the key; the daemon runs as the munge user.
if ! pgrep -x munged >/dev/null; then
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    [[ -f /etc/munge/munge.key ]] || runuser -u munge -- /usr/sbin/mungekey --create
    runuser -u munge -- /usr/sbin/munged
    STARTED_MUNGE=1
fi
munge -n | unmunge >/dev/null
echo "== munge works"

HOST=$(hostname -s)
CPUS=$(nproc)
MEM_MB=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/run"
cat > "$WORK/slurm.conf" <<CONF
ClusterName=sidelines-e2e
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=e2e Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$WORK/slurm.conf

echo "== starting slurmctld and slurmd ($HOST: $CPUS CPUs, $MEM_MB MB)"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 60); do
    state=$(sinfo -h -o %t 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 1
done
sinfo
if [[ $(sinfo -h -o %t) != idle ]]; then
    echo "slurm-e2e: the node did not come up; slurmd.log:" >&2
    tail -20 "$WORK/slurmd.log" >&2
    exit 1
fi

# A small Sobol sweep: 8 base samples x (6 + 2) = 64 points, 3 replicates each.
sed -e 's/^samples = 256 /samples = 8 /' -e 's/^replicates = 10 /replicates = 3 /' \
    configs/sweeps/key-assumptions-sobol.toml > "$WORK/sobol.toml"
grep -q '^samples = 8 ' "$WORK/sobol.toml"

echo "== the sweep unsplit, on this machine"
"$BIN" sweep "$WORK/sobol.toml" --out "$WORK/unsplit" --quiet

echo "== submitting 4 shards and the merge"
cd "$WORK"
export JOB="sweep $WORK/sobol.toml" SHARDS=4 OUT=$WORK/results SIDELINES=$BIN
jid=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --mem-per-cpu=500M \
    "$ROOT/examples/slurm/shards.sbatch")
mid=$(sbatch --parsable --dependency=afterok:"$jid" --mem=500M \
    "$ROOT/examples/slurm/merge.sbatch")
echo "array job $jid, merge job $mid"
for _ in $(seq 300); do
    [[ -z $(squeue -h -j "$jid,$mid" 2>/dev/null) ]] && break
    sleep 1
done
squeue
sacct_state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1; }
echo "merge job: $(sacct_state "$mid")"
for f in sidelines-shard-*.out sidelines-merge-*.out; do
    echo "--- $f"
    cat "$f"
done

compare() { # unsplit-folder merged-folder
status=0
for f in "$1"/*; do
    name=$(basename "$f")
    [[ $name == manifest.json ]] && continue
    if cmp -s "$f" "$2/$name"; then
        echo "same bytes: $name ($(wc -c < "$f") bytes)"
    else
        echo "DIFFERENT: $name"
        status=1
    fi
done
python3 - "$1/manifest.json" "$2/manifest.json" <<'PY' || status=1
import json, sys
circumstances = ["command", "threads", "elapsed_seconds", "runs_per_second",
                 "resumed_from_run", "shard", "merged_from"]
a, b = (json.load(open(p)) for p in sys.argv[1:3])
slurm = [m["slurm"]["job_id"] for m in b["merged_from"]]
for m in (a, b):
    for k in circumstances:
        m.pop(k, None)
if a != b:
    print("DIFFERENT: manifest.json in", [k for k in set(a) | set(b) if a.get(k) != b.get(k)])
    sys.exit(1)
print("same manifest.json but for its circumstances; merged from Slurm jobs", slurm)
PY
extra=$(comm -13 <(ls "$1") <(ls "$2"))
[[ -z $extra ]] || { echo "DIFFERENT: merged has more files: $extra"; status=1; }
return $status
}

# Waits for jobs to leave the queue, then prints their logs.
wait_for() {
    for _ in $(seq 600); do
        [[ -z $(squeue -h -j "$1" 2>/dev/null) ]] && break
        sleep 1
    done
}

echo "== comparing $OUT/merged with the unsplit sweep"
failed=0
compare "$WORK/unsplit" "$OUT/merged" || failed=1

echo "== a failed task: shard 2's folder lost, merge refuses and names it; re-run that task alone"
rm -rf "$OUT/shards/2" "$OUT/merged"
if "$BIN" merge "$OUT"/shards/* --out "$OUT/merged"; then
    echo "DIFFERENT: merge accepted 3 of 4 shards"
    failed=1
else
    echo "merge exited $? and wrote nothing: $([[ -e $OUT/merged ]] && echo "WROTE $OUT/merged" || echo ok)"
fi
jid=$(sbatch --parsable --array=2 --cpus-per-task=1 --mem-per-cpu=500M \
    "$ROOT/examples/slurm/shards.sbatch")
mid=$(sbatch --parsable --dependency=afterok:"$jid" --mem=500M \
    "$ROOT/examples/slurm/merge.sbatch")
wait_for "$jid,$mid"
cat "sidelines-shard-${jid}_2.out" "sidelines-merge-$mid.out"
compare "$WORK/unsplit" "$OUT/merged" || failed=1

echo "== a requeued task: a 2-shard batch of 40,000 runs, shard 1 requeued mid-run, resumes"
"$BIN" batch --runs 40000 --seed 11 --out "$WORK/batch-unsplit" --quiet >/dev/null
export JOB="batch --runs 40000 --seed 11 --checkpoint-every 1" SHARDS=2 OUT=$WORK/batch
jid=$(sbatch --parsable --array=0-1 --cpus-per-task=1 --mem-per-cpu=1G \
    "$ROOT/examples/slurm/shards.sbatch")
for _ in $(seq 120); do
    next=$(sed -n 2p "$OUT/shards/1/.checkpoint" 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_run"])' 2>/dev/null || true)
    [[ -n $next && $next -gt 20000 ]] && break
    sleep 0.5
done
echo "shard 1 checkpointed up to run $next; requeueing task ${jid}_1"
scontrol requeue "${jid}_1"
mid=$(sbatch --parsable --dependency=afterok:"$jid" --mem=1G "$ROOT/examples/slurm/merge.sbatch")
wait_for "$jid,$mid"
for f in sidelines-shard-"${jid}"_*.out "sidelines-merge-$mid.out"; do
    echo "--- $f"
    cat "$f"
done
python3 - "$OUT"/shards/*/manifest.json <<'PY'
import json, sys
for path in sys.argv[1:]:
    m = json.load(open(path))
    s = m["shard"]
    print(f"shard {s['index']}: runs {s['first']} to {s['end']}, this start resumed from run "
          f"{m['resumed_from_run']} (Slurm job {s['slurm']['job_id']})")
PY
compare "$WORK/batch-unsplit" "$OUT/merged" || failed=1

echo "== a calibration in waves of 3 tasks (examples/slurm/calibrate.sh)"
cat > "$WORK/small.toml" <<TOML
name = "small"
description = "a small calibration for the Slurm test"
scenario = "ukraine-watch"
timeline = "$ROOT/configs/timelines/2025.csv"
seed = 4
particles = 30
replicates = 3
tolerances = [6, 3, 2]
[[parameters]]
path = "actors.KP.transfer"
range = [0.0, 1.0]
[[parameters]]
path = "beliefs.statement_weight"
range = [0.1, 0.9]
TOML
"$BIN" calibrate "$WORK/small.toml" --out "$WORK/cal-unsplit" --quiet >/dev/null
export FILE=$WORK/small.toml OUT=$WORK/cal SHARDS=3
"$ROOT/examples/slurm/calibrate.sh"
for f in generations.csv particles.csv posterior.csv observations.csv; do
    if cmp -s "$WORK/cal-unsplit/$f" "$OUT/$f"; then
        echo "same bytes: $f ($(wc -c < "$OUT/$f") bytes)"
    else
        echo "DIFFERENT: $f"
        failed=1
    fi
done

if [[ $failed -eq 0 ]]; then
    echo "slurm-e2e: PASS (a 4-shard sweep, a re-run failed task, a requeued batch shard, a calibration in waves: each identical to its unsplit run)"
else
    echo "slurm-e2e: FAIL"
fi
exit $failed
