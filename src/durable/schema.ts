/**
 * SQLite schema of one Resolute Durable Object. Every table and its purpose in
 * one place. Bump SCHEMA_VERSION and add a migration step when it changes.
 *
 * Write cost matters: each request commits every b-tree page it touched (one
 * WAL frame each). So `invocations.seq` is a plain INTEGER PRIMARY KEY (no
 * AUTOINCREMENT, which rewrites sqlite_sequence on every insert) and the
 * journal is keyed by that seq rather than the 60-byte invocation id: an
 * invocation's entries go to the end of the b-tree, not to a random page.
 * One index serves both the queues (status, seq) and retention clean-up
 * (completed, expires_at): only completed rows have expires_at, so for every
 * other status the index is ordered by seq.
 */
/**
 * Version 1 was redefined before any release (journal keyed by `inv_seq`, no
 * AUTOINCREMENT on invocations): objects created by older builds must be
 * dropped, or converted by the next migration.
 */
export const SCHEMA_VERSION = 1;

export const TABLES = {
  meta: "meta",
  invocations: "invocations",
  journal: "journal",
  state: "state",
  timers: "timers",
  outbox: "outbox",
  runFailures: "run_failures",
  promises: "promises",
  promiseWaiters: "promise_waiters",
  subscribers: "subscribers",
} as const;

/** Invocation lifecycle, named as in Restate's `sys_invocation.status`. */
export const STATUS = {
  pending: "pending", // queued behind the key's exclusive lock
  scheduled: "scheduled", // delayed send waiting for its time
  running: "running",
  backingOff: "backing-off",
  paused: "paused",
  completed: "completed",
} as const;
export type Status = (typeof STATUS)[keyof typeof STATUS];

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS invocations (
  seq INTEGER PRIMARY KEY, -- max + 1: a seq is reused only after its invocation and journal are deleted
  id TEXT NOT NULL UNIQUE,
  service TEXT NOT NULL,
  handler TEXT NOT NULL,
  key TEXT,
  exclusive INTEGER NOT NULL,
  input BLOB,
  headers TEXT NOT NULL,
  idempotency_key TEXT,
  invoked_by TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER,
  result BLOB,
  failure TEXT,
  last_failure TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL,
  completed_at INTEGER,
  expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS invocations_by_status ON invocations(status, expires_at, seq);
CREATE TABLE IF NOT EXISTS journal (
  inv_seq INTEGER NOT NULL, idx INTEGER NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL,
  done INTEGER NOT NULL, value BLOB, failure TEXT, data TEXT, appended_at INTEGER NOT NULL,
  PRIMARY KEY (inv_seq, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS timers (inv TEXT NOT NULL, idx INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (inv, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS timers_by_time ON timers(at);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS run_failures (inv TEXT NOT NULL, idx INTEGER NOT NULL, count INTEGER NOT NULL, first_at INTEGER NOT NULL, PRIMARY KEY (inv, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS promises (name TEXT PRIMARY KEY, value BLOB, failure TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS promise_waiters (name TEXT NOT NULL, inv TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (name, inv, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscribers (inv TEXT NOT NULL, owner TEXT NOT NULL, sub_inv TEXT NOT NULL, sub_idx INTEGER NOT NULL, PRIMARY KEY (inv, owner, sub_inv, sub_idx)) WITHOUT ROWID;
`;
