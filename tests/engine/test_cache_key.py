"""The on-disk code cache is keyed on everything that shapes the generated code."""

from pathlib import Path

import pytest

from neuroscape.engine import codegen
from neuroscape.model import assemble as assemble_module
from neuroscape.model.assemble import assemble
from neuroscape.model.network import Module, Parameter, Reaction, Species


def _net(rate="k*z"):
    return assemble("keyed", [Module("keyed", (Species("z", "c", "uM", 1.0),),
                                     (Parameter("k", 1.0, "1/h", "assumed", "assumed", note="test"),), (),
                                     (Reaction("d", rate, {"z": -1}),))])


@pytest.fixture(autouse=True)
def fresh_toolchain_hash():
    # The hash is memoised per process; a test that patches its inputs must not leak the result.
    codegen.toolchain_hash.cache_clear()
    yield
    codegen.toolchain_hash.cache_clear()


def _with_source(monkeypatch, name, edit):
    real = codegen.source_texts()
    assert name in real  # the file is among the hashed sources at all
    monkeypatch.setattr(codegen, "source_texts", lambda: {**real, name: edit(real[name])})
    codegen.toolchain_hash.cache_clear()


def _with_version(monkeypatch, library, version):
    real = codegen.toolchain_versions()
    assert library in real
    monkeypatch.setattr(codegen, "toolchain_versions", lambda: {**real, library: version})
    codegen.toolchain_hash.cache_clear()


def test_unchanged_inputs_give_the_same_key():
    assert codegen.network_hash(_net()) == codegen.network_hash(_net())
    assert codegen.network_hash(_net()) != codegen.network_hash(_net("2*k*z"))


def test_the_parser_and_the_network_order_are_hashed_sources():
    hashed = {p.resolve() for p in codegen.SOURCES}
    assert Path(assemble_module.__file__).resolve() in hashed
    assert {Path(codegen.__file__).resolve(), codegen.KERNELS.resolve()} <= hashed


@pytest.mark.parametrize("name", ["assemble.py", "network.py", "codegen.py", "_kernels.py"])
def test_a_changed_source_changes_the_key(monkeypatch, name):
    before = codegen.network_hash(_net())
    _with_source(monkeypatch, name, lambda text: text + b"\n# changed\n")
    assert codegen.network_hash(_net()) != before


@pytest.mark.parametrize("library", ["python", "sympy", "numba", "llvmlite", "numpy"])
def test_a_changed_library_version_changes_the_key(monkeypatch, library):
    before = codegen.network_hash(_net())
    _with_version(monkeypatch, library, "0.0.0-other")
    assert codegen.network_hash(_net()) != before


def test_the_toolchain_is_hashed_once_per_process(monkeypatch):
    key = codegen.network_hash(_net())

    def no_reading():
        raise AssertionError("sources read again")

    monkeypatch.setattr(codegen, "source_texts", no_reading)
    monkeypatch.setattr(codegen, "toolchain_versions", no_reading)
    assert codegen.network_hash(_net()) == key


def test_a_parser_change_does_not_reuse_cached_code(monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROSCAPE_CACHE", str(tmp_path))
    path, _rows, _cols = codegen.write_module(_net())
    path.write_text(path.read_text() + "\nSTALE = True\n")  # mark the cached file
    assert "STALE" in codegen.write_module(_net())[0].read_text()  # same inputs: the cache is used
    _with_source(monkeypatch, "assemble.py", lambda text: text.replace(b"sympify", b"sympify "))
    fresh, _rows, _cols = codegen.write_module(_net())
    assert fresh != path and "STALE" not in fresh.read_text()
    _with_version(monkeypatch, "sympy", "0.0.0-other")
    assert codegen.write_module(_net())[0] not in (path, fresh)
