"""The default human network: every module, every region."""

from __future__ import annotations

from functools import lru_cache

from .assemble import assemble
from .modules import (
    adaptation,
    bbb,
    cofactors,
    dopamine,
    enzymes,
    ffa,
    gaba,
    hormones,
    kynurenine,
    norepinephrine,
    plasma,
    serotonin,
)
from .network import Module, Network, Readout
from .parameters import load_table

MODEL_VERSION = "0.1.0"


def base_modules(adaptation_kind: str = "homeostatic") -> list[Module]:
    """Every drug-free module, every region (pharmacology adds drug modules and fills the hooks).
    `adaptation_kind` picks the slow-adaptation hypothesis (modules/adaptation.py)."""
    return [plasma.build(), bbb.build(load_table("plasma")), cofactors.build(), enzymes.build(),
            kynurenine.build(), hormones.build(), serotonin.build(), dopamine.build(), norepinephrine.build(),
            gaba.build(), adaptation.build(adaptation_kind), ffa.build()]


@lru_cache(maxsize=1)
def default_network() -> Network:
    """Assemble the full drug-free model (cached; networks are immutable)."""
    return assemble(f"neuroscape-{MODEL_VERSION}", base_modules())


@lru_cache(maxsize=1)
def default_readouts() -> tuple[Readout, ...]:
    """The default network's readouts, read from its modules without assembling them (the protocol schema
    checks quantity and region names against them, and parsing a file should not wait for the assembly)."""
    return tuple(r for m in base_modules() for r in m.readouts)
