/**
 * Node's `#workers-runtime` (see workers-runtime.ts): a stand-in for `cloudflare:workers`'
 * DurableObject base class. It lets Node import a Worker module, e.g. to take the definitions
 * a test runs with createTestRuntime; the Durable Object itself only runs on workerd.
 */
export class DurableObject<Env = unknown> {
  protected ctx: DurableObjectState;
  protected env: Env;

  constructor(ctx: DurableObjectState, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }
}
