/**
 * A stand-in for a payment gateway that allows at most 3 charges in flight per
 * merchant (as many real ones do, by API key), served by the examples' own
 * Worker under `/fake-gateway/` so `npm start` needs nothing else running.
 *
 *   POST /fake-gateway/charges
 *   idempotency-key: <key>           (required)
 *   { "merchantId": "m-1", "paymentId": "p-1", "amount": 1200 }
 *
 * Each charge takes CHARGE_MS. A fourth concurrent charge of one merchant is
 * refused with 429, which is what the example's limit keeps from happening.
 * It counts in flight in this isolate's memory: enough for one local workerd.
 */

export const FAKE_GATEWAY_PREFIX = "/fake-gateway/";
/** Charges one merchant may have in flight at the gateway. */
export const GATEWAY_CONCURRENCY = 3;
/** How long the fake gateway takes to answer a charge. */
export const CHARGE_MS = 200;

export interface GatewayCharge {
  merchantId: string;
  paymentId: string;
  /** In cents. */
  amount: number;
}

export interface GatewayAnswer {
  chargeId: string;
  status: "paid";
}

const inFlight = new Map<string, number>();

/** The gateway's decision for a charge that may go ahead: the charge id derives from the idempotency key. */
export function gatewayAnswer(key: string): GatewayAnswer {
  return { chargeId: `ch_${key}`, status: "paid" };
}

/** Answers the gateway's routes; undefined for any other path. */
export async function fakeGateway(request: Request): Promise<Response | undefined> {
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith(FAKE_GATEWAY_PREFIX)) return undefined;
  if (pathname !== `${FAKE_GATEWAY_PREFIX}charges` || request.method !== "POST") {
    return Response.json({ error: "the fake gateway only answers POST /fake-gateway/charges" }, { status: 404 });
  }
  const key = request.headers.get("idempotency-key");
  const charge = (await request.json().catch(() => null)) as GatewayCharge | null;
  if (!key || typeof charge?.merchantId !== "string") return Response.json({ error: "expected an idempotency-key and { merchantId, paymentId, amount }" }, { status: 400 });
  const now = (inFlight.get(charge.merchantId) ?? 0) + 1;
  if (now > GATEWAY_CONCURRENCY) return Response.json({ error: `merchant ${charge.merchantId} has ${GATEWAY_CONCURRENCY} charges in flight already` }, { status: 429 });
  inFlight.set(charge.merchantId, now);
  try {
    await new Promise((resolve) => setTimeout(resolve, CHARGE_MS));
    return Response.json(gatewayAnswer(key));
  } finally {
    inFlight.set(charge.merchantId, (inFlight.get(charge.merchantId) ?? 1) - 1);
  }
}
