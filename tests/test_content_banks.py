"""The shipped question banks carry their seeds' wording exactly and have gradable rubrics.

The expected seed text is copied into this file on purpose: tests never read the seed documents,
and a copy here catches an accidental edit (a straightened apostrophe, a trimmed answer) in the YAML.
"""

from __future__ import annotations

import pytest

from simulator.content.library import RUBRICS_DIR, read_yaml, validate_data
from simulator.content.round import RoundsFile
from simulator.content.rubric import Item, RubricFile

SENIOR_QUESTIONS: list[tuple[str, str]] = [
    (
        'Technical Depth & Architecture',
        'How have you designed and scaled data pipelines or ML systems to handle production workloads? What trade-offs did you consider between model complexity and latency?',
    ),
    (
        'Technical Depth & Architecture',
        'Walk me through a time when you had to choose between different modeling approaches for a business problem. How did you evaluate the options and what was the outcome?',
    ),
    (
        'Technical Depth & Architecture',
        'Describe your experience with MLOps - how have you handled model versioning, monitoring, and deployment in production environments?',
    ),
    (
        'Leadership & Mentorship',
        'With your experience level, you’ve likely mentored junior data scientists. Can you share an example of how you’ve helped someone grow technically or overcome a challenging problem?',
    ),
    (
        'Leadership & Mentorship',
        'How do you approach technical debt in data science projects? Can you give an example of when you pushed back on a quick solution in favor of a more robust approach?',
    ),
    (
        'Business Impact & Strategy',
        'Tell me about a project where you translated a vague business need into a concrete data science solution. How did you scope it and measure success?',
    ),
    (
        'Business Impact & Strategy',
        'Describe a situation where your analysis or model led to a significant business decision or change in direction. What made it impactful?',
    ),
    (
        'Collaboration & Communication',
        'How do you explain complex technical concepts or model limitations to non-technical stakeholders? Give me a specific example.',
    ),
    (
        'Collaboration & Communication',
        'Tell me about a time when you disagreed with a product manager or stakeholder about the feasibility or approach to a data science project. How did you handle it?',
    ),
    (
        'Problem-Solving & Adaptability',
        'Describe a project that failed or didn’t meet expectations. What did you learn and how did you apply those lessons?',
    ),
    (
        'Problem-Solving & Adaptability',
        'What’s the most challenging data quality or data availability issue you’ve faced, and how did you work around it?',
    ),
    (
        'Technical Skills (role-specific)',
        'What’s your approach to feature engineering, and how has it evolved over your career?',
    ),
    (
        'Technical Skills (role-specific)',
        'How do you stay current with new techniques and tools in the rapidly evolving data science field?',
    ),
]

# (question, rarity, difficulty, opening sentence of the model answer)
LEAD_QUESTIONS: list[tuple[str, str, str, str]] = [
    (
        'How do you build and structure a high-performing data science team?',
        'Very Common',
        'hard',
        'Start with the work the team must deliver, then design the team around those needs.',
    ),
    (
        'How do you mentor and develop data scientists on your team?',
        'Very Common',
        'medium',
        'Effective mentorship accelerates team growth and builds organizational capability:',
    ),
    (
        'How do you handle conflicts within your data science team?',
        'Common',
        'hard',
        'Conflict resolution is critical for maintaining team health and productivity:',
    ),
    (
        'How do you design a scalable ML architecture for an organization?',
        'Very Common',
        'hard',
        'Scalable ML architecture should make the model lifecycle repeatable: data moves through validated pipelines, experiments are tracked, models are registered, deployments are controlled, and monitoring tells the team when performance or business risk changes.',
    ),
    (
        'How do you prioritize data science projects and allocate resources?',
        'Very Common',
        'hard',
        'Effective prioritization ensures maximum business impact with limited resources:',
    ),
    (
        'How do you communicate complex ML concepts to non-technical stakeholders?',
        'Very Common',
        'medium',
        'Effective communication with non-technical stakeholders is crucial for project success:',
    ),
    (
        'How do you ensure ethical AI and address bias in ML models?',
        'Common',
        'hard',
        'Responsible AI is a leadership practice, not a final checklist.',
    ),
    (
        'How do you develop a data science roadmap aligned with business strategy?',
        'Very Common',
        'hard',
        'A data science roadmap connects technical capabilities with business objectives:',
    ),
    (
        'How do you design and implement a production ML system that serves millions of predictions?',
        'Very Common',
        'hard',
        'For production ML at scale, design for the failure modes that do not appear in notebooks: stale features, broken pipelines, slow endpoints, silent data drift, delayed labels, rollback needs, and unclear ownership.',
    ),
    (
        'How do you work with product managers and engineers to define ML requirements?',
        'Very Common',
        'medium',
        'Effective collaboration requires translating between business needs and technical solutions:',
    ),
    (
        'How do you evaluate and hire data scientists? What do you look for?',
        'Very Common',
        'medium',
        'Building a strong team requires structured evaluation and clear criteria:',
    ),
]

LEAD_Q1_FOLLOW_UPS = [
    'Describe your hiring process and criteria',
    'How do you handle underperformance?',
    "What's your approach to team retention?",
]

# (question, difficulty, sample answer)
MLE_QUESTIONS: list[tuple[str, str, str]] = [
    (
        'Can you walk me through a machine learning project you took from prototype to production, and what you learned from that process?',
        'medium',
        (
            'In my last role, I worked on a churn prediction model that started as a notebook experiment and eventually became part of our weekly retention workflow. '
            'The prototype performed well offline, but I quickly learned that good validation metrics were not enough. '
            'We had to align on the business definition of churn, improve data quality, and make the training pipeline reproducible. '
            'I partnered with product and data engineering to standardize feature generation, then containerized the model and deployed it behind an internal API. '
            'After launch, I monitored prediction drift and retrained monthly based on fresh outcomes. '
            'One big lesson was that production success depends as much on reliability and communication as on model accuracy. '
            'I now think about deployment, monitoring, and stakeholder alignment from the start, not as an afterthought.'
        ),
    ),
    (
        'How do you decide which model to use when starting a new machine learning problem?',
        'easy',
        (
            'I usually start by understanding the business goal, the type of target variable, and the constraints around latency, interpretability, and maintenance. '
            'If the problem is tabular data with a clear supervised target, I often begin with a simple baseline like logistic regression or gradient-boosted trees because they are fast to train and easy to explain. '
            'If the data is unstructured, such as text or images, I consider pretrained models or deep learning approaches, but only if the problem justifies the added complexity. '
            'I also look at how much data is available and whether the team can support ongoing retraining. '
            'My goal is not to use the most advanced model, but the one that gives the best tradeoff between performance, interpretability, and operational cost. '
            'I prefer to prove value quickly, then increase sophistication only when the data and use case support it.'
        ),
    ),
    (
        'Tell me about a time you had to deal with poor-quality data in a machine learning project.',
        'medium',
        (
            'On one project, I inherited a dataset with missing values, inconsistent labels, and a few obvious outliers that were distorting the target distribution. '
            'Instead of pushing forward with modeling right away, I spent time profiling the data and identifying where the issues were coming from. '
            'Some were due to upstream logging gaps, while others came from ambiguous labeling rules. '
            'I worked with the data owners to clarify the schema and define validation checks so bad records would be caught earlier. '
            'For the model itself, I handled missing values carefully and tested the impact of different cleaning strategies rather than assuming one approach would work best. '
            'The experience reinforced that data quality is not just a preprocessing task; it is part of the system design. '
            'Clean, well-defined data usually improves model performance more than a small architecture change.'
        ),
    ),
    (
        'How do you evaluate whether a machine learning model is actually ready for production?',
        'hard',
        (
            'I look at production readiness from several angles, not just offline accuracy. '
            'First, the model needs to meet the core metric that matters for the business, and that should be measured on a realistic holdout set with proper cross-validation or time-based splits when appropriate. '
            'Second, I check robustness: how sensitive is the model to missing inputs, noisy features, or shifts in the data distribution? Third, I consider operational readiness, including inference latency, scalability, and the ability to retrain or roll back if something goes wrong. '
            'I also want monitoring in place for both model performance and data drift, so we can detect problems early. '
            'Finally, I review explainability and stakeholder confidence. '
            'If the business cannot understand or act on the predictions, the model may not be useful even if the metrics look strong. '
            'Production readiness is really a combination of statistical quality and engineering discipline.'
        ),
    ),
    (
        'Describe a situation where your model performed well in development but poorly after deployment. What did you do?',
        'hard',
        (
            'I once worked on a recommendation model that looked strong in offline evaluation, but after deployment engagement was lower than expected. '
            'When we investigated, we found two issues. '
            'First, the training data reflected historical behavior, while the live environment had changed because of a new user interface. '
            'Second, the offline metric favored relevance, but the product team cared more about diversity and downstream clicks. '
            'I helped rebuild the evaluation framework to better match the real objective and added monitoring for feature drift and prediction distribution changes. '
            'We also retrained using more recent data and introduced a feedback loop so the model could learn from fresh interactions. '
            'The main lesson was that offline validation can be misleading if the training setup does not mirror production conditions. '
            'Since then, I spend more time understanding the live system before finalizing the modeling approach.'
        ),
    ),
    (
        'How do you work with data engineers, product managers, and software engineers on an ML project?',
        'medium',
        (
            'I try to make machine learning feel like a shared product effort rather than a separate research track. '
            'With data engineers, I focus on data contracts, pipeline reliability, and feature availability so the model can be trained and served consistently. '
            'With software engineers, I work on API design, latency constraints, deployment strategy, and monitoring. '
            'With product managers, I align on success metrics, acceptable tradeoffs, and the real user problem we are solving. '
            'I’ve found that clear communication early prevents a lot of rework later. '
            'For example, if product wants better conversion but the data available only supports a proxy metric, I make that gap explicit before modeling starts. '
            'I also like to translate technical concepts into business impact so stakeholders can make informed decisions. '
            'Good collaboration means everyone understands not just what the model does, but why it matters and how it will behave in production.'
        ),
    ),
    (
        'What is your approach to feature engineering, and how do you know when it is worth the effort?',
        'easy',
        (
            'My approach to feature engineering is driven by the problem type and the model family. '
            'For tabular problems, I start by looking for strong domain signals such as aggregates, recency measures, ratios, or interaction features. '
            'I also pay attention to leakage, because some features look powerful but are not available at prediction time. '
            'To decide whether feature engineering is worth the effort, I compare the gain against the cost of maintaining those features in production. '
            'If a feature is expensive to compute, hard to explain, or likely to change often, I am more cautious. '
            'I also run ablation tests so I can see which features genuinely move the needle instead of adding complexity for little benefit. '
            'In some cases, simple features plus a strong model are enough. '
            'In other cases, the right engineered features can unlock much better performance than a more complex algorithm alone.'
        ),
    ),
    (
        'How would you handle a situation where the business asks for a highly accurate model, but you know the data does not support it?',
        'medium',
        (
            'I would be honest about the limitations and focus on setting realistic expectations early. '
            'If the data does not contain enough signal for very high accuracy, I would explain what is possible, what is not, and what the tradeoffs are. '
            'Then I would explore alternatives: improving the data collection process, redefining the target, using a simpler decision rule, or supplementing the model with human review for edge cases. '
            'I find it helps to frame the discussion around business impact rather than model vanity metrics. '
            'For example, sometimes a moderately accurate model that reduces manual work by 30 percent is more valuable than chasing a marginal metric improvement that takes months. '
            'I would also propose a short experiment to quantify the ceiling quickly, so the team can make decisions with evidence instead of assumptions. '
            'Managing expectations is part of being an effective ML engineer.'
        ),
    ),
    (
        'What steps do you take to make your machine learning code reliable and maintainable?',
        'easy',
        (
            'I treat ML code like production software, not just experimentation logic. '
            'That means I use version control consistently, write modular code, and separate data processing, training, evaluation, and serving logic into clear components. '
            'I also add unit tests for critical transformations and integration tests for the pipeline so I can catch regressions early. '
            'Reproducibility matters a lot, so I pin dependencies, track data and model versions, and record training parameters and metrics. '
            'For configuration, I prefer explicit config files or structured parameters rather than hard-coded values in notebooks. '
            'I also document assumptions, especially around feature definitions and label generation, because those details become important when the model is retrained or audited later. '
            'When the codebase is maintainable, it is much easier for another engineer to review, extend, or debug it. '
            'That discipline saves time and reduces risk once the project moves into production.'
        ),
    ),
    (
        'How do you monitor a machine learning model after deployment, and what would make you retrain it?',
        'hard',
        (
            'After deployment, I monitor both system health and model behavior. '
            'On the system side, I watch latency, error rates, throughput, and any failures in the feature pipeline or inference service. '
            'On the model side, I track input drift, prediction distribution shifts, and delayed performance metrics once ground truth becomes available. '
            'I also like to compare performance by segment, because an overall stable metric can hide issues for specific user groups or product surfaces. '
            'Retraining is usually triggered by a combination of drift, performance decay, and business need. '
            'If the model no longer reflects current behavior, or if a new pattern in the data becomes important, I would retrain with updated data and revalidate carefully before redeploying. '
            'I also believe retraining should be part of a planned lifecycle, not only a reaction to problems. '
            'A good monitoring setup helps the team stay proactive rather than waiting for users to notice something is wrong.'
        ),
    ),
]

GUIDE_QUESTIONS: list[tuple[str, str]] = [
    ('Fundamentals', 'Explain how garbage collection works in Java'),
    ('Trade-offs', 'When would you use SQL vs NoSQL?'),
    ('Debugging', 'How would you debug a memory leak?'),
    ('Architecture', 'Why did you choose microservices over monolith?'),
    ('Latest Tech', "What's your experience with GraphQL?"),
]

# Passages that must survive inside the lead reference answers (multi-line, as the seed has them).
LEAD_PASSAGES: dict[str, str] = {
    "How do you build and structure a high-performing data science team?": (
        "Team Structure:\n"
        "- Junior Data Scientists: Focus on data analysis, feature engineering, basic modeling\n"
        "- Senior Data Scientists: Own end-to-end projects, mentor juniors, advanced modeling\n"
        "- ML Engineers: Model deployment, infrastructure, production systems\n"
        "- Data Engineers: Data pipelines, infrastructure, data quality\n"
        "Key Principles:\n"
    ),
    "How do you design a scalable ML architecture for an organization?": (
        "5. Governance:\n"
        "- Model approval workflows and release criteria\n"
        "- Audit trails for data, code, features, and model versions\n"
        "- Access controls and privacy safeguards\n"
        "- Periodic reviews for fairness, safety, and continued business value"
    ),
    "How do you design and implement a production ML system that serves millions of predictions?": (
        "Scalability Considerations:\n"
        "- Horizontal scaling: Multiple model serving instances\n"
        "- Caching: Redis for frequent predictions\n"
    ),
    "How do you evaluate and hire data scientists? What do you look for?": (
        "Red Flags:\n"
        "- Cannot explain their own projects clearly\n"
        "- Blames others for failures\n"
        "- Dismissive of business constraints\n"
    ),
}

# The last line of each lead model answer: the answer must stop there (no "Rarity:" or follow-ups).
LEAD_LAST_LINES: dict[str, str] = {
    "How do you build and structure a high-performing data science team?": (
        "- Protect learning time: Use code reviews, experiment reviews, and postmortems to raise the team's baseline."
    ),
    "How do you prioritize data science projects and allocate resources?": "4. Scoring Model:",
    "How do you evaluate and hire data scientists? What do you look for?": "- Strong fundamentals",
}

BANK_FILES = {
    "senior-ds": ("senior_ds.yaml", "senior", "senior-", 13),
    "lead-ds": ("lead_ds.yaml", "lead", "lead-", 11),
    "ml-engineer": ("ml_engineer.yaml", "mid", "mle-", 10),
    "guide-viva": ("guide_questions.yaml", "mid", "viva-", 5),
}

ROUND_PERSONA = {
    "recruiter-screen": "interviewer-recruiter",
    "technical-screen": "interviewer-technical-screen",
    "ml-deep-dive": "interviewer-ml-deep-dive",
    "ml-system-design": "interviewer-system-design",
    "case-study": "interviewer-case-study",
    "behavioural-product": "interviewer-behavioural",
    "hiring-manager": "interviewer-hiring-manager",
    "hiring-manager-technical": "interviewer-hiring-manager",
}

COMPETENCIES = {
    "business-intelligence-dashboard-development",
    "experimentation-ab-testing",
    "financial-payments-analytics",
    "product-analytics-metrics",
    "ai-llm-systems-implementation",
    "data-governance-compliance",
    "data-pipeline-development-operations",
    "machine-learning-model-development",
    "strategic-leadership-org-enablement",
}


def _load(file_name: str) -> RubricFile:
    path = RUBRICS_DIR / file_name
    data, node = read_yaml(path)
    model = validate_data(path, data, node)
    assert isinstance(model, RubricFile)
    return model


@pytest.fixture(scope="module")
def banks() -> dict[str, RubricFile]:
    return {bank_id: _load(spec[0]) for bank_id, spec in BANK_FILES.items()}


def _by_question(bank: RubricFile) -> dict[str, Item]:
    return {item.question: item for item in bank.items}


def _all_items(banks: dict[str, RubricFile]) -> list[Item]:
    return [item for bank in banks.values() for item in bank.items]


@pytest.mark.parametrize("bank_id", list(BANK_FILES))
def test_bank_header_count_and_ids(banks: dict[str, RubricFile], bank_id: str) -> None:
    file_name, level, prefix, count = BANK_FILES[bank_id]
    bank = banks[bank_id]
    assert bank.bank.id == bank_id
    assert bank.bank.level == level
    assert len(bank.items) == count
    assert all(item.level == level for item in bank.items)
    assert all(item.id.startswith(prefix) for item in bank.items)
    assert len({item.id for item in bank.items}) == count
    assert len({item.question for item in bank.items}) == count


def test_item_ids_unique_across_banks(banks: dict[str, RubricFile]) -> None:
    ids = [item.id for item in _all_items(banks)]
    assert len(ids) == len(set(ids)) == 39


def test_senior_questions_and_themes_verbatim(banks: dict[str, RubricFile]) -> None:
    items = banks["senior-ds"].items
    assert [(i.theme, i.question) for i in items] == SENIOR_QUESTIONS
    # The curly apostrophes are the seed's; a straightened one would be a different question.
    assert sum("’" in q for _, q in SENIOR_QUESTIONS) == 4
    assert not any("'" in i.question for i in items)


def test_lead_questions_rarity_difficulty_and_reference(banks: dict[str, RubricFile]) -> None:
    items = banks["lead-ds"].items
    assert [i.question for i in items] == [q for q, *_ in LEAD_QUESTIONS]
    for item, (question, rarity, difficulty, opening) in zip(items, LEAD_QUESTIONS):
        assert item.rarity == rarity, question
        assert item.difficulty == difficulty, question
        assert item.reference_source == "seed", question
        assert item.reference_answer is not None and item.reference_answer.startswith(opening), question
        assert not item.reference_answer.startswith("Answer:"), question
        assert "Rarity:" not in item.reference_answer and "Interview Follow-up:" not in item.reference_answer


def test_lead_reference_passages_and_endings(banks: dict[str, RubricFile]) -> None:
    items = _by_question(banks["lead-ds"])
    for question, passage in LEAD_PASSAGES.items():
        answer = items[question].reference_answer
        assert answer is not None and passage in answer, question
    for question, last in LEAD_LAST_LINES.items():
        answer = items[question].reference_answer
        assert answer is not None and answer.split("\n")[-1] == last, question


def test_lead_follow_ups(banks: dict[str, RubricFile]) -> None:
    items = banks["lead-ds"].items
    assert items[0].follow_ups == LEAD_Q1_FOLLOW_UPS
    assert "authored-follow-ups" not in items[0].tags
    for item in items[1:]:
        assert 2 <= len(item.follow_ups) <= 3, item.id
        assert "authored-follow-ups" in item.tags, item.id
        assert all(f.strip() and f not in LEAD_Q1_FOLLOW_UPS for f in item.follow_ups), item.id


def test_ml_engineer_questions_and_answers_verbatim(banks: dict[str, RubricFile]) -> None:
    items = banks["ml-engineer"].items
    assert [i.question for i in items] == [q for q, _, _ in MLE_QUESTIONS]
    for item, (question, difficulty, answer) in zip(items, MLE_QUESTIONS):
        assert item.difficulty == difficulty, question
        assert item.reference_source == "seed", question
        assert item.reference_answer == answer, question
    assert "I’ve found that clear communication" in items[5].reference_answer


def test_guide_questions_verbatim(banks: dict[str, RubricFile]) -> None:
    items = banks["guide-viva"].items
    assert [(i.theme, i.question) for i in items] == GUIDE_QUESTIONS
    for item in items:
        assert not item.question.startswith('"') and not item.question.endswith('"')
        assert item.kind == "technical"
        assert item.round in {"ml-deep-dive", "technical-screen"}
        assert item.reference_source in (None, "authored")  # the guide gives no answers: any is ours, and says so


def test_seedless_banks_carry_only_authored_model_answers(banks: dict[str, RubricFile]) -> None:
    """The senior bank's seed has no answers: a model answer there is written for mockpanel and marked so."""
    assert all(i.reference_source in (None, "authored") for i in banks["senior-ds"].items)


def test_every_item_has_a_model_answer_to_compare_against(banks: dict[str, RubricFile]) -> None:
    missing = [i.id for b in banks.values() for i in b.items if not i.reference_answer]
    assert not missing, f"items with no reference or authored model answer: {missing}"


def test_every_item_has_a_full_authored_rubric(banks: dict[str, RubricFile]) -> None:
    for item in _all_items(banks):
        positives = [i for i in item.indicators if i.polarity == "positive"]
        negatives = [i for i in item.indicators if i.polarity == "negative"]
        assert 3 <= len(positives) <= 5, item.id
        assert 3 <= len(negatives) <= 5, item.id
        assert all(i.source == "authored" for i in item.indicators), item.id
        for rating in ("exceeds", "meets", "below"):
            anchor = item.anchors.get(rating)
            assert anchor.source == "authored" and len(anchor.text) > 20, (item.id, rating)
        anchor_texts = {item.anchors.get(r).text for r in ("exceeds", "meets", "below")}
        assert len(anchor_texts) == 3, item.id


def test_indicators_have_distinct_ids_and_cues(banks: dict[str, RubricFile]) -> None:
    for item in _all_items(banks):
        ids = [i.id for i in item.indicators]
        assert len(ids) == len(set(ids)), item.id
        for ind in item.indicators:
            assert ind.id.startswith("p-" if ind.polarity == "positive" else "n-"), (item.id, ind.id)
            assert 3 <= len(ind.cues) <= 6, (item.id, ind.id)
            assert all(len(c.split()) >= 4 for c in ind.cues), (item.id, ind.id)
        cues = [c.lower() for ind in item.indicators for c in ind.cues]
        assert len(cues) == len(set(cues)), f"{item.id}: a cue is shared between indicators"
        texts = [ind.text.lower() for ind in item.indicators]
        assert len(texts) == len(set(texts)), item.id


def test_kind_round_persona_and_competency(banks: dict[str, RubricFile]) -> None:
    for item in _all_items(banks):
        assert item.kind in {"technical", "behavioural"}, item.id
        assert item.round in ROUND_PERSONA, item.id
        assert item.personas == [ROUND_PERSONA[item.round]], item.id
        assert item.competency is None or item.competency in COMPETENCIES, item.id
        assert item.response_time_minutes is not None and 0 < item.response_time_minutes <= 15, item.id
        behavioural_round = item.round in {"behavioural-product", "hiring-manager", "recruiter-screen"}
        assert (item.kind == "behavioural") == behavioural_round, item.id


def test_banks_name_their_seed_documents(banks: dict[str, RubricFile]) -> None:
    expected = {
        "senior-ds": "000_d9d9e336af24e034.txt",
        "lead-ds": "001_2333dd5be04842fa.txt",
        "ml-engineer": "004_1696a8c896e79178.txt",
        "guide-viva": "003_93750c54d106306b.txt",
    }
    assert {bank_id: bank.bank.source_document for bank_id, bank in banks.items()} == expected


def test_items_reference_shipped_rounds_and_competencies(banks: dict[str, RubricFile]) -> None:
    """Checked against rounds.yaml directly, so a typo shows here even before every persona exists."""
    rounds_file = RUBRICS_DIR / "rounds.yaml"
    data, node = read_yaml(rounds_file)
    model = validate_data(rounds_file, data, node)
    assert isinstance(model, RoundsFile)
    rounds = {r.id: r for r in model.rounds}
    competencies = {c.id for c in model.progression}
    for item in _all_items(banks):
        assert item.round in rounds, item.id
        assert item.kind in rounds[item.round].kinds, item.id
        assert set(item.personas) <= set(rounds[item.round].personas), item.id
        assert item.competency is None or item.competency in competencies, item.id
    question_types = {q.name: q.example for q in model.question_types}
    for item in banks["guide-viva"].items:
        assert question_types[item.theme or ""] == item.question
        assert item.tags == [f"question-type:{next(q.id for q in model.question_types if q.name == item.theme)}"]


def test_whole_library_loads_with_every_bank_item() -> None:
    """The banks only work alongside the shipped personas and rounds: every reference resolves."""
    from simulator.content.library import load_library

    lib = load_library()
    for bank_id, (_, _, prefix, count) in BANK_FILES.items():
        assert bank_id in lib.banks
        mine = [i for i, b in lib.item_bank.items() if b == bank_id]
        assert len(mine) == count and all(i.startswith(prefix) for i in mine)
        for item_id in mine:
            item = lib.item(item_id)
            assert all(pid in lib.personas for pid in item.personas), item_id
            assert item in lib.items_in_round(item.round)
