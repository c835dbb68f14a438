"""The size figures of a compiled model, as docs/architecture.md quotes them for the base model.

`python -m neuroscape.engine.figures` prints the sentence for the doc; tests/test_docs_figures.py
fails when the doc and the model disagree, so the figures cannot go stale.
"""

from __future__ import annotations

from .compiled import CompiledModel


def figures(model: CompiledModel) -> dict[str, int]:
    """Counts keyed by the word the docs put after the number ("93 states")."""
    return {
        "states": model.n,
        "reactions": len(model.network.reactions),
        "parameters": len(model.network.parameters),
        "non-zeros": int(model.jac_rows.size),  # of the Jacobian, diagonal included
        "fill-ins": model.lu.fill,
        "multiply-adds": model.lu.flops,  # per LU factorisation
    }


def sentence(counts: dict[str, int]) -> str:
    return (f"Engine facts (the base model, no drugs): {counts['states']} states, "
            f"{counts['reactions']} reactions, {counts['parameters']} parameters; a Jacobian with "
            f"{counts['non-zeros']} non-zeros; the LU pattern adds {counts['fill-ins']} fill-ins and needs "
            f"{counts['multiply-adds']} multiply-adds per factorisation.")


if __name__ == "__main__":
    from ..model.library import default_network
    from .compiled import compile_network

    print(sentence(figures(compile_network(default_network()))))
