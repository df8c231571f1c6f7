"""`otklik evaluate-file FILE`: the model, the fast student and the lemma rules on any labelled JSON Lines file.

The fixed test sets say how the classifier does on text the project wrote or chose; a team that labels texts of
its own channels (real reviews, a week of the desk's mentions) reads here how it does on those. Lines look like
the moderators' corrections (`classifiers.data.load_corrections`), with `topics` required:

    {"id": "r-1", "text": "Курьер опоздал на три часа", "topics": ["delivery_delay"], "sentiment": "negative"}

All or nothing: any bad line (not JSON, no text, no topics, an unknown sentiment or topic code) stops the run
before anything is scored, naming every bad line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from store.linefile import BadLine, read_jsonl_lines

from .data import _correction, bad_lines_listed
from .taxonomy import load_taxonomy


class LabelledFileError(ValueError):
    """A labelled file with bad lines: nothing is scored until they are fixed."""

    def __init__(self, path: str | Path, bad: list[BadLine]):
        self.path, self.bad = Path(path), bad
        super().__init__(f"{path}: {len(bad)} плохих строк, оценка не начата; исправьте их:\n{bad_lines_listed(bad)}")


def load_labelled(path: str | Path, codes: list[str]) -> list[dict]:
    """The rows of a labelled file; `LabelledFileError` names every line that is not one."""
    known, rows, bad = set(codes), [], []
    for entry in read_jsonl_lines(path):
        row = entry if isinstance(entry, BadLine) else _correction(*entry, None)
        if not isinstance(row, BadLine):
            lineno = entry[0]
            unknown = sorted(set(row["topics"] or []) - known)
            if row["topics"] is None:
                row = BadLine(lineno, "no_topics")
            elif unknown:
                row = BadLine(lineno, "unknown_topic", ", ".join(unknown)[:80])
        (bad if isinstance(row, BadLine) else rows).append(row)
    if bad:
        raise LabelledFileError(path, bad)
    if not rows:
        raise LabelledFileError(path, [BadLine(0, "empty_file")])
    return rows


def labelled_report(path: str | Path, model_dir=None, fast_model=None, device: str = "auto",
                    echo: Callable[[str], None] = print) -> dict:
    """Topic P/R/F1 per code and sentiment macro-F1 of the model, the fast student (when there is one) and the
    rules on the file's rows, as `otklik evaluate` scores its logistics tests; printed as its table."""
    from .evaluate import _logistics, fast_student, render_logistics
    from .model import load_checkpoint
    from .registry import DEFAULT_MODEL_DIR
    from .rules import RuleClassifier

    rows = load_labelled(path, load_taxonomy().codes)
    model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    systems = {"model": load_checkpoint(model_dir, device=device), "rules": RuleClassifier()}
    _, fast = fast_student(fast_model, model_dir, device)
    if fast is not None:
        systems["fast"] = fast
    texts = [r["text"] for r in rows]
    report: dict = {"file": str(path), "n": len(rows), "model_version": systems["model"].version}
    for name, clf in systems.items():
        echo(f"{name}: {len(texts)} texts …")
        report[name] = _logistics(clf, rows, clf.predict(texts))
    echo("\n".join(render_logistics(f"{Path(path).name} ({systems['model'].version})", report)))
    return report
