"""Regional values: which regions have their own sourced numbers, and which still read another
region's model (docs/model.md, Regions). Each check says whether it is a validation (data not used
to set the value) or a consistency check (the value was fitted to the same number)."""

import pytest

from neuroscape import Subject
from neuroscape.model.library import default_network
from neuroscape.model.parameters import load_table
from neuroscape.plan import Plan
from neuroscape.simulate import simulate

GABA_REGIONS = ("cortex", "prefrontal", "hippocampus", "striatum")


@pytest.fixture(scope="module")
def baseline():
    return simulate(Subject(), Plan(), [0.0])


def _gaba(traj, region):
    return float(traj.readout("brain.gaba", region)[0])


def test_prefrontal_gaba_is_below_occipital_as_mrs_finds(baseline):
    ratio = _gaba(baseline, "prefrontal") / _gaba(baseline, "cortex")
    # Consistency (gad_expr_prefrontal was fitted to it): occipital GABA 14% above medial prefrontal,
    # water-referenced, voxels of matched tissue composition (gaba_mpfc_occ2013) -> 1 / 1.14 = 0.877.
    assert ratio == pytest.approx(1 / 1.14, abs=0.005)
    # the same study's creatine-referenced ratio (GABA/Cr 0.0953 / 0.1103 = 0.864) is within 0.02 too
    assert ratio == pytest.approx(0.0953 / 0.1103, abs=0.02)
    # Validation of the direction only (numbers not read): frontal GABA lower than occipital in another
    # cohort and scanner (Grewal 2016, P < 0.001). The cortex compartment stays at the occipital
    # control value that V14 uses (Petroff 1996: about 1.1 mmol/kg).
    assert ratio < 1.0
    assert _gaba(baseline, "cortex") == pytest.approx(1.10, abs=0.01)


def test_prefrontal_gaba_is_its_own_compartment_and_answers_gaba_t_inhibition():
    net = default_network()
    assert "represented by" not in net.readout("brain.gaba", "prefrontal").description
    assert {"gaba_prefrontal", "egaba_prefrontal", "gabat_prefrontal"} <= set(net.species_names)
    # the region's own enzyme pool: halving GABA-T everywhere raises GABA in both regions. The prefrontal
    # compartment rises somewhat more (1.48x vs 1.40x when this was written): its lower GABA engages
    # less of the GAD feedback (a model property; no regional vigabatrin MRS was read to check it).
    base = simulate(Subject(), Plan(), [0.0])
    low = simulate(Subject(modifications={"GABA-T": 0.5}), Plan(), [0.0])
    folds = {r: _gaba(low, r) / _gaba(base, r) for r in ("cortex", "prefrontal")}
    assert folds["cortex"] == pytest.approx(1.40, abs=0.03)
    assert folds["prefrontal"] == pytest.approx(1.48, abs=0.03)
    assert _gaba(low, "prefrontal") < _gaba(low, "cortex")


def test_regions_without_their_own_data_are_copies_and_say_so(baseline):
    # No human regional value was read for these (docs/model.md, Regions): they keep the cortical
    # (occipital) kinetics. A test that fails when someone gives them numbers, so docs follow.
    gad = {k: p.value for k, p in load_table("gaba").items() if k.startswith("gad_expr_")}
    assert gad == {"gad_expr_cortex": 1.0, "gad_expr_hippocampus": 1.0, "gad_expr_striatum": 1.0,
                   "gad_expr_prefrontal": 0.837}
    for region in ("hippocampus", "striatum"):
        assert _gaba(baseline, region) == pytest.approx(_gaba(baseline, "cortex"), rel=1e-9)
    net = load_table("norepinephrine")
    assert net["net_expr_prefrontal"].value == net["net_expr_cortex"].value == 1.0
    ne = [float(baseline.readout("brain.norepinephrine.extracellular", r)[0]) for r in ("prefrontal", "cortex")]
    assert ne[0] == pytest.approx(ne[1], rel=1e-9)
    # MAO-A is one brain-wide pool (the readout without a region); each region holds an amount of it, and
    # only striatum = prefrontal has a source (ordinal, Ginovart 2006): the rest copy the fitted cortex terminal
    assert default_network().readout("activity.MAO-A").region is None
    amounts = {k: p.value for k, p in load_table("enzymes").items() if k.startswith("mao_a_amount_")}
    assert amounts == {f"mao_a_amount_{r}": 1.0 for r in MAO_A_REGIONS}
    for region in MAO_A_REGIONS:
        assert float(baseline.readout("activity.MAO-A", region)[0]) == pytest.approx(1.0, rel=1e-12)


# Sources read in the second search for hippocampal/striatal GABA and regional noradrenaline (issue 18.3).
# None gives a ratio to cortex in the same subjects or brains, so none may set a parameter yet.
_GAP_SOURCES = ("perry1971_regional", "reynolds1987", "emir2012", "gaba_bg_pd2018", "tiwari2018",
                "hippocampus_gaba_7t", "herregodts1991", "ne_da_suicides_regional", "fmener2008", "moriguchi2017",
                "kehr1976", "goldman_rakic1982")


def test_regional_gap_sources_are_recorded_and_set_no_parameter():
    from neuroscape.model.parameters import references

    refs = references()
    for key in _GAP_SOURCES:
        assert key in refs, key
        assert "No parameter" in refs[key]["note"], key
    used = set()
    for table in ("gaba", "norepinephrine"):
        for p in load_table(table).values():
            used.add(p.source)
            if p.fitted_to is not None:
                used.update(p.fitted_to.sources)
    assert used.isdisjoint(_GAP_SOURCES)


def test_hippocampal_and_striatal_gaba_and_noradrenaline_stay_copies(baseline):
    # Consistency pin of the documented state (docs/model.md, Regions): hippocampus and striatum keep the
    # cortical (occipital) GABA kinetics in full, so their tissue GABA is the occipital control value that
    # V14 uses (Petroff 1996, about 1.1 mmol/kg); noradrenaline there is the cortical terminal and says so.
    gaba = load_table("gaba")
    for name in ("gabat_expr", "gat1_expr"):
        assert {r: gaba[f"{name}_{r}"].value for r in GABA_REGIONS} == dict.fromkeys(GABA_REGIONS, 1.0)
    for region in ("hippocampus", "striatum"):
        assert _gaba(baseline, region) == pytest.approx(1.10, abs=0.01)
    net = default_network()
    cortex_ne = float(baseline.readout("brain.norepinephrine.extracellular", "cortex")[0])
    # basal extracellular NE about 1 nM (net_vmax fitted to it)
    assert cortex_ne == pytest.approx(1.0, abs=0.3)
    for region in ("hippocampus", "striatum"):
        readout = net.readout("brain.norepinephrine.extracellular", region)
        assert "represented by the cortex terminal model" in readout.description
        assert float(baseline.readout("brain.norepinephrine.extracellular", region)[0]) == pytest.approx(
            cortex_ne, rel=1e-9)


# --- MAO-A: one enzyme pool, a regional amount -------------------------------------------------------------

MAO_A_REGIONS = ("raphe", "cortex", "hippocampus", "striatum", "prefrontal")


def test_striatal_and_prefrontal_maoa_are_equal_as_pet_ranks_them(baseline):
    ratio = (float(baseline.readout("activity.MAO-A", "striatum")[0])
             / float(baseline.readout("activity.MAO-A", "prefrontal")[0]))
    # Consistency (the equality was read from it): [11C]harmine specific binding DVB ranks frontal cortex
    # approximately equal to putamen in healthy people (Ginovart 2006, abstract; no table values read).
    assert ratio == pytest.approx(1.0, abs=1e-9)
    # Validation (another species, tracer and measure, not used to set the value): baboon [11C]befloxatone
    # binding-site density, striata 194 +- 26 vs frontal cortex 170 +- 39 pmol/mL, n = 5 (Bottlaender 2010):
    # ratio 1.14, its standard error about 0.135 (SDs combined, unpaired, / sqrt 5) -> 95% band 0.87-1.41.
    bmax_ratio = 194 / 170
    se = bmax_ratio * ((26 / 194) ** 2 + (39 / 170) ** 2) ** 0.5 / 5 ** 0.5
    assert bmax_ratio - 1.96 * se < ratio < bmax_ratio + 1.96 * se


def test_a_regional_maoa_amount_acts_on_its_own_terminals_only(baseline):
    # A region's amount scales its terminals' MAO-A term as the shared pool does, and nothing else:
    # halving it in hippocampus gives hippocampal 5-HT terminals exactly what halving the pool gives them.
    hip = simulate(Subject(parameters={"mao_a_amount_hippocampus": 0.5}), Plan(), [0.0])
    pool = simulate(Subject(modifications={"MAO-A": 0.5}), Plan(), [0.0])
    assert float(hip.readout("activity.MAO-A", "hippocampus")[0]) == pytest.approx(0.5, rel=1e-12)
    assert float(hip.readout("activity.MAO-A")[0]) == pytest.approx(1.0, rel=1e-12)  # the pool is untouched
    for q in ("brain.5hiaa", "brain.serotonin.extracellular"):
        assert float(hip.readout(q, "hippocampus")[0]) == pytest.approx(float(pool.readout(q, "hippocampus")[0]),
                                                                         rel=1e-6)
        assert float(hip.readout(q, "cortex")[0]) == pytest.approx(float(baseline.readout(q, "cortex")[0]), rel=1e-6)
    # hippocampal 5-HIAA 0.564x baseline when this was written (extracellular 5-HT 1.204x)
    hiaa = [float(t.readout("brain.5hiaa", "hippocampus")[0]) for t in (hip, baseline)]
    assert hiaa[0] / hiaa[1] == pytest.approx(0.564, abs=0.01)
    # the shared pool's changes (here an expression modification) reach every region by the same fold
    for region in MAO_A_REGIONS:
        assert float(pool.readout("activity.MAO-A", region)[0]) == pytest.approx(0.5, rel=1e-12)


def test_striatal_maoa_amount_moves_striatal_dopamine_catabolism_only(baseline):
    low = simulate(Subject(parameters={"mao_a_amount_striatum": 0.5}), Plan(), [0.0])
    fold = {r: float(low.readout("brain.hva", r)[0]) / float(baseline.readout("brain.hva", r)[0])
            for r in ("striatum", "prefrontal")}
    # striatal HVA 0.865x (intraneuronal oxidation halves; the glial COMT/MAO-B route is unchanged) when
    # this was written; prefrontal dopamine terminals and the noradrenergic ones keep theirs
    assert fold["striatum"] == pytest.approx(0.865, abs=0.01)
    assert fold["prefrontal"] == pytest.approx(1.0, rel=1e-9)
    ne = [float(low.readout("brain.norepinephrine.extracellular", r)[0]) for r in ("prefrontal", "cortex")]
    assert ne == pytest.approx([float(baseline.readout("brain.norepinephrine.extracellular", r)[0])
                                for r in ("prefrontal", "cortex")], rel=1e-9)
