"""The dataset contract: what loads, and the one-line errors for what does not."""

from __future__ import annotations

from pathlib import Path

import dataset
import numpy as np
import pandas as pd
import pytest
from dataset import DatasetError
from ml_testdata import synthetic_frame, write_export


def test_reads_parquet_without_extension_csv_and_skips_marker_files(tmp_path: Path) -> None:
    frame = synthetic_frame(rows=40, classes=3)
    write_export(tmp_path, frame.iloc[:30], parts=2)
    frame.iloc[30:].to_csv(tmp_path / "extra.csv", index=False)
    (tmp_path / "_SUCCESS").write_text("")
    (tmp_path / ".part.crc").write_bytes(b"\x00")

    loaded = dataset.load_labelled(tmp_path)

    assert loaded.rows == 40
    assert loaded.feature_names == [f"feature_{i}" for i in range(4)]
    assert loaded.features.dtype == np.float32
    assert sorted(loaded.labels.tolist()) == sorted(frame["label"].tolist())


def test_every_non_label_column_is_a_feature_in_file_order(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"zeta": [1.0, 2.0], "label": [0, 1], "alpha": [3, 4], "flag": [True, False]}
    )
    frame.to_parquet(tmp_path / "part.parquet")
    assert dataset.load_labelled(tmp_path).feature_names == ["zeta", "alpha", "flag"]


def test_non_numeric_feature_column_is_named(tmp_path: Path) -> None:
    frame = synthetic_frame(rows=10, classes=2)
    frame["country"] = "de"
    frame.to_parquet(tmp_path / "part.parquet")
    with pytest.raises(
        DatasetError, match=r"feature column 'country' is not numeric \(dtype object\)"
    ):
        dataset.load_labelled(tmp_path)


def test_missing_label_column_is_named(tmp_path: Path) -> None:
    synthetic_frame(rows=10, classes=2).drop(columns="label").to_parquet(tmp_path / "p.parquet")
    with pytest.raises(DatasetError, match=rf"{tmp_path}: missing required column 'label'"):
        dataset.load_labelled(tmp_path)


def test_missing_and_non_integer_labels_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "rows.csv").write_text("f,label\n1.0,1\n2.0,\n")
    with pytest.raises(DatasetError, match="'label' has 1 missing values"):
        dataset.load_labelled(tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "rows.csv").write_text("f,label\n1.0,0.5\n")
    with pytest.raises(DatasetError, match="'label' must be integer, found dtype float64"):
        dataset.load_labelled(tmp_path / "b")


def test_empty_and_absent_directories(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no data files"):
        dataset.load_labelled(tmp_path)
    with pytest.raises(DatasetError, match="input directory does not exist"):
        dataset.load_labelled(tmp_path / "nope")


def test_files_without_rows_are_an_error(tmp_path: Path) -> None:
    synthetic_frame(rows=5, classes=2).iloc[:0].to_parquet(tmp_path / "empty.parquet")
    with pytest.raises(DatasetError, match="hold no rows"):
        dataset.load_labelled(tmp_path)


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    synthetic_frame(rows=5, classes=2).to_parquet(tmp_path / "good.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(DatasetError, match=r"broken\.parquet: unreadable data file"):
        dataset.load_labelled(tmp_path)


def test_unknown_file_kind_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DatasetError, match=r"notes\.txt: not a Parquet or CSV file"):
        dataset.load_labelled(tmp_path)


def test_files_with_different_columns_are_rejected(tmp_path: Path) -> None:
    frame = synthetic_frame(rows=10, classes=2)
    frame.to_parquet(tmp_path / "a.parquet")
    frame.drop(columns="feature_0").to_parquet(tmp_path / "b.parquet")
    with pytest.raises(DatasetError, match=r"b\.parquet: columns differ .*missing \['feature_0'\]"):
        dataset.load_labelled(tmp_path)


def test_feature_names_xgboost_rejects(tmp_path: Path) -> None:
    pd.DataFrame({"a[0]": [1.0], "label": [1]}).to_parquet(tmp_path / "p.parquet")
    with pytest.raises(DatasetError, match=r"feature column 'a\[0\]' contains one of"):
        dataset.load_labelled(tmp_path)


def test_encode_labels_maps_to_positions_and_rejects_strangers() -> None:
    classes = np.array([3, 7, 42])
    assert dataset.encode_labels(np.array([42, 3, 7]), classes, "x").tolist() == [2, 0, 1]
    with pytest.raises(DatasetError, match=r"x: labels \[5, 99\] are not among the known classes"):
        dataset.encode_labels(np.array([3, 5, 99]), classes, "x")
