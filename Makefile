# gradlab: `make grade` and `make test` work straight after `git clone`.
# The first target that needs Python creates .venv from the pinned requirements.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
NBGRADER := $(VENV)/bin/nbgrader --log-level=WARN
ASSIGNMENT := lab4_3
SUBMISSIONS ?= examples/submissions
OUT ?= grades
SEED ?=
JOBS ?=
export TF_CPP_MIN_LOG_LEVEL := 3
export MPLBACKEND := Agg
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: grade test test-fast release validate collect autograde feedback export gradescope bench clean

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) -r requirements.txt 2> >(grep -v "^WARNING: Location" >&2)
	@$(PIP) --no-deps --no-build-isolation -e . 2> >(grep -v "^WARNING: Location" >&2)
	@$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

grade: $(VENV)/.installed
	@$(PY) -m autograder grade $(SUBMISSIONS) --out $(OUT) $(if $(SEED),--seed $(SEED)) $(if $(JOBS),--jobs $(JOBS))

test: $(VENV)/.installed
	@$(PY) -m pytest -q

test-fast: $(VENV)/.installed
	@$(PY) -m pytest -q -m "not slow"

# The committed student release is generated from the source notebook, never edited by hand.
release: $(VENV)/.installed
	@$(NBGRADER) generate_assignment $(ASSIGNMENT) --force

validate: $(VENV)/.installed
	@$(NBGRADER) validate solutions/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb

clean:
	@rm -rf grades dist bench/out
