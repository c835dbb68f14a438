"""Uploaded patient files: read through the library's importers (neuroscape.io.patient) from a private
temporary file, so that the service reads exactly what `neuroscape import` reads."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import HTTPException, UploadFile

from ..assess.records import RecordError
from ..errors import DataError

SUFFIXES = (".json", ".csv")


def safe_filename(name: str | None) -> str:
    """The upload's base name, reduced to harmless characters (it is stored and shown)."""
    base = Path((name or "").replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]", "_", base)[-200:].lstrip(".")
    return base or "upload"


async def read_upload(file: UploadFile) -> tuple[str, bytes]:
    filename = safe_filename(file.filename)
    if Path(filename).suffix.lower() not in SUFFIXES:
        raise HTTPException(status_code=422, detail=f"file {filename!r}: allowed: .json (FHIR R4 Bundle), .csv "
                                                    "(long format, docs/assessment.md)")
    return filename, await file.read()


def import_bytes(filename: str, raw: bytes, *, patient: str | None = None):
    """(summary, problems): the ImportSummary (None when the file is not a record at all) and its problems."""
    from ..io.patient import import_patient

    with tempfile.TemporaryDirectory(prefix="neuroscape-upload-") as folder:
        path = Path(folder) / filename
        path.write_bytes(raw)
        try:
            summary = import_patient(path, patient=patient)
            return summary, list(summary.problems)
        except RecordError as exc:
            return exc.summary, list(exc.problems)
        except DataError as exc:
            return None, [str(exc)]
        except (UnicodeDecodeError, ValueError) as exc:  # defensive: a hostile file is a 422, never a 500
            return None, [f"{filename}: cannot be read as a patient record ({type(exc).__name__})"]
