/**
 * hostile: the public surface attacked as an outsider would, on real workerd (the fixture
 * Worker: counter, steps with a private handler, awakeables, a CORS origin). Every admin
 * route refuses missing and near-miss tokens; private handlers stay unreachable through
 * every spelling of their path; ids forged or replayed grant nothing; absurd keys, delays,
 * content types and bodies get a bounded 4xx with Restate's error shape, and the objects
 * they aim at still answer. Each request is bounded in time (undici's timeouts).
 */
import { describe, expect, test } from "vitest";
import { Client } from "undici";
import { request as httpRequest } from "node:http";
import { derivedSuffix, makeAwakeableId, makeInvocationId, ownerName } from "../../src/engine/ids.js";
import type { Probe } from "../support/probe.js";
import { WorkerdRuntime, admin, eventually, useRuntimeWithProbe } from "../support/runtime.js";

let rt: WorkerdRuntime;
let probe: Probe;
useRuntimeWithProbe("test/worker/fixtures/worker.ts", (r, p) => ((rt = r), (probe = p)));

const TOKEN = { authorization: "Bearer test-token" };
const JSON_TYPE = { "content-type": "application/json" };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

/** One request on a connection of its own, bounded in time. */
async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const client = new Client(rt.url.origin, { headersTimeout: 15_000, bodyTimeout: 15_000 });
  try {
    const response = await client.request({ method: method as "GET", path, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: response.statusCode, headers: response.headers, text, body: parsed };
  } finally {
    await client.close().catch(() => {});
  }
}

/** Restate's error shape with this status, and its source header. */
function expectError(answer: Answer, status: number, message?: RegExp, source = "ingress"): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  expect(answer.headers["x-restate-error-source"]).toBe(source);
  expect(answer.body).toEqual({ code: status, message: message ? expect.stringMatching(message) : expect.any(String), source });
}

const count = async (key: string): Promise<number> => (await rt.post(`/counter/${key}/get`)).body;

describe("hostile: the admin API without the token", () => {
  const someId = makeInvocationId(ownerName("o", "counter", "adm"), "0123456789abcdef");
  const ROUTES: [string, string, string?][] = [
    ["GET", "/restate/admin"],
    ["GET", "/restate/admin/"],
    ["GET", "/restate/admin/version"],
    ["GET", "/restate/admin/health"],
    ["GET", "/restate/admin/services"],
    ["GET", "/restate/admin/v4/services/counter/handlers/add"],
    ["GET", "/restate/admin/deployments"],
    ["GET", `/restate/admin/invocations/${someId}`],
    ...(["cancel", "kill", "pause", "resume", "purge", "restart-as-new"] as const).map((a): [string, string] => ["PATCH", `/restate/admin/invocations/${someId}/${a}`]),
    ["POST", "/restate/admin/services/counter/state", '{"object_key":"adm","new_state":{"count":[57,57]}}'],
    ["POST", "/restate/admin/query", '{"query":"SELECT * FROM sys_invocation"}'],
    ["POST", "/restate/admin/v4/query", '{"query":"SELECT 1"}'],
    ["GET", "/restate/admin/objects/counter/adm/state"],
    ["GET", "/restate/admin/objects/counter/adm/invocations"],
    ["POST", "/restate/admin/objects/counter/adm/query", '{"query":"SELECT * FROM state"}'],
    ["GET", "/restate/admin/limits"],
    ["GET", "/restate/admin/limits/rules"],
    ["PUT", "/restate/admin/limits/rules", "[]"],
    ["DELETE", "/restate/admin/limits/rules/counter"],
    ["GET", "/restate/admin/limits/scopes/counter"],
    ["GET", "/restate/admin/ui/"],
    ["POST", "/restate/admin/ui"],
    ["GET", "/restate/admin//services"],
    ["GET", "/x/../restate/admin/services"],
  ];
  const NEAR_MISSES: Record<string, string>[] = [
    {},
    { authorization: "" },
    { authorization: "Bearer" },
    { authorization: "Bearer " },
    { authorization: "Bearer wrong" },
    { authorization: "Bearer test-toke" },
    { authorization: "Bearer test-tokenx" },
    { authorization: "Bearer  test-token" },
    { authorization: "Bearertest-token" },
    { authorization: "Basic " + Buffer.from("admin:test-token").toString("base64") },
    { authorization: "test-token" },
    { "x-restate-admin-token": "test-token", cookie: "token=test-token" },
  ];

  test("every admin route answers 401 (Restate's error shape) to a missing, wrong or near-miss token, and changes nothing", async () => {
    expect((await rt.post("/counter/adm/add", 3)).body).toBe(3);
    for (const [method, path, body] of ROUTES) {
      for (const headers of NEAR_MISSES) {
        const answer = await send(method, path, { ...JSON_TYPE, ...headers }, body);
        expect(answer.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expectError(answer, 401, /^missing or wrong admin token/);
      }
    }
    // A token in the query string is no token.
    expectError(await send("GET", "/restate/admin/services?token=test-token&authorization=Bearer%20test-token"), 401);
    // The state replacement above never happened.
    expect(await count("adm")).toBe(3);
    expect((await send("GET", "/restate/admin/services", TOKEN)).status).toBe(200);
    // The scheme's name in any case is the same credential (RFC 9110): curl users write `bearer`.
    for (const scheme of ["bearer", "BEARER"]) expect((await send("GET", "/restate/admin/services", { authorization: `${scheme} test-token` })).status).toBe(200);
  });

  test("paths that only look like the admin's never reach it: 404 from the ingress, not the admin's answer", async () => {
    for (const path of ["/restate//admin/services", "/Restate/admin/services", "/restate/Admin/services", "/restate/%61dmin/services", "/restate/admin%2Fservices"]) {
      const answer = await send("GET", path, TOKEN);
      expectError(answer, 404);
      expect(answer.text).not.toContain('"services"');
    }
  });

  test("a CORS preflight or request from an allowed origin gets no CORS headers from the admin API", async () => {
    const preflight = await send("OPTIONS", "/restate/admin/services", { origin: "https://app.example", "access-control-request-method": "GET", "access-control-request-headers": "authorization" });
    expect(preflight.status).toBe(401);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    const withToken = await send("GET", "/restate/admin/services", { ...TOKEN, origin: "https://app.example" });
    expect(withToken.status).toBe(200);
    expect(withToken.headers["access-control-allow-origin"]).toBeUndefined();
    expect(withToken.headers["access-control-allow-credentials"]).toBeUndefined();
    // The ingress does answer that origin (the fixture allows it), and no other.
    const ingress = await send("OPTIONS", "/counter/adm/add", { origin: "https://app.example", "access-control-request-method": "POST" });
    expect(ingress.headers["access-control-allow-origin"]).toBe("https://app.example");
    const evil = await send("OPTIONS", "/counter/adm/add", { origin: "https://app.example.evil", "access-control-request-method": "POST" });
    expect(evil.status).toBe(403);
    expect(evil.headers["access-control-allow-origin"]).toBeUndefined();
  });

  test("the dashboard page loads without the token but holds no data", async () => {
    await rt.post("/counter/dash-secret-key/add", 1);
    const page = await send("GET", "/restate/admin/ui");
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("dash-secret-key");
    expect(page.text).not.toContain("inv_1");
    expect(page.text).not.toContain("test-token");
  });
});

describe("hostile: private handlers and internal methods are unreachable from outside", () => {
  test("every spelling of a private handler's path is a 404 and runs nothing", async () => {
    for (const path of ["/steps/secret", "/steps/secret/", "/steps/secret/send", "/steps/%73ecret", "/steps/%73ecret/send?delay=1s"]) {
      for (const method of ["POST", "GET"]) {
        expectError(await send(method, path, JSON_TYPE), 404, /^handler 'steps\/secret' is private/);
      }
    }
    for (const path of ["/steps/Secret", "/steps/secret%2F", "/steps/secret%00", "//steps/secret", "/steps//secret", "/steps/./secret/x"]) {
      const answer = await send("POST", path, JSON_TYPE);
      expect([400, 404], `${path}: ${answer.text}`).toContain(answer.status);
      expect(answer.text).not.toContain("hidden");
    }
    const listed = await admin(rt, "query", "GET");
    expect(listed.status).toBe(404);
  });

  test("the Durable Object's internal methods have no HTTP path: named after them, they are unknown services", async () => {
    for (const path of ["/deliver", "/admin/x", "/completeAwakeable/x", "/invoke/x", "/index/x", "/alarm/x", "/restate/deliver", "/restate/admin-internal/x", "/__proto__/x", "/constructor/x", "/toString/x"]) {
      const answer = await send("POST", path, JSON_TYPE, "1");
      expect([400, 404], `${path}: ${answer.text}`).toContain(answer.status);
      expect(answer.headers["x-restate-error-source"]).toBe("ingress");
    }
    // `__proto__` and friends as handler names of a real service are unknown handlers too.
    for (const handler of ["__proto__", "constructor", "hasOwnProperty", "toString"]) {
      expectError(await send("POST", `/counter/k/${handler}`, JSON_TYPE, "1"), 404, /not found/);
    }
  });
});

describe("hostile: ids that should grant nothing", () => {
  test("an awakeable id completes only its own awakeable; a replay after completion is Restate's 202 and changes nothing", async () => {
    const { invocationId } = (await rt.post("/approvals/hostile-a/request/send", "deploy")).body;
    const other = (await rt.post("/approvals/hostile-b/request/send", "other")).body.invocationId as string;
    const id = await eventually(async () => (await rt.post("/approvals/hostile-a/pending")).body as string | undefined);
    await eventually(async () => (await rt.post("/approvals/hostile-b/pending")).body as string | undefined);
    const secret = Buffer.from(id.slice("sign_1".length), "base64url").toString().split("/")[2]!;
    // The right secret on another invocation's entry, truncated ids, the id with a suffix: nothing.
    // An invocation of this object that never existed here (another deployment's, say) with the real secret: nothing either.
    const elsewhere = makeAwakeableId(makeInvocationId(ownerName("o", "approvals", "hostile-a"), "0123456789abcdefghij"), 0, secret);
    for (const forged of [makeAwakeableId(other, 0, secret), elsewhere, id.slice(0, -2), `${id}A`, id.toLowerCase(), `${id}%00`]) {
      const answer = await send("POST", `/restate/awakeables/${forged}/resolve`, JSON_TYPE, '"forged"');
      expect([400, 404], `${forged}: ${answer.text}`).toContain(answer.status);
    }
    expect((await send("POST", `/restate/a/${id}/resolve`, JSON_TYPE, '"yes"')).status).toBe(202);
    expect((await rt.get(`/restate/invocation/${invocationId}/attach`)).body).toBe("deploy: yes");
    // A webhook retried after the invocation finished: accepted again (Restate answers 202), result unchanged.
    expect((await send("POST", `/restate/a/${id}/resolve`, JSON_TYPE, '"again"')).status).toBe(202);
    expect((await send("POST", `/restate/awakeables/${id}/reject`, { "content-type": "text/plain" }, "late")).status).toBe(202);
    expect((await rt.get(`/restate/invocation/${invocationId}/output`)).body).toBe("deploy: yes");
    // The other invocation still waits.
    expect((await rt.get(`/restate/invocation/${other}/output`)).status).toBe(470);
  });

  test("a callee's id cannot be computed from its caller's: knowing the id you were answered with reads no other invocation", async () => {
    const answer = await send("POST", "/chainA/derive/start", JSON_TYPE, "5");
    expect(answer.body).toBe("A(B(C(5)))");
    const parentId = answer.headers["x-restate-id"] as string;
    // Before the fix the callee's id was a hash of the caller's id and the call's journal index (1).
    const derived = makeInvocationId(ownerName("o", "chainB", "derive"), derivedSuffix(parentId, 1));
    expectError(await send("GET", `/restate/invocation/${derived}/output`), 404, /^invocation not found$/);
    // The callee's real id (the admin knows it) has 128 random bits, and works as any id does.
    const listed = (await admin(rt, "objects/chainB/derive/invocations")).body.invocations as { id: string; invoked_by: string }[];
    expect(listed.map((i) => i.invoked_by)).toEqual([parentId]);
    expect(listed[0]!.id).toMatch(/^inv_1[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect((await send("GET", `/restate/invocation/${listed[0]!.id}/output`)).body).toBe("B(C(5))");
  });

  test("admin actions replayed on a finished invocation are Restate's 409 with the reason; after a purge its id is unknown and its idempotency key free", async () => {
    const headers = { ...JSON_TYPE, "idempotency-key": "hostile-purge" };
    const first = await send("POST", "/counter/replay/add", headers, "3");
    expect(first.body).toBe(3);
    const id = first.headers["x-restate-id"] as string;
    for (const action of ["cancel", "kill", "pause", "resume"]) {
      for (let i = 0; i < 2; i++) expectError(await send("PATCH", `/restate/admin/invocations/${id}/${action}`, TOKEN), 409);
    }
    expect((await send("PATCH", `/restate/admin/invocations/${id}/purge`, TOKEN)).status).toBe(202);
    for (const action of ["purge", "cancel", "kill"]) expectError(await send("PATCH", `/restate/admin/invocations/${id}/${action}`, TOKEN), 404);
    expect((await send("GET", `/restate/invocation/${id}/output`)).status).toBe(404);
    // The key runs again, once: the purged answer is not replayed.
    expect((await send("POST", "/counter/replay/add", headers, "4")).body).toBe(7);
    expect((await send("POST", "/counter/replay/add", headers, "100")).body).toBe(7);
    expect(await count("replay")).toBe(7);
  });

  test("invocation ids naming owners that cannot exist are unknown (404), never a 5xx, and create nothing", async () => {
    const forged = [
      makeInvocationId("s:steps:64", "x"),
      makeInvocationId("s:steps:01", "x"),
      makeInvocationId("s:steps:-0", "x"),
      makeInvocationId("o:steps:x", "x"),
      makeInvocationId("w:counter:x", "x"),
      makeInvocationId("o:nosuch:x", "x"),
      makeInvocationId("o:counter:\u0000", "x"),
      makeInvocationId(`o:counter:${"k".repeat(5000)}`, "x"),
    ];
    for (const id of forged) {
      for (const what of ["output", "attach"]) {
        const answer = await send("GET", `/restate/invocation/${id}/${what}`);
        expect(answer.status, `${what} ${id.slice(0, 60)}`).toBe(404);
      }
      for (const action of ["cancel", "kill", "purge"]) expect((await send("PATCH", `/restate/admin/invocations/${id}/${action}`, TOKEN)).status).toBe(404);
    }
    for (const bad of ["inv_1", "inv_1.x", "inv_1@@.x", `inv_1${Buffer.from("o:counter:k").toString("base64url")}.`, `inv_1${Buffer.from("o:counter:k").toString("base64url")}.a%2Fb`]) {
      expectError(await send("GET", `/restate/invocation/${bad}/output`), 400, /^bad invocation id/);
    }
  });
});

describe("hostile: inputs that could hang or blow up an object", () => {
  test("keys with NUL, emoji and exactly 1 KiB are keys of their own; 1 KiB + 1 and broken UTF-8 are 400", async () => {
    expect((await send("POST", "/counter/%00/add", JSON_TYPE, "2")).body).toBe(2);
    expect((await send("POST", "/counter//add", JSON_TYPE, "5")).body).toBe(5);
    expect((await send("POST", "/counter/%00/get", JSON_TYPE)).body).toBe(2);
    expect((await send("POST", "/counter/a%2Fb/add", JSON_TYPE, "7")).body).toBe(7);
    expectError(await send("POST", "/counter/a/b/add", JSON_TYPE, "7"), 400, /^bad path/);
    const kib = "€".repeat(341) + "a"; // 1,024 UTF-8 bytes
    expect((await send("POST", `/counter/${encodeURIComponent(kib)}/add`, JSON_TYPE, "1")).body).toBe(1);
    expectError(await send("POST", `/counter/${encodeURIComponent(kib + "a")}/add`, JSON_TYPE, "1"), 400, /has 1025 bytes, more than the limit of 1024/);
    expectError(await send("POST", "/counter/%ED%A0%80/add", JSON_TYPE, "1"), 400, /not valid percent-encoded UTF-8/);
    expectError(await send("POST", "/counter/%FF/add", JSON_TYPE, "1"), 400, /not valid percent-encoded UTF-8/);
  });

  test("?delay extremes: bounded, parsed strictly, and only on a send", async () => {
    for (const delay of ["", "0", "-1s", "NaNms", "Infinityms", "1e400ms", "0x10ms", "PT", "P", "1s2", "s"]) {
      expectError(await send("POST", `/counter/delays/add/send?delay=${delay}`, JSON_TYPE, "1"), 400, /^bad delay/);
    }
    expectError(await send("POST", "/counter/delays/add/send?delay=P99999999999D", JSON_TYPE, "1"), 400, /longer than the maximum/);
    expectError(await send("POST", "/counter/delays/add?delay=1s", JSON_TYPE, "1"), 400, /only allowed on a one-way send/);
    const accepted = await send("POST", "/counter/delays/add/send?delay=P36500D", JSON_TYPE, "1");
    expect(accepted.status).toBe(202);
    expect(new Date(accepted.body.executionTime).getUTCFullYear()).toBeGreaterThan(2100);
    // Restate's spellings (humantime's, and the parameter's name in any case) are delays too.
    for (const [query, ms] of [["delay=60sec", 60_000], ["delay=60+sec", 60_000], ["delay=2%20hours%205%20min", 7_500_000], ["DELAY=1s", 1_000], ["Delay=PT1M", 60_000]] as const) {
      const before = Date.now();
      const scheduled = await send("POST", `/counter/delays/add/send?${query}`, JSON_TYPE, "1");
      expect(scheduled.status, `${query}: ${scheduled.text}`).toBe(202);
      expect(Date.parse(scheduled.body.executionTime) - before, query).toBeGreaterThanOrEqual(ms - 1_000);
      expect(Date.parse(scheduled.body.executionTime) - before, query).toBeLessThan(ms + 60_000);
    }
    expectError(await send("POST", "/counter/delays/add?DELAY=1s", JSON_TYPE, "1"), 400, /only allowed on a one-way send/);
    // The key is not blocked by the invocation scheduled a century out.
    expect((await send("POST", "/counter/delays/add/send?delay=0ms", JSON_TYPE, "1")).status).toBe(202);
    await eventually(async () => (await count("delays")) === 1);
  });

  test("a sleep the input makes absurd (1e300 ms) fails once, terminally, and the key's lock is released", async () => {
    const answer = await send("POST", "/counter/sleepy/sleepThenAdd", JSON_TYPE, "1e300");
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body).toMatchObject({ code: 400, source: "invocation", message: expect.stringMatching(/cannot be used: it is longer than the maximum/) });
    expect((await send("POST", "/counter/sleepy/sleepThenAdd", JSON_TYPE, "-5")).body).toBe(1);
    expect((await send("POST", "/counter/sleepy/add", JSON_TYPE, "1")).body).toBe(2);
  });

  test("content types: only the handler's media type, compared as type/subtype exactly", async () => {
    for (const type of ["text/plain", "application/jsonx", "application/json/x", "application/json+x", "*/*", "application/*", "json", "/"]) {
      expectError(await send("POST", "/counter/types/add", { "content-type": type }, "1"), 400, /^input validation error: Content-type/);
    }
    expectError(await send("POST", "/counter/types/add", {}, "1"), 400, /^input validation error: Empty content-type/);
    for (const type of ["application/json", "APPLICATION/JSON", "application/json; charset=utf-8", " application/json ;x=y"]) {
      expect((await send("POST", "/counter/types/add", { "content-type": type }, "1")).status, type).toBe(200);
    }
    expect(await count("types")).toBe(4);
  });

  test("idempotency keys: same key and target returns the first answer even for another body; other targets are separate", async () => {
    const key = { ...JSON_TYPE, "idempotency-key": "hostile-idem" };
    const first = await send("POST", "/counter/idem-a/add", key, "10");
    expect(first.body).toBe(10);
    expect(first.headers["idempotency-expires"]).toBeDefined();
    const other = await send("POST", "/counter/idem-a/add", key, "999");
    expect(other.body).toBe(10);
    expect(other.headers["x-restate-id"]).toBe(first.headers["x-restate-id"]);
    const sent = await send("POST", "/counter/idem-a/add/send", key, "999");
    expect(sent.body).toEqual({ invocationId: first.headers["x-restate-id"], status: "PreviouslyAccepted" });
    // Another key, another handler, another service: each its own invocation.
    expect((await send("POST", "/counter/idem-b/add", key, "1")).body).toBe(1);
    const shared = await send("POST", "/counter/idem-a/get", key);
    expect(shared.body).toBe(10);
    expect(shared.headers["x-restate-id"]).not.toBe(first.headers["x-restate-id"]);
    expect((await send("POST", "/tally/idem-a/add", key, "4")).body).toBe(4);
    expect(await count("idem-a")).toBe(10);
    // The key's own bounds.
    expectError(await send("POST", "/counter/idem-a/add", { ...JSON_TYPE, "idempotency-key": "k".repeat(1025) }, "1"), 400, /idempotency-key has 1025 bytes/);
    expect((await send("POST", "/counter/idem-a/add", { ...JSON_TYPE, "idempotency-key": "k".repeat(1024) }, "1")).body).toBe(11);
  });

  test("headers: 64 pass, 65 or over 32 KiB are 431; credentials never reach the handler", async () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, "v"]));
    // content-type counts as one of the forwarded headers.
    expect((await send("POST", "/counter/hdr/add", { ...JSON_TYPE, ...many(63) }, "1")).status).toBe(200);
    expectError(await send("POST", "/counter/hdr/add", { ...JSON_TYPE, ...many(64) }, "1"), 431, /headers, more than the limit of 64/);
    expectError(await send("POST", "/counter/hdr/add", { ...JSON_TYPE, "x-big": "v".repeat(33 * 1024) }, "1"), 431, /bytes of headers/);
    const echoed = await send("POST", "/steps/echoHeader", { ...JSON_TYPE, "x-trace": "t", authorization: "Bearer test-token", cookie: "a=b" });
    expect(echoed.body).toBe("t");
    const described = await admin(rt, `invocations/${echoed.headers["x-restate-id"]}`);
    expect(JSON.stringify(described.body)).not.toContain("test-token");
    expect(await count("hdr")).toBe(1);
  });

  test("a chunked body that never ends holds only its own request: the key answers meanwhile, and one over the limit is refused before its end", async () => {
    const stalled = httpRequest({ host: "127.0.0.1", port: Number(rt.url.port), method: "POST", path: "/counter/stall/add", headers: { ...JSON_TYPE, "transfer-encoding": "chunked" } });
    stalled.on("error", () => {});
    stalled.write("1");
    try {
      expect((await send("POST", "/counter/stall/add", JSON_TYPE, "2")).body).toBe(2);
      expect(await count("stall")).toBe(2);
    } finally {
      stalled.destroy();
    }
    // Over the fixture's 64 KiB limit: refused while the client is still sending, never read to the end.
    const status = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no answer to an endless body over the limit")), 15_000);
      const req = httpRequest({ host: "127.0.0.1", port: Number(rt.url.port), method: "POST", path: "/counter/stall/add", headers: { ...JSON_TYPE, "transfer-encoding": "chunked" } }, (res) => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", () => {});
      const chunk = "1".repeat(16 * 1024);
      let written = 0;
      const pump = () => {
        if (written >= 100 || req.destroyed) return;
        written++;
        req.write(chunk, () => setTimeout(pump, 5));
      };
      pump();
    });
    expect(status).toBe(413);
    expect(await count("stall")).toBe(2);
  });
});

describe("hostile: admin bodies and error messages", () => {
  test("a state replacement naming `__proto__` is stored as a state name like any other, not a 500", async () => {
    const answer = await send("POST", "/restate/admin/services/counter/state", { ...TOKEN, ...JSON_TYPE }, '{"object_key":"proto","new_state":{"__proto__":[49],"count":[52]}}');
    expect(answer.status, answer.text).toBe(202);
    expect(await count("proto")).toBe(4);
    const state = (await admin(rt, "objects/counter/proto/state")).body.state as { key: string }[];
    expect(state.map((s) => s.key).sort()).toEqual(["__proto__", "count"]);
    expect((await rt.post("/counter/proto/keys")).body.sort()).toEqual(["__proto__", "count"]);
  });

  test("admin routes refuse an object key the ingress refuses (over 1 KiB): 400, no object made for it", async () => {
    const long = encodeURIComponent("k".repeat(1025));
    expectError(await send("GET", `/restate/admin/objects/counter/${long}/state`, TOKEN), 400, /object key .* has 1025 bytes, more than the limit of 1024/);
    expectError(await send("GET", `/restate/admin/objects/counter/${long}/invocations`, TOKEN), 400, /has 1025 bytes/);
    expectError(await send("POST", `/restate/admin/objects/counter/${long}/query`, { ...TOKEN, ...JSON_TYPE }, '{"query":"SELECT 1"}'), 400, /has 1025 bytes/);
    const replace = JSON.stringify({ object_key: "k".repeat(1025), new_state: { count: [49] } });
    expectError(await send("POST", "/restate/admin/services/counter/state", { ...TOKEN, ...JSON_TYPE }, replace), 400, /has 1025 bytes/);
    // Exactly 1 KiB is a key like any other.
    expect((await send("GET", `/restate/admin/objects/counter/${encodeURIComponent("k".repeat(1024))}/state`, TOKEN)).status).toBe(200);
  });

  test("workflow routes on a non-workflow say what it is in plain words", async () => {
    expectError(await send("GET", "/restate/workflow/counter/x/output"), 404, /^'counter' is a virtual object, not a workflow$/);
    expectError(await send("GET", "/restate/workflow/steps/x/attach"), 404, /^'steps' is a service, not a workflow$/);
  });

  test("a listing's bad limit names the value once quoted", async () => {
    expectError(await send("GET", "/restate/admin/objects/counter/k/invocations?limit=0", TOKEN), 400, /^'limit' must be a whole number from 1 to 1000, not '0'$/);
  });
});
