-- rapport schema 5: the policies' tests as PL/pgSQL, whose plans a session
-- keeps. As SQL functions called once per statement (`(SELECT f())`) they
-- were planned again on every call, which made every write of a command
-- cost twice what it does without row-level security. Same rules.
CREATE OR REPLACE FUNCTION rapport_is_lead() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN current_user = (SELECT tableowner FROM pg_tables
                           WHERE schemaname = current_schema() AND tablename = 'events')
        OR EXISTS (SELECT 1 FROM managers WHERE login = current_user AND role = 'lead');
END
$$;

CREATE OR REPLACE FUNCTION rapport_sees_all() RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT managers_see FROM rapport_access) = 'all' OR rapport_is_lead();
END
$$;
