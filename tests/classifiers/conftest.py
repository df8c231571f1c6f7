"""Fixtures: a tiny random BERT checkpoint with a tiny Unigram tokenizer, created by the tests themselves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS = [
    "Курьер опоздал на три часа и нахамил",
    "Посылку потеряли, трек не обновляется неделю",
    "Спасибо за быструю доставку, всё отлично",
    "Коробка пришла мятая, товар разбит",
    "Как поменять адрес доставки?",
    "Списали деньги дважды, верните переплату",
    "Пункт выдачи закрыт в рабочее время",
    "Привезли чужой заказ, не тот размер",
    "Подписывайтесь на мой канал, промокод внутри",
    "Обычный день, ничего особенного",
    "Отличный сервис, курьер вежливый",
    "Ужасная служба доставки, больше никогда",
    "Hello, where is my parcel?",
]

ROWS = [
    {"text": "Курьер опоздал на три часа и нахамил", "sentiment": "negative", "topics": ["delivery_delay", "courier_behaviour"]},
    {"text": "Посылку потеряли, трек не обновляется", "sentiment": "negative", "topics": ["lost_item", "tracking"]},
    {"text": "Спасибо за быструю доставку", "sentiment": "positive", "topics": ["praise"]},
    {"text": "Коробка пришла мятая", "sentiment": "negative", "topics": ["damaged_packaging"]},
    {"text": "Как поменять адрес доставки?", "sentiment": "neutral", "topics": ["address_change", "question"]},
    {"text": "Обычный день, ничего особенного", "sentiment": "neutral", "topics": None},
    {"text": "Отличный сервис", "sentiment": "positive", "topics": None},
    {"text": "Подписывайтесь на мой канал", "sentiment": None, "topics": ["spam"]},
]


def make_tiny_base(path: Path) -> Path:
    """A 2-layer, 32-wide BERT `BertModel` + a 200-piece Unigram fast tokenizer (XLM-R special ids)."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    torch.manual_seed(0)
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(vocab_size=200, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], unk_token="<unk>")
    tok.train_from_iterator(CORPUS * 3, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", cls_token="<s>",
                                   sep_token="</s>", unk_token="<unk>", pad_token="<pad>", model_max_length=64)
    cfg = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64, pad_token_id=1)
    BertModel(cfg, add_pooling_layer=False).save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    return make_tiny_base(tmp_path_factory.mktemp("tiny") / "base")


@pytest.fixture(scope="session")
def tiny_trained(tiny_base, tmp_path_factory) -> Path:
    """The tiny base fine-tuned for a few steps through the real training loop, saved as a checkpoint."""
    from classifiers.taxonomy import load_taxonomy
    from classifiers.train import StageConfig, build_model, train_stage

    tax = load_taxonomy()
    model, tok = build_model(tiny_base, tax.codes, version="tiny-test-1", taxonomy_version=tax.version, max_length=48)
    out = tmp_path_factory.mktemp("tiny_run")
    cfg = StageConfig(name="tiny", epochs=20, lr=2e-3, head_lr=1e-2, batch_size=4, max_length=48, eval_every=0,
                      save_every=5, log_every=100, precision="fp32", warmup=0.1)
    best = train_stage(model, tok, ROWS, cfg, out, evaluate=None, device="cpu", log=lambda m: None)
    return best


@pytest.fixture(scope="session")
def tiny_rows() -> list[dict]:
    return [dict(r) for r in ROWS]


@pytest.fixture(autouse=True, scope="session")
def _threads():
    os.environ.setdefault("OTKLIK_THREADS", "2")
    os.environ.setdefault("OTKLIK_PRECISION", "fp32")
    yield
