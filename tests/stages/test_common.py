"""What the stages that train share: resume directories keyed by the hardware too."""


def test_resume_key_names_the_hardware(monkeypatch, tmp_path):
    from xstilts.stages import common

    monkeypatch.setattr(common, "repo_root", lambda: tmp_path)
    monkeypatch.setattr(common, "native_bf16", lambda device: False)
    without = common.resume_dir("pretrain", {"a": 1})
    monkeypatch.setattr(common, "native_bf16", lambda device: True)
    assert common.resume_dir("pretrain", {"a": 1}) != without
