"""Exercise sessions as held model inputs: a lipolytic drive that raises plasma free fatty acids
(model/modules/ffa.py; they displace Trp from albumin: free Trp up), BCAA uptake by working muscle
(Trp/BCAA up), cortisol above an intensity threshold, and induction of muscle kynurenine
aminotransferase (KAT) in proportion to intensity x duration. The KAT induction accumulates over weeks
of training and decays between sessions (model/modules/kynurenine.py)."""

from __future__ import annotations

from ..errors import ProtocolError
from . import Hold, load_data


def exercise_data() -> dict:
    return load_data("exercise")


def exercise_inputs(kind: str, start_h: float, duration_h: float, intensity: float,
                    where: str = "exercise") -> list[Hold]:
    """(input, start_h, end_h, value, mode) holds for one session (see plan.hold_input)."""
    kinds = exercise_data()["kinds"]
    if kind not in kinds:
        raise ProtocolError(f"{where}: unknown exercise {kind!r}; allowed: {', '.join(kinds)}")
    if not 0 < intensity <= 1:
        raise ProtocolError(f"{where}.intensity: {intensity} is outside (0, 1]; it is a fraction of VO2max")
    k = {name: v["value"] for name, v in kinds[kind].items()}
    end = start_h + duration_h
    cortisol = 1 + k["cortisol_gain"] * max(0.0, intensity - k["cortisol_threshold"])
    return [("exercise_lipolysis", start_h, end, k["lipolysis_share"] * intensity, "add"),
            ("exercise_bcaa_uptake", start_h, end, k["bcaa_uptake_gain"] * intensity, "add"),
            ("exercise_kat_drive", start_h, end, k["kat_gain"] * intensity, "add"),
            ("cortisol_fold", start_h, end, cortisol, "multiply")]
