"""Plain names and units for plot axes: a model readout (quantity, region, unit) as a clinician reads it,
"extracellular serotonin, cortex (nM)" rather than `brain.serotonin.extracellular` and "[1]".

    >>> axis_label("brain.serotonin.extracellular", "cortex", "nM").text
    'extracellular serotonin, cortex (nM)'
    >>> lab = axis_label("occupancy.SERT", None, "1")
    >>> lab.text, lab.scale
    ('SERT occupancy (% of sites)', 100.0)
    >>> axis_label("synthesis.serotonin", "cortex", "uM/h", relative_to="baseline").text
    'serotonin synthesis rate, cortex (fold of baseline)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Quantities whose name does not follow from a template below (PROTOCOL.md's quantity table).
NAMES: dict[str, str] = {
    "brain.serotonin.extracellular": "extracellular serotonin",
    "brain.dopamine.extracellular": "extracellular dopamine",
    "brain.norepinephrine.extracellular": "extracellular norepinephrine",
    "brain.gaba": "tissue GABA",
    "brain.gaba.extracellular": "extracellular GABA",
    "brain.5hiaa": "tissue 5-HIAA",
    "brain.hva": "tissue HVA",
    "brain.5-htp": "brain 5-HTP",
    "plasma.5-htp": "plasma 5-HTP",
    "plasma.tryptophan.free": "plasma free tryptophan",
    "plasma.trp_lnaa_ratio": "plasma Trp/LNAA ratio",
    "plasma.free_trp_bcaa_ratio": "plasma free Trp/BCAA ratio",
    "plasma.lnaa": "plasma large neutral amino acids",
    "plasma.bcaa": "plasma branched-chain amino acids",
    "plasma.kyn_trp_ratio": "plasma kynurenine/tryptophan",
    "plasma.plp": "plasma PLP (vitamin B6)",
    "csf.5hiaa": "CSF 5-HIAA",
    "csf.hva": "CSF HVA",
    "firing.raphe": "raphe firing",
    "firing.dopamine": "dopamine neuron firing",
    "firing.locus_coeruleus": "locus coeruleus firing",
    "receptor.SERT.surface": "SERT at the cell surface",
    "occupancy.GABAA-neurosteroid": "GABA-A neurosteroid site occupancy",
    "occupancy.GABAA-BZ": "GABA-A benzodiazepine site occupancy",
    "signalling.GABAA": "GABA-A receptor activation",
}
# (prefix, suffix, name with {} for the middle part); the first that fits names the quantity.
TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("occupancy.", "", "{} occupancy"),
    ("activity.", "", "{} activity"),
    ("synthesis.", "", "{} synthesis rate"),
    ("receptor.", ".sensitivity", "{} receptor sensitivity"),
    ("receptor.", ".density", "{} receptor density"),
    ("signalling.", "", "{} receptor activation"),
    ("firing.", "", "{} firing"),
    ("csf.", "", "CSF {}"),
    ("plasma.", "", "plasma {}"),
    ("brain.", "", "brain {}"),
)
# How a model unit is written on an axis.
UNITS: dict[str, str] = {"uM": "µM", "uM/h": "µM/h", "uM/mM": "µM/mM", "ug/mL": "µg/mL",
                         "(model units)": "model units"}  # an external SBML model's own units
# What a dimensionless ("1") readout is, by its quantity's first part; scale: display = scale * value.
DIMENSIONLESS: dict[str, tuple[str, float]] = {
    "occupancy": ("% of sites", 100.0),
    "signalling": ("fraction activated", 1.0),
    "activity": ("× typical", 1.0),
    "receptor": ("× typical", 1.0),
    "firing": ("× typical", 1.0),
}
_DIMENSIONLESS_EXACT: dict[str, tuple[str, float]] = {"plasma.insulin": ("× fasting", 1.0)}


@dataclass(frozen=True)
class AxisLabel:
    """A readout as an axis shows it: `name` ("extracellular serotonin"), `region`, the unit as written
    (`unit`) and `scale`, the factor from model values to displayed ones (a fraction shown in %)."""

    name: str
    region: str | None
    unit: str
    scale: float = 1.0
    fold: bool = False  # a ratio to the baseline: drawn around 1

    @property
    def title(self) -> str:
        return self.name + (f", {self.region}" if self.region else "")

    @property
    def text(self) -> str:
        return f"{self.title} ({self.unit})" if self.unit else self.title


def quantity_name(quantity: str) -> str:
    """The plain name of a quantity: from NAMES, else the first template that fits, else the quantity."""
    if quantity in NAMES:
        return NAMES[quantity]
    for prefix, suffix, name in TEMPLATES:
        if quantity.startswith(prefix) and quantity.endswith(suffix) and len(quantity) > len(prefix + suffix):
            middle = quantity[len(prefix):len(quantity) - len(suffix)]
            return name.format(middle.replace("_", " "))
    return quantity


def axis_label(quantity: str, region: str | None, unit: str, relative_to: str | None = None) -> AxisLabel:
    """The axis label of a readout in `unit` (the model's unit; "1" for a dimensionless one)."""
    name = quantity_name(quantity)
    if relative_to:
        return AxisLabel(name, region, f"fold of {relative_to}", 1.0, fold=True)
    if unit == "1":
        shown, scale = _DIMENSIONLESS_EXACT.get(quantity) or DIMENSIONLESS.get(quantity.split(".")[0], ("", 1.0))
        if not shown and "ratio" in quantity:
            shown = "ratio"
        return AxisLabel(name, region, shown, scale)
    return AxisLabel(name, region, UNITS.get(unit, unit))


def label_table(network) -> dict[str, AxisLabel]:
    """Readout key -> its axis label, for every readout of a network."""
    return {r.key: axis_label(r.quantity, r.region, r.unit) for r in network.readouts}


def plain(x: float | None) -> str:
    """A number as a clinician writes it: 3 significant digits, never in e-notation (390, 0.0198, 12300)."""
    if x is None or not math.isfinite(x):
        return "-"
    return np.format_float_positional(float(x), precision=3, fractional=False, trim="-")
