/**
 * The one codec between typed journal entries and what a host stores: the type,
 * name, done flag and completion as they are, and the entry's facts (EntryFacts)
 * as JSON text in `data`. Every stored journal carries the JOURNAL_VERSION it was
 * written with, and is decoded as that version wrote it.
 * Pure; nothing but this module reads or writes `data`.
 */
import { RestateError } from "../../sdk/errors.js";
import type { Completion, Entry, EntryFacts, EntryType, Settlement } from "./types.js";

/**
 * The journal format this build writes.
 * 1: journals written before entries were typed (no version stored); an awakeable had no secret.
 * 2: an awakeable entry records its id's secret. Otherwise the facts are stored as version 1 stored them.
 */
export const JOURNAL_VERSION = 2;

/** The version of a journal stored without one (written before versions existed). */
export const UNVERSIONED_JOURNAL = 1;

/** An entry as hosts store it. */
export interface StoredEntry {
  index: number;
  type: string;
  name: string;
  done: boolean;
  completion?: Completion;
  /** The entry's facts as JSON; absent for types that record none. */
  data?: string;
}

/** A stored journal entry this build cannot read (a newer format, or damaged storage). */
export class JournalFormatError extends RestateError {
  constructor(message: string) {
    super(`${message} Was it written by a newer Resolute? Deploy a build that reads it, or cancel the invocation.`);
    this.name = "JournalFormatError";
  }
}

const ENTRY_TYPES: ReadonlySet<string> = new Set<EntryType>([
  "run", "sleep", "getState", "setState", "clearState", "clearAllState", "getStateKeys", "call", "send",
  "awakeable", "completeAwakeable", "getPromise", "peekPromise", "completePromise", "attach", "cancel", "combinator",
] satisfies (keyof EntryFacts)[]);

export function encodeEntry(entry: Entry): StoredEntry {
  const stored: StoredEntry = { index: entry.index, type: entry.type, name: entry.name, done: entry.done };
  if (entry.completion) stored.completion = entry.completion;
  const data = encodeFacts(entry);
  if (data !== undefined) stored.data = data;
  return stored;
}

function encodeFacts(entry: Entry): string | undefined {
  switch (entry.type) {
    case "sleep":
      return JSON.stringify({ wakeAt: entry.wakeAt });
    case "call":
    case "send":
      return JSON.stringify({ calleeId: entry.calleeId });
    case "awakeable":
      return entry.secret === null ? undefined : JSON.stringify({ secret: entry.secret });
    case "combinator":
      return JSON.stringify(entry.order.map((s) => [s.index, s.ok]));
    default:
      return undefined;
  }
}

/** Reads an entry stored by journal format `version`; throws JournalFormatError when it cannot. */
export function decodeEntry(stored: StoredEntry, version: number): Entry {
  if (!Number.isInteger(version) || version < UNVERSIONED_JOURNAL || version > JOURNAL_VERSION) {
    throw new JournalFormatError(`The journal has format version ${version}; this build reads versions ${UNVERSIONED_JOURNAL} to ${JOURNAL_VERSION}.`);
  }
  const { index, type, name, done, completion } = stored;
  if (!ENTRY_TYPES.has(type)) throw new JournalFormatError(`Journal entry ${index} has type '${type}', which this build does not know.`);
  const base = { index, name, done, ...(completion ? { completion } : {}) };
  const facts = parseFacts(stored);
  switch (type as EntryType) {
    case "sleep":
      return { ...base, type: "sleep", wakeAt: numberFact(stored, facts, "wakeAt") };
    case "call":
    case "send":
      return { ...base, type: type as "call" | "send", calleeId: stringFact(stored, facts, "calleeId") };
    case "awakeable":
      // No secret: recorded by version 1 (or copied from it by a restart-as-new).
      return { ...base, type: "awakeable", secret: facts === undefined ? null : stringFact(stored, facts, "secret") };
    case "combinator":
      return { ...base, type: "combinator", order: settlements(stored, facts) };
    default:
      return { ...base, type } as Entry;
  }
}

function parseFacts(stored: StoredEntry): unknown {
  if (stored.data === undefined) return undefined;
  try {
    return JSON.parse(stored.data);
  } catch {
    throw new JournalFormatError(`Journal entry ${stored.index} (${stored.type}) has unreadable data.`);
  }
}

function fact(stored: StoredEntry, facts: unknown, key: string): unknown {
  const value = (facts as Record<string, unknown> | undefined)?.[key];
  if (value === undefined) throw new JournalFormatError(`Journal entry ${stored.index} (${stored.type}) has no '${key}'.`);
  return value;
}

function numberFact(stored: StoredEntry, facts: unknown, key: string): number {
  const value = fact(stored, facts, key);
  if (typeof value !== "number") throw new JournalFormatError(`Journal entry ${stored.index} (${stored.type}) has a '${key}' that is not a number.`);
  return value;
}

function stringFact(stored: StoredEntry, facts: unknown, key: string): string {
  const value = fact(stored, facts, key);
  if (typeof value !== "string") throw new JournalFormatError(`Journal entry ${stored.index} (${stored.type}) has a '${key}' that is not a string.`);
  return value;
}

function settlements(stored: StoredEntry, facts: unknown): Settlement[] {
  const valid = Array.isArray(facts) && facts.every((s) => Array.isArray(s) && Number.isInteger(s[0]) && typeof s[1] === "boolean");
  if (!valid) throw new JournalFormatError(`Journal entry ${stored.index} (combinator) has no readable order.`);
  return (facts as [number, boolean][]).map(([index, ok]) => ({ index, ok }));
}
