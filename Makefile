# The README's two commands: `make demo` and `make test`. Both set up .venv on first use.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export SHOREWATCH_STATE_DIR ?= $(CURDIR)/.shorewatch
export YOLO_OFFLINE := 1
export YOLO_AUTOINSTALL := 0
export CI ?= false

.PHONY: setup demo test check bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch and torchvision first: pip takes these exact versions from this machine kind's disk
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/shorewatch demo

# two workers (pytest-xdist), whole files each: half the tests wait on simulated time or a browser,
# so two run in about 8 minutes what one runs in 15 on this 2-core machine. PYTEST_WORKERS= runs one.
PYTEST_WORKERS ?= -n 2 --dist loadfile

test: setup
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_WORKERS) $(PYTEST_ARGS)

check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: setup
	@for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
