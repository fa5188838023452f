-- People, their roles, their signed-in sessions, and failed sign-ins (for rate limiting).
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    -- "Ada" and "ada" are one person: names are compared without case
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- Argon2id, in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash)
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- One row per role; moderator and member are held for a named community (or collection),
-- every other role for the whole archive (community '').
CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'moderator', 'volunteer', 'researcher', 'member')),
    community TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    PRIMARY KEY (user_id, role, community),
    CHECK ((role IN ('moderator', 'member')) = (community <> ''))
);

-- A signed-in browser. The id is the SHA-256 (hex) of the cookie's random token, so a
-- copy of the database gives no cookie that works. Times are Unix seconds.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    address TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Failed sign-ins of the last minutes, keyed 'name:<name>' and 'address:<address>'.
CREATE TABLE sign_in_failures (
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures(key, at);
