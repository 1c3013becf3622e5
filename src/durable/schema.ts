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
 *
 * A key pays only for the tables it uses (issue 14): every CREATE TABLE writes a root
 * page and a schema row, and most objects (W3: state, three runs) never sleep, call,
 * fail a run or keep promises. CORE_SQL comes with the first invocation; each table
 * of TABLES_ON_USE with its first write (reads find no rows before). Schema 4 is
 * schema 3 with tables created on use, so a v3 object is a v4 one as it is.
 */
export const SCHEMA_VERSION = 4;

/** The tables every object that stores an invocation has. */
export const CORE_SQL = `
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
  expires_at INTEGER,
  journal_version INTEGER NOT NULL DEFAULT 1 -- the engine's JOURNAL_VERSION its journal is written in (1: before versions; new rows set it)
);
CREATE INDEX IF NOT EXISTS invocations_by_status ON invocations(status, expires_at, seq);
CREATE TABLE IF NOT EXISTS journal (
  inv_seq INTEGER NOT NULL, idx INTEGER NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL,
  done INTEGER NOT NULL, value BLOB, failure TEXT, data TEXT, appended_at INTEGER NOT NULL,
  PRIMARY KEY (inv_seq, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (scope TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (scope, key)) WITHOUT ROWID;
`;

/**
 * Tables created by their first write. `limit_slots`: the asks of an object's limited
 * invocations for slots (issue 15), one row per invocation that asked and has not ended.
 */
export const TABLES_ON_USE = {
  timers: `CREATE TABLE IF NOT EXISTS timers (inv TEXT NOT NULL, idx INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (inv, idx)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS timers_by_time ON timers(at);`,
  // seq: max + 1, no AUTOINCREMENT (which rewrites sqlite_sequence, one more page, with every
  // enqueue). A seq is reused only once its row is deleted, and a deleted row is no one's any
  // more: its send is what deleted it. (Outboxes made before keep AUTOINCREMENT; both work.)
  outbox: `CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY, owner TEXT NOT NULL, payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL
);`,
  run_failures: "CREATE TABLE IF NOT EXISTS run_failures (inv TEXT NOT NULL, idx INTEGER NOT NULL, count INTEGER NOT NULL, first_at INTEGER NOT NULL, PRIMARY KEY (inv, idx)) WITHOUT ROWID;",
  promises: "CREATE TABLE IF NOT EXISTS promises (scope TEXT NOT NULL, name TEXT NOT NULL, value BLOB, failure TEXT, PRIMARY KEY (scope, name)) WITHOUT ROWID;",
  promise_waiters: `CREATE TABLE IF NOT EXISTS promise_waiters (
  scope TEXT NOT NULL, name TEXT NOT NULL, inv TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (scope, name, inv, idx)
) WITHOUT ROWID;`,
  subscribers: "CREATE TABLE IF NOT EXISTS subscribers (inv TEXT NOT NULL, owner TEXT NOT NULL, sub_inv TEXT NOT NULL, sub_idx INTEGER NOT NULL, PRIMARY KEY (inv, owner, sub_inv, sub_idx)) WITHOUT ROWID;",
  limit_slots: "CREATE TABLE IF NOT EXISTS limit_slots (inv TEXT PRIMARY KEY, limiter TEXT NOT NULL, round INTEGER NOT NULL) WITHOUT ROWID;",
} as const;

export type OnUseTable = keyof typeof TABLES_ON_USE;

/** Every table schema 3 made at once, which a migration from an older schema still creates (limit slots were always on use). */
export const SCHEMA_SQL = CORE_SQL + (["timers", "outbox", "run_failures", "promises", "promise_waiters", "subscribers"] as const).map((t) => TABLES_ON_USE[t]).join("\n");

/** The invocations columns of schemas 1 and 2 (3 added journal_version). */
const V2_INVOCATION_COLUMNS = [
  "seq", "id", "service", "handler", "key", "exclusive", "input", "headers", "idempotency_key", "invoked_by", "status", "attempts",
  "next_at", "result", "failure", "last_failure", "cancel_requested", "created_at", "modified_at", "completed_at", "expires_at",
].join(", ");

/** A v1 object held one object key or one workflow id: the id when it hosted a workflow's run, else "". */
const V1_SCOPE = "COALESCE((SELECT key FROM invocations WHERE id LIKE '%.run' AND handler = 'run' LIMIT 1), '')";

/**
 * Steps from an older schema, by its version, each straight to the current one:
 * `before` runs ahead of SCHEMA_SQL, `after` once the new tables exist (either may be
 * empty); all in one transaction.
 */
export const MIGRATIONS: Record<string, { before: string; after: string }> = {
  // v2: state and promises are scoped by workflow id (a workflow shard hosts many ids); the
  // journal is keyed by the invocation's seq; invocations.seq drops AUTOINCREMENT.
  "1": {
    before: `
      DROP INDEX invocations_by_status;
      DROP INDEX invocations_by_expiry;
      ALTER TABLE invocations RENAME TO invocations_v1;
      ALTER TABLE journal RENAME TO journal_v1;
      ALTER TABLE state RENAME TO state_v1;
      ALTER TABLE promises RENAME TO promises_v1;
      ALTER TABLE promise_waiters RENAME TO promise_waiters_v1;`,
    after: `
      INSERT INTO invocations (${V2_INVOCATION_COLUMNS}) SELECT ${V2_INVOCATION_COLUMNS} FROM invocations_v1;
      INSERT INTO journal (inv_seq, idx, type, name, done, value, failure, data, appended_at)
        SELECT i.seq, j.idx, j.type, j.name, j.done, j.value, j.failure, j.data, j.appended_at FROM journal_v1 j JOIN invocations i ON i.id = j.inv;
      INSERT INTO state (scope, key, value) SELECT ${V1_SCOPE}, key, value FROM state_v1;
      INSERT INTO promises (scope, name, value, failure) SELECT ${V1_SCOPE}, name, value, failure FROM promises_v1;
      INSERT INTO promise_waiters (scope, name, inv, idx) SELECT ${V1_SCOPE}, name, inv, idx FROM promise_waiters_v1;
      DROP TABLE invocations_v1; DROP TABLE journal_v1; DROP TABLE state_v1; DROP TABLE promises_v1; DROP TABLE promise_waiters_v1;`,
  },
  // v3: each invocation records the format version of its journal; the journals already
  // stored are version 1 (the column's default), which the engine's codec still reads.
  "2": {
    before: "",
    after: "ALTER TABLE invocations ADD COLUMN journal_version INTEGER NOT NULL DEFAULT 1;",
  },
  // v4: tables are created on use; a v3 object has them all already.
  "3": { before: "", after: "" },
};

/** The statuses of an exclusive invocation that holds its key's lock (SQL list; `ready`: it waits for a limit slot). */
export const LOCK_HOLDING_SQL = "('ready', 'running', 'backing-off', 'paused')";

/**
 * Tables of a limiter object (one per limit scope and key, issue 15), created on its
 * first use rather than in every object: the holders of slots, the FIFO queue of
 * waiters (by seq), the grants of the current rate window, the (invocation, round)
 * pairs whose release overtook their acquire, and its configuration (JSON).
 */
export const LIMITER_SQL = `
CREATE TABLE IF NOT EXISTS limiter_config (k INTEGER PRIMARY KEY CHECK (k = 1), config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS limiter_holders (inv TEXT PRIMARY KEY, owner TEXT NOT NULL, round INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS limiter_queue (seq INTEGER PRIMARY KEY, inv TEXT NOT NULL UNIQUE, owner TEXT NOT NULL, round INTEGER NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS limiter_starts (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS limiter_released (inv TEXT PRIMARY KEY, round INTEGER NOT NULL, forget_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS limiter_released_by_time ON limiter_released(forget_at);
`;

/**
 * Tables of a limit scope's rule book (issue 15), created on first use: the
 * operators' rules (JSON, by pattern), the keys whose limiters watch them, the version.
 */
export const RULE_BOOK_SQL = `
CREATE TABLE IF NOT EXISTS limit_rules (pattern TEXT PRIMARY KEY, rule TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS limit_watchers (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS limit_book (k INTEGER PRIMARY KEY CHECK (k = 1), version INTEGER NOT NULL);
`;
