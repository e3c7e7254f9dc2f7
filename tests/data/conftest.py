"""Quiet `datasets` for every test of tests/data, and the local hub (tests/local_hub.py) that
the real-mode tests download from."""

import datasets
import pytest
import torch

from local_hub import ALL_TASKS, STUDY_LANGS, LocalHub, plan_parts, records_for


@pytest.fixture(scope="module", autouse=True)
def quiet():
    """No progress bars, one thread, and no network: `load_dataset` pings the hub to count
    downloads even for local parquet files (a 3 s timeout per call without network)."""
    datasets.disable_progress_bars()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(datasets.config, "HF_UPDATE_DOWNLOAD_COUNTS", False)
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> LocalHub:
    local = LocalHub(tmp_path_factory.mktemp("hub"))
    for dataset, config, split in plan_parts(ALL_TASKS, STUDY_LANGS):
        local.add(dataset, config, split, records_for(dataset, config, split))
    return local
