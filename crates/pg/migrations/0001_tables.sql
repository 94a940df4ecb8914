-- rapport schema 1: one table per kind of record. Each row has the columns
-- people and reports read (ids, codes, names, dates, integer cents) and
-- `record`, the whole record as rapport reads it back (JSON, the same form
-- as a backup line). rapport alone writes these tables, in one transaction
-- per command, with one row in `events` for each.

CREATE TABLE rapport_meta (
    key text PRIMARY KEY,          -- 'info', 'settings', 'counters'
    record jsonb NOT NULL
);

CREATE TABLE managers (
    id integer PRIMARY KEY,
    login text NOT NULL,
    name text NOT NULL,
    role text NOT NULL,            -- 'manager' or 'lead'
    record jsonb NOT NULL
);
CREATE INDEX managers_login ON managers (login);

CREATE TABLE segments (
    id integer PRIMARY KEY,
    code text NOT NULL,
    name text NOT NULL,
    record jsonb NOT NULL
);

CREATE TABLE products (
    id integer PRIMARY KEY,
    code text NOT NULL,
    name text NOT NULL,
    line text NOT NULL,
    record jsonb NOT NULL
);

-- Which products each segment's portrait targets (SPEC §3).
CREATE TABLE portrait (
    segment integer NOT NULL REFERENCES segments DEFERRABLE INITIALLY DEFERRED,
    product integer NOT NULL REFERENCES products DEFERRABLE INITIALLY DEFERRED,
    record jsonb NOT NULL,
    PRIMARY KEY (segment, product)
);

-- Archived clients stay here (see `archive`) until they are purged.
CREATE TABLE clients (
    id integer PRIMARY KEY,
    reference text NOT NULL,
    name text NOT NULL,
    segment integer REFERENCES segments DEFERRABLE INITIALLY DEFERRED,
    manager integer REFERENCES managers DEFERRABLE INITIALLY DEFERRED,
    created date NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX clients_reference ON clients (reference);
CREATE INDEX clients_manager ON clients (manager);

CREATE TABLE persons (
    client integer NOT NULL REFERENCES clients ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    id bigint NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    phone text NOT NULL,
    email text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (client, id)
);

CREATE TABLE settlements (
    client integer NOT NULL REFERENCES clients ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    id bigint NOT NULL,
    date date NOT NULL,
    amount_cents bigint NOT NULL,
    product integer REFERENCES products DEFERRABLE INITIALLY DEFERRED,
    doc text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (client, id)
);
CREATE INDEX settlements_date ON settlements (date);

-- Per-client sums of the settlements and contacts, kept by rapport so that
-- opening does not read every settlement. Derived (a restore rebuilds them)
-- and read only by rapport: `data` is the sled store's versioned binary
-- record, many times smaller and faster to read than JSON.
CREATE TABLE aggregates (
    client integer PRIMARY KEY REFERENCES clients ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    data bytea NOT NULL
);

-- One offer per client and product; `record` holds its stage history.
CREATE TABLE offers (
    client integer NOT NULL REFERENCES clients ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    product integer NOT NULL REFERENCES products DEFERRABLE INITIALLY DEFERRED,
    stage text NOT NULL,
    stage_date date NOT NULL,
    next_step date,
    record jsonb NOT NULL,
    PRIMARY KEY (client, product)
);

CREATE TABLE contacts (
    client integer NOT NULL REFERENCES clients ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    id bigint NOT NULL,
    at timestamp NOT NULL,
    channel text NOT NULL,
    who text NOT NULL,
    summary text NOT NULL,
    next_contact date,
    record jsonb NOT NULL,
    PRIMARY KEY (client, id)
);
CREATE INDEX contacts_at ON contacts (at);

CREATE TABLE tasks (
    client integer NOT NULL REFERENCES clients ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    id bigint NOT NULL,
    due date NOT NULL,
    done date,
    text text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (client, id)
);

CREATE TABLE surveys (
    client integer NOT NULL REFERENCES clients ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    id bigint NOT NULL,
    product integer NOT NULL REFERENCES products DEFERRABLE INITIALLY DEFERRED,
    date date NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (client, id)
);

-- Complaint tickets (SPEC §6); `record` holds their stage history.
CREATE TABLE tickets (
    id bigint PRIMARY KEY,
    client integer NOT NULL REFERENCES clients ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    product integer REFERENCES products DEFERRABLE INITIALLY DEFERRED,
    opened date NOT NULL,
    stage text NOT NULL,
    owner integer REFERENCES managers DEFERRABLE INITIALLY DEFERRED,
    record jsonb NOT NULL
);
CREATE INDEX tickets_client ON tickets (client);

-- Queue marks (SPEC §5): done, snoozed, next contact, by queue item
-- (`client`: the item's client, when it has one).
CREATE TABLE queue_marks (
    key text PRIMARY KEY,
    client integer,
    due date NOT NULL,
    record jsonb NOT NULL
);

CREATE TABLE questionnaires (
    product integer PRIMARY KEY REFERENCES products DEFERRABLE INITIALLY DEFERRED,
    record jsonb NOT NULL
);

-- Archived clients and contact persons; `key` is the record's key as JSON.
CREATE TABLE archive (
    key jsonb PRIMARY KEY,
    client integer NOT NULL,
    archived_on date NOT NULL,
    record jsonb NOT NULL
);

-- The company's document templates (SPEC §9), one per kind.
CREATE TABLE templates (
    kind text PRIMARY KEY,
    record jsonb NOT NULL
);

-- Documents, offer terms, acquisition sources, the sales setup and shared
-- views (SPEC §9); `key` is the record's key as JSON.
CREATE TABLE sales (
    key jsonb PRIMARY KEY,
    kind text NOT NULL,
    client integer,                -- none for the setup and shared views
    record jsonb NOT NULL
);

-- The change log and audit trail: one row per applied command, in one
-- order for every process, with the clients it changed. `logged` is false
-- for a command too large to replay (imports): a process that meets one
-- reads the tables again.
CREATE TABLE events (
    seq bigint PRIMARY KEY,
    login text NOT NULL,
    at timestamp NOT NULL,
    summary text NOT NULL,
    clients integer[] NOT NULL,
    logged boolean NOT NULL
);

-- Each logged command's changes, one row each, in order; `client`: the
-- client the change is about (none for the shared reference data). Every
-- process applies them in (seq, n) order to keep its model current.
CREATE TABLE event_changes (
    seq bigint NOT NULL REFERENCES events DEFERRABLE INITIALLY DEFERRED,
    n integer NOT NULL,
    client integer,
    change jsonb NOT NULL,
    PRIMARY KEY (seq, n)
);
