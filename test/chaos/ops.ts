/**
 * The chaos load's operations: what a client asks of the fixture Worker, and
 * what it got back. Each operation has a unique id, used as its idempotency key,
 * its effect id (the recorder counts executions by it) and its workflow id.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Rand } from "../../sdk/context.js";
import type { Answer, ChaosClient, ChaosRequest } from "./client.js";
import { LIMIT_KEYS, NAMES, type NapInput, type RelayInput } from "./protocol.js";

export const OP_KINDS = ["add", "addSend", "addDelayed", "relayCall", "relaySend", "relayDelayed", "napCall", "napSend", "workflow", "limitedSend"] as const;
export type OpKind = (typeof OP_KINDS)[number];

/** How often each kind is drawn, relative to the others. */
const WEIGHTS: Record<OpKind, number> = { add: 20, addSend: 10, addDelayed: 10, relayCall: 10, relaySend: 8, relayDelayed: 7, napCall: 10, napSend: 15, workflow: 10, limitedSend: 10 };
/** Sleeps and delays last 1–3 s, as in the outside testers' load. */
const MIN_WAIT_MS = 1_000;
const MAX_WAIT_MS = 3_000;
const SEND_STATUSES = ["Accepted", "PreviouslyAccepted"];

export interface Op {
  id: string;
  kind: OpKind;
  /** The counter key it adds to, for the kinds that add. */
  key?: string;
  /** The sleep (nap, workflow) or delay (delayed sends) in ms. */
  ms?: number;
  /** Workflow: how long after its run is accepted `go` resolves its promise. */
  goAfterMs?: number;
  /** When the client first sent it (ms since the epoch). */
  startedAt: number;
  /** When its last request was answered or given up (0 while in flight). */
  endedAt: number;
  /** Every request of the operation got a definitive answer. */
  answered: boolean;
  /** Requests sent (each with its own idempotency key, repeated until answered), and those answered as expected. */
  requests: number;
  acknowledged: number;
  /** Definitive answers that were not the expected ones. */
  problems: string[];
  /** Invocations it created, as the answers named them. */
  invocationIds: string[];
  /** The counter value the add answered (add, relayCall). */
  count?: number;
  /** A limited send's limit key ("" for none). */
  limitKey?: string;
}

/** Draws the next operation of a client. */
export function planOp(rand: Rand, id: string, keys: number): Op {
  const kind = pick(rand);
  const op: Op = { id, kind, startedAt: 0, endedAt: 0, answered: false, requests: 0, acknowledged: 0, problems: [], invocationIds: [] };
  if (addsToCounter(kind)) op.key = `k${Math.floor(rand.random() * keys)}`;
  if (kind === "addDelayed" || kind === "relayDelayed" || kind === "napCall" || kind === "napSend" || kind === "workflow") {
    op.ms = MIN_WAIT_MS + Math.floor(rand.random() * (MAX_WAIT_MS - MIN_WAIT_MS));
  }
  if (kind === "workflow") op.goAfterMs = Math.floor(rand.random() * (op.ms ?? 0) * 1.5);
  if (kind === "limitedSend") op.limitKey = LIMIT_KEYS[Math.floor(rand.random() * LIMIT_KEYS.length)]!;
  return op;
}

/** A send to the limited service (the burst's operations). */
export function limitedOp(id: string, limitKey: string): Op {
  return { id, kind: "limitedSend", limitKey, startedAt: 0, endedAt: 0, answered: false, requests: 0, acknowledged: 0, problems: [], invocationIds: [] };
}

/** Answered, and as expected: the operation's effects must all happen. */
export function isAcknowledged(op: Op): boolean {
  return op.answered && op.problems.length === 0;
}

export function addsToCounter(kind: OpKind): boolean {
  return kind.startsWith("add") || kind.startsWith("relay");
}

/** The value the workflow's `go` resolves its promise with: the run's expected output. */
export function goValue(op: Op): string {
  return `go:${op.id}`;
}

/** Sends the operation's requests, each until it is answered; records what came back in `op`. */
export async function runOp(client: ChaosClient, op: Op): Promise<void> {
  op.startedAt = Date.now();
  try {
    await requestsOf(client, op);
  } finally {
    op.endedAt = Date.now();
  }
}

async function requestsOf(client: ChaosClient, op: Op): Promise<void> {
  const key = { "idempotency-key": op.id };
  const counter = `/${NAMES.counter}/${op.key}/add`;
  switch (op.kind) {
    case "add":
      return void (await call(client, op, { method: "POST", path: counter, body: { effect: op.id }, headers: key }, countAnswer(op)));
    case "addSend":
    case "addDelayed": {
      const path = op.kind === "addDelayed" ? `${counter}/send?delay=${op.ms}ms` : `${counter}/send`;
      return void (await call(client, op, { method: "POST", path, body: { effect: op.id }, headers: key }, sendAnswer(op)));
    }
    case "relayCall":
      return void (await call(client, op, { method: "POST", path: `/${NAMES.relay}/call`, body: relayInput(op), headers: key }, countAnswer(op)));
    case "relaySend":
    case "relayDelayed":
      return void (await call(client, op, { method: "POST", path: `/${NAMES.relay}/send`, body: relayInput(op), headers: key }, relaySendAnswer(op)));
    case "napCall":
      return void (await call(client, op, { method: "POST", path: `/${NAMES.sleeper}/nap`, body: napInput(op), headers: key }, (a) => a.status === 200 && a.body === op.ms));
    case "napSend":
      return void (await call(client, op, { method: "POST", path: `/${NAMES.sleeper}/nap/send`, body: napInput(op), headers: key }, sendAnswer(op)));
    case "workflow":
      return runWorkflow(client, op);
    case "limitedSend": {
      const headers = { ...key, ...(op.limitKey ? { "x-restate-limit-key": op.limitKey } : {}) };
      return void (await call(client, op, { method: "POST", path: `/${NAMES.limited}/work/send`, body: { effect: op.id }, headers }, sendAnswer(op)));
    }
  }
}

/** Submits the run, then resolves its promise through the shared handler `go`. */
async function runWorkflow(client: ChaosClient, op: Op): Promise<void> {
  const run = { method: "POST", path: `/${NAMES.flow}/${op.id}/run/send`, body: napInput(op), headers: { "idempotency-key": op.id } } as const;
  if (!(await call(client, op, run, sendAnswer(op)))) return;
  op.answered = false;
  await sleep(op.goAfterMs ?? 0);
  const go = { method: "POST", path: `/${NAMES.flow}/${op.id}/go`, body: goValue(op), headers: { "idempotency-key": `${op.id}/go` } } as const;
  await call(client, op, go, (a) => a.status === 200);
}

/**
 * One request until answered; `expected` judges the answer. Resolves whether the
 * operation may go on (answered as expected).
 */
async function call(client: ChaosClient, op: Op, req: ChaosRequest, expected: (answer: Answer) => boolean): Promise<boolean> {
  op.requests++;
  const answer = await client.definitive(req);
  if (!answer) return false;
  op.answered = true;
  const id = answer.headers["x-restate-id"];
  if (typeof id === "string" && !op.invocationIds.includes(id)) op.invocationIds.push(id);
  if (expected(answer)) {
    op.acknowledged++;
    return true;
  }
  op.problems.push(`${req.method} ${req.path} answered ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 200)}`);
  return false;
}

function countAnswer(op: Op): (a: Answer) => boolean {
  return (a) => {
    if (a.status !== 200 || typeof a.body !== "number") return false;
    op.count = a.body;
    return true;
  };
}

function sendAnswer(op: Op): (a: Answer) => boolean {
  return (a) => {
    const body = a.body as { invocationId?: unknown; status?: unknown } | undefined;
    if (a.status !== 202 || typeof body?.invocationId !== "string" || !SEND_STATUSES.includes(String(body.status))) return false;
    if (!op.invocationIds.includes(body.invocationId)) op.invocationIds.push(body.invocationId);
    return true;
  };
}

/** The relay answers the id of the add it sent. */
function relaySendAnswer(op: Op): (a: Answer) => boolean {
  return (a) => {
    if (a.status !== 200 || typeof a.body !== "string" || !a.body.startsWith("inv_")) return false;
    if (!op.invocationIds.includes(a.body)) op.invocationIds.push(a.body);
    return true;
  };
}

function relayInput(op: Op): RelayInput {
  return { key: op.key!, effect: op.id, ...(op.ms ? { delayMs: op.ms } : {}) };
}

function napInput(op: Op): NapInput {
  return { effect: op.id, ms: op.ms! };
}

function pick(rand: Rand): OpKind {
  const total = OP_KINDS.reduce((sum, kind) => sum + WEIGHTS[kind], 0);
  let draw = rand.random() * total;
  for (const kind of OP_KINDS) {
    draw -= WEIGHTS[kind];
    if (draw < 0) return kind;
  }
  return "add";
}
