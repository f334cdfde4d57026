"""Ship ``python.files`` (``env.add_python_file``) to the slot workers.

PyFlink adds the files to the ``PYTHONPATH`` of its Python workers. flink-py
has no separate file distribution: the client reads the files when it builds
the job graph (:func:`pack`) and wraps every pickled operator and partitioner
in a :class:`ShipWith`. Unpickling one on a slot worker first calls
:func:`install` — before the operator itself is loaded, so a function
pickled by reference to a shipped module finds it — which extracts the files
once per content digest under ``<tmp>/flink-py-python-files/<digest>/`` and
puts them on ``sys.path`` like PyFlink does:

* ``x.py``: its directory (``import x``);
* a directory: the directory itself (its modules and packages);
* ``x.zip``: its extracted contents;
* other files (``.whl``, ``.egg``): the file itself (zipimport).

A module of the same name that an earlier job left in the worker's
``sys.modules`` from elsewhere is dropped, so this job imports its own copy.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from typing import Any

__all__ = ["ShipWith", "install", "pack"]

#: Delimiter of ``python.files`` (PyFlink's ``FILE_DELIMITER``).
FILE_DELIMITER = ","

_lock = threading.Lock()
_installed: dict[str, list[str]] = {}


def _zip_dir(path: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".pyc", ".pyo")):
                    continue
                full = os.path.join(dirpath, name)
                zf.write(full, os.path.relpath(full, path))
    return buf.getvalue()


def pack(python_files: str | None) -> PythonFiles | None:
    """Read the files of a ``python.files`` value (comma-separated paths), or None.

    Raises:
        FileNotFoundError: If a path does not exist.
    """
    paths = [p.strip() for p in (python_files or "").split(FILE_DELIMITER) if p.strip()]
    if not paths:
        return None
    entries: list[tuple[str, str, bytes]] = []
    for raw in paths:
        path = os.path.abspath(os.path.expanduser(raw.removeprefix("file://")))
        name = os.path.basename(path.rstrip(os.sep))
        if os.path.isdir(path):
            entries.append(("dir", name, _zip_dir(path)))
        elif os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            kind = "py" if name.endswith(".py") else "zip" if name.endswith(".zip") else "file"
            entries.append((kind, name, data))
        else:
            raise FileNotFoundError(f"python file {raw!r} (python.files / add_python_file) "
                                    "does not exist")
    digest = hashlib.sha256()
    for kind, name, data in entries:
        digest.update(f"{kind}\0{name}\0{len(data)}\0".encode())
        digest.update(data)
    return PythonFiles(digest.hexdigest()[:24], entries)


class PythonFiles:
    """The packed files of a job; unpickling it installs them (see the module doc)."""

    def __init__(self, digest: str, entries: list[tuple[str, str, bytes]]) -> None:
        self.digest = digest
        self.entries = entries

    def __reduce__(self) -> tuple[Any, ...]:
        return install, (self.digest, self.entries)


class ShipWith:
    """Pickles as "install ``files``, then load ``obj``"; unpickles to ``obj`` itself."""

    def __init__(self, files: PythonFiles, obj: Any) -> None:
        self.files = files
        self.obj = obj

    def __reduce__(self) -> tuple[Any, ...]:
        # The arguments are loaded in order: install() runs before obj is unpickled.
        return _second, (self.files, self.obj)


def _second(_installed_digest: str, obj: Any) -> Any:
    return obj


def _extract(root: str, entries: list[tuple[str, str, bytes]]) -> None:
    parent = os.path.dirname(root)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".incoming-", dir=parent)
    try:
        for i, (kind, name, data) in enumerate(entries):
            slot = os.path.join(tmp, str(i))
            os.makedirs(slot)
            if kind == "dir":
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    zf.extractall(os.path.join(slot, name))
            elif kind == "zip":
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    zf.extractall(os.path.join(slot, "contents"))
            else:
                with open(os.path.join(slot, name), "wb") as f:
                    f.write(data)
        try:
            os.rename(tmp, root)
        except OSError:
            if not os.path.isdir(root):  # not "another worker was faster"
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _path_entries(root: str, entries: list[tuple[str, str, bytes]]) -> list[str]:
    out = []
    for i, (kind, name, _) in enumerate(entries):
        slot = os.path.join(root, str(i))
        if kind == "py":
            out.append(slot)
        elif kind == "dir":
            out.append(os.path.join(slot, name))
        elif kind == "zip":
            out.append(os.path.join(slot, "contents"))
        else:
            out.append(os.path.join(slot, name))
    return out


def _top_level_names(entry: str) -> set[str]:
    if not os.path.isdir(entry):
        return set()
    names = set()
    for name in os.listdir(entry):
        if name.endswith(".py"):
            names.add(name[:-3])
        elif os.path.isdir(os.path.join(entry, name)) and name.isidentifier():
            names.add(name)
    return names


def _drop_foreign_modules(entries: list[str]) -> None:
    """Forget modules named like shipped ones but loaded from elsewhere (an earlier job)."""
    for entry in entries:
        prefix = entry + os.sep
        for top in _top_level_names(entry):
            mod = sys.modules.get(top)
            origin = getattr(mod, "__file__", None) if mod is not None else None
            if mod is None or (origin and os.path.abspath(origin).startswith(prefix)):
                continue
            for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
                del sys.modules[name]


def install(digest: str, entries: list[tuple[str, str, bytes]]) -> str:
    """Extract the job's python files (once per process and digest) and import from them."""
    with _lock:
        if digest in _installed:
            return digest
        root = os.path.join(tempfile.gettempdir(), "flink-py-python-files", digest)
        if not os.path.isdir(root):
            _extract(root, entries)
        paths = _path_entries(root, entries)
        _drop_foreign_modules(paths)
        for path in reversed(paths):
            if path in sys.path:
                sys.path.remove(path)
            sys.path.insert(0, path)
        importlib.invalidate_caches()
        _installed[digest] = paths
        return digest
