"""``LimeConfig.digest``: the one key of a config's parameters, used by the HF cache and TFDS."""

from __future__ import annotations

import pytest

from lime_datasets.configs import get_config
from lime_datasets.core import config as config_module


def test_equal_parameters_give_equal_digests_and_any_change_another() -> None:
    base = get_config("mixed", num_train=1000)
    assert base.digest() == get_config("mixed", num_train=1000).digest()
    changed = [
        base.replace(seed=1), base.replace(vocab_size=999), base.replace(num_train=1001),
        base.replace(num_validation=7), base.replace(num_test=7), base.replace(max_steps=4),
        base.replace(min_steps=2), base.replace(task_weights={"deduct": 1, "abduct": 2}),
    ]
    digests = {config.digest() for config in changed}
    assert len(digests) == len(changed) and base.digest() not in digests
    assert all(len(d) == 16 and int(d, 16) >= 0 for d in digests)


def test_a_new_data_version_gives_a_new_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    config = get_config("deduct")
    before = config.digest()
    monkeypatch.setattr(config_module, "DATA_VERSION", "99.0.0")
    assert config.digest() != before


def test_the_digest_kept_the_hf_cache_keys_of_earlier_releases() -> None:
    # Computed by the earlier ``hf.parameters_digest``: built caches stay valid.
    assert get_config("deduct").digest() == "e98102ade18b5af0"
    assert get_config("mixed", num_train=1000, seed=3).digest() == "365f7a225524fd91"


def test_the_hf_cache_folder_is_named_by_the_digest() -> None:
    hf = pytest.importorskip("lime_datasets.hf")
    builder_config = hf.LimeBuilderConfig("mixed", num_train=1000, seed=3)
    config = get_config("mixed", num_train=1000, seed=3)
    assert builder_config.create_config_id({}) == f"mixed-{config.digest()}"
