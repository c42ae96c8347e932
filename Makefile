# The README's two commands: `make app` and `make test`. Both build .venv from the hashed lock first.
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: app test bench lock clean train-judge train-intent train-asks

$(STAMP): requirements.lock pyproject.toml
	bash scripts/bootstrap

app: $(STAMP)
	$(VENV)/bin/streamlit run app.py

test: $(STAMP)
	bash scripts/system-setup
	$(VENV)/bin/ruff check simulator evals tests training benchmarks app.py
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python -m benchmarks

lock:
	bash scripts/lock

clean:
	rm -rf $(VENV)

# The trained judge: a training-only venv (torch, transformers) on top of the hashed runtime lock,
# then one command that trains, exports to ONNX, quantises and writes the model card. CI never runs it.
TRAIN_VENV := .venv-train
$(TRAIN_VENV)/.installed: requirements.lock requirements-train.lock
	[ -x $(TRAIN_VENV)/bin/python ] || python3 -m venv $(TRAIN_VENV)
	$(TRAIN_VENV)/bin/python -m pip install -q --require-hashes --no-deps -r requirements.lock -r requirements-train.lock
	$(TRAIN_VENV)/bin/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

train-judge: $(STAMP) $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python -m training.judge --epochs 1 --val 0.05
	$(VENV)/bin/python -m evals.tune_judge
	$(VENV)/bin/python -m evals.fit_blend  # the blend reads the judge: its weights are fitted again

# The personas' intent encoder (about 15-20 minutes on 2 cores): MiniLM fine-tuned so questions about the
# same piece of a persona's knowledge lie close; writes simulator/data/intent/{intent.onnx,card.json}.
# Rerun after changing any persona's ask_cues (tests/test_intent_model.py says when).
train-intent: $(STAMP) $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python -m training.intent
	$(VENV)/bin/python -m evals.comprehension --card

# The personas' ask verifier (about an hour on 2 cores: 3,619 s for v5's 27,281 pairs): MiniLM fine-tuned as a cross-encoder over
# (question, what a piece of knowledge says) -> asks for it?; writes simulator/data/asks/{asks.onnx,card.json}.
# Its hard negatives are chosen with the intent encoder: rerun after `make train-intent`
# (tests/test_verifier_model.py says when).
train-asks: $(STAMP) $(TRAIN_VENV)/.installed
	$(TRAIN_VENV)/bin/python -m training.asks
