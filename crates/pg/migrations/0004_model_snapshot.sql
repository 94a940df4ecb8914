-- rapport schema 4: the whole model in the store's binary snapshot form,
-- as of event `seq`: a cache, so that a session starts by reading one row
-- and the events since instead of every table (sled's snapshot file, kept
-- in the database). The tables and `events` stay the truth; a snapshot
-- that does not decode, or of another database, is passed over.
-- Only whoever sees every client reads it, and only a lead's role (or the
-- owner's) writes it: it holds everyone's clients, and every session that
-- sees all trusts it.
CREATE TABLE rapport_snapshot (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    seq bigint NOT NULL,
    written timestamptz NOT NULL DEFAULT now(),
    data bytea NOT NULL
);
-- Encoded already: stored as is, not compressed again on every write.
ALTER TABLE rapport_snapshot ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE rapport_snapshot ENABLE ROW LEVEL SECURITY;
ALTER TABLE rapport_snapshot FORCE ROW LEVEL SECURITY;
CREATE POLICY read ON rapport_snapshot FOR SELECT USING ((SELECT rapport_sees_all()));
CREATE POLICY lead_writes ON rapport_snapshot FOR ALL
    USING ((SELECT rapport_is_lead())) WITH CHECK ((SELECT rapport_is_lead()));
GRANT SELECT, INSERT, UPDATE ON rapport_snapshot TO rapport_user;
