"""The exception hierarchy: every error names the field, shows the value and says how to fix it."""

from __future__ import annotations


class NeuroscapeError(Exception):
    """Base class of every error neuroscape raises on purpose."""


class ModelError(NeuroscapeError):
    """A network description is inconsistent (unknown symbol, unit mismatch, bad value)."""


class EngineError(NeuroscapeError):
    """The numerical engine could not do what was asked (step size underflow, no steady state)."""


class ProtocolError(NeuroscapeError):
    """A protocol file is malformed; the message names the key, the value and what is allowed."""


class NotModelledError(ProtocolError):
    """A well-formed protocol asks for a mechanism that this model version does not have yet."""


class DataError(NeuroscapeError):
    """Input data (files, tables, records) are malformed or implausible."""


class ValidationCaseError(NeuroscapeError):
    """A validation case file is malformed."""


class CohortError(ProtocolError):
    """A cohort file is malformed (docs/cohorts.md); the message names the key, the value and what is allowed."""
