"""Experiment protocols (PROTOCOL.md): parse and validate protocol files into frozen models."""

from neuroscape.protocol.schema import (
    DEFAULT_NUTRITION_NAMES,
    INTERVENTION_KINDS,
    KNOWN_QUANTITIES,
    MAX_TIME_H,
    QUANTITY_TEMPLATES,
    REGIONS,
    DrugIntervention,
    ExerciseIntervention,
    FastingIntervention,
    HormoneIntervention,
    InflammationIntervention,
    Intervention,
    NutritionIntervention,
    Protocol,
    ReadoutSpec,
    SleepIntervention,
    SubjectSpec,
    is_known_quantity,
    load_protocol,
    parse_protocol,
)

__all__ = [
    "DEFAULT_NUTRITION_NAMES", "INTERVENTION_KINDS", "KNOWN_QUANTITIES", "MAX_TIME_H",
    "QUANTITY_TEMPLATES", "REGIONS", "DrugIntervention", "ExerciseIntervention",
    "HormoneIntervention", "InflammationIntervention", "Intervention", "NutritionIntervention",
    "Protocol", "ReadoutSpec", "SleepIntervention", "SubjectSpec", "is_known_quantity",
    "load_protocol", "parse_protocol", "FastingIntervention",
]
