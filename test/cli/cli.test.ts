/**
 * The `resolute` CLI against the real runtime: listing, describing, state,
 * cancel/kill/resume, and its errors (exit codes and messages).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { runCli } from "../../cli/cli.js";
import { runCliAgainst } from "../support/cli-runner.js";
import { WorkerdRuntime, admin, eventually, useRuntimeWithProbe } from "../support/runtime.js";

const ENTRY = "test/worker/fixtures/worker.ts";
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r) => (rt = r));

/** Runs the CLI in-process against the test runtime (token from the environment, as a user would). */
const cli = (...argv: string[]) => runCliAgainst(rt, argv);

/** Invokes and returns the invocation id the ingress answered with. */
async function invoke(path: string, body: unknown): Promise<string> {
  const res = await rt.post(path, body);
  expect(res.status).toBeLessThan(300);
  return res.headers.get("x-restate-id") ?? res.body.invocationId;
}

describe("services", () => {
  test("list shows every service with its kind, handlers and documentation", async () => {
    const { code, out } = await cli("services", "list");
    expect(code).toBe(0);
    const counterLine = out.split("\n").find((line) => line.startsWith("counter "));
    expect(counterLine).toMatch(/^counter\s+object\s+add, sleepThenAdd, holdThenAdd, spinThenAdd, get, keys, reset\s+A count per key$/);
    expect(out.split("\n")[0]).toMatch(/^NAME\s+TYPE\s+HANDLERS\s+DOCUMENTATION$/);
  });

  test("--json prints the admin API's answer", async () => {
    const { code, out } = await cli("services", "ls", "--json");
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { services: { name: string }[] };
    expect(parsed.services.map((s) => s.name)).toContain("counter");
  });

  test("describe shows a service's handlers, their kind and visibility", async () => {
    const { code, out } = await cli("services", "describe", "counter");
    expect(code).toBe(0);
    expect(out).toContain("documentation:  A count per key");
    expect(out).toMatch(/\nget\s+shared\s+yes\s+\S.*The current count/);
    expect(out).toMatch(/\nadd\s+exclusive\s+yes/);
  });

  test("describe of an unknown service names the known ones", async () => {
    const { code, err } = await cli("services", "describe", "nope");
    expect(code).toBe(1);
    expect(err).toContain("no service 'nope'");
    expect(err).toContain("counter");
  });
});

describe("invocations and state", () => {
  test("state, the list of a key's invocations and one invocation's journal", async () => {
    const first = await invoke("/counter/cli-k/add", 5);
    await invoke("/counter/cli-k/add", 2);

    const state = await cli("state", "get", "counter", "cli-k");
    expect(state.code).toBe(0);
    expect(state.out).toMatch(/\ncount\s+7\s+1$/);

    const list = await cli("invocations", "list", "--service", "counter", "--key", "cli-k");
    expect(list.code).toBe(0);
    const rows = list.out.split("\n").slice(1);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/counter\/cli-k\/add\s+completed\s+0\s/);
    expect(list.out).toContain(first);

    const described = await cli("invocations", "describe", first);
    expect(described.code).toBe(0);
    expect(described.out).toMatch(new RegExp(`^id:\\s+${first}$`, "m"));
    expect(described.out).toMatch(/status:\s+completed/);
    expect(described.out).toMatch(/completion_result:\s+success/);
    expect(described.out).toContain("journal (2 entries):");
    expect(described.out).toMatch(/\n0\s+getState\s+count\s+yes/);
    expect(described.out).toMatch(/\n1\s+setState\s+count\s+yes/);
  });

  test("list filters by status and says when nothing matches", async () => {
    await invoke("/counter/cli-s/add", 1);
    const running = await cli("invocations", "list", "--service", "counter", "--key", "cli-s", "--status", "running");
    expect(running).toMatchObject({ code: 0, out: "no invocations of counter/cli-s with status running" });
    const completed = await cli("invocations", "list", "--service", "counter", "--key", "cli-s", "--status", "completed");
    expect(completed.out.split("\n")).toHaveLength(2);
  });

  test("list --key honours --handler and --limit as the deployment's listing does", async () => {
    await invoke("/counter/cli-f/add", 1);
    await invoke("/counter/cli-f/add", 2);
    await invoke("/counter/cli-f/get", null);
    const key = ["invocations", "list", "--service", "counter", "--key", "cli-f"];
    const rowsOf = (out: string) => out.split("\n").slice(1);
    expect(rowsOf((await cli(...key)).out)).toHaveLength(3);
    const gets = rowsOf((await cli(...key, "--handler", "get")).out);
    expect(gets).toHaveLength(1);
    expect(gets[0]).toMatch(/counter\/cli-f\/get\s+completed/);
    expect(rowsOf((await cli(...key, "--handler", "add", "--limit", "5")).out).every((row) => /counter\/cli-f\/add\s/.test(row))).toBe(true);
    expect(rowsOf((await cli(...key, "--limit", "1")).out)).toHaveLength(1);
    expect((await cli(...key, "--handler", "reset")).out).toBe("no invocations of counter/cli-f by handler reset");
  });

  test("an option a command does not take is refused, never ignored", async () => {
    for (const [argv, message] of [
      [["services", "list", "--key", "k"], "'services list' does not take --key: it takes no options but --url, --token and --json"],
      [["sql", "--status", "completed", "SELECT 1"], "'sql' does not take --status: it takes --service, --key"],
      [["invocations", "describe", "inv_x", "--limit", "3"], "'invocations describe' does not take --limit"],
      [["invocations", "list", "--from", "2"], "'invocations list' does not take --from"],
      [["limits", "show", "counter", "--rate", "1/1s"], "'limits show' does not take --rate: it takes --key"],
      [["invocations", "list", "--limit", "0"], "--limit takes a whole number from 1 to 1000, not '0'"],
      [["invocations", "list", "--service", "counter", "--key", "k", "--limit", "5000"], "--limit takes a whole number from 1 to 1000, not '5000'"],
    ] as const) {
      const run = await cli(...argv);
      expect(run.code, argv.join(" ")).toBe(2);
      expect(run.err, argv.join(" ")).toContain(message);
    }
    // Every option some command takes is parsed, and refused by one that takes none.
    for (const flag of ["service", "key", "status", "handler", "limit", "from", "concurrency", "rate", "description"]) {
      const run = await cli("state", "get", "counter", "k", `--${flag}`, "x");
      expect(run.code, flag).toBe(2);
      expect(run.err, flag).toContain(`'state get' does not take --${flag}: it takes no options`);
    }
  });

  test("issue #13: list without --key reads the whole deployment's invocations from the index", async () => {
    const ids = [await invoke("/counter/cli-all-1/add", 1), await invoke("/counter/cli-all-2/add", 1)];
    const sleeping = await invoke("/counter/cli-all-3/sleepThenAdd/send", 3_600_000);
    const listed = await eventually(async () => {
      const { out } = await cli("invocations", "list", "--service", "counter", "--limit", "500");
      return [...ids, sleeping].every((id) => out.includes(id)) ? out : undefined;
    });
    expect(listed.split("\n")[0]).toMatch(/^ID\s+TARGET\s+STATUS\s+RETRY_COUNT\s+CREATED_AT\s+COMPLETED_AT$/);
    expect(listed).toMatch(/counter\/cli-all-1\/add\s+completed\s+0\s/);
    const suspended = await cli("invocations", "list", "--status", "suspended", "--handler", "sleepThenAdd");
    expect(suspended.out).toContain(sleeping);
    expect(suspended.out).not.toContain(ids[0]);
    expect((await cli("invocations", "list", "--service", "nope")).out).toBe("no invocations of nope");
    await rt.fetch(`/restate/admin/invocations/${sleeping}/kill`, { method: "PATCH", headers: { authorization: "Bearer test-token" } });
  });

  test("sql without --service and --key runs across the deployment", async () => {
    const id = await invoke("/counter/cli-all-sql/add", 4);
    const answer = await cli("sql", `SELECT target, status FROM sys_invocation WHERE id = '${id}'`);
    expect(answer.out).toMatch(/^TARGET\s+STATUS\ncounter\/cli-all-sql\/add\s+completed\n1 row$/);
    expect((await cli("sql", "SELECT key FROM state WHERE service_name = 'counter' AND service_key = 'cli-all-sql'")).out).toMatch(/^KEY\ncount\n1 row$/);
  });

  test("an empty state says so", async () => {
    expect(await cli("state", "get", "counter", "never-used")).toMatchObject({ code: 0, out: "no state for counter/never-used" });
  });
});

describe("control", () => {
  test("cancel makes a sleeping invocation fail with 409 cancelled", async () => {
    const id = await invoke("/counter/cli-c/sleepThenAdd/send", 3_600_000);
    await eventually(async () => (await admin(rt, `invocations/${id}`)).body?.status === "suspended");
    const { code, out } = await cli("invocations", "cancel", id);
    expect({ code, out }).toEqual({ code: 0, out: `cancellation requested for ${id}` });
    const attached = await rt.get(`/restate/invocation/${id}/attach`);
    expect(attached.status).toBe(409);
  });

  test("kill stops an invocation; a second kill is refused with 409", async () => {
    const id = await invoke("/counter/cli-kill/sleepThenAdd/send", 3_600_000);
    expect(await cli("invocations", "kill", id)).toMatchObject({ code: 0, out: `killed ${id}` });
    expect((await rt.get(`/restate/invocation/${id}/attach`)).body.message).toContain("killed");
    const again = await cli("invocations", "kill", id);
    expect(again.code).toBe(1);
    expect(again.err).toContain("answered 409");
    expect(again.err).toContain("already completed");
  });

  test("each action is a PATCH of its own admin path", async () => {
    const sent: string[] = [];
    const recording: typeof fetch = async (input, init) => {
      sent.push(`${init?.method} ${new URL(String(input)).pathname}`);
      return new Response(JSON.stringify({ ok: true }), { status: 202 });
    };
    for (const action of ["cancel", "kill", "pause", "resume", "purge"]) {
      const code = await runCli(["invocations", action, "inv_x"], { env: { RESOLUTE_ADMIN_TOKEN: "t" }, out: () => {}, err: () => {}, fetch: recording });
      expect(code).toBe(0);
    }
    expect(sent).toEqual(["cancel", "kill", "pause", "resume", "purge"].map((action) => `PATCH /restate/admin/invocations/inv_x/${action}`));
  });

  test("resume restarts a paused invocation", async () => {
    const id = await invoke("/steps/pauseThenResume/send", "cli-p");
    await eventually(async () => (await admin(rt, `invocations/${id}`)).body?.status === "paused");
    expect(await cli("invocations", "resume", id)).toMatchObject({ code: 0, out: `resumed ${id}` });
    expect(await rt.get(`/restate/invocation/${id}/attach`)).toMatchObject({ status: 200, body: 3 });
  });
});

describe("purge", () => {
  test("frees a completed call's idempotency key: the same request runs again", async () => {
    const key = { "idempotency-key": "cli-purge-1" };
    const first = await rt.post("/counter/cli-pu/add", 1, key);
    expect(first.body).toBe(1);
    expect((await rt.post("/counter/cli-pu/add", 1, key)).body).toBe(1); // the stored answer
    const id = first.headers.get("x-restate-id")!;
    expect(await cli("invocations", "purge", id)).toMatchObject({ code: 0, out: `purged ${id}` });
    expect((await cli("invocations", "describe", id)).err).toContain("answered 404");
    expect((await rt.post("/counter/cli-pu/add", 1, key)).body).toBe(2); // executed anew
  });

  test("refuses an invocation still running (409) and an unknown one (404)", async () => {
    const id = await invoke("/counter/cli-pr/sleepThenAdd/send", 3_600_000);
    const running = await cli("invocations", "purge", id);
    expect(running.code).toBe(1);
    expect(running.err).toContain("answered 409");
    expect(running.err).toContain("not completed");
    await cli("invocations", "kill", id);
    const unknown = await cli("invocations", "purge", id.replace(/\.[^.]+$/, ".nope"));
    expect(unknown.err).toContain("answered 404");
    expect((await cli("invocations", "purge", id)).code).toBe(0); // killed = completed
  });

  test("a purged workflow loses its state and promises, and its id can run again", async () => {
    await rt.post("/approval/cli-wf/run/send", { title: "T" });
    await eventually(async () => (await rt.post("/approval/cli-wf/stage")).body === "waiting");
    await rt.post("/approval/cli-wf/decide", "yes");
    const done = await rt.get("/restate/workflow/approval/cli-wf/attach");
    expect(done.body).toBe("T: yes");
    expect((await rt.post("/approval/cli-wf/run/send", { title: "again" })).body.status).toBe("PreviouslyAccepted");
    const id = done.headers.get("x-restate-id")!;
    expect((await cli("invocations", "purge", id)).code).toBe(0);
    expect((await rt.get("/restate/workflow/approval/cli-wf/output")).status).toBe(404);
    expect((await rt.post("/approval/cli-wf/stage")).body).toBeNull();
    expect((await rt.post("/approval/cli-wf/peek")).body).toBeNull();
    expect((await rt.post("/approval/cli-wf/run/send", { title: "again" })).body.status).toBe("Accepted");
    await eventually(async () => (await rt.post("/approval/cli-wf/stage")).body === "waiting");
  });
});

describe("restart-as-new", () => {
  test("runs a completed invocation again; --from replays the copied journal prefix", async () => {
    const first = await invoke("/counter/cli-rn/add", 5); // journal: getState (null), setState
    await invoke("/counter/cli-rn/add", 2); // count 7

    const again = await cli("invocations", "restart-as-new", first);
    expect(again.code).toBe(0);
    const newId = /as (\S+)$/.exec(again.out)![1]!;
    expect(newId).not.toBe(first);
    // A fresh run reads the current count: 7 + 5.
    expect(await rt.get(`/restate/invocation/${newId}/attach`)).toMatchObject({ status: 200, body: 12 });

    const replayed = await cli("invocations", "restart-as-new", first, "--from", "1");
    const replayedId = /as (\S+)$/.exec(replayed.out)![1]!;
    // Its getState is the copied entry: it replays the first run's "no count yet", so 0 + 5.
    expect(await rt.get(`/restate/invocation/${replayedId}/attach`)).toMatchObject({ status: 200, body: 5 });
    expect((await admin(rt, `invocations/${replayedId}`)).body).toMatchObject({ invoked_by: "restart-as-new", target: "counter/cli-rn/add" });
  });

  test("refuses what cannot be restarted", async () => {
    const id = await invoke("/counter/cli-rr/sleepThenAdd/send", 3_600_000);
    expect((await cli("invocations", "restart-as-new", id)).err).toContain("answered 409");
    await cli("invocations", "kill", id);
    const done = await invoke("/counter/cli-rr/add", 1);
    expect((await cli("invocations", "restart-as-new", done, "--from", "9")).err).toContain("the journal has 2 entries");
    expect((await cli("invocations", "restart-as-new", done, "--from", "x")).code).toBe(2);
    await rt.post("/approval/cli-rw/run/send", { title: "T" });
    await eventually(async () => (await rt.post("/approval/cli-rw/stage")).body === "waiting");
    await rt.post("/approval/cli-rw/decide", "no");
    const wf = (await rt.get("/restate/workflow/approval/cli-rw/attach")).headers.get("x-restate-id")!;
    expect((await cli("invocations", "restart-as-new", wf)).err).toContain("a workflow cannot be restarted");
  });
});

describe("state editing", () => {
  test("set replaces an object's state, which its handlers then read; clear removes it", async () => {
    await invoke("/counter/cli-st/add", 3);
    expect(await cli("state", "set", "counter", "cli-st", '{"count": 10, "note": "by hand"}')).toMatchObject({ code: 0, out: "state of counter/cli-st replaced (2 entries)" });
    expect((await rt.post("/counter/cli-st/add", 1)).body).toBe(11);
    expect((await rt.post("/counter/cli-st/keys")).body).toEqual(["count", "note"]);
    expect(await cli("state", "clear", "counter", "cli-st")).toMatchObject({ code: 0, out: "state of counter/cli-st cleared" });
    expect((await rt.post("/counter/cli-st/get")).body).toBe(0);
  });

  test("refused while an exclusive handler holds the key, allowed once it is done", async () => {
    const id = await invoke("/counter/cli-busy/sleepThenAdd/send", 3_600_000);
    await eventually(async () => (await admin(rt, `invocations/${id}`)).body?.status === "suspended");
    const busy = await cli("state", "set", "counter", "cli-busy", '{"count": 5}');
    expect(busy.code).toBe(1);
    expect(busy.err).toContain("answered 409");
    expect(busy.err).toContain(id);
    await cli("invocations", "kill", id);
    expect((await cli("state", "set", "counter", "cli-busy", '{"count": 5}')).code).toBe(0);
    expect((await rt.post("/counter/cli-busy/get")).body).toBe(5);
  });

  test("a workflow's state only once its run is done", async () => {
    await rt.post("/approval/cli-ws/run/send", { title: "T" });
    await eventually(async () => (await rt.post("/approval/cli-ws/stage")).body === "waiting");
    expect((await cli("state", "set", "approval", "cli-ws", '{"stage": "edited"}')).err).toContain("answered 409");
    await rt.post("/approval/cli-ws/decide", "yes");
    await rt.get("/restate/workflow/approval/cli-ws/attach");
    expect((await cli("state", "set", "approval", "cli-ws", '{"stage": "edited"}')).code).toBe(0);
    expect((await rt.post("/approval/cli-ws/stage")).body).toBe("edited");
  });

  test("bad input: not a JSON object, a stateless service, a malformed admin body", async () => {
    expect((await cli("state", "set", "counter", "k", "[1, 2]")).code).toBe(2);
    expect((await cli("state", "set", "counter", "k", "{oops")).code).toBe(2);
    expect((await cli("state", "clear", "steps", "0")).err).toContain("stateless service");
    const post = (body: string) => rt.fetch("/restate/admin/services/counter/state", { method: "POST", headers: { authorization: "Bearer test-token" }, body });
    expect((await post('{"object_key": "k", "new_state": {"count": [300]}}')).status).toBe(400);
    expect((await post('{"new_state": {}}')).status).toBe(400);
    expect((await post("nope")).status).toBe(400);
  });
});

describe("errors", () => {
  test("a wrong token is refused by the Worker (exit 1, its message)", async () => {
    const { code, err } = await cli("services", "list", "--token", "wrong");
    expect(code).toBe(1);
    expect(err).toContain("answered 401");
    expect(err).toContain("missing or wrong admin token");
  });

  test("no token at all is caught before any request", async () => {
    let err = "";
    const code = await runCli(["services", "list"], { env: { RESOLUTE_ADMIN_URL: rt.url.origin }, out: () => {}, err: (t) => (err += t), fetch: () => Promise.reject(new Error("must not be called")) });
    expect(code).toBe(1);
    expect(err).toContain("no admin token");
  });

  test("an unreachable Worker is named with the address tried", async () => {
    const { code, err } = await cli("services", "list", "--url", "http://127.0.0.1:9");
    expect(code).toBe(1);
    expect(err).toContain("cannot reach http://127.0.0.1:9/restate/admin/services");
  });

  test("usage errors exit 2 with the usage text", async () => {
    for (const argv of [["frobnicate"], ["invocations", "describe"], ["invocations", "list", "--key", "k"], ["invocations", "list", "--limit", "x"], ["state", "get", "counter"], ["sql", "--key", "k", "SELECT 1"]]) {
      const { code, err } = await cli(...argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(err, argv.join(" ")).toContain("Usage: resolute <command>");
    }
  });

  test("an unknown invocation id is a 404 from the Worker; a malformed one a 400", async () => {
    const { code, err } = await cli("invocations", "describe", "inv_1bzpjb3VudGVyOm5vYm9keQ.x");
    expect(code).toBe(1);
    expect(err).toContain("answered 404");
    const malformed = await cli("invocations", "describe", "inv_nope");
    expect(malformed.code).toBe(1);
    expect(malformed.err).toContain("answered 400");
  });
});

test("npm run resolute runs the CLI from its entry point", async () => {
  const run = promisify(execFile);
  const { stdout } = await run("node", ["--import", "tsx", "cli/main.ts", "services", "list", "--url", rt.url.origin, "--token", "test-token"]);
  expect(stdout).toMatch(/\ncounter\s+object/);
});
