"""The network description: species, parameters, reactions and readouts as pure, frozen data.

A network knows nothing about numerics. Rate laws are expression strings over species, parameters
and named helper expressions; `engine` compiles them. Every parameter carries a reference key
(see `references.py`) or is marked as fitted/assumed with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal, Mapping, get_args

Basis = Literal["measured", "model", "derived", "fitted", "assumed", "constant"]
"""Where a value comes from: measured (a paper's data), model (a published model's constant, or a
relative factor that is 1 by the model's definition), derived (computed from sourced numbers, the
note shows how), fitted (chosen so that the model reproduces a reported result, named in
`fitted_to`), assumed (no source found; the note gives the reason for the value), constant (a
physical constant or unit conversion, e.g. a molar mass). docs/validation.md describes the use."""
BASES: tuple[str, ...] = get_args(Basis)
FITTED_BASES = ("fitted", "derived")  # the bases that name, in `fitted_to`, the data behind them


@dataclass(frozen=True)
class FittedTo:
    """What a fitted or derived value reproduces: the source keys and, in words, the data."""

    sources: tuple[str, ...]
    data: str = ""


@dataclass(frozen=True)
class Prior:
    """Log-normal population prior: median = the parameter's value, geometric CV `cv`."""

    cv: float = 0.3


@dataclass(frozen=True)
class Parameter:
    name: str
    value: float
    unit: str
    source: str
    basis: Basis = "model"
    note: str = ""
    bounds: tuple[float, float] | None = None
    prior: Prior | None = None
    tags: tuple[str, ...] = ()
    module: str = ""
    input: bool = False  # a time-varying input set by interventions (piecewise constant)
    fitted_to: FittedTo | None = None


@dataclass(frozen=True)
class Species:
    name: str
    compartment: str
    unit: str
    initial: float
    description: str = ""
    module: str = ""


@dataclass(frozen=True)
class Expression:
    """A named helper quantity (an SBML assignment rule), inlined wherever it is used."""

    name: str
    expr: str
    unit: str
    description: str = ""
    module: str = ""


@dataclass(frozen=True)
class Reaction:
    name: str
    rate: str
    stoich: Mapping[str, float]
    description: str = ""
    module: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "stoich", MappingProxyType(dict(self.stoich)))


@dataclass(frozen=True)
class Readout:
    """A named output (PROTOCOL.md quantity table): `value = scale * expr` in `unit`."""

    quantity: str
    region: str | None
    expr: str
    unit: str
    scale: float = 1.0
    description: str = ""

    @property
    def key(self) -> str:
        return f"{self.quantity}@{self.region}" if self.region else self.quantity


def represented_by(readouts: list[Readout], source: str, regions: tuple[str, ...], description: str) -> list[Readout]:
    """Copies of the `source`-region readouts for `regions` without a compartment of their own
    (each reads the `source` model; `description` says so)."""
    return [replace(r, region=region, description=description)
            for region in regions for r in readouts if r.region == source]


@dataclass(frozen=True)
class Module:
    """What one model module contributes."""

    name: str
    species: tuple[Species, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    expressions: tuple[Expression, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    readouts: tuple[Readout, ...] = ()
    defaults: Mapping[str, str] = field(default_factory=dict)  # quantity -> default region


@dataclass(frozen=True)
class Network:
    """An immutable network. Build it with `assemble`; change it with `with_parameters`."""

    name: str
    species: tuple[Species, ...]
    parameters: tuple[Parameter, ...]
    expressions: tuple[Expression, ...]
    reactions: tuple[Reaction, ...]
    readouts: tuple[Readout, ...]
    default_regions: Mapping[str, str]
    modules: tuple[str, ...]

    @property
    def species_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.species)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def readout(self, quantity: str, region: str | None = None) -> Readout:
        from ..errors import ModelError

        region = region or self.default_regions.get(quantity)
        for r in self.readouts:
            if r.quantity == quantity and r.region == region:
                return r
        regions = {r.region for r in self.readouts if r.quantity == quantity}
        if regions == {None}:
            raise ModelError(f"quantity {quantity!r} has no regions in this model; remove region "
                             f"{region!r}")
        offered = sorted(regions - {None})
        if offered:
            raise ModelError(
                f"quantity {quantity!r} has no region {region!r}; this model offers it in: "
                f"{', '.join(offered)}"
            )
        import difflib

        modelled = sorted({r.quantity for r in self.readouts})
        closest = difflib.get_close_matches(quantity, modelled, n=5, cutoff=0.5)
        raise ModelError(  # the closest few: the whole list of a plan's network is over a kilobyte
            f"quantity {quantity!r} is not modelled yet; "
            + (f"the closest modelled: {', '.join(closest)}; " if closest else "")
            + f"{len(modelled)} quantities are modelled (`neuroscape quantities` lists them)"
        )


def with_parameters(network: Network, **values: float) -> Network:
    """Return a copy of `network` with parameter values replaced (unknown names are an error)."""
    from ..errors import ModelError

    known = set(network.parameter_names)
    unknown = sorted(set(values) - known)
    if unknown:
        raise ModelError(f"unknown parameter(s) {unknown}; see `neuroscape cite` for the list")
    params = tuple(
        replace(p, value=float(values[p.name])) if p.name in values else p for p in network.parameters
    )
    return replace(network, parameters=params)
