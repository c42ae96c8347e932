"""The hiring kit (seed 002) and the interview-process guide (seed 003) as shipped content.

The seed wording below is copied into this file on purpose: the tests never read the seed
documents, and a drift between the YAML and the kit's wording (a curly quote, a dropped word)
fails here. Only this helper's bank and personas are checked; other banks load alongside.
"""

from __future__ import annotations

import re

import pytest

from simulator.content.library import Library, load_library
from simulator.content.persona import Persona
from simulator.content.rubric import Item

BANK = "hiring-kit-ds2"

# --- Seed wording (copied from the hiring kit and the guide) -----------------------------------

INDICATORS = {'ds2-dashboard-design': (['Mentions stakeholder interviews during design',
                           'Tracks usage metrics post-launch',
                           'Simplifies complex data for clarity'],
                          ['Built in isolation without feedback',
                           'No follow-up on usage or utility',
                           'Overly technical visualizations']),
 'ds2-accountability-production-model': (['Mentions monitoring alerts',
                                          'Describes incident response process',
                                          'Notes post-mortem analysis'],
                                         ['Waits for someone else to notice',
                                          'Tries to tweak results manually',
                                          'Ignores minor performance dips']),
 'ds2-resume-criteria': (['Designs, trains, and productionizes supervised learning models, implementing '
                          'versioning, API serving, and performance monitoring.',
                          'Implements variance reduction, cohort analysis, and causal inference techniques '
                          'to evaluate product features and guide roadmap decisions.',
                          'Builds retrieval-augmented generation systems or integrates LLM APIs, focusing on '
                          'prompt engineering, latency optimization, and evaluation frameworks.',
                          'Establishes and enforces data quality standards, schema validation, and testing '
                          'protocols to prevent pipeline failures and ensure downstream reliability.',
                          'Does the cover letter or personal statement convey clear relevance and '
                          'familiarity with the job?',
                          'Does the resume indicate required academic credentials, relevant certifications, '
                          'or necessary training?',
                          'Is the resume complete, well-organized, and free from formatting, spelling, and '
                          'grammar mistakes?',
                          'Does the resume show relevant prior work experience?'],
                         []),
 'ds2-coding-churn-model': (['Clear target definition with business-aligned time window',
                             'Thoughtful feature selection addressing leakage and latency',
                             'Appropriate evaluation metrics (precision-recall, calibration)',
                             'Post-deployment impact measurement via A/B test or uplift modeling',
                             'AI used for scaffolding, not architecture',
                             'Explicit identification and mitigation of AI-suggested feature leakage',
                             'Critical evaluation of AI metric recommendations',
                             'Clear documentation of AI validation process'],
                            ['Vague target definitions or lookahead leakage',
                             'Ignoring feature latency or real-time constraints',
                             'Overreliance on accuracy for imbalanced data',
                             'No plan for measuring business impact post-launch',
                             'Uncritical adoption of AI feature lists without leakage checks',
                             'Accepting AI-suggested metrics without business context',
                             'Missing validation of AI pipeline structure',
                             'No critique of AI assumptions']),
 'ds2-presentation-ambiguous-metrics': (['Clearly articulates how ambiguous requirements were translated '
                                         'into measurable success criteria',
                                         'Demonstrates active stakeholder alignment and iterative feedback '
                                         'loops',
                                         'Surfaces trade-offs between metric rigor and engineering '
                                         'feasibility',
                                         'Handles scope changes with structured boundary-setting and '
                                         'prioritization',
                                         'Connects data work directly to business outcomes and user impact'],
                                        ['Presents metrics without explaining the rationale or stakeholder '
                                         'input',
                                         'Ignores engineering constraints or cross-functional friction',
                                         'Lacks clarity on how guardrails were defined or enforced during '
                                         'development',
                                         'Fails to discuss iteration or adaptation when requirements shifted',
                                         'Over-indexes on technical details while omitting business context '
                                         'or product sense']),
 'ds2-work-sim-ab-test-ai-recs': (['Asks targeted questions to operationalize vague goals into measurable '
                                   'primary and guardrail metrics',
                                   'Identifies interference, contamination, or network effect risks and '
                                   'proposes structural mitigations',
                                   'Calculates or discusses sample size, duration, and statistical power '
                                   'realistically given traffic constraints',
                                   'Balances product velocity with statistical rigor by proposing phased '
                                   'rollout or sequential testing'],
                                  ["Accepts vague metrics like 'productivity' without defining operational "
                                   'proxies',
                                   'Ignores traffic caps, latency constraints, or variance when planning '
                                   'experiment duration',
                                   'Proposes naive randomization without considering unit-of-diversion or '
                                   'contamination risks',
                                   'Fails to establish clear stopping rules or decision criteria for the '
                                   'experiment'])}

ANCHORS = {'ds2-presentation-ambiguous-metrics': ('Demonstrates exceptional clarity in translating ambiguity into '
                                        'actionable metrics, shows strong cross-functional leadership, and '
                                        'articulates nuanced trade-offs with clear business impact.',
                                        'Presents a coherent project walkthrough with clear metric '
                                        'definitions, stakeholder alignment, and reasonable handling of '
                                        'scope changes.',
                                        'Struggles to explain metric rationale, lacks stakeholder alignment '
                                        'evidence, or presents a rigid approach that ignores ambiguity and '
                                        'constraints.'),
 'ds2-work-sim-ab-test-ai-recs': ('Rigorously deconstructs vague goals into a statistically sound experiment '
                                  'design, anticipates interference and latency risks, and aligns '
                                  'cross-functional stakeholders on a phased, data-driven rollout.',
                                  'Defines clear primary and guardrail metrics, accounts for basic '
                                  'experimental constraints, and proposes a reasonable test duration and '
                                  'sample size strategy.',
                                  'Relies on vanity metrics, ignores engineering or statistical constraints, '
                                  'proposes an experiment without clear success criteria, or fails to '
                                  'address contamination risks.')}

QUESTIONS = {'ds2-dashboard-design': 'Walk me through a dashboard or report you designed for a non-technical team.',
 'ds2-accountability-production-model': 'A model you deployed starts performing poorly in production. What '
                                        'steps do you take?',
 'ds2-knockout-production-experience': 'How many years of professional experience do you have deploying '
                                       'machine learning models or APIs to production environments using '
                                       'Python?',
 'ds2-video-ab-test-risk': "You've run an A/B test that shows a promising lift in retention, but the results "
                           'are not yet statistically significant due to low traffic. A product manager is '
                           'pushing to launch the feature immediately to meet a quarterly goal. Describe '
                           'exactly how you would communicate the risks and next steps to them in a '
                           '10-minute meeting.',
 'ds2-presentation-ambiguous-metrics': 'Walk us through a past project where you navigated ambiguous feature '
                                       'requirements to define success metrics and guardrails before '
                                       'engineering build began. Discuss how you aligned cross-functional '
                                       'stakeholders, iterated on metrics, and handled scope changes.',
 'ds2-work-sim-ab-test-ai-recs': 'Frame the experimentation strategy by asking targeted questions about '
                                 'metric definitions, statistical power, interference risks, and rollout '
                                 'constraints to produce a clear test design.'}

CODING_VARIANTS = {'without_ai': ('Outline your model architecture, feature engineering pipeline, evaluation metrics, and '
                'deployment monitoring plan. Provide a Python class structure for training and inference.',
                'Design a churn prediction model for our AI developer workflow platform. Specify your target '
                'definition, feature engineering strategy (including behavioral and usage signals), model '
                'choice justification, evaluation metrics, and how you will measure post-deployment business '
                'impact. Provide a Python class skeleton for the training pipeline.'),
 'with_ai': ('Use AI to draft pipeline structure or suggest features, but critically evaluate leakage risks, '
             'metric appropriateness, and deployment constraints. Document AI validation steps.',
             'Design a churn prediction model for our AI developer workflow platform. Specify your target '
             'definition, feature engineering strategy (including behavioral and usage signals), model '
             'choice justification, evaluation metrics, and how you will measure post-deployment business '
             'impact. Provide a Python class skeleton for the training pipeline. If you use AI, show how you '
             'validated feature leakage risks and metric suitability.')}

KNOCKOUT = [('Less than 1 year', 'Auto-decline'),
 ('1-2 years', 'Qualifies'),
 ('3-5 years', 'Qualifies'),
 ('5+ years', 'Qualifies')]

ATTITUDE = ('Accountability Mindset',
 'The consistent willingness to accept responsibility for data integrity, model performance, and ethical '
 'implications, characterized by transparent communication of limitations and proactive remediation of '
 'errors.')

COMPETENCY = ('Analytics, Experimentation & Business Intelligence',
 'Business Intelligence & Dashboard Development',
 'Designs custom dashboards based on stakeholder requirements and optimizes query performance for recurring '
 'reports.',
 'At the DS II level, independent dashboard development is essential for translating stakeholder '
 'requirements into actionable insights. Without this capability, misaligned expectations and delayed '
 'decision-making erode trust in data products. A proficiency of 3 ensures the data scientist can '
 'autonomously design, optimize, and maintain recurring reports that directly support stakeholder '
 'satisfaction and business alignment.')

PRESENTATION_BRIEF = {'format': 'deck-and-walkthrough · 20 min · ~2 hr prep',
 'audience': 'Product Manager, Senior Data Scientist, and Engineering Lead',
 'prepare': ['A 3-5 slide deck summarizing the project context, your approach to metric definition, '
             'stakeholder alignment, and outcomes',
             'Focus your narrative on your decision-making process rather than just the final results'],
 'deliverables': ['A structured deck-and-walkthrough presentation',
                  'Interactive Q&A on trade-offs and stakeholder management'],
 'ground_rules': ['Use only work you are permitted to share; anonymize proprietary data or internal metrics '
                  'if necessary',
                  'Focus on your reasoning, process, and adaptation, not just the final artifact or outcome']}

WORK_SIM_BRIEF = {'scenario': 'You are a Data Scientist II tasked with designing an A/B testing strategy for a new AI-powered '
             'code recommendation feature. The product team wants to launch a pilot, but success metrics are '
             "currently vague ('improve developer productivity'), and there are strong cross-functional "
             'concerns about latency, user trust, and experiment contamination. You must lead a discovery '
             'conversation to define precise primary and guardrail metrics, determine the experimental unit, '
             'address potential interference, and establish a rollout plan that satisfies both product and '
             'engineering stakeholders.',
 'problem': 'Frame the experimentation strategy by asking targeted questions about metric definitions, '
            'statistical power, interference risks, and rollout constraints to produce a clear test design.',
 'format': 'discovery-interview · 40 min · ~2 hr prep',
 'success_criteria': ['Defines primary, secondary, and guardrail metrics with clear operational definitions',
                      'Identifies experiment design risks (e.g., network effects, contamination) and '
                      'proposes mitigations',
                      'Aligns on sample size, duration, and decision criteria'],
 'review_beforehand': ['A/B testing fundamentals and common pitfalls',
                       'Metric hierarchy and guardrail design',
                       'Experimentation platform capabilities at Series B scaleups'],
 'ground_rules': ['Drive the conversation to uncover constraints and definitions',
                  'Focus on experimental design and metric alignment, not implementation details',
                  'Do not produce a formal document during the call']}

JORDAN = {'role': 'Jordan Lee, Product Manager (informed_partner, played by cross_functional)',
 'motivation': 'Wants to validate that AI recommendations increase developer engagement without degrading '
               'IDE performance or causing user frustration.',
 'constraints': ['Feature flag infrastructure has a 5% traffic cap for new experiments',
                 'Engineering team is concerned about increased API latency from LLM calls',
                 'Historical data shows high variance in developer session lengths'],
 'tensions': ["PM initially wants to measure success by 'number of code completions', which may incentivize "
              'low-quality suggestions',
              'PM is unaware of potential network effects if recommendations spread across teams',
              'Engineering wants a strict 2-week timeline, but variance requires longer duration'],
 'guidance': ['Provide honest answers about traffic caps, latency limits, and business goals',
              "Clarify definitions when pressed, but don't volunteer them upfront",
              'Push back gently if the candidate ignores engineering constraints'],
 'do_not': ['Do not suggest the correct experimental design or metrics',
            'Do not reveal latency caps or traffic limits unless explicitly asked',
            'Do not accept vague metric definitions without asking for clarification']}

PROGRESSION = [('Business Intelligence & Dashboard Development',
  'Analytics, Experimentation & Business Intelligence',
  ('Creates and maintains standard dashboards using established templates and follows documented BI '
   'development practices.',
   'Designs custom dashboards based on stakeholder requirements and optimizes query performance for '
   'recurring reports.',
   'Architects BI solutions across multiple data sources and establishes dashboard governance standards for '
   'the organization.',
   'Defines enterprise BI strategy, evaluates new visualization technologies, and mentors teams on analytics '
   'best practices.')),
 ('Experimentation & A/B Testing',
  'Analytics, Experimentation & Business Intelligence',
  ('Executes predefined A/B tests and produces standard analysis reports following established protocols.',
   'Designs experiment frameworks, calculates sample sizes, and interprets results with statistical '
   'significance testing.',
   'Leads experimentation strategy, establishes testing governance, and integrates experiment insights into '
   'product roadmaps.',
   'Defines organizational experimentation maturity, advances causal inference methods, and builds '
   'experiment platforms.')),
 ('Financial & Payments Analytics',
  'Analytics, Experimentation & Business Intelligence',
  ('Produces standard financial reports and monitors payment system metrics using established templates.',
   'Conducts revenue analysis, identifies payment anomalies, and supports financial forecasting activities.',
   'Leads financial analytics strategy, integrates payment data with business metrics, and advises on '
   'pricing optimization.',
   'Defines enterprise financial analytics architecture, drives revenue intelligence initiatives, and '
   'partners with executive leadership.')),
 ('Product Analytics & Metrics',
  'Analytics, Experimentation & Business Intelligence',
  ('Tracks predefined product metrics and generates routine analytics reports for product teams.',
   'Defines new metrics based on product goals and conducts deep-dive analyses to identify user behavior '
   'patterns.',
   'Establishes product analytics frameworks, aligns metrics with business objectives, and leads '
   'cross-functional analytics initiatives.',
   'Shapes product strategy through advanced analytics, builds predictive user models, and defines '
   'organizational metrics standards.')),
 ('AI & LLM Systems Implementation',
  'Data Engineering, ML Systems & Governance',
  ('Uses pre-trained models and APIs to implement AI features following established patterns.',
   'Fine-tunes LLMs for specific use cases, evaluates model outputs, and implements prompt engineering '
   'strategies.',
   'Architects AI systems, optimizes model performance and cost, and establishes AI governance practices.',
   'Defines AI strategy, evaluates cutting-edge models, and leads organizational AI transformation '
   'initiatives.')),
 ('Data Governance & Compliance',
  'Data Engineering, ML Systems & Governance',
  ('Follows data governance policies, implements access controls, and documents data lineage.',
   'Conducts privacy impact assessments, manages data classification, and ensures compliance with '
   'regulations.',
   'Designs data governance frameworks, leads compliance audits, and establishes data stewardship programs.',
   'Defines enterprise data governance strategy, partners with legal on data policy, and shapes industry '
   'standards.')),
 ('Data Pipeline Development & Operations',
  'Data Engineering, ML Systems & Governance',
  ('Implements predefined data pipelines using established patterns and monitors pipeline health.',
   'Designs data pipelines for new use cases, optimizes performance, and implements data quality checks.',
   'Architects scalable data infrastructure, establishes pipeline governance, and leads data platform '
   'initiatives.',
   'Defines enterprise data architecture strategy, evaluates emerging data technologies, and builds data '
   'platform teams.')),
 ('Machine Learning Model Development',
  'Data Engineering, ML Systems & Governance',
  ('Implements standard ML models using established libraries and follows model development workflows.',
   'Selects appropriate algorithms, tunes hyperparameters, and validates model performance against business '
   'metrics.',
   'Leads ML model architecture decisions, implements MLOps practices, and mentors junior data scientists.',
   'Defines ML strategy aligned with business goals, advances model innovation, and builds ML engineering '
   'capabilities.')),
 ('Strategic Leadership & Org Enablement',
  'Data Engineering, ML Systems & Governance',
  ('Participates in data strategy discussions and supports cross-functional data initiatives.',
   'Leads data projects across teams, communicates insights to stakeholders, and mentors junior analysts.',
   'Defines data strategy for business units, builds data culture, and partners with leadership on data '
   'investments.',
   'Shapes enterprise data vision, drives organizational transformation, and represents data function at '
   'executive level.'))]

GUIDE_STAGES = [('Recruiter Phone Screen',
  '30-45 min',
  'Initial conversation covering career aspirations, experience alignment with role, compensation '
  'expectations (e.g., EUR 60,000 - 120,000 for mid-level), and high-level technical fit. Focus on '
  'understanding motivation for DS/ML.'),
 ('Technical Phone Screen (Coding/SQL)',
  '45-60 min',
  'Live coding challenge (e.g., LeetCode Medium level for Python/R, often involving data manipulation with '
  'Pandas/dplyr) and/or SQL queries (e.g., window functions, joins, aggregations) to assess foundational '
  'programming and data querying skills.'),
 ('Machine Learning & Statistics Deep Dive',
  '60 min',
  'In-depth questions on ML algorithms (e.g., Gradient Boosting, SVMs, Neural Networks, clustering), '
  'statistical concepts (e.g., hypothesis testing, confidence intervals, p-values), model bias/variance, '
  'regularization, and common ML frameworks (e.g., scikit-learn, TensorFlow, PyTorch). May involve '
  'whiteboard problem-solving.'),
 ('ML System Design',
  '60 min',
  'Design an end-to-end ML system (e.g., recommendation engine, fraud detection, search ranking). Focus on '
  'data pipelines (ETL), feature stores, model serving (online/offline), monitoring (drift detection), '
  'scalability, and MLOps principles. Technologies like Kubernetes, Kafka, Sagemaker, MLflow are often '
  'discussed.'),
 ('Case Study / Take-Home Assignment',
  '4-8 hours (over 3-5 days)',
  'Analyze a real-world dataset, build a predictive model, evaluate its performance, and present findings. '
  'Assesses practical application of ML lifecycle, data cleaning, feature engineering, model selection, and '
  'communication of results. Often involves a follow-up presentation.'),
 ('Behavioral & Product Sense',
  '45-60 min',
  'STAR method questions on past projects, conflict resolution, teamwork, and leadership. Product sense '
  'questions involve defining metrics (e.g., AARRR, HEART), designing experiments (A/B testing), and '
  "understanding business impact of ML solutions. Focus on 'why' and 'how' decisions were made."),
 ('Hiring Manager / Leadership Interview',
  '45-60 min',
  'Discussion on career trajectory, team fit, strategic thinking, and alignment with company vision. '
  'Opportunity to ask detailed questions about the role, team, and company culture.')]

QUESTION_TYPES = [('Fundamentals', 'Explain how garbage collection works in Java'),
 ('Trade-offs', 'When would you use SQL vs NoSQL?'),
 ('Debugging', 'How would you debug a memory leak?'),
 ('Architecture', 'Why did you choose microservices over monolith?'),
 ('Latest Tech', "What's your experience with GraphQL?")]

# --- What this bank must contain ---------------------------------------------------------------

KINDS = {
    "ds2-dashboard-design": "competency",
    "ds2-accountability-production-model": "attitude",
    "ds2-knockout-production-experience": "knockout",
    "ds2-video-ab-test-risk": "video_response",
    "ds2-resume-criteria": "resume_criteria",
    "ds2-coding-churn-model": "coding_test",
    "ds2-presentation-ambiguous-metrics": "presentation",
    "ds2-work-sim-ab-test-ai-recs": "work_simulation",
}
# (positive, negative) indicator counts per item.
COUNTS = {
    "ds2-dashboard-design": (3, 3),
    "ds2-accountability-production-model": (3, 3),
    "ds2-knockout-production-experience": (3, 3),
    "ds2-video-ab-test-risk": (4, 4),
    "ds2-resume-criteria": (8, 4),
    "ds2-coding-churn-model": (8, 8),
    "ds2-presentation-ambiguous-metrics": (5, 5),
    "ds2-work-sim-ab-test-ai-recs": (4, 4),
}
ROUNDS = {
    "recruiter-screen": "interviewer-recruiter",
    "technical-screen": "interviewer-technical-screen",
    "ml-deep-dive": "interviewer-ml-deep-dive",
    "ml-system-design": "interviewer-system-design",
    "case-study": "interviewer-case-study",
    "behavioural-product": "interviewer-behavioural",
    "hiring-manager": "interviewer-hiring-manager",
}
KIT_ROUNDS = ["application-screen", "hiring-manager-technical", "live-coding", "presentation", "work-simulation"]
COMPETENCY_IDS = [
    "business-intelligence-dashboard-development", "experimentation-ab-testing", "financial-payments-analytics",
    "product-analytics-metrics", "ai-llm-systems-implementation", "data-governance-compliance",
    "data-pipeline-development-operations", "machine-learning-model-development", "strategic-leadership-org-enablement",
]
QUESTION_TYPE_IDS = ["fundamentals", "trade-offs", "debugging", "architecture", "latest-tech"]
PANEL = ["panel-product-manager", "panel-senior-data-scientist", "panel-engineering-lead"]
INTERVIEWERS = [
    "interviewer-recruiter", "interviewer-technical-screen", "interviewer-ml-deep-dive", "interviewer-system-design",
    "interviewer-case-study", "interviewer-behavioural", "interviewer-hiring-manager",
    "interviewer-application-screen", "interviewer-live-coding",
]
INTERVIEWER_LINES = ["opening", "closing", "acknowledge", "follow_up_lead", "probe_lead", "hint_lead",
                     "time_warning", "clarify", "deflect"]
AI_ONLY = {
    "AI used for scaffolding, not architecture",
    "Explicit identification and mitigation of AI-suggested feature leakage",
    "Critical evaluation of AI metric recommendations",
    "Clear documentation of AI validation process",
    "Uncritical adoption of AI feature lists without leakage checks",
    "Accepting AI-suggested metrics without business context",
    "Missing validation of AI pipeline structure",
    "No critique of AI assumptions",
}
CODE_REVIEW = "The interview should feel like a code review rather than a trivia game"
FIRST_PERSON = re.compile(r"\b(i|i'd|i'm|i've|i'll|we|we'd|we'll|we're|we've|my|our|us|me|let's)\b", re.I)


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()


@pytest.fixture(scope="module")
def items(lib: Library) -> dict[str, Item]:
    return {i: it for i, it in lib.items.items() if lib.item_bank[i] == BANK}


@pytest.fixture(scope="module")
def jordan(lib: Library) -> Persona:
    return lib.persona("jordan-lee")


def _texts(item: Item, polarity: str, source: str | None = None) -> list[str]:
    return [i.text for i in item.indicators if i.polarity == polarity and (source is None or i.source == source)]


def _all_lines(p: Persona) -> list[str]:
    """Everything the persona can say except its disclosures."""
    out: list[str] = [x for group in p.lines.model_dump().values() for x in group]
    for t in p.tensions:
        out += t.lines
    return out


# --- The bank and its items ----------------------------------------------------------------------


def test_bank_holds_every_kit_item(lib: Library, items: dict[str, Item]) -> None:
    bank = lib.banks[BANK]
    assert (bank.level, bank.role) == ("mid", "Data Scientist II")
    assert {i: it.kind for i, it in items.items()} == KINDS
    assert all(it.level == "mid" for it in items.values())


def test_indicator_counts(items: dict[str, Item]) -> None:
    for iid, (pos, neg) in COUNTS.items():
        it = items[iid]
        assert (len(_texts(it, "positive")), len(_texts(it, "negative"))) == (pos, neg), iid


@pytest.mark.parametrize("item_id", sorted(INDICATORS))
def test_seed_indicators_verbatim(items: dict[str, Item], item_id: str) -> None:
    pos, neg = INDICATORS[item_id]
    it = items[item_id]
    assert _texts(it, "positive", "seed") == pos
    assert _texts(it, "negative", "seed") == neg


def test_seed_anchors_verbatim(items: dict[str, Item]) -> None:
    for iid, (exceeds, meets, below) in ANCHORS.items():
        a = items[iid].anchors
        assert (a.exceeds.text, a.meets.text, a.below.text) == (exceeds, meets, below), iid
        assert {a.exceeds.source, a.meets.source, a.below.source} == {"seed"}


def test_items_without_seed_wording_are_authored_in_the_kits_shape(items: dict[str, Item]) -> None:
    for iid, it in items.items():
        for polarity in ("positive", "negative"):
            seed = _texts(it, polarity, "seed")
            authored = _texts(it, polarity, "authored")
            if seed:
                assert not authored, f"{iid}: seed {polarity}s are not padded with authored ones"
            else:
                assert 3 <= len(authored) <= 5, (iid, polarity, len(authored))
        anchors = [it.anchors.get(r) for r in ("exceeds", "meets", "below")]
        if iid not in ANCHORS:
            assert {a.source for a in anchors} == {"authored"}, iid
        assert len({a.text for a in anchors}) == 3, iid


def test_every_indicator_has_concrete_first_person_cues(items: dict[str, Item]) -> None:
    for iid, it in items.items():
        seen: set[str] = set()
        for ind in it.indicators:
            assert 3 <= len(ind.cues) <= 6, (iid, ind.id)
            for cue in ind.cues:
                assert cue not in seen, (iid, cue)
                seen.add(cue)
                assert len(cue.split()) >= 6, (iid, ind.id, cue)
                assert FIRST_PERSON.search(cue) or cue.endswith("?"), (iid, ind.id, cue)
                assert cue != ind.text


def test_ai_only_indicators_carry_the_with_ai_variant(items: dict[str, Item]) -> None:
    it = items["ds2-coding-churn-model"]
    only = {i.text for i in it.indicators if i.variants == ["with_ai"]}
    assert only == AI_ONLY
    assert all(i.variants == [] for i in it.indicators if i.text not in AI_ONLY)
    assert len(it.indicators_for("without_ai")) == 8
    assert len(it.indicators_for("with_ai")) == 16


def test_coding_test_variants_verbatim(items: dict[str, Item]) -> None:
    it = items["ds2-coding-churn-model"]
    got = {v.id: (v.instructions, v.question) for v in it.variants}
    assert got == CODING_VARIANTS
    assert it.response_time_minutes == 20
    assert it.prompt_for("with_ai") == CODING_VARIANTS["with_ai"][1]
    assert "ai-assistant" in it.personas


def test_every_seed_question_is_an_item_question(items: dict[str, Item]) -> None:
    for iid, question in QUESTIONS.items():
        assert items[iid].question == question, iid
    prompts = {it.question for it in items.values()} | {v.question for it in items.values() for v in it.variants}
    for question in [*QUESTIONS.values(), *(q for _, q in CODING_VARIANTS.values())]:
        assert question in prompts


def test_knockout_declines_under_one_year(items: dict[str, Item]) -> None:
    it = items["ds2-knockout-production-experience"]
    expected = [(answer, "auto_decline" if label == "Auto-decline" else "qualifies") for answer, label in KNOCKOUT]
    assert [(o.answer, o.outcome) for o in it.options] == expected
    assert [o.answer for o in it.options if o.outcome == "auto_decline"] == ["Less than 1 year"]


def test_response_times_follow_the_kit(items: dict[str, Item]) -> None:
    assert items["ds2-video-ab-test-risk"].response_time_minutes == 2
    assert items["ds2-presentation-ambiguous-metrics"].response_time_minutes == 20
    assert items["ds2-work-sim-ab-test-ai-recs"].response_time_minutes == 40


def test_competency_and_attitude_wording(items: dict[str, Item]) -> None:
    discipline, requirement_name, requirement, expected = COMPETENCY
    it = items["ds2-dashboard-design"]
    assert it.competency == "business-intelligence-dashboard-development"
    assert (it.theme, it.job_requirement, it.expected_at_level) == (discipline, requirement, expected)
    name, definition = ATTITUDE
    theme = items["ds2-accountability-production-model"].theme or ""
    assert theme.startswith(name) and definition in theme
    assert requirement_name == "Business Intelligence & Dashboard Development"


def test_briefs_verbatim(items: dict[str, Item]) -> None:
    pres = items["ds2-presentation-ambiguous-metrics"].brief
    assert pres is not None
    assert pres.model_dump(exclude_defaults=True) == PRESENTATION_BRIEF
    sim = items["ds2-work-sim-ab-test-ai-recs"].brief
    assert sim is not None
    assert sim.model_dump(exclude_defaults=True) == WORK_SIM_BRIEF


def test_who_plays_each_item(lib: Library, items: dict[str, Item]) -> None:
    assert items["ds2-presentation-ambiguous-metrics"].personas == PANEL
    assert items["ds2-work-sim-ab-test-ai-recs"].personas == ["jordan-lee"]
    for iid, it in items.items():
        for pid in it.personas:
            assert pid in lib.personas, (iid, pid)
        assert it.round in lib.rounds, iid
        assert it.competency is None or it.competency in lib.progression, iid


# --- Rounds, progression, question types ---------------------------------------------------------


def test_guide_stages_verbatim(lib: Library) -> None:
    for n, (rid, persona) in enumerate(ROUNDS.items()):
        r = lib.rounds[rid]
        assert (r.name, r.duration, r.focus) == GUIDE_STAGES[n], rid
        assert (r.source, r.stage) == ("guide", n + 1)
        assert r.personas == [persona]
        assert 0 < r.duration_minutes <= 60


def test_kit_rounds(lib: Library) -> None:
    kit = [r.id for r in lib.rounds.values() if r.source == "hiring_kit"]
    assert kit == KIT_ROUNDS
    guide = [r.id for r in lib.rounds.values() if r.source == "guide"]
    assert guide == list(ROUNDS)
    for rid in KIT_ROUNDS:
        assert all(p in lib.personas for p in lib.rounds[rid].personas), rid
    assert lib.rounds["presentation"].personas == PANEL
    assert lib.rounds["work-simulation"].personas == ["jordan-lee"]


def test_progression_verbatim(lib: Library) -> None:
    assert list(lib.progression) == COMPETENCY_IDS
    for cid, (name, discipline, cells) in zip(COMPETENCY_IDS, PROGRESSION, strict=True):
        c = lib.progression[cid]
        assert (c.name, c.discipline) == (name, discipline)
        assert (c.levels.junior, c.levels.mid, c.levels.senior, c.levels.principal) == cells
        assert c.id == re.sub(r"[^a-z0-9]+", "-", name.lower().replace("a/b", "ab")).strip("-")


def test_question_types_verbatim(lib: Library) -> None:
    assert list(lib.question_types) == QUESTION_TYPE_IDS
    assert [(q.name, q.example) for q in lib.question_types.values()] == QUESTION_TYPES


# --- Jordan Lee ----------------------------------------------------------------------------------


def test_jordan_is_the_kit_role(jordan: Persona) -> None:
    assert JORDAN["role"] == f"{jordan.name}, {jordan.title} ({jordan.archetype}, played by {jordan.played_by})"
    assert jordan.source == "seed"
    assert jordan.motivation == JORDAN["motivation"]
    assert [c.fact for c in jordan.constraints] == JORDAN["constraints"]
    assert sorted(t.text for t in jordan.tensions) == sorted(JORDAN["tensions"])
    assert jordan.guidance == JORDAN["guidance"]
    assert [r.text for r in jordan.do_not] == JORDAN["do_not"]


def test_jordan_tension_triggers(jordan: Persona) -> None:
    by_text = {t.text: t for t in jordan.tensions}
    completions, network, timeline = (by_text[t] for t in JORDAN["tensions"])
    assert completions.trigger == "opening"
    assert timeline.trigger == "topic"
    assert {"how long", "duration", "timeline"} <= {c.lower() for c in timeline.trigger_cues}
    assert network.trigger in ("topic", "late")
    if network.trigger == "topic":
        cues = " ".join(network.trigger_cues).lower()
        assert "random" in cues and "team" in cues
    assert any("code completions" in line for line in completions.lines)
    assert all("two weeks" in line.lower() or "two-week" in line.lower() for line in timeline.lines)


def test_jordan_is_unaware_of_network_effects(jordan: Persona) -> None:
    network = next(t for t in jordan.tensions if t.text == JORDAN["tensions"][1])
    for line in network.lines:
        low = line.lower()
        for word in ("network effect", "contaminat", "spillover", "interference", "cluster", "by team", "team level"):
            assert word not in low, line


def test_jordan_facts_are_asked_for_and_disclosed_alone(jordan: Persona) -> None:
    for c in jordan.constraints:
        assert 5 <= len(c.ask_cues) <= 400, c.id
        from simulator.dialogue import intent

        def asks(q: str) -> bool:  # a message that asks, somewhere in it
            return any(intent.is_question(x) for x in intent.sentences(q) or [q])

        # a few asks the question reader misses (put like a plan or a remark: "I'd want to see the
        # historical distribution of session durations before committing", "I hear a quiet dread behind
        # the engineering door. Name it for me."; 12 of 1,072 today); they still teach the encoder
        missed = [q for q in c.ask_cues if not asks(q)]
        assert len(missed) <= 0.025 * len(c.ask_cues), (c.id, missed)
        assert len(set(c.ask_cues)) == len(c.ask_cues)
        assert len(c.disclosures) >= 3 and c.leak_markers, c.id
        assert "ask" in c.disclose_when.lower()
        others = [m.lower() for o in jordan.constraints if o.id != c.id for m in o.leak_markers]
        for line in c.disclosures:
            low = line.lower()
            assert any(m.lower() in low for m in c.leak_markers), (c.id, line)
            assert not any(m in low for m in others), (c.id, line)


def test_jordan_never_states_a_fact_outside_a_disclosure(jordan: Persona) -> None:
    markers = [m.lower() for c in jordan.constraints for m in c.leak_markers]
    for line in _all_lines(jordan):
        low = line.lower()
        assert not any(m in low for m in markers), line


def test_jordan_lines_keep_her_do_nots(jordan: Persona) -> None:
    cues = [c.lower() for r in jordan.do_not for c in r.violation_cues]
    assert all(r.violation_cues for r in jordan.do_not)
    for line in _all_lines(jordan):
        assert not any(c in line.lower() for c in cues), line


def test_jordan_lines(jordan: Persona) -> None:
    ln = jordan.lines
    for group in ("opening", "closing", "acknowledge", "pushback", "clarify", "deflect", "unknown"):
        assert len(getattr(ln, group)) >= 4, group
    assert all("{term}" in line for line in ln.clarify)
    assert sum("that's what i need you for" in line.lower() for line in ln.deflect) >= 3
    # "unknown" never invents: each line says she does not know or has to check.
    assert all(re.search(r"\b(don't|do not|not sure|outside|check|find out)\b", line, re.I) for line in ln.unknown)


# --- Panel, interviewers, assistant --------------------------------------------------------------


def test_panel_and_interviewers(lib: Library) -> None:
    for pid in PANEL + INTERVIEWERS:
        p = lib.persona(pid)
        assert p.source == "authored", pid
        assert p.archetype == ("panel_member" if pid in PANEL else "interviewer"), pid
        for group in INTERVIEWER_LINES:
            assert getattr(p.lines, group), (pid, group)
        assert all(q.endswith("?") for q in p.lines.probe_lead), pid
        cues = [c.lower() for r in p.do_not for c in r.violation_cues]
        for line in _all_lines(p):
            assert not any(c in line.lower() for c in cues), (pid, line)
    spirit = [pid for pid in PANEL + INTERVIEWERS if any(CODE_REVIEW in g for g in lib.persona(pid).guidance)]
    assert "interviewer-hiring-manager" in spirit and "interviewer-live-coding" in spirit


def test_assistant_plants_the_coding_test_flaws(lib: Library) -> None:
    p = lib.persona("ai-assistant")
    assert p.archetype == "assistant"
    lines = {t.id: " ".join(t.lines).lower() for t in p.tensions}
    opening = [t for t in p.tensions if t.trigger == "opening"]
    assert [t.id for t in opening] == ["lookahead-feature"]
    assert all("days_until_cancellation" in line for line in opening[0].lines)
    assert "accuracy" in lines["accuracy-metric"]
    assert "shuffle" in lines["random-split"]
    cues = [c.lower() for r in p.do_not for c in r.violation_cues]
    for line in _all_lines(p):
        assert not any(c in line.lower() for c in cues), line
