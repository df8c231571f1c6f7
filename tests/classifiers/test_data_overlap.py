"""A new authored training file loses its repeats and its near-copies of test rows, and nothing else."""

import json

from classifiers.data_overlap import main, overlapping


def test_repeats_and_near_copies_of_test_rows_are_dropped():
    new = [
        {"id": "f-1", "text": "Посылка едет третью неделю"},
        {"id": "f-2", "text": "посылка ЕДЕТ третью неделю!!!"},  # repeats f-1 once normalised
        {"id": "f-3", "text": "Курьер не позвонил и уехал"},  # 5 of 6 tokens of a test row
        {"id": "f-4", "text": "Спасибо, всё пришло целым"},
        {"id": "f-5", "text": "Коробку смяли, ёлки"},  # equals a known train row after ё → е
    ]
    drop = overlapping(new, known_texts=["коробку смяли елки"], test_texts=["курьер не позвонил и уехал сразу"])
    assert set(drop) == {"f-2", "f-3", "f-5"}
    assert drop["f-2"] == drop["f-5"] == "repeat"
    assert drop["f-3"].startswith("jaccard 0.83")


def test_main_rewrites_the_new_file_in_order(tmp_path, capsys):
    def write(name, rows):
        (tmp_path / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")

    write("authored_a_train.jsonl", [{"id": "a-1", "text": "где моя посылка"}])
    write("authored_a_test.jsonl", [{"id": "t-1", "text": "пвз закрыт в рабочее время опять"}])
    write("authored_f1_train.jsonl", [{"id": "f-1", "text": "ПВЗ закрыт в рабочее время"},
                                      {"id": "f-2", "text": "Где моя посылка?"},
                                      {"id": "f-3", "text": "верните деньги за возврат"}])
    main([str(tmp_path / "authored_f1_train.jsonl")], directory=tmp_path)
    kept = [json.loads(x)["id"] for x in (tmp_path / "authored_f1_train.jsonl").read_text("utf-8").splitlines()]
    assert kept == ["f-3"]
    assert "1 kept, 2 dropped" in capsys.readouterr().out
