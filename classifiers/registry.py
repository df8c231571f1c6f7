"""Find and load the classifier to use: a checkpoint path, the shipped default, or the rule baseline."""

from __future__ import annotations

import os
from pathlib import Path

from .rules import RuleClassifier
from .types import Classifier

DEFAULT_MODEL_DIR = Path(__file__).with_name("models") / "default"
FAST_MODEL_DIR = Path(__file__).with_name("models") / "fast"


def load_classifier(path: str | os.PathLike | None = None, device: str = "auto", fast: bool = False) -> Classifier:
    """Load the classifier at `path` (or $OTKLIK_MODEL, or the shipped default; `fast`: the distilled one).

    Falls back to the rule baseline only when no path was asked for and no
    default checkpoint is shipped; an explicit path that cannot be loaded raises.
    """
    chosen = path or os.environ.get("OTKLIK_MODEL") or (FAST_MODEL_DIR if fast else None)
    if chosen:
        if str(chosen) == "rules":
            return RuleClassifier()
        return _load_checkpoint(Path(chosen), device)
    if (DEFAULT_MODEL_DIR / "config.json").exists():
        return _load_checkpoint(DEFAULT_MODEL_DIR, device)
    return RuleClassifier()


class ModelLoadError(RuntimeError):
    """A checkpoint directory that exists but cannot be loaded (a truncated or corrupt file)."""


def _load_checkpoint(path: Path, device: str) -> Classifier:
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"no Hugging Face checkpoint (config.json) in {path}")
    from .model import load_checkpoint

    try:
        return load_checkpoint(path, device=device)
    except Exception as exc:  # noqa: BLE001 - any loader failure: say which checkpoint, keep the cause
        raise ModelLoadError(f"cannot load the classifier checkpoint in {path}: {type(exc).__name__}: {exc}") from exc
