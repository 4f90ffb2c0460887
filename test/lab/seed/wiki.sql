-- Lifeboat test lab: deterministic content of the "wiki" PostgreSQL database.
-- Rows: users 50, pages 300, revisions 1200, attachments 40, audit.events 500.
\set ON_ERROR_STOP on
BEGIN;

CREATE TABLE users (
  id         serial PRIMARY KEY,
  username   text NOT NULL UNIQUE,
  email      text NOT NULL,
  is_admin   boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL
);
INSERT INTO users (username, email, is_admin, created_at)
SELECT 'user' || g, 'user' || g || '@example.test', g <= 2,
       timestamptz '2023-01-01 00:00:00+00' + g * interval '1 day'
FROM generate_series(1, 50) AS g;

CREATE TABLE pages (
  id         serial PRIMARY KEY,
  slug       text NOT NULL UNIQUE,
  title      text NOT NULL,
  body       text NOT NULL,
  author_id  integer NOT NULL REFERENCES users(id),
  updated_at timestamptz NOT NULL
);
INSERT INTO pages (slug, title, body, author_id, updated_at)
SELECT 'page-' || g,
       (ARRAY['Home server notes', 'Café ☕ opening hours', 'Zürich trip', '日本語のページ',
              'Backups — how & why', 'It''s "quoted"'])[1 + g % 6] || ' #' || g,
       repeat(md5(g::text) || E'\n', 1 + g % 40),
       1 + g % 50,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 300) AS g;

CREATE TABLE revisions (
  id         serial PRIMARY KEY,
  page_id    integer NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
  rev        integer NOT NULL,
  body       text NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (page_id, rev)
);
INSERT INTO revisions (page_id, rev, body, created_at)
SELECT 1 + (g - 1) / 4, 1 + (g - 1) % 4, md5('rev' || g),
       timestamptz '2024-01-01 00:00:00+00' + g * interval '7 minutes'
FROM generate_series(1, 1200) AS g;

CREATE TABLE attachments (
  id       serial PRIMARY KEY,
  page_id  integer NOT NULL REFERENCES pages(id),
  filename text NOT NULL,
  bytes    bigint NOT NULL,
  content  bytea NOT NULL
);
INSERT INTO attachments (page_id, filename, bytes, content)
SELECT g, (ARRAY['café ☕.txt', 'report final (v2).pdf', 'it''s here.png', '$(touch pwned).txt'])[1 + g % 4],
       64 * g, decode(repeat(md5('att' || g), 4 * g), 'hex')
FROM generate_series(1, 40) AS g;

CREATE INDEX pages_author_idx ON pages (author_id);
CREATE VIEW page_stats AS
  SELECT p.id, p.slug, count(r.id) AS revisions
  FROM pages p LEFT JOIN revisions r ON r.page_id = p.id GROUP BY p.id, p.slug;

CREATE SCHEMA audit;
CREATE TABLE audit.events (
  id     bigserial PRIMARY KEY,
  at     timestamptz NOT NULL,
  actor  integer REFERENCES users(id),
  action text NOT NULL,
  detail jsonb NOT NULL
);
INSERT INTO audit.events (at, actor, action, detail)
SELECT timestamptz '2024-02-01 00:00:00+00' + g * interval '13 minutes', 1 + g % 50,
       (ARRAY['login', 'edit', 'upload', 'delete'])[1 + g % 4],
       jsonb_build_object('n', g, 'ok', g % 7 <> 0)
FROM generate_series(1, 500) AS g;

COMMIT;
