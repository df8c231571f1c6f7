"""The weekly retraining flow: corrections exported from the database, a real (tiny) fine-tuning run from the
current default, the promotion gate, and no second training on the same corrections."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from classifiers.retrain import read_state, retrain_with_corrections
from tests.classifiers.conftest import make_tiny_base

pytestmark = pytest.mark.django_db(transaction=True)

# Small synthetic stand-ins for the shared sentiment corpora, so the test does not depend on their size.
POS = ["Спасибо, всё супер", "Отличный сервис", "Очень довольна доставкой", "Лучший банк, рекомендую"]
NEG = ["Ужасно, никогда больше", "Деньги списали дважды", "Связь пропадает каждый день", "Хамство и обман"]
NEU = ["Сегодня вторник", "Офис на Ленина", "Завтра обновление тарифов", "Кто знает адрес отделения"]


def write_shared_data(root: Path) -> Path:
    tweets, rus = [], []
    for i in range(8):
        for label, texts in (("positive", POS), ("negative", NEG), ("neutral", NEU)):
            text = f"{texts[i % 4]} #{i}"
            for split in ("train", "test"):
                for domain in ("banks", "telecom"):
                    tweets.append({"id": f"{domain}-{split}-{label}-{i}", "text": text, "label": label,
                                   "domain": domain, "split": split})
                rus.append({"id": f"rus-{split}-{label}-{i}", "text": text, "label": label, "split": split})
    root.mkdir(parents=True, exist_ok=True)
    for name, rows in (("sentirueval_tweets.jsonl", tweets), ("rusentiment.jsonl", rus)):
        (root / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return root


@pytest.fixture
def tiny_default(tmp_path) -> Path:
    """A tiny random encoder with the Otklik head, standing in for classifiers/models/default."""
    from classifiers.taxonomy import load_taxonomy
    from classifiers.train import build_model

    tax = load_taxonomy()
    base = make_tiny_base(tmp_path / "tiny-base")
    model, tok = build_model(base, tax.codes, version="tiny-default-1", taxonomy_version=tax.version, max_length=48)
    out = tmp_path / "default"
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def corrections(n: int) -> None:
    from django.contrib.auth.models import User

    from store.models import Classification
    from tests.factories import mention

    ann = User.objects.create_user("ann")
    for i in range(n):
        m = mention(f"Курьер опоздал на {i + 2} часа и нахамил")
        Classification.objects.create(mention=m, model_name="moderator", model_version=Classification.HUMAN_VERSION,
                                      sentiment="negative", topics=["delivery_delay", "courier_behaviour"],
                                      primary_topic="delivery_delay", corrected_by=ann)


FAST = {"multitask": {"epochs": 0.05, "batch_size": 16, "max_length": 48, "eval_every": 0, "precision": "fp32"},
        "topics": {"epochs": 0.05, "batch_size": 16, "max_length": 48, "eval_every": 0, "precision": "fp32"},
        "replay": 40, "topics_replay": 40, "stage2_val_per_set": 20, "device": "cpu"}


def test_too_few_new_corrections_skip_training(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "a", "corrected_at": "2026-11-01T00:00:00"}\n\n', encoding="utf-8")
    r = retrain_with_corrections(path, tmp_path / "work", min_new=2, echo=lambda m: None)
    assert r.status == "skipped" and r.corrections.total == 1 and "1 new corrections" in r.reason
    assert not (tmp_path / "work" / "models").exists()


def test_weekly_retrain_flow_trains_gates_and_remembers(prefect_harness, tiny_default, tmp_path, monkeypatch):
    from transformers import AutoConfig

    from flows.weekly_retrain import weekly_retrain_flow

    monkeypatch.setenv("OTKLIK_SHARED_DATA", str(write_shared_data(tmp_path / "shared")))
    corrections(3)
    work = tmp_path / "retrain"
    before = (tiny_default / "model.safetensors").read_bytes()
    args = dict(min_new_corrections=3, work_dir=str(work), start_from=str(tiny_default),
                default_dir=str(tiny_default), plan_overrides=FAST)

    first = weekly_retrain_flow(**args)
    assert first["exported"] == 3 and first["new_corrections"] == 3
    assert first["status"] in ("promoted", "refused"), first
    candidate = Path(first["candidate"])
    assert (candidate / "model.safetensors").exists() and (candidate / "config.json").exists()
    assert first["version"] == AutoConfig.from_pretrained(candidate).otklik_model_version != "tiny-default-1"
    # the corrections were part of the training set, with their weight
    texts = (work / "corrections.jsonl").read_text(encoding="utf-8")
    assert texts.count("Курьер опоздал") == 3
    # the candidate was gated with the mixtures and topic fallback validation chose for it, as the default has them
    assert set(first["score_files"]) == {"topic_tfidf.npz", "sentiment_tfidf.npz", "topic_fallback.json"}
    assert all((candidate / name).exists() == shipped for name, shipped in first["score_files"].items())
    # a barely trained tiny encoder: the char TF-IDF beats it on validation by far, so both mixtures ship
    assert first["score_files"]["topic_tfidf.npz"] and first["score_files"]["sentiment_tfidf.npz"]
    promoted = (tiny_default / "model.safetensors").read_bytes() != before
    assert promoted == (first["status"] == "promoted")
    assert read_state(work)["trained_corrections"] == 3

    # the same corrections again: nothing new to learn, no training
    shutil.rmtree(candidate)
    second = weekly_retrain_flow(**args)
    assert second["status"] == "skipped" and second["new_corrections"] == 0
    assert not candidate.exists()
