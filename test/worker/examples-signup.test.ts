/**
 * The signup example on the real runtime (workerd): the verification mail goes
 * to a recorder served from Node (fixtures/mail-recorder.ts), the test plays
 * the user clicking the link from that mail, and the 24-hour expiry runs on
 * the workflow object's virtual clock.
 */
import { describe, expect, it } from "vitest";
import { eventually, WorkerdRuntime, useRuntimeWith } from "../support/runtime.js";
import { MailRecorder } from "./fixtures/mail-recorder.js";
import { createRand } from "../../src/engine/rand.js";
import { makeInvocationId } from "../../src/engine/ids.js";
import type { Mail } from "../../examples/signup/signup.js";

const HOUR = 3_600_000;

describe("examples: signup", () => {
  let rt: WorkerdRuntime;
  let mailer: MailRecorder;
  useRuntimeWith("test/worker/fixtures/examples4-worker.ts", "MAILER_URL", () => MailRecorder.start(), (r, s) => ((rt = r), (mailer = s)));

  const start = (id: string, email: string) => rt.post(`/signup/${id}/run/send`, { email, name: "Ada" });
  const status = async (id: string) => (await rt.post(`/signup/${id}/status`)).body;
  /** The user's click on the mail's button: the request it describes. */
  const click = (mail: Mail) => rt.post(mail.action!.path, mail.action!.body);
  /** The mail was sent and the 24-hour timer runs (the status is written in the same turn as the timer). */
  const waiting = (id: string) => eventually(async () => (await status(id)).status === "awaiting-click");
  const advance = (id: string, ms: number) => rt.get(`/__test/advance?owner=${encodeURIComponent(`w:signup:${id}`)}&ms=${ms}`);

  it("creates the user, mails a secret link, and verifies the user when it is clicked", async () => {
    expect(await start("u-1", "ada@example.com")).toMatchObject({ status: 202 });
    const mail = await mailer.waitForMail("ada@example.com");
    expect(mail).toMatchObject({ subject: "Confirm your email address", action: { method: "POST", path: "/signup/u-1/click" } });
    expect(mail.action!.body).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await waiting("u-1");
    expect(await status("u-1")).toMatchObject({ status: "awaiting-click", user: { id: "u-1", email: "ada@example.com", name: "Ada" } });
    expect((await rt.get("/restate/workflow/signup/u-1/output")).status).toBe(470);

    expect(await click(mail)).toMatchObject({ status: 200, body: "user 'u-1' verified" });
    const done = await rt.get("/restate/workflow/signup/u-1/attach");
    expect(done).toMatchObject({ status: 200, body: { userId: "u-1", outcome: "verified", user: { id: "u-1", verifiedAt: expect.any(String) } } });
    expect(await status("u-1")).toMatchObject({ status: "verified", user: { verifiedAt: done.body.user.verifiedAt } });
    // A second click (users double-click) is harmless.
    expect(await click(mail)).toMatchObject({ status: 200, body: "user 'u-1' is already verified" });
    expect(mailer.requests.filter((r) => r.key === "signup-u-1")).toHaveLength(1);
  });

  it("a wrong secret is a 400 and the sign-up keeps waiting for the right one", async () => {
    await start("u-2", "bo@example.com");
    const mail = await mailer.waitForMail("bo@example.com");
    await waiting("u-2");
    const wrong = await rt.post("/signup/u-2/click", "00000000-0000-4000-8000-000000000000");
    expect(wrong).toMatchObject({ status: 400, body: { message: "invalid verification link for user 'u-2'" } });
    expect((await rt.post("/signup/u-2/click")).status).toBe(400); // no secret at all
    expect(await status("u-2")).toMatchObject({ status: "awaiting-click" });
    expect((await rt.get("/restate/workflow/signup/u-2/output")).status).toBe(470);

    expect((await click(mail)).status).toBe(200);
    expect(await rt.get("/restate/workflow/signup/u-2/attach")).toMatchObject({ status: 200, body: { outcome: "verified" } });
  });

  it("no click within 24 hours: the user is removed and the outcome says expired", async () => {
    await start("u-3", "cy@example.com");
    const mail = await mailer.waitForMail("cy@example.com");
    await waiting("u-3");
    await advance("u-3", 23 * HOUR);
    expect(await status("u-3")).toMatchObject({ status: "awaiting-click", user: { id: "u-3" } });

    await advance("u-3", 1 * HOUR);
    const done = await rt.get("/restate/workflow/signup/u-3/attach");
    expect(done).toMatchObject({
      status: 200,
      body: { userId: "u-3", outcome: "expired", message: "the link was not clicked within 24 hours: user 'u-3' was removed" },
    });
    expect(await status("u-3")).toEqual({ userId: "u-3", status: "expired", user: null });
    const late = await click(mail);
    expect(late).toMatchObject({ status: 410, body: { message: "the link of user 'u-3' expired: it was valid for 24 hours" } });
  });

  it("a restart while waiting for the click loses nothing: the click still completes the sign-up", async () => {
    await start("u-4", "di@example.com");
    const mail = await mailer.waitForMail("di@example.com");
    await waiting("u-4");
    await advance("u-4", 12 * HOUR);
    await rt.restart();
    await advance("u-4", 11 * HOUR);

    expect(await status("u-4")).toMatchObject({ status: "awaiting-click" });
    expect((await click(mail)).status).toBe(200);
    expect(await rt.get("/restate/workflow/signup/u-4/attach")).toMatchObject({ status: 200, body: { outcome: "verified", user: { id: "u-4" } } });
    expect(mailer.requests.filter((r) => r.key === "signup-u-4")).toHaveLength(1); // not mailed again after the restart
    // Past the original deadline: the timer that lost the race fires and changes nothing.
    await advance("u-4", 2 * HOUR);
    expect(await status("u-4")).toMatchObject({ status: "verified", user: { id: "u-4" } });
  });

  it("a crash while the mail is being sent: the step runs again with the same secret and key, and one mail arrives", async () => {
    mailer.hold(); // the mailer receives the mail but does not answer yet
    await start("u-7", "hal@example.com");
    const first = await mailer.waitForMail("hal@example.com");
    await rt.restart();
    mailer.release();

    await waiting("u-7"); // replayed from the journal: the secret was journaled, the mail step was not
    const attempts = mailer.requests.filter((r) => r.key === "signup-u-7");
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.mail).toEqual(first);
    expect(mailer.inbox("hal@example.com")).toHaveLength(1);
    expect((await click(first)).status).toBe(200);
    expect(await rt.get("/restate/workflow/signup/u-7/attach")).toMatchObject({ status: 200, body: { outcome: "verified" } });
  });

  it("a second run on the same user id is refused with 409", async () => {
    expect((await rt.post("/signup/u-1/run", { email: "eve@example.com", name: "Eve" })).status).toBe(409);
    expect(mailer.inbox("eve@example.com")).toHaveLength(0);
  });

  it("bad input is a 400; status of an unknown user says so", async () => {
    const res = await rt.post("/signup/u-5/run", { email: "not-an-address", name: "X" });
    expect(res).toMatchObject({ status: 400, body: { message: "email must be an address such as ada@example.com" } });
    expect(await status("nobody")).toEqual({ userId: "nobody", status: "unknown", user: null });
  });

  it("the secret cannot be derived from the user id (ctx.rand is seeded by the run's predictable id)", async () => {
    // The run's id, the seed of ctx.rand, is known before the workflow even starts...
    const runId = makeInvocationId("w:signup:u-6", "run");
    expect((await start("u-6", "fay@example.com")).body.invocationId).toBe(runId);
    const secret = (await mailer.waitForMail("fay@example.com")).action!.body;
    // ...so a secret from ctx.rand.uuidv4() would be this one. The example's is not.
    expect(secret).not.toBe(createRand(runId).uuidv4());
  });

  it("the Worker-hosted fake mailer answers /fake-mailer/send (what npm start uses)", async () => {
    const mail: Mail = { to: "gil@example.com", subject: "hi", text: "hello" };
    expect(await rt.post("/fake-mailer/send", mail, { "idempotency-key": "k-1" })).toMatchObject({ status: 200, body: { id: "mail_k-1" } });
    expect((await rt.post("/fake-mailer/send", { to: 1 })).status).toBe(400);
    expect((await rt.get("/fake-mailer/other")).status).toBe(404);
  });
});
