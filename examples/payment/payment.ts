/**
 * An idempotent payment whose result may arrive later through a webhook.
 *
 * `payments.pay` asks the provider to charge the card. Two things make it
 * safe to retry at every level:
 *
 * - The provider call is a `ctx.run` step carrying an idempotency key derived
 *   from the payment id. Once the step's result is journaled it is never sent
 *   again; if the runtime dies after the provider charged but before the
 *   result was journaled, the retried request carries the same key and the
 *   provider answers with the first charge instead of charging twice.
 * - Callers send their own `idempotency-key` header, so a retried HTTP
 *   request attaches to the same invocation.
 *
 * Some charges settle asynchronously (3-D Secure, bank transfers). The handler
 * hands the provider an awakeable id as the webhook; the provider answers
 * "pending" and later resolves the awakeable over HTTP. Meanwhile the
 * handler's progress is on disk: a restart while it waits loses nothing.
 *
 *   curl -X POST 127.0.0.1:8787/payments/pay -H 'idempotency-key: p-1' \
 *     --json '{"paymentId":"p-1","amount":1200,"mode":"sync"}'
 *
 * The provider's URL is the `PAYMENT_PROVIDER_URL` binding (wrangler.toml);
 * fake-provider.ts plays the provider for local runs.
 */
import { service, TerminalError } from "resolute";
import type { Context } from "resolute";
import type { ChargeRequest, ChargeResponse, WebhookEvent } from "./fake-provider.js";

export { fakeProvider, FAKE_PROVIDER_PREFIX, CARD_LIMIT } from "./fake-provider.js";
export type { ChargeRequest, ChargeResponse, WebhookEvent } from "./fake-provider.js";

export interface PaymentRequest {
  paymentId: string;
  /** In cents. */
  amount: number;
  /** How the (fake) provider settles the charge. @default "sync" */
  mode?: "sync" | "async";
}

export interface Payment {
  paymentId: string;
  chargeId: string;
  amount: number;
  status: "paid";
  /** How the provider reported the result. */
  settledBy: "response" | "webhook";
}

/** Status of a declined or failed payment. */
export const PAYMENT_FAILED_CODE = 402;
/** How long a pending charge may wait for its webhook before the payment fails (408). */
export const WEBHOOK_TIMEOUT = { days: 1 };

interface Env {
  PAYMENT_PROVIDER_URL?: string;
}

/** The key the provider de-duplicates on: one per payment, whatever the number of attempts. */
export const chargeKey = (paymentId: string) => `payment-${paymentId}`;

function providerUrl(ctx: Context): string {
  const url = (ctx.request().extraArgs[0] as Env | undefined)?.PAYMENT_PROVIDER_URL;
  if (!url) throw new TerminalError("PAYMENT_PROVIDER_URL is not set: give the provider's URL with wrangler's --var or [vars] (npm start points it at the fake provider)", { errorCode: 500 });
  return url.replace(/\/+$/, "");
}

/** One HTTP request to the provider. 5xx and network errors throw and are retried; 4xx are final. */
async function requestCharge(baseUrl: string, key: string, charge: ChargeRequest): Promise<ChargeResponse> {
  const response = await fetch(`${baseUrl}/charges`, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(charge),
  });
  const text = await response.text();
  if (response.status >= 500) throw new Error(`provider answered ${response.status}: ${text}`);
  if (!response.ok) throw new TerminalError(`provider refused the charge (${response.status}): ${text}`, { errorCode: 502 });
  return JSON.parse(text) as ChargeResponse;
}

function checkRequest(request: PaymentRequest): void {
  if (typeof request?.paymentId !== "string" || request.paymentId === "") {
    throw new TerminalError("paymentId must be a non-empty string", { errorCode: 400 });
  }
  if (!Number.isInteger(request.amount) || request.amount <= 0) {
    throw new TerminalError("amount must be a positive integer (cents)", { errorCode: 400 });
  }
}

export const payments = service({
  name: "payments",
  handlers: {
    pay: async (ctx: Context, request: PaymentRequest): Promise<Payment> => {
      checkRequest(request);
      const { paymentId, amount, mode = "sync" } = request;
      const baseUrl = providerUrl(ctx);
      // Created before the charge so its id can travel with it; unused when the charge settles at once.
      const webhook = ctx.awakeable<WebhookEvent>();
      const charge = await ctx.run("charge", () => requestCharge(baseUrl, chargeKey(paymentId), { amount, mode, webhook: webhook.id }));
      const paid = (settledBy: Payment["settledBy"]): Payment => ({ paymentId, chargeId: charge.chargeId, amount, status: "paid", settledBy });

      if (charge.status === "paid") return paid("response");
      if (charge.status === "declined") {
        throw new TerminalError(`payment '${paymentId}' declined: ${charge.reason ?? "no reason given"}`, { errorCode: PAYMENT_FAILED_CODE });
      }
      ctx.console.log(`payment '${paymentId}' pending; the provider reports to POST /restate/awakeables/${webhook.id}/resolve`);
      const event = await webhook.promise.orTimeout(WEBHOOK_TIMEOUT);
      if (event.status !== "paid") {
        throw new TerminalError(`payment '${paymentId}' failed: ${event.reason ?? "no reason given"}`, { errorCode: PAYMENT_FAILED_CODE });
      }
      return paid("webhook");
    },
  },
});

export const paymentServices = [payments];
