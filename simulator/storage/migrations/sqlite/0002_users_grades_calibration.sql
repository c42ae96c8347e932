-- Users, stored grades and calibration ratings.
-- Every session, grade and rating belongs to a user; a laptop install has one, 'local'.
ALTER TABLE sessions ADD COLUMN user_id TEXT NOT NULL DEFAULT 'local';
CREATE INDEX sessions_user ON sessions(user_id, updated_at);

-- One grade per (session, item, engine, versions): a rubric or engine change grades again.
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

-- Calibration ratings used to live in a table made outside the migrations; adopt it if present.
CREATE TABLE IF NOT EXISTS calibration_ratings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rater       TEXT NOT NULL,
    sample_id   TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    rating      TEXT NOT NULL,
    indicators  TEXT NOT NULL DEFAULT '{}',
    reference   TEXT,
    grader      TEXT,
    created_at  TEXT NOT NULL
);
ALTER TABLE calibration_ratings ADD COLUMN user_id TEXT NOT NULL DEFAULT 'local';
CREATE INDEX calibration_user ON calibration_ratings(user_id, created_at);
