"""Tidy time-course tables: one row per time and readout, CSV and Parquet with the same content."""

from __future__ import annotations

import csv

import pyarrow.parquet as pq
import pytest

from neuroscape.errors import DataError
from neuroscape.io.tidy import COLUMNS, TidyRow, out_problem, write_tidy

ROWS = [TidyRow(0.0, "e5ht", "cortex", 60.5, "nM"), TidyRow(2.5, "e5ht", "cortex", 61.25, "nM"),
        TidyRow(2.5, "trp", None, 1.5, "1")]


def test_csv_rows(tmp_path):
    path = write_tidy(ROWS, tmp_path / "t.csv")
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1:] == [["0.0", "e5ht", "cortex", "60.5", "nM"], ["2.5", "e5ht", "cortex", "61.25", "nM"],
                        ["2.5", "trp", "", "1.5", "1"]]


def test_parquet_rows(tmp_path):
    table = pq.read_table(write_tidy(ROWS, tmp_path / "t.parquet"))
    assert table.column_names == list(COLUMNS)
    assert table.to_pylist()[2] == {"time_h": 2.5, "readout": "trp", "region": None, "value": 1.5, "unit": "1"}
    assert str(table.schema.field("value").type) == "double"


def test_bad_paths_are_refused_before_writing(tmp_path):
    assert "must end in .csv or .parquet" in out_problem(tmp_path / "t.xlsx")
    assert "is a folder" in out_problem(tmp_path)
    assert "does not exist" in out_problem(tmp_path / "missing" / "t.csv")
    with pytest.raises(DataError, match="must end in .csv or .parquet"):
        write_tidy(ROWS, tmp_path / "t.txt")
    assert list(tmp_path.iterdir()) == []
