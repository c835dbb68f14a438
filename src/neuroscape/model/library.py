"""The default human network: every module, every region."""

from __future__ import annotations

from functools import lru_cache

from .assemble import assemble
from .modules import bbb, cofactors, dopamine, enzymes, gaba, kynurenine, norepinephrine, plasma, serotonin
from .network import Network
from .parameters import load_table

MODEL_VERSION = "0.1.0"


@lru_cache(maxsize=1)
def default_network() -> Network:
    """Assemble the full model (cached; networks are immutable)."""
    modules = [plasma.build(), bbb.build(load_table("plasma")), cofactors.build(), enzymes.build(), kynurenine.build(),
               serotonin.build(), dopamine.build(), norepinephrine.build(), gaba.build()]
    return assemble(f"neuroscape-{MODEL_VERSION}", modules)
