# renkei — the two commands of the quick start: `make demo` and `make test`.
# Both install what they need from this repository's own files: a virtual environment
# with the package (pyproject.toml), and Debian's Chromium, a Japanese font and the
# PostgreSQL server (the tests start their own on loopback; scripts/system-deps.sh).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo console test lint bench install system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP) system-deps

system-deps:
	@PYTHON=$(PYTHON) sh scripts/system-deps.sh

demo: install
	$(BIN)/renkei demo run -n 20

# After `make demo`: the web console on http://127.0.0.1:8780/ with demo accounts, the mock
# core system and the scheduler beside it (docs/console.md). Ctrl+C stops all three.
console: install
	$(BIN)/renkei demo console

# The suite on TEST_WORKERS processes (xdist), each test module kept on one worker: its
# shared installation, run or server is set up once. TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadscope

# The keying benchmark (issue 5): renkei against a plain Playwright script and direct HTTP
# posts, then 1/2/4 runners at 300 ms latency; JSON and PNG in bench/results/.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var
