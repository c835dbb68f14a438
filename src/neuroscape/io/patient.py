"""`read_patient(path)`: one entry point for patient records, chosen by suffix and content;
`import_patient(path)` returns the ImportSummary (what was read, skipped and why) with the record."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Optional, Union

from ..assess.records import PatientRecord
from ..errors import DataError
from .import_summary import ImportSummary


def read_patient(path: Union[str, os.PathLike], *, now: Optional[datetime] = None,
                 patient: Optional[str] = None) -> PatientRecord:
    """A .json FHIR R4 Bundle or a .csv long-format record (docs/assessment.md); `patient` chooses one
    person in a file of several."""
    return import_patient(path, now=now, patient=patient).record


def import_patient(path: Union[str, os.PathLike], *, now: Optional[datetime] = None,
                   patient: Optional[str] = None) -> ImportSummary:
    """read_patient, returning the ImportSummary. A file that cannot be imported raises RecordError (its
    `summary` lists what was read and skipped besides the problems) or DataError (not a record at all)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        from .fhir import import_fhir_bundle

        return import_fhir_bundle(path, now=now, patient=patient)
    if suffix == ".csv":
        from ._records_common import read_text

        text = read_text(path, "CSV record")
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        head = (lines[0] if lines else "").lower()
        if "patient_id" in head:
            from .records_csv import import_records_text

            return import_records_text(text, path, now=now, patient=patient)
        if "evid" in head or ("id" in head and "time" in head and "amt" in head):
            raise DataError(f"{path.name} looks like a NONMEM event table; read it with "
                            "neuroscape.io.nonmem_records.records_from_nonmem(path, drug=..., id=...)")
        raise DataError(f"{path.name}: a CSV record needs a patient_id column (format: docs/assessment.md)")
    raise DataError(f"{path.name}: unknown record format {suffix or '(no suffix)'!r}; allowed: .json "
                    "(FHIR R4 Bundle), .csv (long format, docs/assessment.md)")
