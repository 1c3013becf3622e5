/**
 * Sending mail from a handler, and a fake mail service for local runs.
 *
 * `sendMail` is meant to run inside `ctx.run`: once the step is journaled the
 * mail is never sent again. A crash after the mailer accepted the mail but
 * before the step was journaled sends the request again, with the same
 * `idempotency-key`, so a mailer that honours the key (most transactional mail
 * APIs do) still delivers one mail.
 *
 * The mailer's base URL is the `MAILER_URL` binding. `fakeMailer` plays the
 * mailer inside the examples' own Worker, under `/fake-mailer/`: it prints each
 * mail to the `wrangler dev` log and answers 200. It keeps nothing.
 *
 *   POST /fake-mailer/send
 *   idempotency-key: <key>
 *   { "to": "ada@example.com", "subject": "...", "text": "...", "action": { "method": "POST", "path": "/signup/ada/click", "body": "<secret>" } }
 */
import { TerminalError } from "resolute";
import type { Context } from "resolute";

export const FAKE_MAILER_PREFIX = "/fake-mailer/";

/** One mail. `action` is the button in it: the request a click makes. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  action?: { method: "POST"; path: string; body: unknown };
}

/** The mailer's answer. */
export interface MailReceipt {
  id: string;
}

interface Env {
  MAILER_URL?: string;
}

/** The `MAILER_URL` binding; a missing one is a configuration error (500, not retried). */
export function mailerUrl(ctx: Context): string {
  const url = (ctx.request().extraArgs[0] as Env | undefined)?.MAILER_URL;
  if (!url) throw new TerminalError("MAILER_URL is not set: give the mailer's URL with wrangler's --var or [vars] (npm start points it at the fake mailer)", { errorCode: 500 });
  return url.replace(/\/+$/, "");
}

/** One request to the mailer. 5xx and network errors throw and are retried; 4xx are final. */
export async function sendMail(baseUrl: string, mail: Mail, idempotencyKey: string): Promise<MailReceipt> {
  const response = await fetch(`${baseUrl}/send`, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
    body: JSON.stringify(mail),
  });
  const text = await response.text();
  if (response.status >= 500) throw new Error(`mailer answered ${response.status}: ${text}`);
  if (!response.ok) throw new TerminalError(`mailer refused the mail to '${mail.to}' (${response.status}): ${text}`, { errorCode: 502 });
  return JSON.parse(text) as MailReceipt;
}

/** Answers the fake mailer's routes; undefined for any other path. */
export async function fakeMailer(request: Request): Promise<Response | undefined> {
  const url = new URL(request.url);
  if (!url.pathname.startsWith(FAKE_MAILER_PREFIX)) return undefined;
  if (url.pathname !== `${FAKE_MAILER_PREFIX}send` || request.method !== "POST") {
    return Response.json({ error: "the fake mailer only answers POST /fake-mailer/send" }, { status: 404 });
  }
  const mail = (await request.json().catch(() => null)) as Mail | null;
  if (!mail || typeof mail.to !== "string" || typeof mail.subject !== "string" || typeof mail.text !== "string") {
    return Response.json({ error: "expected { to, subject, text, action? }" }, { status: 400 });
  }
  console.log(describeMail(url.origin, mail));
  const key = request.headers.get("idempotency-key");
  return Response.json({ id: key ? `mail_${key}` : `mail_${crypto.randomUUID()}` } satisfies MailReceipt);
}

/** The mail as the log shows it, with its button as a curl command you can paste. */
function describeMail(origin: string, mail: Mail): string {
  const lines = [`fake mailer: to ${mail.to}: ${mail.subject}`, ...mail.text.split("\n").map((line) => `  | ${line}`)];
  if (mail.action) {
    lines.push(`  button: curl -X ${mail.action.method} ${origin}${mail.action.path} --json '${JSON.stringify(mail.action.body)}'`);
  }
  return lines.join("\n");
}
