# Two commands matter: `make demo` (the main job) and `make test`. Both set up .venv when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench loadtest install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m neuroscape demo --out reports

test: $(STAMP)
	$(PY) -m pytest -q -rx -n auto --dist loadscope

bench: $(STAMP)
	$(PY) bench/run_bench.py
	$(PY) bench/assess_bench.py
	$(PY) bench/plan_bench.py
	$(PY) bench/cohort_bench.py
	$(PY) bench/trial_bench.py

# 50 clients x 60 s against `neuroscape serve` on loopback (a fresh SQLite store; LOADTEST_ARGS="--db URL" for
# PostgreSQL); results in bench/results/loadtest.json
loadtest: $(STAMP)
	$(PY) bench/loadtest.py $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) reports .pytest_cache
