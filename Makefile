# The README's two commands: `make app` and `make test`. Both build .venv from the hashed lock first.
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: app test bench lock clean

$(STAMP): requirements.lock pyproject.toml
	bash scripts/bootstrap

app: $(STAMP)
	$(VENV)/bin/streamlit run app.py

test: $(STAMP)
	bash scripts/system-setup
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks

lock:
	bash scripts/lock

clean:
	rm -rf $(VENV)
