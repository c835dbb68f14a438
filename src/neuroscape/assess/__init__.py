"""Assess a person: records in (LOINC + UCUM), model observations with error models, calibration."""

from .observations import ModelObservation, check_record, model_observations, sigma
from .records import Genotype, Medication, Observation, PatientRecord, RecordError, plan_of, subject
from .units import ErrorModel, lookup, to_model_unit

__all__ = ["ErrorModel", "Genotype", "Medication", "ModelObservation", "Observation", "PatientRecord",
           "RecordError", "check_record", "lookup", "model_observations", "plan_of", "sigma", "subject",
           "to_model_unit"]
