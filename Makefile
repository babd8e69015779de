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
SIMILARITY ?= 1
export TF_CPP_MIN_LOG_LEVEL := 3
# TF 2.21 logs a oneDNN notice on stderr otherwise. (No comment on the line itself: make would keep
# the spaces before it in the value, and TensorFlow accepts only an exact 0.)
export TF_ENABLE_ONEDNN_OPTS := 0
export MPLBACKEND := Agg
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: grade secret secret-ready fairness test test-fast release validate collect autograde feedback export gradescope bench clean lms diff mutants lint

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) -r requirements.txt 2> >(grep -v "^WARNING: Location" >&2)
	@$(PIP) --no-deps --no-build-isolation -e . 2> >(grep -v "^WARNING: Location" >&2)
	@$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

# The course's grading secret (autograder/secret.py): every graded input derives from it, so students
# cannot know them. `make secret` writes grading.secret (git-ignored) once per course and term; the
# targets that grade create it on first use, saying so. Back it up with the gradebook.
secret: $(VENV)/.installed
	@$(PY) -m autograder secret --create
secret-ready: $(VENV)/.installed
	@$(PY) -m autograder secret --create --if-missing

grade: $(VENV)/.installed secret-ready
	@$(PY) -m autograder grade $(SUBMISSIONS) --out $(OUT) $(if $(SEED),--seed $(SEED)) $(if $(JOBS),--jobs $(JOBS)) $(if $(FORCE),--force) $(if $(filter 0,$(SIMILARITY)),--no-similarity) $(if $(KEEP),--keep-previous)

# Grades into the LMS: make lms LMS=canvas|moodle ROSTER=export.csv [LMS_OUT=file] [LMS_ARGS="--map ids.csv"]
LMS ?= canvas
ROSTER ?=
LMS_OUT ?= $(OUT)/$(LMS)-import.csv
LMS_ARGS ?=
lms: $(VENV)/.installed
	@test -n "$(ROSTER)" || { echo "make lms: give ROSTER=<the $(LMS) gradebook export>" >&2; exit 2; }
	@$(PY) -m autograder lms --to $(LMS) --roster $(ROSTER) --out $(LMS_OUT) $(LMS_ARGS) $(OUT)

# What a regrade changed: after `make grade KEEP=1`, compares $(OUT).previous with $(OUT).
OLD ?= $(OUT).previous
diff: $(VENV)/.installed
	@$(PY) -m autograder diff $(OLD) $(OUT)

# axe-core for the accessibility tests, exactly as package-lock.json pins it.
node_modules/.installed: package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Both cores: the slow groups (notebooks, nbgrader, whole batches) run side by side.
test: $(VENV)/.installed node_modules/.installed lint
	@$(PY) -m pytest -q -n 2 --durations=15

# ruff, configured in pyproject.toml; part of `make test`.
lint: $(VENV)/.installed
	@$(VENV)/bin/ruff check --quiet .

test-fast: $(VENV)/.installed
	@$(PY) -m pytest -q -m "not slow"

# -- the instructor's nbgrader workflow (README "Instructor workflow") ----------------
# nbgrader runs in COURSE (default: this repo) and reads its nbgrader_config.py: the course
# id, exchange and gradebook follow $GRADLAB_COURSE_ID, $GRADLAB_EXCHANGE, $GRADLAB_GRADEBOOK.
# Optional: STUDENT=id limits collect/autograde/feedback to one student; CHECK_OWNER=False
# collects submissions that root made for students; FORCE=1 autogrades again what was
# already autograded; EXPORT=file is where `make export` writes.
COURSE ?= .
STUDENT ?=
CHECK_OWNER ?= True
FORCE ?=
EXPORT ?= grades/nbgrader_grades.csv
# nbgrader's own options go after the subcommand: before it, the top-level parser takes them all.
NBGRADER := cd $(COURSE) && $(abspath $(VENV))/bin/nbgrader
QUIET := --log-level=WARN
ONLY = $(if $(STUDENT),--student=$(STUDENT))
SOLUTION := solutions/$(ASSIGNMENT)/$(ASSIGNMENT).ipynb
# nbgrader runs `alembic` (its gradebook migrations) from PATH.
release validate collect autograde feedback export: export PATH := $(abspath $(VENV))/bin:$(PATH)

# Regenerates the committed student release assignment/$(ASSIGNMENT)/ from the source notebook
# (never edit it by hand), then publishes it to the exchange for `nbgrader fetch_assignment`.
release: $(VENV)/.installed
	@$(NBGRADER) generate_assignment $(ASSIGNMENT) --force --log-level=ERROR
	@$(NBGRADER) release_assignment $(ASSIGNMENT) --force --log-level=ERROR || { \
	  echo "make release: assignment/$(ASSIGNMENT)/ is regenerated, but publishing it to the" \
	  "exchange failed: set GRADLAB_EXCHANGE to a folder you can write." >&2; exit 1; }

# nbgrader validate exits 0 even when tests fail: success is its "Success!" line.
validate: $(VENV)/.installed
	@out=$$($(NBGRADER) validate $(SOLUTION) 2>&1); \
	if grep -q "^Success! Your notebook passes all the tests" <<<"$$out"; then \
	  echo "validate: $(SOLUTION) passes all its tests"; \
	else echo "$$out"; echo "make validate: $(SOLUTION) fails its own tests" >&2; exit 1; fi

collect: $(VENV)/.installed
	@$(NBGRADER) collect $(ASSIGNMENT) --update --log-level=INFO $(ONLY) \
	  --ExchangeCollect.check_owner=$(CHECK_OWNER)

# Scores come from grading the submitted files (nbgrader_config.py: GradeFromFile), never from a
# kernel; JOBS=n grading processes (default: one per CPU). EXECUTE=1 also runs each notebook for its
# outputs, in a kernel confined like a worker (root only).
EXECUTE ?=
autograde: $(VENV)/.installed secret-ready
	@$(NBGRADER) autograde $(ASSIGNMENT) $(ONLY) $(if $(FORCE),--force) $(if $(JOBS),--GradeFromFile.jobs=$(JOBS)) \
	  $(if $(EXECUTE),--ConfinedExecute.enabled=True) $(QUIET)

# Feedback pages into feedback/ (hidden tests' code removed: nbgrader_config.py), then to the
# exchange, where students get them with `nbgrader fetch_feedback`.
feedback: $(VENV)/.installed
	@$(NBGRADER) generate_feedback $(ASSIGNMENT) --force $(ONLY) --log-level=ERROR
	@$(NBGRADER) release_feedback $(ASSIGNMENT) $(ONLY) $(QUIET)

# Per-part grades from the gradebook (nbgrader's own `nbgrader export` is per assignment).
export: $(VENV)/.installed
	@$(PY) -m autograder export --course-dir $(COURSE) --out $(EXPORT)

clean:
	@rm -rf grades dist bench/out

# Throughput against nbgrader autograde, measured in one run: bench/results.json, bench/time_vs_n.png.
# BENCH_ARGS="--sizes 10,20 --jobs 2 --nbgrader 1 --out /tmp/bench" for a quick look.
# BENCH_ARGS="--similarity": only what the similarity report adds to make grade (bench/similarity_results.json).
BENCH_ARGS ?=
bench: $(VENV)/.installed secret-ready
	@$(PY) bench/run_bench.py $(BENCH_ARGS)

# Are grades the same whatever the secret? Correct variants and generated mutants under 20 secrets:
# bench/fairness.json (minutes; README, "Fairness across secrets").
fairness: $(VENV)/.installed
	@$(PY) bench/fairness.py

# Gradescope: dist/autograder.zip with setup.sh and run_autograder at its root (no solutions, no tests).
# Upload it as the autograder of a programming assignment (Ubuntu 22.04+ base image).
gradescope: $(VENV)/.installed secret-ready
	@$(PY) -m autograder gradescope build dist/autograder.zip

# Mutation analysis of the checks: grades generated one-change mutants of the reference into
# $(MUTANTS_OUT)/report.html and results.json; fails when a part's kill rate is below
# grading.toml's [mutants.min_kill_rate]. MUTANTS_ARGS="--sample 20" for a quick look.
MUTANTS_OUT ?= grades/mutants
MUTANTS_ARGS ?=
mutants: $(VENV)/.installed
	@$(PY) -m autograder mutants --out $(MUTANTS_OUT) $(if $(SEED),--seed $(SEED)) $(if $(JOBS),--jobs $(JOBS)) $(MUTANTS_ARGS)

# The student distribution: dist/gradlab-<version>-py3-none-any.whl, the autograder package with
# grading.toml and the released notebook inside; nothing from solutions/ or tests/ (README,
# "Student environment"). `make gradescope` packs the same wheel.
.PHONY: wheel
wheel: $(VENV)/.installed
	@$(PY) -m autograder wheel dist
