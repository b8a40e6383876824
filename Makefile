# smartbot: `make test` and `make demo` set everything up themselves.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
export MPLBACKEND ?= Agg
export PYGAME_HIDE_SUPPORT_PROMPT := 1

.PHONY: setup test test-slow demo bench lint typecheck clean

setup: $(STAMP)

# torch is pinned first so that no other package can pull a newer (CUDA) build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev]' torch==2.13.0
	touch $(STAMP)

# Tests never need a screen: SDL draws off-screen.
test: $(STAMP)
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(PY) -m pytest

test-slow: $(STAMP)
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(PY) -m pytest -m slow

# Trains, evaluates and records; opens the viewer only where a display exists.
demo: $(STAMP)
	$(PY) -m training.cli demo

bench: $(STAMP)
	$(PY) -m training.cli bench

lint: $(STAMP)
	$(VENV)/bin/ruff check robot envs policies training scripts tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache
