#!/usr/bin/env bash
# The whole classifier recipe on one CUDA GPU, plus a small sweep, in one run (issue 16, point 8).
# Budget: under 12 minutes on one H100/H200. Nothing in CI runs this; the CPU recipe is `otklik train`.
#
#   scripts/gpu_train.sh [OUT_DIR]      # default var/gpu; results in OUT_DIR/results.json and OUT_DIR/*.log
#
# Steps: (1) the plain reference (tweets only, `otklik train-reference`); (2) the full recipe from conversion
# through the sentiment and multi-task stages to a release candidate; (3) its TF-IDF mixtures (topics with the
# fallback, sentiment); (4) the fast student distilled from it (3-minute budget) and its mixtures; (5) `otklik
# evaluate` of both (tables to OUT_DIR/evaluate.json, docs untouched) and the promotion gate as a dry run;
# (6) a sweep of stage 1's learning rate (3e-5, 1e-4; the recipe's is 6e-5) scored on validation only, last
# because it matters least. Nothing here is promoted or copied into classifiers/models.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-var/gpu}
BIN=${VENV:-.venv}/bin
mkdir -p "$OUT"
"$BIN/python" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name(0))" \
  | tee "$OUT/device.txt"
start=$(date +%s)
stamp() { echo "$(( $(date +%s) - start ))s $*" | tee -a "$OUT/timeline.log"; }

summarise() {
  "$BIN/python" - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
res = {"device": (out / "device.txt").read_text().strip(), "timeline": (out / "timeline.log").read_text().splitlines()}
for log in sorted(out.glob("sweep-*/train.log")) + [out / "train" / "train.log"]:
    if log.exists():
        lines = log.read_text().splitlines()
        res[str(log.relative_to(out))] = [l for l in lines if "best" in l or "validation" in l][-3:]
if (out / "evaluate.json").exists():
    res["evaluate"] = json.loads((out / "evaluate.json").read_text())["sentiment"]
(out / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1))
print(json.dumps(res, ensure_ascii=False, indent=1)[:4000])
PY
}
trap summarise EXIT  # results.json is written even when a step fails or the run is cut short

stamp "reference"
"$BIN/otklik" train-reference --work-dir "$OUT/reference" --device cuda > "$OUT/reference.log" 2>&1
stamp "full recipe"
"$BIN/otklik" train --work-dir "$OUT/train" --device cuda --no-promote --fresh > "$OUT/train.log" 2>&1
candidate=$(ls -d "$OUT"/train/models/*/ | tail -1)
mixtures() {  # both TF-IDF mixtures (and the topic fallback) of checkpoint $1, on device $2
  "$BIN/otklik" ensemble-topics "$1" --device "$2" && "$BIN/otklik" ensemble-sentiment "$1" --device "$2"
}
stamp "mixtures of $candidate"
mixtures "$candidate" cuda > "$OUT/mixtures.log" 2>&1
stamp "fast student"
"$BIN/otklik" distill --teacher "$candidate" --out "$OUT/fast" --work-dir "$OUT/distill" --device cuda --minutes 3 \
  > "$OUT/distill.log" 2>&1
mixtures "$OUT/fast" cpu >> "$OUT/mixtures.log" 2>&1  # the student is int8 ONNX: CPU
stamp "evaluate $candidate and $OUT/fast"
"$BIN/otklik" evaluate --model "$candidate" --fast-model "$OUT/fast" --device cuda --no-aspects --no-write-docs \
  --reference "$OUT/reference/reference-full-vocab" --json-out "$OUT/evaluate.json" > "$OUT/evaluate.log" 2>&1
stamp "gate (dry run)"
"$BIN/otklik" promote "$candidate" --device cuda --dry-run > "$OUT/gate.log" 2>&1 || true
for lr in 3e-5 1e-4; do
  stamp "sweep: stage-1 lr $lr"
  "$BIN/python" - "$OUT" "$lr" > "$OUT/sweep-$lr.log" 2>&1 <<'PY'
import json, sys
from pathlib import Path
from classifiers.pipeline import TrainPlan, ensure_base, run_sentiment_stage, _log_to
out, lr = Path(sys.argv[1]), float(sys.argv[2])
plan = TrainPlan(work_dir=out / f"sweep-{lr}", models_dir=out / "sweep-models", device="cuda")
plan.sentiment.lr = lr
(plan.work_dir).mkdir(parents=True, exist_ok=True)
base = out / "train" / "base"  # the conversion of the full recipe, shared
best = run_sentiment_stage(plan, base, _log_to(plan.work_dir / "train.log"))
print(json.dumps({"lr": lr, "best": str(best)}))
PY
done
stamp "done"
