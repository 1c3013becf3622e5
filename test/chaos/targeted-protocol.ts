/** What the targeted chaos fixture (targeted/worker.ts) and its runner (targeted.ts) agree on. */

export const TARGETED = { hot: "hot", sender: "sender", limited: "limited", chainA: "chainA", chainB: "chainB", chainC: "chainC", napper: "napper", waiter: "waiter", parent: "parent", gate: "gate", keeper: "keeper", stepper: "stepper", limitedOne: "limitedOne" } as const;
/** Few shards, so the stateless services' invocations share objects (and their commits). */
export const TARGETED_SHARDS = 4;

export interface HotInput {
  client: number;
  seq: number;
}

export interface HotState {
  count: number;
  disorder: number;
}

export interface StepInput {
  effect: string;
  ms?: number;
}

export interface FanInput {
  /** Unique per fan: the hot key keeps this sender's last sequence number under it. */
  client: number;
  n: number;
  target: string;
}

/** `limited`'s concurrency limit per limit key. */
export const LIMITED_AT_ONCE = 2;

/** `keeper`'s idempotency and journal retention: short, so a scenario sees it end (and aims kills at its end). */
export const KEEPER_RETENTION_MS = 1_500;

export interface StepsInput {
  effect: string;
  /** Steps `<effect>/s0` … `s<n-1>`. */
  n: number;
  /** Each step's effect held open this long. */
  ms?: number;
  /** A sleep after each step but the last. */
  sleepMs?: number;
}

/** `limitedOne`'s concurrency limit per limit key: one holder, so a lost release stalls its waiters until it is found. */
export const LIMITED_ONE_AT_ONCE = 1;
