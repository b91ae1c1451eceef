# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap the venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DATE := 2025-03-18

.PHONY: demo test fuzz lint format bench-quality bench-throughput bench-query bench-collect clean

RUNTIME := $(VENV)/.runtime

# Re-install only when the dependency list changes. The demo needs the runtime
# dependencies only; tests, linters and benchmarks add the `dev` extra.
$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(RUNTIME)
	$(BIN)/newsflow process infra/demo/raw --date $(DEMO_DATE) --output data
	$(BIN)/newsflow show --output data --date $(DEMO_DATE) --limit 5

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy  # flows/ tasks/ schemas/: [tool.mypy] in pyproject.toml
	$(BIN)/python -m pytest -q

# The long fuzzing profile: hundreds of generated input folders through every loader.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q tests/ingest/test_fuzz.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# out-of-fold: the fold models come from the training script (scikit-learn: `bench` extra)
bench-quality: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	test -f benchmarks/.cache/oof/folds.json || $(BIN)/python benchmarks/train_extractor.py --no-write
	$(BIN)/python benchmarks/quality.py

bench-throughput: $(STAMP)
	$(BIN)/python benchmarks/throughput.py

bench-query: $(STAMP)
	$(BIN)/python benchmarks/query.py
bench-collect: $(STAMP)
	$(BIN)/python benchmarks/collect.py

clean:
	rm -rf data .pytest_cache
