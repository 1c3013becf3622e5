/**
 * A side-effect server for limit tests (issue 15): handlers call
 * `/work?group=G&id=I` from a `ctx.run`, and the server keeps the request open
 * (for `ms`, or while the group is held) and records how many requests of each
 * group were in flight at once. A request whose connection closes early (the
 * runtime was killed) stops counting then, so a crash does not inflate the count.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

interface Group {
  inFlight: number;
  max: number;
  /** Ids of every request, in arrival order (a re-execution after a crash appears twice). */
  started: string[];
  /** Ids answered. */
  done: string[];
  held: (() => void)[] | undefined;
}

export class ConcurrencyServer {
  #server!: Server;
  readonly #groups = new Map<string, Group>();
  url = "";

  static async start(): Promise<ConcurrencyServer> {
    const s = new ConcurrencyServer();
    s.#server = createServer((req, res) => s.#handle(req, res));
    await new Promise<void>((r) => s.#server.listen(0, "127.0.0.1", r));
    const address = s.#server.address();
    s.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    return s;
  }

  #group(name: string): Group {
    let group = this.#groups.get(name);
    if (!group) this.#groups.set(name, (group = { inFlight: 0, max: 0, started: [], done: [], held: undefined }));
    return group;
  }

  /** Requests of `group` stay open until `release(group)`. */
  hold(group: string): void {
    this.#group(group).held ??= [];
  }

  release(group: string): void {
    const g = this.#group(group);
    const held = g.held ?? [];
    g.held = undefined;
    held.forEach((answer) => answer());
  }

  max(group: string): number {
    return this.#group(group).max;
  }
  inFlight(group: string): number {
    return this.#group(group).inFlight;
  }
  started(group: string): readonly string[] {
    return this.#group(group).started;
  }
  done(group: string): readonly string[] {
    return this.#group(group).done;
  }

  async waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/work") return void res.writeHead(404).end();
    const group = this.#group(url.searchParams.get("group") ?? "");
    const id = url.searchParams.get("id") ?? "";
    const ms = Number(url.searchParams.get("ms") ?? "0");
    group.started.push(id);
    group.inFlight++;
    group.max = Math.max(group.max, group.inFlight);
    let open = true;
    const finish = () => {
      if (!open) return;
      open = false;
      group.inFlight--;
    };
    res.on("close", finish); // answered, or the caller went away (a killed runtime)
    const answer = () => {
      if (!open) return;
      finish();
      group.done.push(id);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id }));
    };
    const later = () => (ms > 0 ? setTimeout(answer, ms) : answer());
    if (group.held) group.held.push(later);
    else later();
  }
}
