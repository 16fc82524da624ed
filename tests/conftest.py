"""Shared fixtures: where the course's cat/non-cat files live (never committed)."""

import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[1]


def _find_catvnoncat():
    candidates = []
    if os.environ.get("SKNN_SCRATCH_DATA"):
        root = Path(os.environ["SKNN_SCRATCH_DATA"])
        candidates += [root / "catvnoncat", root]
    candidates.append(_REPO.parent / "shared" / "datasets" / "catvnoncat")
    for folder in candidates:
        if (folder / "train_catvnoncat.h5").is_file() and (
            folder / "test_catvnoncat.h5"
        ).is_file():
            return folder
    return None


@pytest.fixture(scope="session")
def catvnoncat_dir():
    """Folder holding train_catvnoncat.h5 / test_catvnoncat.h5, or skip."""
    folder = _find_catvnoncat()
    if folder is None:
        pytest.skip(
            "course data not found: set SKNN_SCRATCH_DATA to a folder holding "
            "catvnoncat/train_catvnoncat.h5 (or place it in ../shared/datasets)"
        )
    return folder
