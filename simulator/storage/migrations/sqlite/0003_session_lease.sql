-- One writer per session: who holds it (host:pid:token) and until when (seconds since the epoch).
ALTER TABLE sessions ADD COLUMN lease_holder TEXT;
ALTER TABLE sessions ADD COLUMN lease_until REAL;
