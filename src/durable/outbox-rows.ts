/**
 * The outbox's rows kept in memory beside the table, while this instance knows every one
 * of them: the table was empty when it opened (or was found empty since), and every row
 * since went in through the store. Then a pass reads the rows it just wrote from here, and
 * "is anything waiting?" needs no statement (issue 14: three reads per chain call). The
 * table stays the truth: rows are written there as before, and a crash or eviction drops
 * this copy (the next instance reads the table).
 * Each change is undone if its transaction rolls back, so the copy never holds a row the
 * table does not (or misses one it does). Too many rows or bytes, and the copy is dropped:
 * the store reads the table again until it finds it empty.
 */
import type { LazySql } from "./lazy-sql.js";

/** A row as stored: its payload stays encoded, so each read decodes a fresh delivery as the table's would. */
export interface OutboxRow {
  owner: string;
  payload: string;
  attempts: number;
  nextAt: number;
}

/** At most this many rows, or this many payload characters, are copied: past either, the table alone answers. */
const MAX_ROWS = 1000;
const MAX_CHARS = 4 * 1024 * 1024;

export class OutboxRows {
  /** Every row of the table by seq, when known; undefined when the table must be read. */
  #rows: Map<number, OutboxRow> | undefined;
  #chars = 0;
  /** The last seq given out while the rows are known (a row's seq is chosen here, so it needs no read back). */
  #lastSeq = 0;

  constructor(private readonly sql: LazySql, empty: boolean) {
    if (empty) this.#rows = new Map();
  }

  /** Whether every row is known (then `rows` is the table). */
  get known(): boolean {
    return this.#rows !== undefined;
  }

  /** The table was found empty: every row from now on is known (unless that read's transaction rolls back). */
  foundEmpty(): void {
    if (this.#rows) return;
    const rows = (this.#rows = new Map());
    this.#chars = 0;
    this.sql.onRollback(() => this.#rows === rows && this.#forget());
  }

  /** The seq for a new row when every row is known (past every stored one), else undefined (SQLite picks). */
  nextSeq(): number | undefined {
    return this.#rows ? this.#lastSeq + 1 : undefined;
  }

  /** A row was inserted with seq `nextSeq()` gave. */
  added(seq: number, row: OutboxRow): void {
    const rows = this.#rows;
    if (!rows) return;
    this.#lastSeq = seq;
    if (rows.size >= MAX_ROWS || this.#chars + row.payload.length > MAX_CHARS) return this.#forget();
    this.#put(rows, seq, row);
    this.sql.onRollback(() => this.#rows === rows && this.#drop(rows, seq));
  }

  /** Rows due at `now`, in seq order, at most `limit` (known rows only). */
  due(now: number, limit: number): [seq: number, row: OutboxRow][] {
    const due = [...this.#rows!].filter(([, row]) => row.nextAt <= now);
    return due.sort((a, b) => a[0] - b[0]).slice(0, limit);
  }

  get size(): number {
    return this.#rows?.size ?? 0;
  }

  deleted(seqs: number[]): void {
    const rows = this.#rows;
    if (!rows) return;
    for (const seq of seqs) {
      const row = rows.get(seq);
      if (!row) continue;
      this.#drop(rows, seq);
      this.sql.onRollback(() => this.#rows === rows && this.#put(rows, seq, row));
    }
  }

  /** Rows now due at `nextAt`, with `attempts` more attempts counted. */
  delayed(seqs: number[], nextAt: number, attempts: number): void {
    const rows = this.#rows;
    if (!rows) return;
    for (const seq of seqs) {
      const row = rows.get(seq);
      if (!row) continue;
      rows.set(seq, { ...row, nextAt, attempts: row.attempts + attempts });
      this.sql.onRollback(() => this.#rows === rows && rows.set(seq, row));
    }
  }

  /** Rows due later than `now` become due now. */
  dueNow(now: number): void {
    const rows = this.#rows;
    if (!rows) return;
    const later = [...rows].filter(([, row]) => row.nextAt > now);
    for (const [seq, row] of later) rows.set(seq, { ...row, nextAt: now });
    this.sql.onRollback(() => this.#rows === rows && later.forEach(([seq, row]) => rows.set(seq, row)));
  }

  #put(rows: Map<number, OutboxRow>, seq: number, row: OutboxRow): void {
    rows.set(seq, row);
    this.#chars += row.payload.length;
  }

  #drop(rows: Map<number, OutboxRow>, seq: number): void {
    this.#chars -= rows.get(seq)?.payload.length ?? 0;
    rows.delete(seq);
  }

  #forget(): void {
    this.#rows = undefined;
    this.#chars = 0;
  }
}
