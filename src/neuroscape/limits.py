"""Limits shared by the protocol format and the engine (kept dependency-free so parsing stays light)."""

MAX_TIME_H = 87_600.0  # 10 years: the longest protocol PROTOCOL.md allows
