"""`otklik train --prefix`: the text prefix stage 1 chooses is stored in the checkpoint and kept by later stages."""

from __future__ import annotations


def test_the_prefix_travels_with_the_checkpoint(tiny_base, tmp_path):
    from classifiers.model import load_checkpoint
    from classifiers.pipeline import TrainPlan, checkpoint_prefix
    from classifiers.taxonomy import load_taxonomy
    from classifiers.train import build_model

    tax = load_taxonomy()
    codes = tax.codes
    assert TrainPlan(work_dir=tmp_path, models_dir=tmp_path).prefix == "query: "
    for prefix, name in (("", "bare"), ("query: ", "e5")):
        model, tok = build_model(tiny_base, codes, version=f"t-{name}", taxonomy_version=tax.version, prefix=prefix)
        model.save_pretrained(tmp_path / name)
        tok.save_pretrained(tmp_path / name)
        assert checkpoint_prefix(tmp_path / name) == prefix
        clf = load_checkpoint(tmp_path / name, device="cpu")
        assert clf.prefix == prefix
        # the encoder reads exactly prefix + text
        assert clf.encode(["Курьер опоздал"])[0] == tok(prefix + "Курьер опоздал")["input_ids"]
    # a stage built on the bare checkpoint keeps its prefix (as run_multitask_stage does)
    model, _ = build_model(tmp_path / "bare", codes, version="t-stage2", taxonomy_version=tax.version,
                           prefix=checkpoint_prefix(tmp_path / "bare"))
    assert model.config.otklik_text_prefix == ""
