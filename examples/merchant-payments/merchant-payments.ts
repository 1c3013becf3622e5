/**
 * Payments through a gateway that allows only 3 charges in flight per merchant.
 *
 * `checkout.pay` takes a payment and calls `gateway.charge` with the merchant as
 * the call's limit key (`rpc.opts({ limitKey })`). `gateway` declares
 * `concurrency: { limit: 3 }`, so at most 3 charges of one merchant run at once
 * across the whole deployment, each merchant with its own budget. A burst of
 * payments for one merchant waits in a durable FIFO queue (status `ready`)
 * instead of tripping the gateway's 429; other merchants are not held up by it.
 *
 *   curl -X POST 127.0.0.1:8787/checkout/pay --json '{"merchantId":"m-1","paymentId":"p-1","amount":1200}'
 *
 * The gateway's URL is the `GATEWAY_URL` binding; fake-gateway.ts plays the
 * gateway for local runs (npm start points GATEWAY_URL at it).
 */
import { handlers, rpc, service, TerminalError } from "resolute";
import type { Context } from "resolute";
import { GATEWAY_CONCURRENCY, type GatewayAnswer, type GatewayCharge } from "./fake-gateway.js";

export { fakeGateway, gatewayAnswer, FAKE_GATEWAY_PREFIX, GATEWAY_CONCURRENCY, CHARGE_MS } from "./fake-gateway.js";
export type { GatewayCharge, GatewayAnswer } from "./fake-gateway.js";

export interface Receipt {
  merchantId: string;
  paymentId: string;
  chargeId: string;
  amount: number;
}

interface Env {
  GATEWAY_URL?: string;
}

/** The key the gateway de-duplicates on: one per payment, whatever the number of attempts. */
export const gatewayKey = (charge: GatewayCharge) => `${charge.merchantId}-${charge.paymentId}`;

function gatewayUrl(ctx: Context): string {
  const url = (ctx.request().extraArgs[0] as Env | undefined)?.GATEWAY_URL;
  if (!url) throw new TerminalError("GATEWAY_URL is not set: give the gateway's URL with wrangler's --var or [vars] (npm start points it at the fake gateway)", { errorCode: 500 });
  return url.replace(/\/+$/, "");
}

/** One charge request. 429, 5xx and network errors throw and are retried; other 4xx are final. */
async function requestCharge(baseUrl: string, charge: GatewayCharge, signal: AbortSignal): Promise<GatewayAnswer> {
  const response = await fetch(`${baseUrl}/charges`, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": gatewayKey(charge) },
    body: JSON.stringify(charge),
    signal,
  });
  const text = await response.text();
  if (response.status === 429 || response.status >= 500) throw new Error(`gateway answered ${response.status}: ${text}`);
  if (!response.ok) throw new TerminalError(`gateway refused the charge (${response.status}): ${text}`, { errorCode: 502 });
  return JSON.parse(text) as GatewayAnswer;
}

/**
 * The gateway's client. Not callable from ingress: every charge comes from `checkout`,
 * which gives the merchant as the limit key, so each merchant has its own 3 slots.
 */
export const gateway = service({
  name: "gateway",
  description: `Charges through the payment gateway: at most ${GATEWAY_CONCURRENCY} at once per merchant (the call's limit key)`,
  options: { concurrency: { limit: GATEWAY_CONCURRENCY }, ingressPrivate: true },
  handlers: {
    charge: async (ctx: Context, charge: GatewayCharge): Promise<GatewayAnswer> => {
      const baseUrl = gatewayUrl(ctx);
      return ctx.run("charge", () => requestCharge(baseUrl, charge, ctx.request().attemptCompletedSignal));
    },
  },
});

function checkCharge(charge: GatewayCharge): void {
  for (const field of ["merchantId", "paymentId"] as const) {
    if (typeof charge?.[field] !== "string" || charge[field] === "") throw new TerminalError(`${field} must be a non-empty string`, { errorCode: 400 });
  }
  if (!Number.isInteger(charge.amount) || charge.amount <= 0) throw new TerminalError("amount must be a positive integer (cents)", { errorCode: 400 });
}

export const checkout = service({
  name: "checkout",
  handlers: {
    pay: handlers.handler({ description: "Pays through the gateway, waiting for one of the merchant's slots there" }, async (ctx: Context, charge: GatewayCharge): Promise<Receipt> => {
      checkCharge(charge);
      const answer = await ctx.serviceClient(gateway).charge(charge, rpc.opts({ limitKey: charge.merchantId }));
      return { merchantId: charge.merchantId, paymentId: charge.paymentId, chargeId: answer.chargeId, amount: charge.amount };
    }),
  },
});

export const merchantPaymentServices = [gateway, checkout];
