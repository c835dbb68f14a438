"""neuroscape: mechanistic modelling of the brain's neurochemical landscape.

Research and decision-support software: every result is a simulated scenario for a qualified
clinician or researcher, never medical advice.
"""

from .engine.compiled import Solver, compile_network
from .errors import (
                     DataError,
                     EngineError,
                     ModelError,
                     NeuroscapeError,
                     NotModelledError,
                     ProtocolError,
)
from .model.library import default_network
from .model.network import with_parameters
from .plan import Plan, add_nutrition
from .simulate import Trajectory, simulate
from .subject import Subject, with_modification

__version__ = "0.1.0"
__all__ = ["DataError", "EngineError", "ModelError", "NeuroscapeError", "NotModelledError", "Plan",
           "ProtocolError", "Solver", "Subject", "Trajectory", "add_nutrition", "compile_network",
           "default_network", "simulate", "with_modification", "with_parameters"]
