"""prepare.py: shuffle-and-split, and its command-line failures."""

from __future__ import annotations

import pandas as pd
import prepare
import pytest
from ml_testdata import Workspace, prepare_args, synthetic_frame, write_export


def test_splits_every_row_exactly_once_with_requested_fractions(workspace: Workspace) -> None:
    frame = synthetic_frame(rows=200, classes=3)
    frame["row_id"] = range(200)
    write_export(workspace.export, frame)

    assert (
        prepare.main([*prepare_args(workspace), "--validation-fraction=0.2", "--test-fraction=0.1"])
        == 0
    )

    splits = {
        name: pd.read_parquet(getattr(workspace, name) / prepare.SPLIT_FILE)
        for name in ("train", "validation", "test")
    }
    assert {name: len(part) for name, part in splits.items()} == {
        "train": 140,
        "validation": 40,
        "test": 20,
    }
    ids = pd.concat(splits.values())["row_id"]
    assert sorted(ids) == list(range(200))
    assert list(splits["train"].columns) == list(frame.columns)
    # Shuffled, not the export order.
    assert splits["train"]["row_id"].tolist() != sorted(splits["train"]["row_id"])


def test_same_seed_same_split_different_seed_different_split(tmp_path) -> None:
    frame = synthetic_frame(rows=60, classes=2)
    frame["row_id"] = range(60)
    firsts = []
    for run, seed in (("a", 1), ("b", 1), ("c", 2)):
        ws = Workspace(tmp_path / run)
        write_export(ws.export, frame)
        prepare.main(prepare_args(ws, seed=seed))
        firsts.append(pd.read_parquet(ws.test / prepare.SPLIT_FILE)["row_id"].tolist())
    assert firsts[0] == firsts[1]
    assert firsts[0] != firsts[2]


@pytest.mark.parametrize(
    ("make_export", "message"),
    [
        (lambda ws: ws.export.mkdir(), "no data files"),
        (
            lambda ws: write_export(ws.export, synthetic_frame(50, 2).drop(columns="label")),
            "missing required column 'label'",
        ),
        (
            lambda ws: write_export(ws.export, synthetic_frame(50, 2).assign(city="x")),
            "feature column 'city' is not numeric",
        ),
        (
            lambda ws: write_export(ws.export, synthetic_frame(50, 2).assign(label=1)),
            "'label' has a single class",
        ),
        (lambda ws: write_export(ws.export, synthetic_frame(2, 2)), "2 rows are too few"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(workspace, capsys, make_export, message) -> None:
    make_export(workspace)
    with pytest.raises(SystemExit) as exit_info:
        prepare.main(prepare_args(workspace))
    assert exit_info.value.code == 2
    error_lines = capsys.readouterr().err.strip().splitlines()
    assert len(error_lines) == 1
    assert error_lines[0].startswith("error: ")
    assert message in error_lines[0]
    assert not workspace.train.exists()


def test_bad_fractions_are_named(workspace, capsys) -> None:
    write_export(workspace.export, synthetic_frame(50, 2))
    with pytest.raises(SystemExit):
        prepare.main([*prepare_args(workspace), "--validation-fraction=0.6", "--test-fraction=0.5"])
    assert "--validation-fraction plus --test-fraction must be below 1" in capsys.readouterr().err


def test_refuses_to_mix_with_foreign_files_in_an_output_dir(workspace, capsys) -> None:
    write_export(workspace.export, synthetic_frame(50, 2))
    workspace.test.mkdir()
    (workspace.test / "old.parquet").write_bytes(b"")
    with pytest.raises(SystemExit):
        prepare.main(prepare_args(workspace))
    assert "output directory holds other files" in capsys.readouterr().err
