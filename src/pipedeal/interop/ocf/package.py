"""An OCF package on disk: a folder of ``*.ocf.json`` files, or the same files in a ``.zip``.

``read_package`` reads and checks one (the manifest, every file it lists with its MD5, each file
against ``schema``, and the references between objects); ``write_package`` writes one whole or
not at all. Every failure is a one-line ``UserError`` naming the file and the field.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pipedeal.errors import UserError
from pipedeal.interop.ocf import schema
from pipedeal.interop.ocf.extension import EXTENSION_FILE, Extension

MANIFEST_FILE = "Manifest.ocf.json"
STAKEHOLDERS_FILE = "Stakeholders.ocf.json"
STOCK_CLASSES_FILE = "StockClasses.ocf.json"
TRANSACTIONS_FILE = "Transactions.ocf.json"

MAX_FILE_BYTES = 64 * 1024 * 1024
"""Largest file read from a package (64 MB; the Innovo package is about 60 kB)."""
MAX_FILES = 1000
"""Most files in a package."""


def to_bytes(data: Any) -> bytes:
    """A package file's bytes: indented JSON, UTF-8, one trailing newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _loc(loc: Iterable[object]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and (part.startswith(("TX_", "function-")) or part in (
                "other",) or part.isupper() or "[" in part):
            continue  # a union branch's tag, not a field
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def check(model: type[BaseModel], data: Any, where: str) -> Any:
    """``data`` validated by ``model``; the first error as ``where: field a.b[1].c: message``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = max(errors, key=lambda e: len(e["loc"]))
        msg = "required field is missing" if err["type"] == "missing" else err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "field not defined by OCF 1.2.0"
        raise UserError(f"{where}: field {_loc(err['loc'])}: {msg}") from None


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    """A package read and checked: its manifest, the objects of the files pipedeal reads, and
    the pipedeal extension when the package has one."""

    source: str
    manifest: schema.Manifest
    stakeholders: tuple[schema.Stakeholder, ...]
    stock_classes: tuple[schema.StockClass, ...]
    transactions: tuple[schema.Transaction, ...]
    extension: Extension | None = None
    skipped: tuple[str, ...] = field(default=())  # objects of types pipedeal does not read

    def stakeholder(self, ident: str) -> schema.Stakeholder:
        for s in self.stakeholders:
            if s.id == ident:
                return s
        raise KeyError(ident)


class _Source:
    """The files of a folder or a zip archive, by their path inside the package, read only
    when asked for (a folder is never walked: the manifest says which files to read)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zipped: dict[str, bytes] | None = None
        if path.is_dir():
            return
        if not path.is_file():
            raise UserError(f"{path}: no such OCF package (a folder or a .zip)")
        self.zipped = {}
        try:
            with zipfile.ZipFile(path) as archive:
                infos = [i for i in archive.infolist() if not i.is_dir()]
                if len(infos) > MAX_FILES:
                    raise UserError(f"{path}: more than {MAX_FILES} files; not an OCF package?")
                for info in infos:
                    if info.file_size > MAX_FILE_BYTES:
                        raise UserError(f"{path}:{info.filename}: larger than "
                                        f"{MAX_FILE_BYTES // 2**20} MB")
                    self.zipped[info.filename.removeprefix("./")] = archive.read(info)
        except (zipfile.BadZipFile, OSError) as exc:
            raise UserError(f"{path}: not a zip archive or a folder ({exc})") from None

    def names(self) -> list[str]:
        """Candidate files: every file of a zip; a folder's ``*.ocf.json`` and its
        extension file, at the top and one folder down."""
        if self.zipped is not None:
            return sorted(self.zipped)
        found = [*self.path.glob("*.ocf.json"), *self.path.glob("*/*.ocf.json"),
                 *self.path.glob(EXTENSION_FILE), *self.path.glob(f"*/{EXTENSION_FILE}")]
        return sorted(p.relative_to(self.path).as_posix() for p in found[:MAX_FILES]
                      if p.is_file())

    def has(self, name: str) -> bool:
        if self.zipped is not None:
            return name in self.zipped
        return _inside(name) and (self.path / name).is_file()

    def read(self, name: str) -> bytes:
        if self.zipped is not None:
            return self.zipped[name]
        target = self.path / name
        try:
            if target.stat().st_size > MAX_FILE_BYTES:
                raise UserError(f"{target}: larger than {MAX_FILE_BYTES // 2**20} MB")
            return target.read_bytes()
        except OSError as exc:
            raise UserError(f"{target}: cannot read: {exc.strerror or exc}") from None

    def where(self, name: str) -> str:
        return f"{self.path}:{name}" if self.zipped is not None else str(self.path / name)

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name).decode("utf-8"))
        except UnicodeDecodeError:
            raise UserError(f"{self.where(name)}: not UTF-8 text") from None
        except (ValueError, RecursionError) as exc:
            raise UserError(f"{self.where(name)}: invalid JSON: {exc}") from None


def _inside(name: str) -> bool:
    """A path that stays inside the package (no absolute path, no ``..``)."""
    parts = name.replace("\\", "/").split("/")
    return not name.startswith("/") and ".." not in parts and ":" not in parts[0]


_FILE_TYPES = {
    "stakeholders": "OCF_STAKEHOLDERS_FILE",
    "stock_classes": "OCF_STOCK_CLASSES_FILE",
    "transactions": "OCF_TRANSACTIONS_FILE",
}


def _manifest_name(src: _Source) -> str:
    candidates = src.names()
    names = [n for n in candidates if n.rsplit("/", 1)[-1] == MANIFEST_FILE]
    if not names:
        names = [n for n in candidates if n.endswith(".ocf.json")
                 and isinstance(d := src.json(n), dict)
                 and d.get("file_type") == "OCF_MANIFEST_FILE"]
    if len(names) != 1:
        what = "no" if not names else "more than one"
        raise UserError(f"{src.path}: {what} OCF manifest (a file with file_type "
                        "OCF_MANIFEST_FILE, usually Manifest.ocf.json)")
    return names[0]


def read_package(path: Path | str) -> Package:
    """Read the OCF package at ``path`` (folder or zip) and check it all; nothing is written."""
    src = _Source(Path(path))
    name = _manifest_name(src)
    folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
    manifest: schema.Manifest = check(schema.Manifest, src.json(name), src.where(name))
    objects: dict[str, list[Any]] = {"stakeholders": [], "stock_classes": [], "transactions": []}
    for kind in objects:
        for ref in getattr(manifest, f"{kind}_files"):
            file = folder + ref.filepath.removeprefix("./")
            if not _inside(ref.filepath) or not src.has(file):
                raise UserError(f"{src.where(name)}: field {kind}_files: {ref.filepath} is not "
                                "in the package")
            if md5(src.read(file)) != ref.md5.lower():
                raise UserError(f"{src.where(file)}: MD5 differs from the manifest's "
                                f"{kind}_files entry (file changed after the manifest?)")
            data = src.json(file)
            ftype = data.get("file_type") if isinstance(data, dict) else None
            expected = _FILE_TYPES[kind]
            if ftype != expected:
                raise UserError(f"{src.where(file)}: field file_type: expected {expected}, "
                                f"got {ftype!r}")
            want = schema.FILE_MODELS[expected]
            parsed = check(want, data, src.where(file))
            objects[kind].extend(parsed.items)
    ext_name = folder + EXTENSION_FILE
    extension = None
    if src.has(ext_name):
        extension = check(Extension, src.json(ext_name), src.where(ext_name))
    txs = tuple(objects["transactions"])
    package = Package(
        source=str(path), manifest=manifest, stakeholders=tuple(objects["stakeholders"]),
        stock_classes=tuple(objects["stock_classes"]),
        transactions=tuple(t for t in txs if not isinstance(t, schema.OtherTransaction)),
        extension=extension,
        skipped=tuple(f"{t.object_type} {t.id}" for t in txs
                      if isinstance(t, schema.OtherTransaction)),
    )
    check_references(package, src.where(folder + TRANSACTIONS_FILE))
    return package


def check_references(package: Package, where: str) -> None:
    """Every id unique; every stakeholder, stock class and security a transaction names exists."""
    seen: set[str] = {package.manifest.issuer.id}
    objs: list[Any] = [*package.stakeholders, *package.stock_classes, *package.transactions]
    for obj in objs:
        if obj.id in seen:
            raise UserError(f"{where}: field id: {obj.id!r} is used by more than one object")
        seen.add(obj.id)
    holders = {s.id for s in package.stakeholders}
    classes = {c.id for c in package.stock_classes}
    securities = {t.security_id for t in package.transactions
                  if isinstance(t, (schema.ConvertibleIssuance, schema.WarrantIssuance,
                                    schema.StockIssuance))}
    for t in package.transactions:
        holder = getattr(t, "stakeholder_id", None)
        if holder is not None and holder not in holders:
            raise UserError(f"{where}: object {t.id}: field stakeholder_id: no stakeholder "
                            f"{holder!r}")
        cls = getattr(t, "stock_class_id", None)
        if cls is not None and cls not in classes:
            raise UserError(f"{where}: object {t.id}: field stock_class_id: no stock class "
                            f"{cls!r}")
        if not isinstance(t, (schema.ConvertibleIssuance, schema.WarrantIssuance,
                              schema.StockIssuance, schema.StockClassSplit)):
            sec = getattr(t, "security_id", None)
            if sec not in securities:
                raise UserError(f"{where}: object {t.id}: field security_id: no issuance of "
                                f"security {sec!r}")
            for ref in getattr(t, "resulting_security_ids", None) or ():
                if ref not in securities:
                    raise UserError(f"{where}: object {t.id}: field resulting_security_ids: "
                                    f"no issuance of security {ref!r}")


# --- writing -----------------------------------------------------------------------------------


def write_package(
    files: Mapping[str, bytes], out: Path, *, force: bool = False,
    protect: Iterable[Path | str] = (),
) -> None:
    """Write ``files`` as a zip (``out`` ends in ``.zip``) or into the folder ``out``, whole or
    not at all: a new folder is built beside the target and renamed into place."""
    from pipedeal.outfiles import write_atomic

    if out.suffix.lower() == ".zip":
        buffer = _zip_bytes(files)
        write_atomic(out, buffer, "OUT", protect=protect)
        return
    if out.exists() and not out.is_dir():
        raise UserError(f"OUT {out}: exists and is not a folder")
    if out.is_dir() and ((out / "deal.toml").exists() or any(
            Path(p).resolve().parent == out.resolve() for p in protect)):
        raise UserError(f"OUT {out}: is a deal folder; give a new folder for the package")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UserError(f"OUT {out}: folder is not empty; pass --force to replace it")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"OUT {out}: no such folder {parent}")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
            os.rename(out, old / out.name)
        os.rename(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"OUT {out}: cannot write: {exc.strerror or exc}") from None


def _zip_bytes(files: Mapping[str, bytes]) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            # a fixed timestamp: the same package gives the same bytes
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
