"""save_matrix writes a new file or nothing: a write that dies midway leaves the old matrix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from training.train import save_matrix


def matrix(tag: str) -> pd.DataFrame:
    return pd.DataFrame({"account_id": [f"{tag}1", f"{tag}2"], "churned": [0.0, 1.0]})


def test_a_write_that_dies_midway_leaves_the_previous_matrix(tmp_path, monkeypatch):
    path = tmp_path / "deep" / "er" / "matrix.parquet"
    save_matrix(matrix("old"), path)  # the folders are made
    before = path.read_bytes()

    def dies_midway(self, target, *args, **kwargs):
        with open(target, "wb") as handle:  # some bytes reach the file, then the disk fills up
            handle.write(b"PAR1 half a file")
        raise OSError("no space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", dies_midway)
    with pytest.raises(OSError, match="no space"):
        save_matrix(matrix("new"), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["matrix.parquet"]  # no temporary left

    save_matrix(matrix("new"), path)
    assert list(pd.read_parquet(path)["account_id"]) == ["new1", "new2"]
    assert [p.name for p in path.parent.iterdir()] == ["matrix.parquet"]


def test_the_rows_index_is_not_written():
    # A matrix filtered down (index 5, 9) is written as plain rows, as a matrix reads back.
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.parquet"
        save_matrix(matrix("x").set_axis([5, 9]), path)
        back = pd.read_parquet(path)
        assert list(back.columns) == ["account_id", "churned"]
        assert list(back.index) == [0, 1]


def test_the_temporary_is_written_beside_the_matrix(tmp_path, monkeypatch):
    # A rename is atomic only within one file system: the temporary sits in the target's folder.
    path = tmp_path / "m" / "matrix.parquet"
    written = []
    original = pd.DataFrame.to_parquet

    def recording(self, target, *args, **kwargs):
        written.append(Path(target))
        return original(self, target, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", recording)
    save_matrix(matrix("t"), path)
    assert len(written) == 1 and written[0].parent == path.parent and written[0] != path
    assert list(pd.read_parquet(path)["account_id"]) == ["t1", "t2"]
