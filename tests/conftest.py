"""Shared set-up: one BLAS thread per test process, and where the course's
cat/non-cat files live (never committed).

The suite runs in two processes (pytest-xdist, ``-n 2`` in setup.cfg) on a 2-core
machine. With OpenBLAS' default of one thread per core in each of them, the many
small products of these tests fight over the cores: a 100 x 100 product took
1.0 ms with 2 threads on a busy machine against 0.10 ms with 1. So every test
process, and every interpreter a test starts (they inherit the environment), runs
BLAS on one thread, unless the caller chose otherwise. Tests about thread counts
set their own limits.
"""

import os
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(1)  # numpy may already be loaded with more threads

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
