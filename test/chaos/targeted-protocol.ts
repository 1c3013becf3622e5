/** What the targeted chaos fixture (targeted/worker.ts) and its runner (targeted.ts) agree on. */

export const TARGETED = { hot: "hot", chainA: "chainA", chainB: "chainB", chainC: "chainC", napper: "napper", waiter: "waiter", gate: "gate" } as const;
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
