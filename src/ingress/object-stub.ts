/** The Durable Object that hosts `owner` (an object key, a service shard, a workflow id's shard), as an RPC stub. */
import { objectNameOf } from "../engine/addressing.js";
import type { ObjectRpc } from "../durable/protocol.js";

export function objectStub<T = ObjectRpc>(namespace: DurableObjectNamespace, owner: string, workflowShards: number): T {
  return namespace.get(namespace.idFromName(objectNameOf(owner, workflowShards))) as unknown as T;
}
