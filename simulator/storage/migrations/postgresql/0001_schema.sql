-- The whole schema for a team's PostgreSQL (SQLite reached the same shape in 0001-0002).
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    item_id     TEXT NOT NULL,
    round_id    TEXT,
    items       TEXT NOT NULL DEFAULT '[]',
    variant     TEXT,
    level       TEXT,
    seed        BIGINT NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'active',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    elapsed_s   DOUBLE PRECISION NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT '{}',
    pending     TEXT NOT NULL DEFAULT '[]',
    metadata    TEXT NOT NULL DEFAULT '{}',
    user_id     TEXT NOT NULL DEFAULT 'local'
);
CREATE INDEX sessions_updated ON sessions(updated_at);
CREATE INDEX sessions_user ON sessions(user_id, updated_at);

CREATE TABLE turns (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    speaker     TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT 'chat',
    text        TEXT NOT NULL,
    at          TEXT,
    meta        TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (session_id, idx)
);

CREATE TABLE grades (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    item_id     TEXT NOT NULL,
    engine      TEXT NOT NULL,
    versions    TEXT NOT NULL,
    user_id     TEXT NOT NULL DEFAULT 'local',
    rating      TEXT NOT NULL,
    grade       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (session_id, item_id, engine, versions)
);
CREATE INDEX grades_user ON grades(user_id, created_at);

CREATE TABLE calibration_ratings (
    id          BIGSERIAL PRIMARY KEY,
    rater       TEXT NOT NULL,
    sample_id   TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    rating      TEXT NOT NULL,
    indicators  TEXT NOT NULL DEFAULT '{}',
    reference   TEXT,
    grader      TEXT,
    created_at  TEXT NOT NULL,
    user_id     TEXT NOT NULL DEFAULT 'local'
);
CREATE INDEX calibration_user ON calibration_ratings(user_id, created_at);
