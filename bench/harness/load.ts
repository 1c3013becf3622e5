/**
 * Load generation with undici keep-alive pools (never Node's fetch, which costs
 * ~5× the client CPU per call): a sequential loop and a closed loop of N clients.
 */
import { performance } from "node:perf_hooks";
import { Pool } from "undici";

const TIMEOUT_MS = 30_000;

/** A keep-alive connection pool to one origin. */
export class Http {
  readonly #pool: Pool;

  constructor(origin: string, connections: number) {
    this.#pool = new Pool(origin, {
      connections,
      pipelining: 1,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
      keepAliveTimeout: 60_000,
    });
  }

  /** POSTs a JSON body; resolves with the parsed JSON answer, throws on any non-200. */
  postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
    return this.requestJson({ method: "POST", path, body, headers });
  }

  /** GETs a path; resolves with the parsed JSON answer, throws on any non-200. */
  getJson(path: string): Promise<unknown> {
    return this.requestJson({ method: "GET", path });
  }

  /** One request; resolves with the parsed JSON answer, throws unless the status is `expect` (200). */
  async requestJson(options: { method: "GET" | "POST"; path: string; body?: unknown; headers?: Record<string, string>; expect?: number }): Promise<unknown> {
    const { method, path, body, headers = {}, expect = 200 } = options;
    const res = await this.#pool.request({
      method,
      path,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    });
    const text = await res.body.text();
    if (res.statusCode !== expect) throw new HttpError(res.statusCode, text);
    return text === "" ? undefined : JSON.parse(text);
  }

  /** GETs a path; resolves with the status code. */
  async getStatus(path: string): Promise<number> {
    const res = await this.#pool.request({ method: "GET", path });
    await res.body.dump();
    return res.statusCode;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`HTTP ${status}: ${body.slice(0, 200)}`);
    this.name = "HttpError";
  }
}

/**
 * wrangler dev's ProxyWorker answers this when its pooled connection to the
 * Worker's runtime breaks (a kj keep-alive race, cloudflare/workers-sdk#14641,
 * #15317), though the Worker never restarted. The request was not delivered;
 * the fault is the dev proxy's, not the system's under test.
 */
export function isDevProxyDrop(error: unknown): boolean {
  return error instanceof HttpError && error.status === 503 && error.body.includes("restarted mid-request");
}

/** One call of the system under test; resolves with its answer. */
export type Call = (http: Http, key: string) => Promise<unknown>;

export interface Sample {
  key: string;
  answer: unknown;
}

export interface LoadResult {
  ok: number;
  /** Failed calls, dev-proxy drops excluded. */
  errors: number;
  /** Calls wrangler dev's proxy dropped before they reached the Worker (see isDevProxyDrop). */
  proxyDrops: number;
  /** Up to five distinct error messages with their counts. */
  errorKinds: Record<string, number>;
  elapsedMs: number;
  latenciesMs: number[];
  samples: Sample[];
}

export interface ClosedLoopOptions {
  origin: string;
  concurrency: number;
  /** Stop issuing new calls after this long... */
  durationMs: number;
  /** ...or after this many calls, whichever comes first. */
  maxCalls: number;
  /** The key of the i-th call. */
  keyOf: (i: number) => string;
  call: Call;
}

/**
 * `concurrency` clients, each issuing its next call as soon as the previous one
 * answers. Calls in flight at the deadline are awaited (bounded by the timeout).
 */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const http = new Http(options.origin, options.concurrency);
  const result: LoadResult = { ok: 0, errors: 0, proxyDrops: 0, errorKinds: {}, elapsedMs: 0, latenciesMs: [], samples: [] };
  await prime(http, options.concurrency);
  const started = performance.now();
  const deadline = started + options.durationMs;
  let issued = 0;

  const client = async () => {
    while (issued < options.maxCalls && performance.now() < deadline) {
      const key = options.keyOf(issued++);
      const t0 = performance.now();
      try {
        const answer = await options.call(http, key);
        result.latenciesMs.push(performance.now() - t0);
        result.samples.push({ key, answer });
        result.ok++;
      } catch (error) {
        recordError(result, error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, client));
    result.elapsedMs = performance.now() - started;
  } finally {
    await http.close();
  }
  return result;
}

/** One client, `calls` calls one after the other on `key`. */
export function sequential(origin: string, key: string, calls: number, call: Call): Promise<LoadResult> {
  return closedLoop({ origin, concurrency: 1, durationMs: Infinity, maxCalls: calls, keyOf: () => key, call });
}

/**
 * Opens every client connection and cycles the dev proxy's connections to the
 * Worker before the clock starts: GETs that hit a stale proxy connection are
 * retried by the proxy itself, so the timed POSTs find fresh ones.
 */
async function prime(http: Http, concurrency: number): Promise<void> {
  await Promise.all(Array.from({ length: concurrency * 2 }, () => http.getStatus(PRIME_PATH).catch(() => 0)));
}
const PRIME_PATH = "/__bench/prime";

function recordError(result: LoadResult, error: unknown): void {
  if (isDevProxyDrop(error)) {
    result.proxyDrops++;
    return;
  }
  result.errors++;
  const kinds = result.errorKinds;
  const message = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 160) : String(error);
  if (message in kinds || Object.keys(kinds).length < 5) kinds[message] = (kinds[message] ?? 0) + 1;
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
