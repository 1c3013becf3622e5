/**
 * The chaos clients' HTTP: each request is repeated, with the same idempotency
 * key, until it gets a definitive answer. Network errors (the runtime was
 * killed mid-request, or is restarting) and 5xx (wrangler dev's proxy while its
 * Worker is down) are retried; any other status is Restate's answer.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, request } from "undici";
import { HttpError, isDevProxyDrop } from "../../bench/harness/load.js";

export interface Answer {
  status: number;
  /** Parsed JSON when it parses, else the text; undefined when empty. */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface ChaosRequest {
  method: "GET" | "POST" | "PATCH";
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ClientStats {
  /** HTTP requests sent, repeats included. */
  attempts: number;
  /** Requests sent again after a network error or a 5xx. */
  retries: number;
  networkErrors: number;
  /** 5xx answers (all retried), by a short description; wrangler dev's proxy drops counted apart. */
  serverErrors: Record<string, number>;
  proxyDrops: number;
}

/** Per attempt: long enough for a 3 s sleep behind a queue, short enough to notice a dead connection. */
const ATTEMPT_TIMEOUT_MS = 20_000;
const BACKOFF_MS = [50, 100, 200, 400, 800, 1_000];
const WAIT_FOR_RUNTIME_MS = 100;
const DISTINCT_SERVER_ERRORS = 8;

export class ChaosClient {
  readonly stats: ClientStats = { attempts: 0, retries: 0, networkErrors: 0, serverErrors: {}, proxyDrops: 0 };
  readonly #agent: Agent;

  /**
   * @param origin where the runtime answers now (undefined while it is down)
   * @param deadline time (ms since the epoch) after which a request is given up: left unanswered
   */
  constructor(
    private readonly origin: () => string | undefined,
    private readonly deadline: () => number,
    connections: number,
  ) {
    this.#agent = new Agent({ connections, pipelining: 1, headersTimeout: ATTEMPT_TIMEOUT_MS, bodyTimeout: ATTEMPT_TIMEOUT_MS, keepAliveTimeout: 10_000 });
  }

  /** The first definitive answer, or undefined when the deadline passed without one. */
  async definitive(req: ChaosRequest): Promise<Answer | undefined> {
    for (let failures = 0; Date.now() < this.deadline(); ) {
      const origin = this.origin();
      if (origin === undefined) {
        await sleep(WAIT_FOR_RUNTIME_MS);
        continue;
      }
      if (failures > 0) this.stats.retries++;
      this.stats.attempts++;
      const answer = await this.#once(origin, req);
      if (answer && answer.status < 500) return answer;
      await sleep(BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!);
    }
    return undefined;
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  /** One attempt; undefined on a network error. */
  async #once(origin: string, req: ChaosRequest): Promise<Answer | undefined> {
    try {
      const res = await request(`${origin}${req.path}`, {
        dispatcher: this.#agent,
        method: req.method,
        headers: req.body === undefined ? req.headers : { "content-type": "application/json", ...req.headers },
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      });
      const text = await res.body.text();
      if (res.statusCode >= 500) this.#serverError(res.statusCode, text);
      return { status: res.statusCode, body: parseText(text), headers: res.headers };
    } catch {
      this.stats.networkErrors++;
      return undefined;
    }
  }

  #serverError(status: number, text: string): void {
    if (isDevProxyDrop(new HttpError(status, text))) {
      this.stats.proxyDrops++;
      return;
    }
    const kinds = this.stats.serverErrors;
    const kind = `${status} ${text.replace(/\s+/g, " ").slice(0, 100)}`;
    if (kind in kinds || Object.keys(kinds).length < DISTINCT_SERVER_ERRORS) kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
}

function parseText(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
