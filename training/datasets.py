"""Datasets on disk: a folder of ``.npy`` arrays and a JSON manifest, written atomically.

Layout of a dataset folder::

    manifest.json       {"format", "count", "fields": {name: {"shape", "dtype", "sha256"}},
                         plus whatever the collector records (task, env id, split, seeds)}
    <field>.npy         one array per field, first axis = sample

:func:`write_dataset` writes everything into a temporary sibling folder and renames it
into place, so a reader never sees half a dataset. :func:`read_dataset` memory-maps the
arrays (nothing is loaded until used) and checks them against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["DATASET_FORMAT", "DatasetError", "write_dataset", "read_dataset"]

DATASET_FORMAT = "smartbot-dataset-v1"


class DatasetError(ValueError):
    """A dataset folder is missing, incomplete or does not match its manifest."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_dataset(
    folder: str | os.PathLike[str],
    fields: dict[str, NDArray[Any]],
    meta: dict[str, Any] | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``fields`` (name -> array, all with the same first dimension) to ``folder``.

    ``meta`` goes into the manifest as well. Raises :class:`DatasetError` when the folder
    exists (unless ``overwrite``) or the fields disagree on their sample count.
    """
    folder = Path(folder)
    if not fields:
        raise DatasetError("fields: expected at least one array")
    counts = {name: int(np.shape(a)[0]) if np.ndim(a) else -1 for name, a in fields.items()}
    if len(set(counts.values())) != 1 or -1 in counts.values():
        raise DatasetError(f"fields: every array needs the same first dimension, got {counts}")
    for name in fields:
        if not name.isidentifier():
            raise DatasetError(f"fields: name {name!r} must be a Python identifier")
    if folder.exists() and not overwrite:
        raise DatasetError(f"dataset: {folder} exists (pass overwrite=True to replace it)")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        described: dict[str, Any] = {}
        for name, array in fields.items():
            a = np.ascontiguousarray(array)
            np.save(tmp / f"{name}.npy", a)
            described[name] = {
                "shape": list(a.shape),
                "dtype": a.dtype.str,
                "sha256": _sha256(tmp / f"{name}.npy"),
            }
        manifest = {
            "format": DATASET_FORMAT,
            "count": next(iter(counts.values())),
            "fields": described,
            **(meta or {}),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def read_dataset(
    folder: str | os.PathLike[str], *, verify: bool = False
) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
    """Memory-map a dataset's arrays; returns (fields, manifest).

    Shapes and dtypes are always checked against the manifest; with ``verify`` the
    SHA-256 of every file too. Raises :class:`DatasetError` naming what is wrong.
    """
    folder = Path(folder)
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        raise DatasetError(f"dataset: {mpath} not found (not a dataset folder)")
    try:
        manifest = json.loads(mpath.read_text())
    except json.JSONDecodeError as err:
        raise DatasetError(f"dataset: {mpath} is not valid JSON ({err.msg})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != DATASET_FORMAT:
        raise DatasetError(f"dataset: {mpath} format should be {DATASET_FORMAT}")
    fields: dict[str, NDArray[Any]] = {}
    for name, spec in manifest.get("fields", {}).items():
        path = folder / f"{name}.npy"
        if not path.is_file():
            raise DatasetError(f"dataset: field {name!r}: {path} is missing")
        try:
            array = np.load(path, mmap_mode="r")
        except ValueError as err:
            raise DatasetError(f"dataset: field {name!r}: {path} is unreadable ({err})") from None
        if list(array.shape) != spec["shape"] or array.dtype.str != spec["dtype"]:
            raise DatasetError(
                f"dataset: field {name!r}: file holds {array.dtype.str} {list(array.shape)}, "
                f"manifest says {spec['dtype']} {spec['shape']}"
            )
        if verify and _sha256(path) != spec["sha256"]:
            raise DatasetError(
                f"dataset: field {name!r}: {path} checksum differs from the manifest"
            )
        fields[name] = array
    return fields, manifest
