/**
 * issue #10: a seeded fuzzer over every ingress and admin route (test/support/fuzz.ts
 * makes the requests), against the examples' Worker. It checks that
 * - Resolute's own code answers no 5xx (a handler's own TerminalError with a 5xx
 *   code is not ours: the examples' "MAILER_URL is not set" is one),
 * - every error is `{code, message, source}` JSON with `x-restate-error-source`,
 * - nothing hangs (each request has a timeout),
 * - normal calls are exact afterwards: counters interleaved with the fuzz equal
 *   the adds that were acknowledged, each idempotency key counted once.
 *
 * The seed is printed; `FUZZ_SEED=<seed> FUZZ_COUNT=<n> npx vitest run test/worker/fuzz.test.ts`
 * repeats a run or makes it longer.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { Client } from "undici";
import { WorkerdRuntime, admin, eventually } from "../support/runtime.js";
import { Random, RequestGenerator, type FuzzPools, type FuzzRequest, type ServiceInfo } from "../support/fuzz.js";

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 32);
const COUNT = Number(process.env.FUZZ_COUNT ?? 2500);
const CONCURRENCY = 4;
const REQUEST_TIMEOUT_MS = 20_000;
/** The run stops early after this many problems (a stopped Worker would otherwise time out every request). */
const MAX_PROBLEMS = 30;
/** One request in TRACKED_EVERY is a valid add to a tracked counter. */
const TRACKED_EVERY = 10;
/** The examples' own TerminalErrors with a 5xx code (a binding the test does not set). */
const HANDLER_5XX = /^(MAILER_URL|PAYMENT_PROVIDER_URL|GATEWAY_URL) is not set/;
/** The Worker's body limit (createWorker's default): a larger body may be cut off by a reset instead of read. */
const MAX_BODY_BYTES = 1024 * 1024;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

let rt: WorkerdRuntime;
beforeAll(async () => {
  rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/examples-worker.ts" });
});
afterAll(() => rt?.dispose());

/** One request on a connection of its own: a refused body may leave a connection unusable. */
async function send(request: FuzzRequest): Promise<Answer> {
  const client = new Client(rt.url.origin, { headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  try {
    const response = await client.request({ method: request.method as "GET", path: request.path, headers: request.headers, ...(request.body ? { body: request.body } : {}) });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  } finally {
    await client.close().catch(() => {});
  }
}

/** What is wrong with an answer, by the fuzzer's rules; empty when nothing. */
function problems(request: FuzzRequest, answer: Answer): string[] {
  if (answer.status < 400) return [];
  const found: string[] = [];
  const source = answer.headers["x-restate-error-source"];
  let body: { code?: unknown; message?: unknown; source?: unknown } | undefined;
  if (request.method !== "HEAD") {
    try {
      body = JSON.parse(answer.text);
    } catch {
      found.push(`error body is not JSON: ${answer.text.slice(0, 200)}`);
    }
    if (body && (typeof body.code !== "number" || typeof body.message !== "string" || (body.source !== "ingress" && body.source !== "invocation"))) {
      found.push(`error body is not {code, message, source}: ${answer.text.slice(0, 200)}`);
    } else if (body && body.source !== source) found.push(`x-restate-error-source '${source}' differs from the body's '${body.source}'`);
    else if (body && body.code !== answer.status && answer.status !== 500) found.push(`code ${body.code} in the body of a ${answer.status}`);
  } else if (source !== "ingress" && source !== "invocation") found.push(`no x-restate-error-source on a ${answer.status}`);
  const handlers5xx = body?.source === "invocation" && typeof body.message === "string" && HANDLER_5XX.test(body.message);
  if (answer.status >= 500 && !handlers5xx) found.push(`a ${answer.status} from Resolute: ${answer.text.slice(0, 300)}`);
  return found;
}

function describeRequest(request: FuzzRequest): string {
  const headers = Object.entries(request.headers).map(([name, value]) => `${name}: ${value.slice(0, 40)}${value.length > 40 ? `…(${value.length})` : ""}`);
  const body = request.body ? ` body ${request.body.byteLength} bytes: ${new TextDecoder().decode(request.body.slice(0, 60))}` : "";
  return `${request.method} ${request.path.slice(0, 160)}${request.path.length > 160 ? `…(${request.path.length})` : ""} [${headers.slice(0, 6).join("; ")}]${body}`;
}

/** Valid adds to counters outside the fuzz's key pool, and what each counter must read afterwards. */
class TrackedAdds {
  readonly expected = new Map<string, number>();
  readonly #counted = new Set<string>();
  readonly #amounts = new Map<string, number>();
  constructor(private readonly random: Random) {}

  request(): { request: FuzzRequest; key: string; amount: number; idempotencyKey?: string } {
    const r = this.random;
    const key = `exact-${r.int(4)}`;
    const idempotencyKey = r.chance(0.4) ? `${key}-i${r.int(20)}` : undefined;
    // A retried idempotency key carries the same amount, as a real retry would.
    const amount = idempotencyKey ? (this.#amounts.get(idempotencyKey) ?? 1 + r.int(9)) : 1 + r.int(9);
    if (idempotencyKey) this.#amounts.set(idempotencyKey, amount);
    const path = `/counter/${key}/add${r.chance(0.3) ? "/send" : ""}`;
    const headers: Record<string, string> = { "content-type": "application/json", ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) };
    return { request: { method: "POST", path, headers, body: new TextEncoder().encode(String(amount)) }, key, amount, ...(idempotencyKey ? { idempotencyKey } : {}) };
  }

  acknowledged(key: string, amount: number, idempotencyKey?: string): void {
    if (idempotencyKey) {
      if (this.#counted.has(idempotencyKey)) return;
      this.#counted.add(idempotencyKey);
    }
    this.expected.set(key, (this.expected.get(key) ?? 0) + amount);
  }
}

test(`fuzz ${COUNT} requests over every route (FUZZ_SEED=${SEED})`, async () => {
  console.log(`fuzz: seed ${SEED}, ${COUNT} requests (FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT} to repeat)`);
  const random = new Random(SEED);
  const services = ((await admin(rt, "services")).body as { services: ServiceInfo[] }).services;
  // The generator shapes paths by kind: a changed type name would quietly narrow what it covers.
  expect(new Set(services.map((s) => s.ty))).toEqual(new Set(["Service", "VirtualObject", "Workflow"]));
  const pools: FuzzPools = { finishedIds: [], sentIds: [] };
  const generator = new RequestGenerator(random, services, pools, "test-token");
  const tracked = new TrackedAdds(random);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;

  const worker = async () => {
    while (next < COUNT && failures.length < MAX_PROBLEMS) {
      const n = next++;
      const add = n % TRACKED_EVERY === 0 ? tracked.request() : undefined;
      const request = add?.request ?? generator.next();
      let answer: Answer;
      try {
        answer = await send(request);
      } catch (error) {
        // workerd answers 413 without reading the rest of a body over the limit and closes the
        // connection: a client still writing it sees a reset. That is the refusal, not a hang.
        const refusedUnread = (request.body?.byteLength ?? 0) > MAX_BODY_BYTES && /ECONNRESET|EPIPE|other side closed/.test(String(error));
        if (!refusedUnread) failures.push(`#${n} ${describeRequest(request)} → no answer: ${String(error)}`);
        continue;
      }
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      for (const problem of problems(request, answer)) failures.push(`#${n} ${describeRequest(request)} → ${problem}`);
      const id = answer.headers["x-restate-id"];
      if (add) {
        if (answer.status === 200 || answer.status === 202) tracked.acknowledged(add.key, add.amount, add.idempotencyKey);
        else failures.push(`#${n} tracked ${describeRequest(request)} → ${answer.status} ${answer.text.slice(0, 200)}`);
      } else if (typeof id === "string") {
        if (answer.status === 200) pools.finishedIds.push(id);
        else if (answer.status === 202) pools.sentIds.push(id);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  console.log(`fuzz: statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);

  expect(failures.slice(0, 30), `seed ${SEED}: ${failures.length} problems`).toEqual([]);
  for (const [key, count] of tracked.expected) {
    await eventually(async () => (await rt.post(`/counter/${key}/get`)).body === count, 20_000);
  }
  expect((await rt.get("/restate/health")).status).toBe(200);
  expect((await rt.post("/greeter/greet", "Ada")).body).toBe("Hello, Ada!");
}, 240_000);
