"""The search's levers from option strings, as `neuroscape plan` and the service's plan jobs take them
(comma-separated names; errors name the option and the fix)."""

from __future__ import annotations

from ..errors import ProtocolError
from ..textfiles import unusual_characters


def _names(text: str | None, option: str) -> tuple[str, ...] | None:
    """`a,b` -> ("a", "b"); None when the option was not given."""
    if text is None:
        return None
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    for name in names:
        note = unusual_characters(name)
        if note:  # a Cyrillic letter in a drug name reads right and matches nothing
            raise ProtocolError(f"{option} {name!r}: {note}")
    if not names:
        raise ProtocolError(f"{option} {text!r}: give one or more names separated by commas, e.g. "
                            f"{option} escitalopram,sertraline")
    return names


def levers_of(drugs: str | None, supplements: str | None, no_drug_changes: bool, exercise: str | None = None,
              hormones: str | None = None, max_candidates: int = 100):
    """The search's levers from the command's options (see `neuroscape plan --help`)."""
    from ..manage.space import Levers

    sessions: tuple[int, ...] = ()
    for text in _names(exercise, "--exercise-per-week") or ():
        try:
            sessions += (int(text),)
        except ValueError:
            raise ProtocolError(f"--exercise-per-week {exercise!r}: give sessions a week as whole numbers 1-7, "
                                "e.g. 3,5") from None
    if not 1 <= max_candidates <= 10_000:
        raise ProtocolError(f"--max-candidates {max_candidates}: give 1-10000 (larger spaces are sampled with "
                            "Optuna up to this many plans)")
    more = dict(exercise_per_week=sessions, hormones=_names(hormones, "--hormones") or (),
                max_candidates=max_candidates)
    drug_names = _names(drugs, "--drugs")
    if no_drug_changes and drug_names:
        raise ProtocolError("--drugs and --no-drug-changes contradict each other; give one of them")
    if drug_names:
        from ..pharmacology.library import load_drug

        for name in drug_names:
            load_drug(name)  # an unknown name fails here, with the library's suggestion
    if no_drug_changes:
        return Levers(drugs=(), drug_changes=False, supplements=_names(supplements, "--supplements") or (), **more)
    return Levers(drugs=drug_names, supplements=_names(supplements, "--supplements") or (), **more)
