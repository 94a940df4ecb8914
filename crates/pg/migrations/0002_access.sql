-- rapport schema 2: who may read and write what. Each user connects as a
-- role of their own (peer authentication maps the Unix login to it) that
-- is a member of `rapport_user`; the roles' names are the managers'
-- logins. The owner of the tables (who ran `rapport migrate`) and the
-- leads see everything; with `managers_see = 'own'`, a manager's role sees
-- only their own clients and everything about them, whatever the client
-- (rapport or psql): row-level security, forced on the owner too.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rapport_user') THEN
        CREATE ROLE rapport_user NOLOGIN;
    END IF;
END
$$;

-- One row: what managers see ('all' or 'own'), set by `rapport migrate
-- --managers-see`.
CREATE TABLE rapport_access (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    managers_see text NOT NULL DEFAULT 'all' CHECK (managers_see IN ('all', 'own'))
);
INSERT INTO rapport_access DEFAULT VALUES;

-- The owner of the tables, or a lead: may change the reference data.
CREATE FUNCTION rapport_is_lead() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT current_user = (SELECT tableowner FROM pg_tables
                           WHERE schemaname = current_schema() AND tablename = 'events')
        OR EXISTS (SELECT 1 FROM managers WHERE login = current_user AND role = 'lead')
$$;

-- Sees every client: a lead, the owner, or anyone when managers see all.
CREATE FUNCTION rapport_sees_all() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT (SELECT managers_see FROM rapport_access) = 'all' OR rapport_is_lead()
$$;

-- In the policies, `(SELECT f())` is computed once per query, not per row.

-- Reference data: everyone reads it, a lead changes it.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['managers', 'segments', 'products', 'portrait', 'questionnaires', 'templates'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY read ON %I FOR SELECT USING (true)', t);
        EXECUTE format('CREATE POLICY lead_writes ON %I FOR ALL USING ((SELECT rapport_is_lead())) WITH CHECK ((SELECT rapport_is_lead()))', t);
    END LOOP;
END
$$;

ALTER TABLE rapport_meta ENABLE ROW LEVEL SECURITY;
ALTER TABLE rapport_meta FORCE ROW LEVEL SECURITY;
CREATE POLICY read ON rapport_meta FOR SELECT USING (true);
-- Every command moves the counters; the settings are a lead's.
CREATE POLICY writes ON rapport_meta FOR ALL
    USING (key = 'counters' OR (SELECT rapport_is_lead()))
    WITH CHECK (key = 'counters' OR (SELECT rapport_is_lead()));

-- A manager's own clients (all of them for whoever sees all).
ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;
CREATE POLICY own ON clients FOR ALL
    USING ((SELECT rapport_sees_all()) OR manager IN (SELECT id FROM managers WHERE login = current_user))
    WITH CHECK ((SELECT rapport_sees_all()) OR manager IN (SELECT id FROM managers WHERE login = current_user));

-- Everything about a client is seen with the client.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['persons', 'settlements', 'aggregates', 'offers', 'contacts', 'tasks', 'surveys',
                             'tickets', 'archive'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY own ON %I FOR ALL
            USING ((SELECT rapport_sees_all()) OR client IN (SELECT id FROM clients))
            WITH CHECK ((SELECT rapport_sees_all()) OR client IN (SELECT id FROM clients))', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['queue_marks', 'sales'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY own ON %I FOR ALL
            USING ((SELECT rapport_sees_all()) OR client IS NULL OR client IN (SELECT id FROM clients))
            WITH CHECK ((SELECT rapport_sees_all()) OR client IS NULL OR client IN (SELECT id FROM clients))', t);
    END LOOP;
END
$$;

-- The log: appended to, never rewritten. A command is seen by whoever
-- made it or sees all its clients; a change, by whoever sees its client.
-- Commands too large to log are seen by all (only that they happened and
-- their summary): they tell every process to read the tables again.
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY read ON events FOR SELECT
    USING ((SELECT rapport_sees_all()) OR login = current_user OR NOT logged
           OR clients <@ ARRAY(SELECT id FROM clients));
CREATE POLICY append ON events FOR INSERT WITH CHECK (true);
ALTER TABLE event_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY read ON event_changes FOR SELECT
    USING ((SELECT rapport_sees_all()) OR client IS NULL OR client IN (SELECT id FROM clients));
CREATE POLICY append ON event_changes FOR INSERT WITH CHECK (true);

GRANT SELECT, INSERT, UPDATE, DELETE ON managers, segments, products, portrait, questionnaires, templates,
    rapport_meta, clients, persons, settlements, aggregates, offers, contacts, tasks, surveys, tickets, archive,
    queue_marks, sales TO rapport_user;
GRANT SELECT, INSERT ON events, event_changes TO rapport_user;
GRANT SELECT ON rapport_schema, rapport_access TO rapport_user;
