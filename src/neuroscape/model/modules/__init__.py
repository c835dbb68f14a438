"""Model modules: each returns a `Module` (species, parameters, expressions, reactions, readouts)."""
