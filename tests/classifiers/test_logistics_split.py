"""The logistics validation split stays put when a new authored file is added."""

import json

from classifiers import data as D
from classifiers.pipeline import VAL_FRAC_LOGISTICS, logistics_split_group, logistics_splits

CODES = ["delivery_delay", "lost_item", "praise"]


def _write(path, prefix: str, n: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            row = {"id": f"{prefix}-{i:04d}", "text": f"текст {prefix} {i}", "channel": "vk",
                   "sentiment": ["negative", "neutral", "positive"][i % 3], "topics": [CODES[i % len(CODES)]],
                   "split": "train"}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _val_ids(directory) -> set[str]:
    return {r["id"] for r in logistics_splits(CODES, directory=directory)[1]}


def test_adding_a_file_moves_no_row_of_another_file(tmp_path):
    _write(tmp_path / "authored_a_train.jsonl", "la", 120)
    _write(tmp_path / "authored_d1_train.jsonl", "ld1", 200)
    before = _val_ids(tmp_path)
    _write(tmp_path / "authored_f1_train.jsonl", "lf1", 180)
    train, val = logistics_splits(CODES, directory=tmp_path)
    after = {r["id"] for r in val}

    assert {i for i in after if not i.startswith("lf1")} == before
    new_val = [i for i in after if i.startswith("lf1")]
    assert abs(len(new_val) - 180 * VAL_FRAC_LOGISTICS) <= len(CODES) * 3  # rounding per stratum
    assert not after & {r["id"] for r in train}
    assert len(train) + len(val) == 500


def test_parts_a_to_d_are_carved_together_as_before_part_f(tmp_path):
    _write(tmp_path / "authored_a_train.jsonl", "la", 120)
    _write(tmp_path / "authored_d1_train.jsonl", "ld1", 200)
    rows = D.load_logistics("train", tmp_path, known_codes=CODES)
    key = lambda r: (r["topics"][0], r["sentiment"])  # noqa: E731
    _, together = D.stratified_split(rows, VAL_FRAC_LOGISTICS, 13, key=key)
    assert _val_ids(tmp_path) == {r["id"] for r in together}


def test_split_groups():
    assert logistics_split_group("authored:authored_a_train") == "a-d"
    assert logistics_split_group("authored:authored_d4_train") == "a-d"
    assert logistics_split_group("authored:authored_f2_train") == "authored_f2_train"
