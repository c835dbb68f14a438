"""Dosing intervals from timing codes and prescription text ("sig"): BID, Q12H, "twice daily", ...

Timing codes are those of FHIR's TimingAbbreviation value set (HL7 v3 GTSAbbreviation; FHIR R4
https://hl7.org/fhir/R4/valueset-timing-abbreviation.html: BID, TID, QID, AM, PM, QD, QOD, Q1H-Q8H, ...)
plus the Latin abbreviations pharmacies print (QHS, QAM, Q12H, Q24H). A dose at a named time of day (AM,
PM, at bedtime) is once daily: the model needs the interval, not the clock time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

# code -> hours between doses
TIMING_CODES: dict[str, float] = {
    "QD": 24.0, "BID": 12.0, "TID": 8.0, "QID": 6.0, "QOD": 48.0, "AM": 24.0, "PM": 24.0, "BED": 24.0,
    "HS": 24.0, "QHS": 24.0, "QAM": 24.0, "QPM": 24.0, "WK": 168.0, "MO": 730.5,
    "Q1H": 1.0, "Q2H": 2.0, "Q3H": 3.0, "Q4H": 4.0, "Q6H": 6.0, "Q8H": 8.0, "Q12H": 12.0, "Q24H": 24.0,
}

# (pattern in lower-case sig text, hours between doses); the first that matches wins, so the specific
# ones ("every other day") come before the general ones ("every day").
_SIG: tuple[tuple[str, float], ...] = (
    (r"\bevery other day\b|\bq\.?o\.?d\.?\b|\balternate days\b", 48.0),
    (r"\b(four times|4 times) (a |per )?day\b|\b(four times|4 times) daily\b|\bq\.?i\.?d\.?\b", 6.0),
    (r"\b(three times|3 times) (a |per )?day\b|\b(three times|3 times) daily\b|\bt\.?i\.?d\.?\b", 8.0),
    (r"\b(twice|two times|2 times) (a |per )?day\b|\b(twice|two times|2 times) daily\b|\bb\.?i\.?d\.?\b", 12.0),
    (r"\b(once )?weekly\b|\bonce a week\b|\bevery week\b", 168.0),
    (r"\b(once )?daily\b|\bonce a day\b|\bevery (day|morning|evening|night)\b|\bq\.?d\.?\b|\bnightly\b|"
     r"\bat bedtime\b|\bq\.?h\.?s\.?\b|\bq\.?am\b|\bq\.?pm\b|\bin the (morning|evening)\b|\bper day\b", 24.0),
)
_EVERY_H = re.compile(r"\b(?:every|q)\s*(\d+(?:\.\d+)?)\s*(?:-\s*\d+(?:\.\d+)?\s*)?(?:h|hr|hrs|hours?)\b")
_AS_NEEDED = re.compile(r"\bp\.?r\.?n\.?\b|\bas needed\b|\bif needed\b|\bwhen required\b")
_UNITS = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:tablets?|tabs?|capsules?|caps?|pills?)\b")
_MG = re.compile(r"\b(\d+(?:\.\d+)?)\s*mg\b")
_WORDS = {"one": "1", "two": "2", "three": "3", "half a": "0.5", "half": "0.5"}


@dataclass(frozen=True)
class Sig:
    """What a prescription text says: hours between doses, whether as needed, the dose as a number of
    tablets/capsules or in mg (None where the text does not say)."""

    every_h: Optional[float]
    as_needed: bool
    units: Optional[float]
    mg: Optional[float]


def every_h_of_code(code: str) -> Optional[float]:
    """Hours between doses for a timing code ('BID' -> 12), case and dots ignored; None when unknown."""
    key = re.sub(r"[.\s]", "", str(code)).upper()
    if key in TIMING_CODES:
        return TIMING_CODES[key]
    m = re.fullmatch(r"Q(\d+)H", key)
    return float(m.group(1)) if m and int(m.group(1)) > 0 else None


def read_sig(text: str) -> Sig:
    """The interval, as-needed flag and dose in a sig such as 'Take 1 tablet by mouth twice daily' or
    '50 mg PO QHS'. 'every 4-6 hours' takes the shorter interval (the most a patient may take)."""
    low = " " + str(text).lower() + " "
    for word, digit in _WORDS.items():
        low = re.sub(rf"\b{word}\b(?= (tablet|tab|capsule|cap|pill))", digit, low)
    every_h = None
    m = _EVERY_H.search(low)
    if m and float(m.group(1)) > 0:
        every_h = float(m.group(1))
    else:
        every_h = next((h for pattern, h in _SIG if re.search(pattern, low)), None)
        if every_h is None:
            every_h = next((h for code, h in TIMING_CODES.items() if re.search(rf"\b{code.lower()}\b", low)
                            and code not in ("AM", "PM", "MO", "WK")), None)
    units = _UNITS.search(low)
    mg = _MG.search(low)
    return Sig(every_h=every_h, as_needed=bool(_AS_NEEDED.search(low)),
               units=float(units.group(1)) if units else None, mg=float(mg.group(1)) if mg else None)
