"""`scripts/gpu_train.sh` (issue 16, point 8): valid bash, and on a machine without CUDA it stops at once."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_train.sh"


def test_the_gpu_script_parses():
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="this checks the refusal on a machine without CUDA")
def test_without_cuda_the_gpu_script_refuses_before_any_work(tmp_path):
    venv = Path(sys.executable).parent.parent
    out = tmp_path / "gpu"
    run = subprocess.run(["bash", str(SCRIPT), str(out)], capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "VENV": str(venv), "HOME": str(tmp_path)})
    assert run.returncode != 0 and "no CUDA device" in run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["device.txt"]  # no step ran, no results claimed
