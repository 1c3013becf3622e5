/**
 * The floor for the call chain: bare SQLite-backed Durable Objects doing the
 * chain's hops over RPC — A (one object per key) → B (one per key) → C (one of
 * 64 shards, as Resolute spreads a stateless service) — each writing one row
 * (its step's result) and returning the answers through the chain, with no
 * engine, no journal, no inbox and no outbox. Nothing Resolute does for the
 * chain can be cheaper than this.
 */
import { DurableObject } from "cloudflare:workers";
import type { ChainStep } from "./chain.js";

/** Executor objects C is spread over, as Resolute's default serviceShards. */
const C_SHARDS = 64;

export interface ChainFloorEnv {
  CHAIN_FLOOR: DurableObjectNamespace<ChainFloorObject>;
}

export class ChainFloorObject extends DurableObject<ChainFloorEnv> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: ChainFloorEnv) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec("CREATE TABLE IF NOT EXISTS steps (id TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  /** Hop A: write its step, call B on the same key. */
  async a(key: string, n: number): Promise<ChainStep[]> {
    const step = this.#record({ hop: "a", key, n });
    return [step, ...(await chainFloorStub(this.env, `b:${key}`).b(key, n))];
  }

  /** Hop B: write its step, call a C shard. */
  async b(key: string, n: number): Promise<ChainStep[]> {
    const step = this.#record({ hop: "b", key, n });
    const shard = Math.floor(Math.random() * C_SHARDS);
    return [step, ...(await chainFloorStub(this.env, `c:${shard}`).c(key, n))];
  }

  /** Hop C: write its step. */
  c(key: string, n: number): ChainStep[] {
    return [this.#record({ hop: "c", key, n })];
  }

  #record(step: ChainStep): ChainStep {
    this.#sql.exec("INSERT INTO steps (id, value) VALUES (?, ?)", crypto.randomUUID(), JSON.stringify(step));
    return step;
  }
}

export function chainFloorStub(env: ChainFloorEnv, name: string): DurableObjectStub<ChainFloorObject> {
  return env.CHAIN_FLOOR.get(env.CHAIN_FLOOR.idFromName(name));
}
