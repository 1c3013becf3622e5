/**
 * The approval example on the real runtime (workerd): approvers are notified
 * through a mail recorder served from Node (fixtures/mail-recorder.ts), the
 * test plays each approver, and reads `progress()` while the workflow waits.
 */
import { describe, expect, it } from "vitest";
import { eventually, WorkerdRuntime, useRuntimeWith } from "../support/runtime.js";
import { MailRecorder } from "./fixtures/mail-recorder.js";
import type { Progress } from "../../examples/approval/approval.js";

describe("examples: approval", () => {
  let rt: WorkerdRuntime;
  let mailer: MailRecorder;
  useRuntimeWith("test/worker/fixtures/examples4-worker.ts", "MAILER_URL", () => MailRecorder.start(), (r, s) => ((rt = r), (mailer = s)));

  const progress = async (id: string): Promise<Progress | null> => (await rt.post(`/approval/${id}/progress`)).body ?? null;
  const decide = (id: string, approver: string, approve: boolean, comment?: string) =>
    rt.post(`/approval/${id}/decide`, { approver, approve, ...(comment ? { comment } : {}) });
  /** Notifications of one approval (approvers' names are unique per test). */
  const asked = (id: string) => mailer.delivered.filter((d) => d.key.startsWith(`approval-${id}-`)).map((d) => d.mail.to);
  const waitingFor = (id: string, approver: string) => eventually(async () => (await progress(id))?.waitingFor === approver && asked(id).includes(approver));

  it("asks each approver in turn; all approve; progress() follows every step", async () => {
    expect(await progress("doc-1")).toBeNull(); // before run
    const sent = await rt.post("/approval/doc-1/run/send", { document: "budget.pdf", approvers: ["ana", "ben", "cy"] });
    expect(sent).toMatchObject({ status: 202, body: { status: "Accepted" } });

    await waitingFor("doc-1", "ana");
    expect(await progress("doc-1")).toEqual({
      document: "budget.pdf", approvers: ["ana", "ben", "cy"], status: "waiting", step: 1, of: 3, waitingFor: "ana", decisions: [],
    });
    expect(asked("doc-1")).toEqual(["ana"]);
    const mail = (await mailer.waitForMail("ana"));
    expect(mail).toMatchObject({ subject: "Approval needed: budget.pdf", action: { method: "POST", path: "/approval/doc-1/decide" } });

    expect(await decide("doc-1", "ana", true, "fine")).toMatchObject({ status: 200, body: { approver: "ana", approve: true, comment: "fine" } });
    await waitingFor("doc-1", "ben");
    expect(await progress("doc-1")).toMatchObject({ status: "waiting", step: 2, of: 3, decisions: [{ approver: "ana", approve: true, comment: "fine" }] });

    expect((await decide("doc-1", "ben", true)).status).toBe(200);
    await waitingFor("doc-1", "cy");
    expect(await progress("doc-1")).toMatchObject({ step: 3, of: 3, decisions: [{ approver: "ana" }, { approver: "ben" }] });

    expect((await decide("doc-1", "cy", true)).status).toBe(200);
    const result = await rt.get("/restate/workflow/approval/doc-1/attach");
    expect(result).toMatchObject({ status: 200, body: { document: "budget.pdf", outcome: "approved" } });
    expect(result.body.decisions.map((d: { approver: string; approve: boolean }) => [d.approver, d.approve])).toEqual([["ana", true], ["ben", true], ["cy", true]]);
    expect(result.body.decisions[0]).toEqual({ approver: "ana", approve: true, comment: "fine", decidedAt: expect.any(String) });
    expect(await progress("doc-1")).toMatchObject({ status: "approved", step: 3, of: 3, waitingFor: null, decisions: result.body.decisions });
    expect(asked("doc-1")).toEqual(["ana", "ben", "cy"]);
  });

  it("stops at the first rejection: later approvers are never asked", async () => {
    await rt.post("/approval/doc-2/run/send", { document: "merger.pdf", approvers: ["dee", "eli", "flo"] });
    await waitingFor("doc-2", "dee");
    await decide("doc-2", "dee", true);
    await waitingFor("doc-2", "eli");
    expect(await decide("doc-2", "eli", false, "too risky")).toMatchObject({ status: 200, body: { approve: false } });

    const result = await rt.get("/restate/workflow/approval/doc-2/attach");
    expect(result).toMatchObject({
      status: 200,
      body: { outcome: "rejected", decisions: [{ approver: "dee", approve: true }, { approver: "eli", approve: false, comment: "too risky" }] },
    });
    expect(result.body.decisions).toHaveLength(2);
    expect(await progress("doc-2")).toMatchObject({ status: "rejected", step: 2, of: 3, waitingFor: null });
    expect(asked("doc-2")).toEqual(["dee", "eli"]);
    expect(mailer.inbox("flo")).toHaveLength(0);
    const late = await decide("doc-2", "flo", true);
    expect(late).toMatchObject({ status: 409, body: { message: "approval 'doc-2' is already rejected: no decision from 'flo' is needed" } });
  });

  it("only the approver being asked may decide, once", async () => {
    await rt.post("/approval/doc-3/run/send", { document: "policy.md", approvers: ["gus", "hal"] });
    await waitingFor("doc-3", "gus");
    expect(await decide("doc-3", "hal", true)).toMatchObject({ status: 409, body: { message: "'hal' cannot decide yet: approval 'doc-3' is waiting for 'gus'" } });
    expect(await decide("doc-3", "mallory", true)).toMatchObject({ status: 403, body: { message: "'mallory' is not an approver of 'policy.md'" } });
    expect((await rt.post("/approval/doc-3/decide", { approver: "gus" })).status).toBe(400);
    expect((await decide("nowhere", "gus", true)).status).toBe(404);
    expect(await progress("doc-3")).toMatchObject({ step: 1, waitingFor: "gus", decisions: [] });

    await decide("doc-3", "gus", false);
    expect(await rt.get("/restate/workflow/approval/doc-3/attach")).toMatchObject({ status: 200, body: { outcome: "rejected" } });
    expect(await decide("doc-3", "gus", true)).toMatchObject({ status: 409, body: { message: "'gus' already decided on 'policy.md'" } });
    expect(asked("doc-3")).toEqual(["gus"]);
  });

  it("a second run on the same id is 409, while running and after finishing", async () => {
    const first = rt.post("/approval/doc-4/run", { document: "plan.txt", approvers: ["ida"] });
    await waitingFor("doc-4", "ida");
    const again = await rt.post("/approval/doc-4/run", { document: "other.txt", approvers: ["joe"] });
    expect(again).toMatchObject({ status: 409, body: { message: "the workflow method was already invoked" } });
    expect((await rt.post("/approval/doc-4/run/send", { document: "other.txt", approvers: ["joe"] })).body.status).toBe("PreviouslyAccepted");

    await decide("doc-4", "ida", true);
    expect(await first).toMatchObject({ status: 200, body: { document: "plan.txt", outcome: "approved" } });
    expect((await rt.post("/approval/doc-4/run", { document: "other.txt", approvers: ["joe"] })).status).toBe(409);
    expect(mailer.inbox("joe")).toHaveLength(0);
  });

  it("attach and output: output is 470 while running; attach waits for the result; both give it afterwards", async () => {
    await rt.post("/approval/doc-5/run/send", { document: "memo.txt", approvers: ["kim", "lou"] });
    await waitingFor("doc-5", "kim");
    expect((await rt.get("/restate/workflow/approval/doc-5/output")).status).toBe(470);

    let attached: { status: number; body: any } | undefined;
    const attaching = rt.get("/restate/workflow/approval/doc-5/attach").then((r) => (attached = r));
    await decide("doc-5", "kim", true);
    await waitingFor("doc-5", "lou");
    expect(attached).toBeUndefined(); // still waiting for lou
    expect((await rt.get("/restate/workflow/approval/doc-5/output")).status).toBe(470);

    await decide("doc-5", "lou", true);
    await attaching;
    expect(attached).toMatchObject({ status: 200, body: { outcome: "approved" } });
    expect(await rt.get("/restate/workflow/approval/doc-5/output")).toEqual(expect.objectContaining({ status: 200, body: attached!.body }));
    expect((await rt.get("/restate/workflow/approval/never-started/output")).status).toBe(404);
  });

  it("a restart while waiting for a decision loses nothing and notifies no one twice", async () => {
    await rt.post("/approval/doc-6/run/send", { document: "contract.pdf", approvers: ["max", "ned"] });
    await waitingFor("doc-6", "max");
    await decide("doc-6", "max", true);
    await waitingFor("doc-6", "ned");
    await rt.restart();
    expect(await progress("doc-6")).toMatchObject({ step: 2, waitingFor: "ned", decisions: [{ approver: "max" }] });
    await decide("doc-6", "ned", true);
    expect(await rt.get("/restate/workflow/approval/doc-6/attach")).toMatchObject({ status: 200, body: { outcome: "approved" } });
    expect(mailer.requests.filter((r) => r.key.startsWith("approval-doc-6-")).map((r) => r.mail.to)).toEqual(["max", "ned"]);
  });

  it("bad input is a 400", async () => {
    const res = await rt.post("/approval/doc-7/run", { document: "x", approvers: ["a", "a"] });
    expect(res).toMatchObject({ status: 400, body: { message: "each approver may appear only once" } });
    expect((await rt.post("/approval/doc-8/run", { document: "x", approvers: [] })).status).toBe(400);
  });
});
