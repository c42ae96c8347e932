-- Sessions and their turns. `state` is the director's state after the last committed turn and
-- `pending` the persona turns already planned but not yet spoken (resume speaks them).
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    item_id     TEXT NOT NULL,
    round_id    TEXT,
    items       TEXT NOT NULL DEFAULT '[]',
    variant     TEXT,
    level       TEXT,
    seed        INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'active',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    elapsed_s   REAL NOT NULL DEFAULT 0,
    state       TEXT NOT NULL DEFAULT '{}',
    pending     TEXT NOT NULL DEFAULT '[]',
    metadata    TEXT NOT NULL DEFAULT '{}'
);

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

CREATE INDEX sessions_updated ON sessions(updated_at);
