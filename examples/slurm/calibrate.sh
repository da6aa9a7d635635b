#!/bin/bash
# A calibration on a Slurm cluster, in waves: each wave is a job array of SHARDS tasks that
# score the next batches of proposals (calibrate-wave.sbatch), then `sidelines merge` takes
# the wave in, and either the calibration is finished ($OUT/manifest.json) or the next wave
# goes. ABC-SMC needs each generation before the next can be proposed, so the waves run one
# after another; within a wave the shards run at once.
#
#   export FILE=configs/calibration/2025.toml OUT=results/calibration SHARDS=8
#   examples/slurm/calibrate.sh          # on a login node, or itself in a job: it only waits
#
# The tables are those of `sidelines calibrate FILE` on one machine, byte for byte. If the
# script stops (a task failed, the login session ended), run it again: it goes on from the last
# wave taken in, and tasks that had scored their shard of the current wave do not score it again.
set -euo pipefail
: "${FILE:?set FILE to the calibration file}"
: "${OUT:?set OUT to the calibration folder}"
: "${SHARDS:?set SHARDS to the number of tasks per wave}"
export FILE OUT SHARDS
SIDELINES=${SIDELINES:-sidelines}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
wave=0
while [[ ! -f $OUT/manifest.json ]]; do
    wave=$((wave + 1))
    echo "wave $wave: $SHARDS tasks"
    sbatch --wait --array=0-$((SHARDS - 1)) "$here/calibrate-wave.sbatch" >/dev/null
    "$SIDELINES" merge "$OUT"/wave/* --out "$OUT"
done
echo "calibration finished in $wave waves: $OUT"
