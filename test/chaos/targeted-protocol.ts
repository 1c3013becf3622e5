/** What the targeted chaos fixture (targeted/worker.ts) and its runner (targeted.ts) agree on. */

export const TARGETED = { hot: "hot", sender: "sender", limited: "limited", chainA: "chainA", chainB: "chainB", chainC: "chainC", napper: "napper", waiter: "waiter", parent: "parent", gate: "gate" } as const;
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
