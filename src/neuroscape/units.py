"""One pint registry for the whole package; units are checked at the boundary, computed once."""

from __future__ import annotations

from functools import lru_cache

import pint

ureg = pint.UnitRegistry()
Q_ = ureg.Quantity


@lru_cache(maxsize=None)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string ('uM', '1/h', 'uM/h', 'dimensionless', '1')."""
    if text in ("1", "", "dimensionless"):
        return ureg.dimensionless
    return ureg.Unit(text)
