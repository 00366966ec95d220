"""One serialization path for results: records as text, JSON, CSV and files, and bad input named."""

import json
import os

import numpy as np
import pytest

from rafmodel import ParameterError
from rafmodel.tables import Tabular, format_records, jsonable, records_to_frame

RECORDS = [{"alpha": 1.0, "gen_error": float("nan"), "converged": True},
           {"alpha": 2.0, "gen_error": 0.25, "converged": False}]


class _Two(Tabular):
    def to_records(self):
        return [dict(r) for r in RECORDS]


def test_formats_of_the_same_records():
    assert format_records(RECORDS, fmt="csv").splitlines() == ["alpha,gen_error,converged", "1.0,,True",
                                                               "2.0,0.25,False"]
    assert json.loads(format_records(RECORDS, fmt="json")) == [{"alpha": 1.0, "gen_error": None, "converged": True},
                                                               {"alpha": 2.0, "gen_error": 0.25, "converged": False}]
    table = format_records(RECORDS, ["alpha", "converged"]).splitlines()
    assert table[0].split() == ["alpha", "converged"] and table[2].split() == ["1", "yes"]
    assert list(records_to_frame(RECORDS).columns) == ["alpha", "gen_error", "converged"]
    assert jsonable({"a": np.float64("inf")}) == {"a": "inf"}


@pytest.mark.parametrize("call,param", [
    (lambda: format_records(RECORDS, fmt="xml"), "fmt"),
    (lambda: format_records(RECORDS, fmt=None), "fmt"),
    (lambda: format_records(RECORDS, fmt=np.array([])), "fmt"),
    (lambda: format_records(None), "records"),
    (lambda: format_records({"alpha": 1.0}), "records"),
    (lambda: format_records(["alpha"]), "records"),
    (lambda: format_records([{"a": 1}, 5]), "records"),
    (lambda: format_records(RECORDS, columns="alpha"), "columns"),
    (lambda: format_records(RECORDS, columns=5), "columns"),
    (lambda: format_records(RECORDS, columns=[["alpha"]]), "columns"),
    (lambda: format_records(RECORDS, fmt="json", single=np.array([])), "single"),
    (lambda: jsonable([1, 2]), "record"),
    (lambda: records_to_frame(3), "records"),
    (lambda: records_to_frame(RECORDS, columns="ab"), "columns"),
    (lambda: _Two().to_table(columns=5), "columns"),
    (lambda: _Two().to_csv(12.5), "path"),
    (lambda: _Two().to_json(""), "path"),
])
def test_bad_input_is_a_parameter_error_naming_the_parameter(call, param):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.param == param and str(info.value).startswith(f"{param}: ")
    assert isinstance(info.value, ValueError)  # callers catching ValueError keep working


def test_a_file_that_cannot_be_written_is_named_and_nothing_is_left(tmp_path):
    with pytest.raises(ParameterError) as info:
        _Two().to_csv(tmp_path / "no such folder" / "out.csv")
    assert info.value.param == "path" and "cannot write" in str(info.value)
    with pytest.raises(ParameterError) as info:
        _Two().to_json(tmp_path)  # a folder
    assert info.value.param == "path"
    assert os.listdir(tmp_path) == []


def test_a_file_is_written_whole_and_replaced(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    text = _Two().to_json(path)
    assert path.read_text(encoding="utf-8") == text and json.loads(text)[1]["gen_error"] == 0.25
    assert sorted(os.listdir(tmp_path)) == ["out.json"]
    assert _Two().to_csv(tmp_path / "out.csv") == (tmp_path / "out.csv").read_text(encoding="utf-8")
