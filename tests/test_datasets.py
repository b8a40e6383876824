"""Dataset folders: round trip, atomic writes, and every way a folder can be wrong."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from training.datasets import DATASET_FORMAT, DatasetError, read_dataset, write_dataset

DTYPES = st.sampled_from([np.uint8, np.int16, np.int64, np.float32, np.float64, np.bool_])


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 20),
    arrays=st.lists(
        st.tuples(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)),
        min_size=1,
        max_size=3,
    ),
    data=st.data(),
)
def test_round_trip_keeps_every_value(tmp_path_factory, n, arrays, data) -> None:
    folder = tmp_path_factory.mktemp("ds") / "d"
    fields = {
        f"f{i}": data.draw(hnp.arrays(dt, (n, *shape))) for i, (dt, shape) in enumerate(arrays)
    }
    write_dataset(folder, fields, {"task": "test", "seed": 3})
    got, manifest = read_dataset(folder, verify=True)
    assert manifest["format"] == DATASET_FORMAT and manifest["count"] == n
    assert manifest["task"] == "test" and manifest["seed"] == 3
    assert set(got) == set(fields)
    for k, v in fields.items():
        assert got[k].dtype == v.dtype and got[k].shape == v.shape
        np.testing.assert_array_equal(got[k], v)
    assert [p.name for p in folder.parent.iterdir()] == ["d"]  # no temporary folder left


def test_refuses_to_overwrite_unless_asked(tmp_path) -> None:
    write_dataset(tmp_path / "d", {"x": np.zeros(3)})
    with pytest.raises(DatasetError, match="exists"):
        write_dataset(tmp_path / "d", {"x": np.ones(3)})
    np.testing.assert_array_equal(read_dataset(tmp_path / "d")[0]["x"], np.zeros(3))
    write_dataset(tmp_path / "d", {"x": np.ones(4)}, overwrite=True)
    np.testing.assert_array_equal(read_dataset(tmp_path / "d")[0]["x"], np.ones(4))


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({}, "at least one"),
        ({"x": np.zeros(3), "y": np.zeros(4)}, "same first dimension"),
        ({"x": np.float64(1.0)}, "same first dimension"),
        ({"not a name": np.zeros(3)}, "identifier"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_written(tmp_path, fields, match) -> None:
    with pytest.raises(DatasetError, match=match):
        write_dataset(tmp_path / "d", fields)
    assert not any(tmp_path.iterdir())


def test_damaged_folders_are_refused(tmp_path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        read_dataset(tmp_path)
    folder = write_dataset(tmp_path / "d", {"x": np.arange(6, dtype=np.int64)})
    np.save(folder / "x.npy", np.arange(6, dtype=np.int64)[::-1].copy())  # same shape, other data
    read_dataset(folder)  # shapes agree: only the checksum notices
    with pytest.raises(DatasetError, match="checksum"):
        read_dataset(folder, verify=True)
    np.save(folder / "x.npy", np.arange(5, dtype=np.int64))
    with pytest.raises(DatasetError, match=r"field 'x': file holds <i8 \[5\]"):
        read_dataset(folder)
    (folder / "x.npy").unlink()
    with pytest.raises(DatasetError, match="field 'x'.* is missing"):
        read_dataset(folder)
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({"format": "other"}))
    with pytest.raises(DatasetError, match="format should be"):
        read_dataset(folder)
    manifest.write_text("{")
    with pytest.raises(DatasetError, match="not valid JSON"):
        read_dataset(folder)
