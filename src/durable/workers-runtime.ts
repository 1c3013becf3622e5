/**
 * The one runtime import from `cloudflare:workers`, behind the package's `#workers-runtime`
 * import so that Node loads a stand-in (workers-runtime-node.ts) instead: a Worker module that
 * calls createWorker can then be imported by a Node test for its definitions.
 */
export { DurableObject } from "cloudflare:workers";
