/**
 * A stand-in for a card payment provider, served by the examples' own Worker
 * under `/fake-provider/` so `npm start` needs nothing else running.
 *
 *   POST /fake-provider/charges
 *   idempotency-key: <key>           (required, as with real providers)
 *   { "amount": 1200, "mode": "sync" | "async", "webhook": "<awakeable id>" }
 *
 * - `sync`: the charge is settled at once: `{ "status": "paid" }`.
 * - `async`: the charge is accepted, `{ "status": "pending" }`, and the result
 *   comes later through the webhook: the provider resolves the awakeable
 *   (`POST /restate/awakeables/<webhook>/resolve` with `{"status":"paid"}` or
 *   `{"status":"failed","reason":"..."}`). A Worker cannot call back later
 *   without keeping state, so you play that part with curl (or the test does).
 * - amounts over CARD_LIMIT are declined at once: `{ "status": "declined" }`.
 *
 * It keeps no state: the charge id is derived from the idempotency key, so a
 * retried request gets the same answer. A real provider also remembers the key
 * and never charges twice for it.
 */

export const FAKE_PROVIDER_PREFIX = "/fake-provider/";
/** Amounts (in cents) above this are declined. */
export const CARD_LIMIT = 100_000;

export interface ChargeRequest {
  amount: number;
  mode: "sync" | "async";
  /** Where the provider reports an async result: an awakeable id. */
  webhook: string;
}

export interface ChargeResponse {
  chargeId: string;
  status: "paid" | "pending" | "declined";
  /** The webhook the result will be reported to (async charges). */
  webhook?: string;
  reason?: string;
}

/** What the provider posts to the webhook when an async charge settles. */
export interface WebhookEvent {
  status: "paid" | "failed";
  reason?: string;
}

/** Answers the provider's routes; undefined for any other path. */
export async function fakeProvider(request: Request): Promise<Response | undefined> {
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith(FAKE_PROVIDER_PREFIX)) return undefined;
  if (pathname !== `${FAKE_PROVIDER_PREFIX}charges` || request.method !== "POST") {
    return Response.json({ error: "the fake provider only answers POST /fake-provider/charges" }, { status: 404 });
  }
  const key = request.headers.get("idempotency-key");
  if (!key) return Response.json({ error: "an idempotency-key header is required" }, { status: 400 });
  const charge = (await request.json().catch(() => null)) as ChargeRequest | null;
  if (!charge || typeof charge.amount !== "number" || typeof charge.webhook !== "string") {
    return Response.json({ error: "expected { amount, mode, webhook }" }, { status: 400 });
  }
  return Response.json(decide(`ch_${key}`, charge));
}

function decide(chargeId: string, charge: ChargeRequest): ChargeResponse {
  if (charge.amount > CARD_LIMIT) return { chargeId, status: "declined", reason: `amount over the card limit of ${CARD_LIMIT}` };
  if (charge.mode === "async") return { chargeId, status: "pending", webhook: charge.webhook };
  return { chargeId, status: "paid" };
}
