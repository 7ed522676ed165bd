"""Output sets are all or nothing: after any failure the previous set is whole, never a mix."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from serving.outputs import CURRENT, OUTPUT_NAMES, OutputWriter, live_files, write_outputs


def scores(tag: str, rows: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [f"{tag}{i}" for i in range(rows)],
            "as_of": pd.Timestamp("2025-06-01"),
            "health_score": [80 + i for i in range(rows)],
        }
    )


def explanations(tag: str) -> pd.DataFrame:
    return pd.DataFrame({"account_id": [f"{tag}0", f"{tag}0"], "feature": ["mrr", "seats"]})


def write_set(out: Path, tag: str, explain: bool = True) -> dict[str, Path]:
    with OutputWriter(out) as writer:
        writer.write("scores", scores(tag))
        if explain:
            writer.write("explanations", explanations(tag))
        return writer.commit({"as_of": "2025-06-01", "tag": tag})


class Fault:
    """Makes the ``at``-th call (0-based) of the file-system calls a commit uses raise OSError."""

    CALLS = ("replace", "symlink", "link")

    def __init__(self, monkeypatch, at: int) -> None:
        self.at, self.calls, self.fired = at, 0, False
        for name in self.CALLS:
            monkeypatch.setattr(os, name, self._wrap(getattr(os, name)))

    def _wrap(self, real):
        def call(*args, **kwargs):
            self.calls += 1
            if self.calls - 1 == self.at:
                self.fired = True
                raise OSError("disk went away")
            return real(*args, **kwargs)

        return call


def test_a_set_is_published_under_its_public_names(tmp_path):
    files = write_set(tmp_path, "a")
    assert sorted(files) == ["explanations.parquet", "scores.csv", "scores.parquet", "scoring.json"]
    assert set(OUTPUT_NAMES) == set(files)
    assert list(pd.read_parquet(tmp_path / "scores.parquet")["account_id"]) == ["a0", "a1", "a2"]
    assert (tmp_path / "scores.csv").read_text().splitlines()[1].startswith('"a0",2025-06-01')
    assert '"tag": "a"' in (tmp_path / "scoring.json").read_text()
    # One pointer to the live set; the public names go through it.
    assert (tmp_path / CURRENT).is_symlink()
    assert os.readlink(tmp_path / "scores.parquet") == os.path.join(CURRENT, "scores.parquet")


def test_a_failure_while_writing_leaves_the_previous_set_whole(tmp_path):
    write_set(tmp_path, "old")
    before = live_files(tmp_path)
    broken = explanations("new").assign(feature=[object(), object()])
    with pytest.raises(Exception, match="object"):
        write_outputs({"scores": scores("new"), "explanations": broken}, tmp_path)
    assert live_files(tmp_path) == before
    assert len(list((tmp_path / ".sets").iterdir())) == 1  # the unfinished set is gone


@pytest.mark.parametrize("plain_before", [False, True], ids=["pointer-layout", "plain-files"])
def test_a_failure_at_any_step_of_the_commit_leaves_the_previous_set_whole(
    tmp_path, monkeypatch, plain_before
):
    """Fail each file-system call of the commit in turn: the old set is seen whole every time."""
    outcomes = []
    for at in range(50):
        out = tmp_path / str(at)
        if plain_before:  # a folder written before the pointer layout: plain files
            out.mkdir()
            for name in OUTPUT_NAMES:
                (out / name).write_bytes(f"old {name}".encode())
        else:
            write_set(out, "old")
        before = live_files(out)
        with monkeypatch.context() as patch:
            fault = Fault(patch, at)
            try:
                write_set(out, "new")
                failed = False
            except OSError:
                failed = True
        after = live_files(out)
        if failed:
            assert after == before, f"failure at call {at} left a mix"
            outcomes.append("old")
            continue
        assert sorted(after) == sorted(OUTPUT_NAMES)
        assert after["scoring.json"] != before["scoring.json"]
        assert list(pd.read_parquet(out / "explanations.parquet")["account_id"]) == ["new0"] * 2
        if fault.fired:  # a failed hard link falls back to a copy: the commit still went through
            outcomes.append("new after a fallback")
            continue
        outcomes.append("new")
        break
    # Every call of a clean commit was failed once; the last run had no call left to fail.
    assert outcomes[-1] == "new" and outcomes.count("old") >= 2
    assert ("new after a fallback" in outcomes) == plain_before


def test_a_set_without_explanations_does_not_keep_the_old_ones(tmp_path):
    write_set(tmp_path, "old")
    write_set(tmp_path, "new", explain=False)
    assert sorted(live_files(tmp_path)) == ["scores.csv", "scores.parquet", "scoring.json"]
    assert not (tmp_path / "explanations.parquet").exists()
    assert list(pd.read_parquet(tmp_path / "scores.parquet")["account_id"])[0] == "new0"
    assert len(list((tmp_path / ".sets").iterdir())) == 1  # the old set is removed
    # Written again with explanations, they come back through the same name.
    write_set(tmp_path, "third")
    assert list(pd.read_parquet(tmp_path / "explanations.parquet")["account_id"]) == ["third0"] * 2


def test_leaving_without_commit_changes_nothing(tmp_path):
    write_set(tmp_path, "old")
    before = live_files(tmp_path)
    with OutputWriter(tmp_path) as writer:
        writer.write("scores", scores("new"))
    assert live_files(tmp_path) == before
    assert len(list((tmp_path / ".sets").iterdir())) == 1


def test_plain_files_from_an_older_layout_are_replaced_whole(tmp_path):
    for name in OUTPUT_NAMES:
        (tmp_path / name).write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("mine")  # not an output: left alone
    write_set(tmp_path, "new")
    assert list(pd.read_parquet(tmp_path / "scores.parquet")["account_id"])[0] == "new0"
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_other_files_of_a_set_are_published_and_withdrawn_with_it(tmp_path):
    with OutputWriter(tmp_path) as writer:
        writer.write("scores", scores("a"))
        (writer.staging / "report.html").write_text("<p>a</p>")
        writer.commit()
    assert (tmp_path / "report.html").read_text() == "<p>a</p>"
    write_set(tmp_path, "b")  # a set without a report
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "report.html").is_symlink()


def test_write_outputs_publishes_every_frame_and_the_manifest_reads_as_indented_json(tmp_path):
    files = write_outputs({"scores": scores("w"), "explanations": explanations("w")}, tmp_path)
    assert sorted(files) == ["explanations.parquet", "scores.csv", "scores.parquet"]
    assert list(pd.read_parquet(tmp_path / "explanations.parquet")["feature"]) == ["mrr", "seats"]
    write_set(tmp_path, "m")
    assert (tmp_path / "scoring.json").read_text() == (
        '{\n  "as_of": "2025-06-01",\n  "tag": "m"\n}\n'
    )


def test_chunks_share_the_first_chunks_schema_and_the_writer_counts_rows(tmp_path):
    first = pd.DataFrame({"account_id": ["a", "b"], "reason": [None, None]})
    second = pd.DataFrame({"account_id": ["c"], "reason": ["Price rose 10%"]})
    with OutputWriter(tmp_path, metadata={"customer_health": "run 7"}) as writer:
        writer.write("scores", first)
        writer.write("scores", second)
        writer.write("explanations", explanations("x"))
        assert writer.rows == {"scores": 3, "explanations": 2}
        writer.commit()
    back = pd.read_parquet(tmp_path / "scores.parquet")
    assert (
        back["reason"].isna().tolist() == [True, True, False]
        and back["reason"][2] == "Price rose 10%"
    )
    import pyarrow.parquet as pq

    schema = pq.read_schema(tmp_path / "scores.parquet")
    assert str(schema.field("reason").type) == "string"  # an all-empty first chunk: text
    assert schema.metadata[b"customer_health"] == b"run 7"


def test_a_link_pointing_elsewhere_is_pointed_at_the_live_set(tmp_path):
    (tmp_path / "elsewhere.parquet").write_bytes(b"not ours")
    os.symlink("elsewhere.parquet", tmp_path / "scores.parquet")
    write_set(tmp_path, "new")
    assert os.readlink(tmp_path / "scores.parquet") == os.path.join(CURRENT, "scores.parquet")
    assert list(pd.read_parquet(tmp_path / "scores.parquet")["account_id"])[0] == "new0"


def test_rows_are_written_without_their_index_and_keep_the_frames_metadata(tmp_path):
    # A filtered frame (index 5, 9), first and later chunks: plain rows, no index column, and
    # pandas' own schema metadata kept beside the writer's.
    import pyarrow.parquet as pq

    chunk = scores("i").iloc[[0, 2]]
    with OutputWriter(tmp_path, metadata={"customer_health": "run 8"}) as writer:
        writer.write("scores", chunk.set_axis([5, 9]))
        writer.write("scores", chunk.set_axis([11, 12]))
        writer.commit({"as_of": pd.Timestamp("2025-06-01"), "out": tmp_path})
    schema = pq.read_schema(tmp_path / "scores.parquet")
    assert schema.names == ["account_id", "as_of", "health_score"]
    assert b"pandas" in schema.metadata and schema.metadata[b"customer_health"] == b"run 8"
    back = pd.read_parquet(tmp_path / "scores.parquet")
    # the scores in priority order (here the least healthy first: 80, 80, 82, 82)
    assert list(back.index) == [0, 1, 2, 3] and list(back["account_id"]) == ["i0", "i0", "i2", "i2"]
    # Values JSON has no type for (a timestamp, a path) are written as their text.
    assert (tmp_path / "scoring.json").read_text() == (
        f'{{\n  "as_of": "2025-06-01 00:00:00",\n  "out": "{tmp_path}"\n}}\n'
    )
