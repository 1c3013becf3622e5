/**
 * Issue #13: Restate's own CLI (the `restate` binary of npm's @restatedev/restate
 * 1.7) against Resolute's admin API on the real runtime, with RESTATE_ADMIN_URL
 * pointing at the Worker's /restate/admin and RESTATE_AUTH_TOKEN set: the
 * commands an operator starts with give the answers they give against Restate.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { WorkerdRuntime, eventually, useRuntimeWithProbe } from "../support/runtime.js";
import { restateAliasOf } from "../../src/engine/restate-id.js";

const ENTRY = "test/worker/fixtures/worker.ts";
const RESTATE = resolve("node_modules/.bin/restate");
let rt: WorkerdRuntime;
useRuntimeWithProbe(ENTRY, (r) => (rt = r));
const home = mkdtempSync(join(tmpdir(), "restate-cli-home-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Runs the real binary; resolves with its exit code and output (never throws). */
function restate(...args: string[]): Promise<{ code: number; out: string }> {
  const env = { PATH: process.env.PATH ?? "", HOME: home, RESTATE_ADMIN_URL: new URL("/restate/admin", rt.url).href, RESTATE_AUTH_TOKEN: "test-token", NO_COLOR: "1", TERM: "dumb", COLUMNS: "300" };
  return new Promise((done) => {
    execFile(RESTATE, args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

const sleeping = async (key: string) => (await rt.post(`/counter/${key}/sleepThenAdd/send`, 3_600_000)).body.invocationId as string;

/** Waits until `invocations list …filters` shows the invocation; its id as the CLI shows it (a Restate-format alias). */
async function listed(id: string, ...filters: string[]): Promise<string> {
  const alias = await restateAliasOf(id);
  await eventually(async () => (await restate("invocations", "list", ...filters)).out.includes(alias));
  return alias;
}

/** The id `invocations list` shows for the invocation of target `target` (an output block starts with `❯ [created] id`). */
function idListedFor(out: string, target: string): string | undefined {
  const block = out.split("❯").find((b) => new RegExp(`Target:\\s+${target}\\s`).test(b));
  return /\] (inv_\S+)/.exec(block ?? "")?.[1];
}

if (!existsSync(RESTATE)) console.warn(`Restate CLI tests SKIPPED: no ${RESTATE} (npm install adds @restatedev/restate)`);

describe.skipIf(!existsSync(RESTATE))("restate (the Restate CLI) against Resolute", () => {
  test("services list and describe", async () => {
    const list = await restate("services", "list");
    expect(list.code, list.out).toBe(0);
    expect(list.out).toMatch(/counter\s+1\s+virtual object/);
    expect(list.out).toMatch(/approval\s+1\s+workflow/);
    const describe = await restate("services", "describe", "counter");
    expect(describe.code, describe.out).toBe(0);
    expect(describe.out).toMatch(/Service type:\s+VirtualObject/);
    expect(describe.out).toMatch(/sleepThenAdd/);
  });

  test("deployments list shows this Worker as the one deployment", async () => {
    const list = await restate("deployments", "list");
    expect(list.code, list.out).toBe(0);
    expect(list.out).toContain("dp_10000000000000resolute0");
    expect(list.out).toContain("- counter [1]");
  });

  test("invocations list across keys, by status and by service, with ids in Restate's format", async () => {
    const a = await sleeping("cli-list-a");
    const b = await sleeping("cli-list-b");
    await rt.post("/counter/cli-list-c/add", 1);
    const [aliasA, aliasB] = [await restateAliasOf(a), await restateAliasOf(b)];
    const listed = await eventually(async () => {
      const out = (await restate("invocations", "list")).out;
      return out.includes(aliasA) && out.includes(aliasB) ? out : undefined;
    });
    expect(listed).not.toContain(a); // Resolute's own ids are not Restate's format: the CLI is shown aliases
    expect(listed).toMatch(/Target:\s+counter\/cli-list-a\/sleepThenAdd/);
    expect(listed).toMatch(/Status:\s+suspended/);
    expect(listed).toMatch(/Showing \d+\/\d+ invocations/);
    const suspended = await restate("invocations", "list", "--status", "suspended", "--service", "counter");
    expect(suspended.code, suspended.out).toBe(0);
    expect(suspended.out).toContain(aliasA);
    const completed = await restate("invocations", "list", "--status", "completed");
    expect(completed.out).not.toContain(aliasA);
  });

  test("issue #13: invocations describe prints a completed invocation's journal", async () => {
    const booked = await rt.post("/steps/saga", { id: "cli-describe-done", decline: false });
    expect(booked.body).toBe("booked");
    const alias = await listed(booked.headers.get("x-restate-id")!, "--service", "steps", "--status", "completed");
    const described = await restate("invocations", "describe", alias);
    expect(described.code, described.out).toBe(0);
    expect(described.out).toMatch(/Target:\s+steps\/saga/);
    expect(described.out).toMatch(/Status:\s+completed with success/);
    expect(described.out).toMatch(/#0 \[[^\]]+\] run \[book\]/);
    expect(described.out).toMatch(/#1 \[[^\]]+\] run \[charge\]/);
    expect(described.out).toMatch(/└────>> completed/);
  });

  test("issue #13: invocations describe prints what a suspended invocation waits on", async () => {
    const alias = await listed(await sleeping("cli-describe"), "--status", "suspended");
    const described = await restate("invocations", "describe", alias);
    expect(described.code, described.out).toBe(0);
    expect(described.out).toMatch(/Target:\s+counter\/cli-describe\/sleepThenAdd/);
    expect(described.out).toMatch(/Status:\s+suspended/);
    expect(described.out).toMatch(/#0 \[[^\]]+\] sleep until \S+ \S+ \S+ \([^)]+ left\)/);
    expect(described.out).toMatch(/└────>> suspended/);
  });

  test("issue #13: invocations cancel, kill and purge with the ids the CLI lists", async () => {
    const cancelled = await sleeping("cli-cancel");
    const killed = await sleeping("cli-kill");
    const out = await eventually(async () => {
      const list = (await restate("invocations", "list", "--status", "suspended")).out;
      return idListedFor(list, "counter/cli-cancel/sleepThenAdd") && idListedFor(list, "counter/cli-kill/sleepThenAdd") ? list : undefined;
    });
    const [toCancel, toKill] = [idListedFor(out, "counter/cli-cancel/sleepThenAdd")!, idListedFor(out, "counter/cli-kill/sleepThenAdd")!];
    const cancel = await restate("invocations", "cancel", toCancel, "--yes");
    expect(cancel.out).toContain("Cancelled 1 invocations");
    const kill = await restate("invocations", "kill", toKill, "--yes");
    expect(kill.out).toContain("Killed 1 invocations");
    const purge = await restate("invocations", "purge", toKill, "--yes");
    expect(purge.out).toContain("Purged 1 invocations");
    expect((await rt.get(`/restate/invocation/${killed}/output`)).status).toBe(404);
    await eventually(async () => (await rt.get(`/restate/invocation/${cancelled}/output`)).status === 409);
  });

  test("invocations cancel also takes Resolute's own id (the x-restate-id header)", async () => {
    const id = await sleeping("cli-cancel-own");
    const cancel = await restate("invocations", "cancel", id, "--yes");
    expect(cancel.out).toContain("Cancelled 1 invocations");
    await eventually(async () => (await rt.get(`/restate/invocation/${id}/output`)).status === 409);
  });

  test("state get", async () => {
    await rt.post("/counter/cli-state/add", 41);
    const state = await restate("state", "get", "counter", "cli-state");
    expect(state.code, state.out).toBe(0);
    expect(state.out).toMatch(/count\s+41/);
  });

  test("sql over sys_invocation, answered as an Arrow stream", async () => {
    await rt.post("/counter/cli-sql/add", 1);
    const answer = await eventually(async () => {
      const r = await restate("sql", "SELECT target, status, retry_count FROM sys_invocation WHERE target_service_key = 'cli-sql'");
      return r.out.includes("counter/cli-sql/add") ? r : undefined;
    });
    expect(answer.code, answer.out).toBe(0);
    expect(answer.out).toMatch(/counter\/cli-sql\/add\s+completed\s+0/);
    expect(answer.out).toContain("1 rows");
  });
});
