"""Checkpoint storage: layout, _metadata written last and verified, shared-file reference counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flink_py.common.runtime.checkpoint_storage import (
    CheckpointCorruptError,
    CheckpointStorage,
    SharedStateRegistry,
    resolve_filesystem,
)


@pytest.fixture
def storage(tmp_path: Any) -> CheckpointStorage:
    return CheckpointStorage(f"file://{tmp_path}/cp", "job-7")


def test_layout_and_completed_checkpoints(storage: CheckpointStorage, tmp_path: Any) -> None:
    assert storage.checkpoint_path(3) == f"{tmp_path}/cp/job-7/chk-3"
    assert storage.shared_path == f"{tmp_path}/cp/job-7/shared"
    storage.initialize_checkpoint(1)
    storage.initialize_checkpoint(2)
    storage.write_file(f"{storage.checkpoint_path(2)}/state", b"x")
    assert storage.completed_checkpoints() == []  # no _metadata yet: not complete
    path = storage.write_metadata(2, {"op": {"a": 1}}, ["s2", "s1", "s1"])
    assert path.endswith("job-7/chk-2/_metadata")
    assert storage.completed_checkpoints() == [2]
    doc = storage.read_metadata(2)
    assert doc["operators"] == {"op": {"a": 1}} and doc["shared_files"] == ["s1", "s2"]
    assert doc["checkpoint_id"] == 2 and doc["job_id"] == "job-7"


def test_plain_paths_are_local(tmp_path: Any) -> None:
    storage = CheckpointStorage(str(tmp_path / "plain"), "j")
    storage.initialize_checkpoint(1)
    storage.write_metadata(1, {})
    assert storage.completed_checkpoints() == [1]
    with pytest.raises(ValueError, match="checkpoint directory 'nosuch://x' is not usable"):
        resolve_filesystem("nosuch://x")


def test_corrupt_or_missing_metadata_names_the_path(storage: CheckpointStorage) -> None:
    storage.initialize_checkpoint(1)
    path = storage.write_metadata(1, {"op": []})
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:-3])
    with pytest.raises(CheckpointCorruptError, match="checksum mismatch") as err:
        storage.read_metadata(1)
    assert err.value.path == path and path in str(err.value)
    Path(path).write_bytes(b"garbage")
    with pytest.raises(CheckpointCorruptError, match="not a flink-py checkpoint metadata"):
        storage.read_metadata(1)
    with pytest.raises(CheckpointCorruptError, match="missing") as err:
        storage.read_metadata(5)
    assert err.value.path == storage.metadata_path(5)


def test_shared_files_are_deleted_when_unreferenced(storage: CheckpointStorage) -> None:
    shared = [f"{storage.shared_path}/{n}" for n in ("a", "b", "c")]
    for p in shared:
        storage.write_file(p, b"sst")
    for n in (1, 2, 3):
        storage.initialize_checkpoint(n)
        storage.write_metadata(n, {})
    registry = SharedStateRegistry(storage)
    assert registry.retain(1, shared[:2], num_retained=2) == []
    assert registry.retain(2, shared[1:], num_retained=2) == []
    assert registry.reference_count(shared[1]) == 2
    assert registry.retain(3, shared[2:], num_retained=2) == [1]
    assert storage.list_files(storage.shared_path) == shared[1:]  # "a" only chk-1 used
    assert storage.completed_checkpoints() == [2, 3]
    assert registry.unregister(2) == [shared[1]]
    assert storage.list_files(storage.shared_path) == shared[2:]
    with pytest.raises(ValueError, match="already registered"):
        registry.register(3, [])
