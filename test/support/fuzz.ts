/**
 * A seeded generator of hostile HTTP requests for Resolute's ingress and admin
 * API: paths (valid, wrong shapes, unknown names, bad percent-encoding, long
 * segments), methods, content types, bodies (valid inputs, wrong shapes, deep
 * and huge JSON, bytes that are not UTF-8), headers, invocation and awakeable
 * ids, idempotency keys, delays and admin SQL. Same seed, same requests.
 */

/** Deterministic PRNG (mulberry32). */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** A service as the admin API's `GET services` describes it (Restate's shape and type names). */
export interface ServiceInfo {
  name: string;
  ty: "Service" | "VirtualObject" | "Workflow";
  handlers: { name: string; public: boolean }[];
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

/** What the generator may reuse: ids and keys seen in earlier answers. */
export interface FuzzPools {
  /** Ids of invocations that answered 200 (finished): safe to attach to. */
  finishedIds: string[];
  /** Ids of accepted sends: only their output (which never waits) is asked for. */
  sentIds: string[];
}

/** Keys the fuzzer uses for objects; the exactness check uses keys outside this pool. */
const KEYS = ["a", "b", "k", "", " ", "send", "a/b", "ü", "\u0000", "x".repeat(300), "%", "..", "run"];
const IDEMPOTENCY_KEYS = ["i1", "i2", "i3", "same", "ü-key", ""];
const SEGMENTS = ["%", "%ZZ", "%E0%A4%A", "%FF", "%00", "%2F", "%C0%AF", "..", ".", "restate", "send", "admin", "%F0%9F%98%80", "x".repeat(20_000)];
const DELAYS = ["0ms", "1ms", "10ms", "1s", "5m", "1h30m", "PT1S", "P1D", "36500d", "36501d", "100000000000000000000ms", `${"9".repeat(400)}ms`, "-1s", "1.5s", "soon", "", "PT", "P", "1e3ms", "%FF"];
const CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/octet-stream", "application/x-www-form-urlencoded", "*/*", "garbage", "", "application/json; " + "p=1;".repeat(2000)];
const JSON_VALUES: unknown[] = [null, 0, 1, -1, 1.5, 1e308, "", "x", "abc", true, false, [], {}, [1, 2], { a: 1 }, { tripId: 1 }, { items: "pizza" }, "\u0000\ud800"];

/** Valid inputs of the examples' handlers (anything else gets random values). */
const VALID: Record<string, unknown[]> = {
  "greeter/greet": ["Ada"],
  "counter/add": [1, 2, 5],
  "roleUpdater/update": [{ role: "editor", permissions: [{ system: "crm", permission: "write" }] }, { role: "admin", permissions: [{ system: "legacy", permission: "admin" }] }],
  "subscription/start": ["pro"],
  "subscription/activate": ["pay-1"],
  "subscription/cancel": ["bored", undefined],
  "product/restock": [10],
  "product/reserve": [{ reservationId: "r1", quantity: 1 }, { reservationId: "r2", quantity: 100 }],
  "product/reservation": ["r1"],
  "payments/pay": [{ paymentId: "p1", amount: 100 }],
  "trip/book": [{ tripId: "t1" }, { tripId: "t2", failPayment: true }],
  "order/place": [{ items: ["pizza"], deliveryDelayMs: 10 }, { items: ["pizza"], deliveryDelayMs: 1e300 }],
  "restaurant/prepare": [{ orderId: "o", items: ["pizza"], awakeableId: "sign_1x" }],
  "signup/run": [{ email: "ada@example.com", name: "Ada" }],
  "signup/click": ["secret"],
  "approval/run": [{ document: "d", approvers: ["ana"] }],
  "approval/decide": [{ approver: "ana", approve: true }],
};

/**
 * Objects whose exclusive work may legitimately wait for a long time on its key:
 * `order/place` hands the kitchen an awakeable for 30 minutes. Each of their requests
 * gets a key of its own, so that no later request queues behind it.
 */
const LONG_HOLDERS = new Set(["order"]);

const encoder = new TextEncoder();

export class RequestGenerator {
  #n = 0;
  constructor(
    private readonly random: Random,
    private readonly services: ServiceInfo[],
    private readonly pools: FuzzPools,
    private readonly adminToken: string,
  ) {}

  next(): FuzzRequest {
    this.#n++;
    const r = this.random;
    const roll = r.next();
    const request = roll < 0.45 ? this.#invoke() : roll < 0.6 ? this.#malformedInvoke() : roll < 0.8 ? this.#restatePath() : this.#admin();
    if (r.chance(0.08)) request.method = r.pick(["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "GET", "POST", "TRACE"]);
    this.#addHeaders(request);
    return request;
  }

  #invoke(): FuzzRequest {
    const r = this.random;
    const service = r.pick(this.services);
    const handler = r.pick(service.handlers);
    const send = r.chance(0.3);
    const delay = r.chance(send ? 0.4 : 0.05) ? `?delay=${encodeURIComponent(r.pick(DELAYS))}` : "";
    // A workflow run sent with a delay waits that long, and so would an attach to its id: a key of its own.
    const own = LONG_HOLDERS.has(service.name) || (service.ty === "Workflow" && delay !== "");
    const key = service.ty === "Service" ? undefined : own ? `own-${this.#n}` : r.pick(KEYS);
    const segments = [service.name, ...(key !== undefined ? [key] : []), handler.name].map(encodeURIComponent);
    const path = `/${segments.join("/")}${send ? "/send" : ""}${delay}`;
    const valid = VALID[`${service.name}/${handler.name}`];
    const body = valid && r.chance(0.5) ? json(r.pick(valid)) : this.#payload();
    return { method: r.chance(0.9) ? "POST" : "GET", path, headers: { "content-type": "application/json" }, body };
  }

  #malformedInvoke(): FuzzRequest {
    const r = this.random;
    const service = r.chance(0.8) ? r.pick(this.services).name : r.pick(["nope", "", "restate", "__test"]);
    const count = r.int(6);
    const parts = [service, ...Array.from({ length: count }, () => (r.chance(0.5) ? r.pick(SEGMENTS) : r.pick(KEYS.map(encodeURIComponent))))];
    const path = `/${parts.join("/")}${r.chance(0.2) ? "/" : ""}`;
    return { method: "POST", path, headers: { "content-type": "application/json" }, body: this.#payload() };
  }

  #restatePath(): FuzzRequest {
    const r = this.random;
    const id = this.#invocationId();
    const action = r.pick(["attach", "output", "output", "junk"]);
    const workflow = r.pick(this.services.filter((s) => s.ty === "Workflow").map((s) => s.name).concat(["greeter", "nope"]));
    const choices = [
      () => "/restate/health",
      () => `/restate/invocation/${encodeURIComponent(id)}/${action === "attach" && !this.pools.finishedIds.includes(id) ? "output" : action}`,
      () => `/restate/invocation/greeter/greet/${encodeURIComponent(r.pick(IDEMPOTENCY_KEYS))}/${r.pick(["output", "attach"])}`,
      () => `/restate/invocation/counter/${encodeURIComponent(r.pick(KEYS))}/add/${encodeURIComponent(r.pick(IDEMPOTENCY_KEYS))}/output`,
      () => `/restate/workflow/${workflow}/${encodeURIComponent(r.pick(KEYS))}/${r.pick(["attach", "output", "x"])}`,
      () => `/restate/${r.pick(["awakeables", "a"])}/${encodeURIComponent(this.#awakeableId())}/${r.pick(["resolve", "reject", "x"])}`,
      () => `/restate/${r.pick(SEGMENTS)}/${r.pick(SEGMENTS)}`,
      () => `/restate/invocation/${r.pick(SEGMENTS)}`,
    ];
    const path = r.pick(choices)();
    const post = path.includes("/awakeables/") || path.includes("/a/");
    return { method: post ? "POST" : "GET", path, headers: post ? { "content-type": "application/json" } : {}, ...(post ? { body: this.#payload() } : {}) };
  }

  #admin(): FuzzRequest {
    const r = this.random;
    const service = r.pick(this.services);
    const key = encodeURIComponent(r.pick(KEYS)) || "k";
    const id = encodeURIComponent(this.#invocationId());
    const routes: [string, string, unknown?][] = [
      ["GET", "services"],
      ["GET", "ui"],
      ["GET", `invocations/${id}`],
      ["PATCH", `invocations/${id}/${r.pick(["cancel", "kill", "resume", "purge", "restart-as-new", "restart-as-new?from=" + r.pick(["0", "1", "-1", "x", "99"]), "nope"])}`],
      ["GET", `objects/${service.name}/${key}/${r.pick(["state", "invocations", "invocations?status=completed", "invocations?status=nope", "x"])}`],
      ["POST", `services/${service.name}/state`, r.pick([{ object_key: r.pick(KEYS), new_state: { n: [49] } }, { object_key: 1 }, { new_state: { n: [300] } }, "nope"])],
      ["POST", `objects/${service.name}/${key}/query`, { query: this.#sql() }],
      ["GET", `${r.pick(SEGMENTS)}/${r.pick(SEGMENTS)}`],
    ];
    const [method, route, body] = r.pick(routes);
    const token = r.pick([this.adminToken, this.adminToken, this.adminToken, "wrong", ""]);
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers["content-type"] = "application/json";
    return { method, path: `/restate/admin/${route}`, headers, ...(body !== undefined ? { body: json(body) } : {}) };
  }

  #sql(): string {
    const r = this.random;
    const table = () => r.pick(["sys_invocation", "sys_journal", "state", "sys_promise", "sys_inbox", "sys_keyed_service_status", "main.invocations", "journal", "sqlite_schema", "nope"]);
    return r.pick([
      () => `SELECT * FROM ${table()}`,
      () => `SELECT count(*) FROM ${table()} a, ${table()} b, ${table()} c, ${table()} d`,
      () => `SELECT * FROM ${table()} ORDER BY 1 LIMIT ${r.int(5)}`,
      () => "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
      () => "WITH n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
      () => `SELECT ${r.pick(["randomblob(2000000)", "zeroblob(1000000000)", "printf('%.*c', 100000, 'x')", "hex(hex(hex('" + "x".repeat(5000) + "')))", "json('" + "[".repeat(2000) + "')"])} AS v`,
      () => `SELECT * FROM json_each('${JSON.stringify(Array.from({ length: 50 }, (_, i) => i))}')`,
      () => "DELETE FROM state",
      () => "SELECT 1; SELECT 2",
      () => `SELECT '${"'".repeat(r.int(3))}`,
      () => "SELECT key, count(*) OVER () FROM state",
      () => `${r.pick(["", " ", "/*", "--"])}${r.pick(SEGMENTS)}`,
    ])();
  }

  #addHeaders(request: FuzzRequest): void {
    const r = this.random;
    const h = request.headers;
    if (r.chance(0.15)) {
      const type = r.pick(CONTENT_TYPES);
      if (type === "") delete h["content-type"];
      else h["content-type"] = type;
    }
    if (r.chance(0.25)) {
      // A delayed send keeps its idempotency key's invocation waiting: a call or attach with the
      // same key would rightly wait as long (Restate's semantics), so delayed sends get keys of their own.
      const shared = r.pick(IDEMPOTENCY_KEYS);
      h["idempotency-key"] = r.chance(0.05) ? "k".repeat(r.pick([1024, 1025, 5000])) : request.path.includes("?delay=") && shared ? `delayed-${this.#n}` : shared;
    }
    if (r.chance(0.05)) for (let i = 0, n = r.pick([10, 63, 64, 65, 90]); i < n; i++) h[`x-fuzz-${i}`] = String(i);
    if (r.chance(0.03)) h["x-fuzz-big"] = "v".repeat(r.pick([1000, 33_000, 60_000]));
    if (r.chance(0.05)) h.traceparent = r.pick(["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "garbage", ""]);
  }

  /** A body that is rarely what the handler wants: odd JSON values, deep or big JSON, bytes that are no JSON, nothing. */
  #payload(): Uint8Array {
    const r = this.random;
    const roll = r.next();
    if (roll < 0.6) return json(r.pick(JSON_VALUES));
    if (roll < 0.7) return encoder.encode(nested(r.pick([10, 999, 1000, 1001, 3000, 10_000])));
    if (roll < 0.8) return json({ s: "x".repeat(r.pick([10, 10_000, 200_000])) });
    if (roll < 0.9) return r.pick(RAW_BODIES)();
    return new Uint8Array(0);
  }

  #invocationId(): string {
    const r = this.random;
    const pool = r.chance(0.5) ? this.pools.finishedIds : this.pools.sentIds;
    if (pool.length > 0 && r.chance(0.6)) {
      const id = r.pick(pool);
      return r.chance(0.2) ? id.slice(0, -1) + (id.endsWith("a") ? "b" : "a") : id;
    }
    return r.pick(["inv_1", "inv_bogus", "garbage", "inv_1bzpjb3VudGVyOmE.x", "inv_1" + "A".repeat(500), "inv_1%40%40.x", "sign_1abc"]);
  }

  #awakeableId(): string {
    const r = this.random;
    const id = this.pools.finishedIds.length > 0 ? r.pick(this.pools.finishedIds) : "inv_1x.y";
    const forged = btoa(`${id}/${r.int(4)}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    return r.pick([`sign_1${forged}`, "sign_1", "prom_1abc", "garbage", "sign_1" + "A".repeat(300)]);
  }
}

/** Arrays nested `depth` deep, as JSON text. */
function nested(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

/** JSON bytes; undefined is no body at all (JSON.stringify gives no text for it). */
function json(value: unknown): Uint8Array {
  return value === undefined ? new Uint8Array(0) : encoder.encode(JSON.stringify(value));
}

const RAW_BODIES: (() => Uint8Array)[] = [
  () => encoder.encode("{nope"),
  () => new Uint8Array([0xff, 0xfe, 0x00, 0x80]),
  () => encoder.encode('"\\ud800"'),
  () => new Uint8Array(1024 * 1024 + 1).fill(0x31), // one byte over the default body limit
  () => encoder.encode(" 1 "),
];
