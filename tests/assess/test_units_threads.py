"""Unit parsing from many threads at once (the service imports files in a thread pool): pint's registry and
ucumvert's parser are not thread-safe, so parse_ucum serialises them; every thread gets the right answer."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from neuroscape.assess import units

UNITS = ["kg", "ng/mL", "umol/L", "nmol/L", "ug/dL", "mg/dL", "pmol/L", "%", "g/L", "mmol/L", "pg/mL", "ug/L",
         "mg/L", "cm", "a", "mmol/kg", "ng/dL", "[IU]/L", "mL", "h"]


@pytest.mark.parametrize("round_", range(3))
def test_parse_ucum_is_safe_from_many_threads_on_a_cold_cache(round_):
    units.parse_ucum.cache_clear()
    units.registry.cache_clear()
    with ThreadPoolExecutor(max_workers=16) as pool:
        got = list(pool.map(lambda u: units.parse_ucum(u), UNITS * 4))
    units.parse_ucum.cache_clear()
    want = [units.parse_ucum(u) for u in UNITS * 4]
    for u, a, b in zip(UNITS * 4, got, want):
        assert str(a.dimensionality) == str(b.dimensionality), u
        assert float(a.to_base_units().magnitude) == pytest.approx(float(b.to_base_units().magnitude), rel=1e-12), u
