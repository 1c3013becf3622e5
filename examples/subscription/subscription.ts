/**
 * A subscription as a state machine, one virtual object per subscription id:
 *
 *   none ──start──► trial ──activate──► active ──paymentFailed──► past_due
 *                     │  └──(trial ends)──────────────────────────►  │
 *                     │                    ▲                         │
 *                     │                    └────────activate─────────┘
 *                     └─────────── cancel (from trial, active, past_due) ──► cancelled
 *
 * Exclusive handlers run one at a time per subscription, so a transition
 * always sees the state the previous one left. An event the current state does
 * not allow is a TerminalError(409) that names the state and what it allows.
 * Every transition appends to `history`.
 *
 * Trial expiry is evaluated lazily. The obvious design, a handler that sleeps
 * for the trial and then expires it, would hold this key's exclusive lock for
 * the whole trial: every other call on the subscription would queue behind it
 * for days. Instead `start` records `trialEndsAt`, and each call compares it
 * with the journaled clock (`ctx.date.now()`): exclusive handlers persist the
 * expiry before handling their own event; the shared `status` reports it.
 *
 *   curl -X POST localhost:8787/subscription/sub-1/start --json '"pro"'
 *   curl -X POST localhost:8787/subscription/sub-1/activate --json '"pay_123"'
 *   curl -X POST localhost:8787/subscription/sub-1/status
 */
import { handlers, object, TerminalError } from "resolute";
import type { ObjectContext, ObjectSharedContext } from "resolute";

export type Status = "none" | "trial" | "active" | "past_due" | "cancelled";
export type Event = "start" | "activate" | "paymentFailed" | "cancel";

/** Which event moves which state where. `cancelled` is final. */
export const TRANSITIONS: Readonly<Record<Status, Partial<Record<Event, Status>>>> = {
  none: { start: "trial" },
  trial: { activate: "active", cancel: "cancelled" },
  active: { paymentFailed: "past_due", cancel: "cancelled" },
  past_due: { activate: "active", cancel: "cancelled" },
  cancelled: {},
};

export const TRIAL_DAYS = 14;
const DAY_MS = 86_400_000;
/** The status code of an event the current state does not allow. */
export const INVALID_TRANSITION_CODE = 409;
const BAD_INPUT_CODE = 400;

export interface Transition {
  from: Status;
  to: Status;
  /** The event, or "trialExpired" for the lazy expiry. */
  event: Event | "trialExpired";
  /** Epoch ms, from the journaled clock. */
  at: number;
  detail?: string;
}

export interface Subscription {
  id: string;
  status: Status;
  plan?: string;
  trialEndsAt?: number;
  paymentRef?: string;
  cancelReason?: string;
  history: Transition[];
}

interface State {
  subscription: Subscription;
}

async function load(ctx: ObjectSharedContext<State>): Promise<Subscription> {
  return (await ctx.get<Subscription>("subscription")) ?? { id: ctx.key, status: "none", history: [] };
}

function moved(sub: Subscription, event: Transition["event"], to: Status, at: number, detail?: string): Subscription {
  const { history, ...rest } = sub;
  const step: Transition = { from: sub.status, to, event, at, ...(detail !== undefined ? { detail } : {}) };
  // History last, so the current fields read first in responses.
  return { ...rest, status: to, history: [...history, step] };
}

/** The subscription as of `now`: a trial whose end has passed is past due (at the moment it ended). */
function expired(sub: Subscription, now: number): Subscription {
  if (sub.status !== "trial" || sub.trialEndsAt === undefined || now < sub.trialEndsAt) return sub;
  return moved(sub, "trialExpired", "past_due", sub.trialEndsAt, "trial ended without payment");
}

function allowed(status: Status): string {
  const events = Object.keys(TRANSITIONS[status]);
  return events.length ? `allowed from '${status}': ${events.join(", ")}` : `'${status}' is final: nothing is allowed`;
}

function requireText(value: unknown, what: string): string {
  if (typeof value === "string" && value.length > 0) return value;
  throw new TerminalError(`${what} must be a non-empty JSON string`, { errorCode: BAD_INPUT_CODE });
}

/**
 * Applies one event: loads the state, persists a lapsed trial, checks the
 * transition table, and stores the result with its history entry.
 */
async function transition(
  ctx: ObjectContext<State>,
  event: Event,
  change: (sub: Subscription, now: number) => Partial<Subscription>,
  detail?: string,
): Promise<Subscription> {
  const now = await ctx.date.now();
  const stored = await load(ctx);
  const sub = expired(stored, now);
  // Persist a lapsed trial first, so it is recorded even if this event is refused.
  if (sub !== stored) ctx.set("subscription", sub);
  const to = TRANSITIONS[sub.status][event];
  if (!to) {
    throw new TerminalError(`cannot ${event} subscription '${ctx.key}': it is '${sub.status}'; ${allowed(sub.status)}`, {
      errorCode: INVALID_TRANSITION_CODE,
    });
  }
  const next = moved({ ...sub, ...change(sub, now) }, event, to, now, detail);
  ctx.set("subscription", next);
  return next;
}

export const subscription = object({
  name: "subscription",
  handlers: {
    /** none → trial: starts a trial of `plan` that ends after TRIAL_DAYS. */
    start: async (ctx: ObjectContext<State>, plan: string) => {
      requireText(plan, "the plan");
      return transition(ctx, "start", (_sub, now) => ({ plan, trialEndsAt: now + TRIAL_DAYS * DAY_MS }), plan);
    },
    /** trial | past_due → active: a payment went through. */
    activate: async (ctx: ObjectContext<State>, paymentRef: string) => {
      requireText(paymentRef, "the payment reference");
      return transition(ctx, "activate", () => ({ paymentRef }), paymentRef);
    },
    /** active → past_due: a renewal payment failed. */
    paymentFailed: async (ctx: ObjectContext<State>) => transition(ctx, "paymentFailed", () => ({})),
    /** trial | active | past_due → cancelled. */
    cancel: async (ctx: ObjectContext<State>, reason?: string) => {
      if (reason !== undefined) requireText(reason, "the reason");
      return transition(ctx, "cancel", () => (reason ? { cancelReason: reason } : {}), reason);
    },
    /** The subscription as of now, trial expiry included; read-only, runs beside the exclusive handlers. */
    status: handlers.object.shared(async (ctx: ObjectSharedContext<State>) => expired(await load(ctx), await ctx.date.now())),
  },
});
