/**
 * The role-updater saga on the real runtime (workerd): all systems updated on
 * success; on a refusal every applied change is rolled back in reverse order
 * and the refusal's code is the HTTP status; a crash mid-saga resumes without
 * repeating finished steps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime } from "../support/runtime.js";
import { Probe } from "../support/probe.js";

describe("examples: role updater (examples/main.ts)", () => {
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    rt = await WorkerdRuntime.start({ entry: "examples/main.ts" });
  });
  afterAll(() => rt?.dispose());

  it("applies the role and every permission", async () => {
    const update = { role: "editor", permissions: [{ system: "crm", permission: "write" }, { system: "billing", permission: "read" }] };
    const res = await rt.post("/roleUpdater/alice/update", update);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ identity: "editor", crm: "write", billing: "read" });
    expect((await rt.post("/roleUpdater/alice/get")).body).toEqual({ identity: "editor", crm: "write", billing: "read" });
  });

  it("rolls back every applied change when a system refuses, and answers with the refusal's status", async () => {
    const initial = { role: "viewer", permissions: [{ system: "crm", permission: "read" }] };
    expect((await rt.post("/roleUpdater/bob/update", initial)).status).toBe(200);
    const before = (await rt.post("/roleUpdater/bob/get")).body;
    expect(before).toEqual({ identity: "viewer", crm: "read" });

    const res = await rt.post("/roleUpdater/bob/update", {
      role: "admin",
      permissions: [
        { system: "crm", permission: "write" },
        { system: "billing", permission: "write" },
        { system: "legacy", permission: "admin" },
        { system: "wiki", permission: "write" },
      ],
    });
    expect(res.status).toBe(409);
    expect(res.headers.get("x-restate-error-source")).toBe("invocation");
    expect(res.body).toMatchObject({ code: 409, message: expect.stringContaining("system 'legacy' refused 'admin'") });
    // identity and crm restored, billing (new) removed, wiki never touched.
    expect((await rt.post("/roleUpdater/bob/get")).body).toEqual(before);
  });

  it("rejects malformed input with 400 before running anything", async () => {
    const res = await rt.post("/roleUpdater/dave/update", { role: "x", permissions: [{ system: "identity", permission: "y" }] });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("'identity' holds the role");
    expect((await rt.post("/roleUpdater/dave/get")).body).toEqual({});
  });
});

describe("examples: role updater survives a crash mid-saga", () => {
  let probe: Probe;
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    probe = await Probe.start();
    rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/examples-worker.ts", bindings: { PROBE_URL: probe.url } });
  });
  afterAll(async () => {
    await rt?.dispose();
    await probe?.stop();
  });

  it("resumes from the journal after a restart and still compensates exactly once", async () => {
    const update = {
      role: "admin",
      permissions: [
        { system: "crm", permission: "write" },
        { system: "billing", permission: "write" },
        { system: "legacy", permission: "admin" },
      ],
    };
    const headers = { "idempotency-key": "carol-promotion" };
    probe.close("carol-grant-billing");
    const first = rt.post("/roleUpdater/carol/update", update, headers).catch((e: unknown) => e);
    await probe.waitForHits("carol-grant-billing", 1);

    await rt.restart();
    await first; // its connection died with the old process
    probe.open("carol-grant-billing");

    // The same idempotency key attaches to the invocation the restart resumed.
    const res = await rt.post("/roleUpdater/carol/update", update, headers);
    expect(res.status).toBe(409);
    expect(res.body.message).toContain("system 'legacy' refused 'admin'");
    expect((await rt.post("/roleUpdater/carol/get")).body).toEqual({});

    // Finished steps were replayed, not re-run; the interrupted one ran again.
    expect(probe.count("carol-grant-identity")).toBe(1);
    expect(probe.count("carol-grant-crm")).toBe(1);
    expect(probe.count("carol-grant-billing")).toBe(2);
    expect(probe.count("carol-grant-legacy")).toBe(1);
    for (const system of ["billing", "crm", "identity"]) expect(probe.count(`carol-restore-${system}`)).toBe(1);
    expect(probe.count("carol-restore-legacy")).toBe(0);
  });
});
