from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = Path(__file__).resolve().parent / "e2e" / "workers" / "sample" / "wrangler.toml"


@pytest.fixture
def sample_config() -> Path:
    return SAMPLE


@pytest.fixture
def repo() -> Path:
    return REPO
