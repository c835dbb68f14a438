import pytest

from neuroscape.errors import ModelError
from neuroscape.model.assemble import assemble
from neuroscape.model.library import default_network
from neuroscape.model.network import Module, Parameter, Reaction, Species, with_parameters
from neuroscape.model.parameters import references


def _module(rate, k_unit="1/h"):
    return Module("toy", species=(Species("a", "c", "uM", 1.0), Species("b", "c", "uM", 0.0)),
                  parameters=(Parameter("k", 2.0, k_unit, "assumed", "assumed", note="test"),),
                  reactions=(Reaction("conv", rate, {"a": -1, "b": 1}),))


def test_dimensionally_wrong_rate_law_names_the_reaction():
    with pytest.raises(ModelError, match="reaction 'conv'.*units"):
        assemble("bad", [_module("k * a", k_unit="1/uM/h")])


def test_rate_law_off_by_a_unit_factor_is_an_error():
    with pytest.raises(ModelError, match="mM/h but species .a. needs µM/h .they differ by a factor 1000"):
        assemble("bad", [_module("k * a", k_unit="1/h * mM/uM")])


def test_unknown_symbol_is_named():
    with pytest.raises(ModelError, match=r"unknown symbol\(s\) \['kk'\]"):
        assemble("bad", [_module("kk * a")])


def test_good_module_assembles():
    net = assemble("ok", [_module("k * a")])
    assert net.species_names == ("a", "b")


def test_default_network_parameters_all_sourced():
    net = default_network()
    refs = references()
    assert len(net.species) >= 60 and len(net.reactions) >= 100
    for p in net.parameters:
        assert p.source in refs, p.name
        if p.basis in ("fitted", "assumed"):
            assert p.note, f"{p.name} is {p.basis} without a reason"


def test_default_network_has_protocol_regions():
    net = default_network()
    assert net.readout("brain.serotonin.extracellular", "raphe").region == "raphe"
    for region in ("cortex", "hippocampus"):
        net.readout("brain.serotonin.extracellular", region)
    for region in ("striatum", "prefrontal"):
        net.readout("brain.dopamine.extracellular", region)
    assert net.readout("brain.dopamine.extracellular").region == "striatum"
    assert net.readout("occupancy.SERT").expr == "0"  # no drug, nothing bound
    with pytest.raises(ModelError, match="not modelled yet"):
        net.readout("plasma.melatonin")


def test_with_parameters_is_a_new_value():
    net = default_network()
    changed = with_parameters(net, tph_vmax=300.0)
    assert changed.parameter("tph_vmax").value == 300.0
    assert net.parameter("tph_vmax").value == 278.0
    with pytest.raises(ModelError, match="unknown parameter"):
        with_parameters(net, nope=1.0)


def test_every_protocol_region_is_offered_for_the_transmitters():
    net = default_network()
    for quantity in ("brain.serotonin.extracellular", "brain.dopamine.extracellular",
                     "brain.norepinephrine.extracellular", "brain.gaba"):
        offered = {r.region for r in net.readouts if r.quantity == quantity}
        assert {"cortex", "hippocampus", "striatum", "prefrontal"} <= offered | {"raphe"}, quantity


def test_readout_scale_must_match_its_declared_unit():
    from neuroscape.model.network import Readout

    good = Module("toy", species=(Species("a", "c", "uM", 1.0),), readouts=(Readout("x", None, "a", "nM", 1000.0),))
    assemble("ok", [good])
    bad = Module("toy", species=(Species("a", "c", "uM", 1.0),), readouts=(Readout("x", None, "a", "nM", 1.0),))
    with pytest.raises(ModelError, match="readout 'x'.*scale 1000.*says scale 1"):
        assemble("bad", [bad])
