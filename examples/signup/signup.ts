/**
 * User sign-up with email verification: a workflow per user id.
 *
 * `signup/<userId>/run({ email, name })` creates the user, mails them a
 * secret link, and waits for the click on a durable promise ("email-link").
 * The wait costs nothing while nobody clicks: the workflow's progress is on
 * disk, and a restart or a redeploy does not lose it. If nobody clicks within
 * 24 hours a durable timer fires, the user is deleted again (the
 * compensation) and the workflow ends with the outcome "expired".
 *
 * `click(secret)` is a shared handler: it runs beside the waiting `run`,
 * checks the secret and resolves the promise. A wrong secret is a 400 and the
 * promise stays open. `status()` reports where the sign-up is.
 *
 *   curl -X POST 127.0.0.1:8787/signup/ada/run/send --json '{"email":"ada@example.com","name":"Ada"}'
 *   curl -X POST 127.0.0.1:8787/signup/ada/click --json '"<secret from the mail>"'
 *   curl 127.0.0.1:8787/restate/workflow/signup/ada/attach
 *
 * The user store is a stand-in: the account lives in the workflow's own state
 * (`user`), so `status` can show it created, verified or removed. With a real
 * database, creating and deleting would be `ctx.run` steps calling it.
 */
import { TerminalError, TimeoutError, workflow } from "resolute";
import type { WorkflowContext, WorkflowSharedContext } from "resolute";
import { mailerUrl, sendMail, type Mail } from "./mailer.js";

export { fakeMailer, FAKE_MAILER_PREFIX } from "./mailer.js";
export type { Mail, MailReceipt } from "./mailer.js";

/** The durable promise the click resolves (with the time of the click). */
export const EMAIL_LINK = "email-link";
/** How long the link is valid; then the sign-up is cancelled. */
export const VERIFICATION_TIMEOUT = { hours: 24 };
/** Status of a click on a link whose sign-up expired. */
export const LINK_EXPIRED_CODE = 410;

export interface SignupRequest {
  email: string;
  name: string;
}

export interface User {
  id: string;
  email: string;
  name: string;
  createdAt: string;
  /** Set once the link was clicked. */
  verifiedAt?: string;
}

/** `creating` until the mail is sent; `awaiting-click` while the 24 hours run; then one of the last three. */
export type SignupStatus = "creating" | "awaiting-click" | "verified" | "expired" | "failed";

/** What `run` returns. An expired sign-up is an outcome, not an error: nothing went wrong. */
export type SignupOutcome =
  | { userId: string; outcome: "verified"; user: User }
  | { userId: string; outcome: "expired"; message: string };

/** What `status` returns. The secret is never shown. */
export interface SignupView {
  userId: string;
  status: SignupStatus | "unknown";
  user: User | null;
}

interface SignupState {
  status: SignupStatus;
  user: User;
  secret: string;
}

function checkRequest(request: SignupRequest): SignupRequest {
  if (typeof request?.email !== "string" || !/^[^@\s]+@[^@\s]+$/.test(request.email)) {
    throw new TerminalError("email must be an address such as ada@example.com", { errorCode: 400 });
  }
  if (typeof request.name !== "string" || request.name.trim() === "") {
    throw new TerminalError("name must be a non-empty string", { errorCode: 400 });
  }
  return { email: request.email, name: request.name.trim() };
}

function verificationMail(user: User, secret: string): Mail {
  const path = `/signup/${encodeURIComponent(user.id)}/click`;
  return {
    to: user.email,
    subject: "Confirm your email address",
    text: `Hi ${user.name},\n\nplease confirm your address within 24 hours with the button below.\nIf you did not sign up, ignore this mail: the account is removed after 24 hours.`,
    action: { method: "POST", path, body: secret },
  };
}

export const signup = workflow({
  name: "signup",
  handlers: {
    run: async (ctx: WorkflowContext<SignupState>, request: SignupRequest): Promise<SignupOutcome> => {
      const { email, name } = checkRequest(request);
      const mailer = mailerUrl(ctx);
      const userId = ctx.key;

      ctx.set("status", "creating");
      const user = await ctx.run("create user", (): User => ({ id: userId, email, name, createdAt: new Date().toISOString() }));
      ctx.set("user", user);

      let clickedAt: number;
      try {
        // Not ctx.rand: it is seeded by the invocation id, and a workflow's run id is
        // derived from the workflow id, so anyone could compute the secret. A journaled
        // crypto.randomUUID() is unguessable and still the same on replay.
        const secret = await ctx.run("generate secret", () => crypto.randomUUID());
        ctx.set("secret", secret);
        await ctx.run("send verification email", () => sendMail(mailer, verificationMail(user, secret), `signup-${userId}`));
        // Written in the same turn as the timer below: once `status` says so, the 24 hours run.
        ctx.set("status", "awaiting-click");
        clickedAt = await ctx.promise<number>(EMAIL_LINK).get().orTimeout(VERIFICATION_TIMEOUT);
      } catch (e) {
        // Retryable errors must escape: the step is retried, nothing is undone.
        if (!(e instanceof TerminalError)) throw e;
        ctx.clear("user"); // the compensation: the account was never confirmed
        ctx.clear("secret");
        if (!(e instanceof TimeoutError)) {
          ctx.set("status", "failed");
          throw e;
        }
        ctx.set("status", "expired");
        return { userId, outcome: "expired", message: `the link was not clicked within 24 hours: user '${userId}' was removed` };
      }

      const verified: User = { ...user, verifiedAt: new Date(clickedAt).toISOString() };
      ctx.set("user", verified);
      ctx.clear("secret");
      ctx.set("status", "verified");
      return { userId, outcome: "verified", user: verified };
    },

    /** The link in the mail. Resolves the promise the workflow waits on, if the secret is right. */
    click: async (ctx: WorkflowSharedContext<SignupState>, secret: string): Promise<string> => {
      const status = await ctx.get<SignupStatus>("status");
      if (status === "verified") return `user '${ctx.key}' is already verified`;
      if (status === "expired") {
        throw new TerminalError(`the link of user '${ctx.key}' expired: it was valid for 24 hours`, { errorCode: LINK_EXPIRED_CODE });
      }
      const expected = await ctx.get<string>("secret");
      if (expected === null || secret !== expected) {
        throw new TerminalError(`invalid verification link for user '${ctx.key}'`, { errorCode: 400 });
      }
      await ctx.promise<number>(EMAIL_LINK).resolve(await ctx.date.now());
      return `user '${ctx.key}' verified`;
    },

    status: async (ctx: WorkflowSharedContext<SignupState>): Promise<SignupView> => ({
      userId: ctx.key,
      status: (await ctx.get<SignupStatus>("status")) ?? "unknown",
      user: await ctx.get<User>("user"),
    }),
  },
});

export const signupServices = [signup];
