-- rapport schema 3: a command is logged under the role that made it. Only
-- a lead's role (or the owner's) may log one under another login: a
-- `rapport serve` logs its sessions' commands under their Unix logins,
-- which it checked itself. A manager cannot sign a command with another
-- manager's name, with rapport or with psql.
ALTER POLICY append ON events WITH CHECK (login = current_user OR (SELECT rapport_is_lead()));
