/**
 * Invocation and awakeable ids. An id carries the name of the Durable Object
 * that owns it, so any id routes to its owner without a directory lookup.
 * Pure: no randomness here; callers pass the unique suffix.
 */

const INVOCATION_PREFIX = "inv_1";
const AWAKEABLE_PREFIX = "sign_1";

/** Kind letter in an owner name: service shard, virtual object, workflow. */
export type OwnerKind = "s" | "o" | "w";

/** Name of the Durable Object that owns a service shard, an object key or a workflow id. */
export function ownerName(kind: OwnerKind, service: string, key: string): string {
  return `${kind}:${service}:${key}`;
}

export function parseOwnerName(name: string): { kind: OwnerKind; service: string; key: string } | undefined {
  const first = name.indexOf(":");
  const second = name.indexOf(":", first + 1);
  if (first !== 1 || second < 0) return undefined;
  const kind = name[0] as OwnerKind;
  if (kind !== "s" && kind !== "o" && kind !== "w") return undefined;
  return { kind, service: name.slice(2, second), key: name.slice(second + 1) };
}

export function base64UrlEncode(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Standard base64 of raw bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function base64UrlDecode(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** `inv_1<base64url(owner)>.<suffix>` */
export function makeInvocationId(owner: string, suffix: string): string {
  return `${INVOCATION_PREFIX}${base64UrlEncode(owner)}.${suffix}`;
}

/** The owner of an invocation id, or undefined when the id is not one of ours. */
export function invocationOwner(id: string): string | undefined {
  if (!id.startsWith(INVOCATION_PREFIX)) return undefined;
  const dot = id.lastIndexOf(".");
  if (dot < 0 || !/^[A-Za-z0-9_-]+$/.test(id.slice(dot + 1))) return undefined;
  const owner = base64UrlDecode(id.slice(INVOCATION_PREFIX.length, dot));
  return owner !== undefined && parseOwnerName(owner) ? owner : undefined;
}

/** `sign_1<base64url(invocationId + "/" + index)>` */
export function makeAwakeableId(invocationId: string, index: number): string {
  return AWAKEABLE_PREFIX + base64UrlEncode(`${invocationId}/${index}`);
}

export type AwakeableAddress = { invocationId: string; index: number; owner: string };

/** Decodes an awakeable id; the error text explains what is wrong for a 400 answer. */
export function parseAwakeableId(id: string): AwakeableAddress | { error: string } {
  if (!id.startsWith(AWAKEABLE_PREFIX)) return { error: `bad awakeable id '${id}': unrecognized codec version` };
  const decoded = base64UrlDecode(id.slice(AWAKEABLE_PREFIX.length));
  const slash = decoded?.lastIndexOf("/") ?? -1;
  if (!decoded || slash < 0) return { error: `bad awakeable id '${id}': cannot decode` };
  const invocationId = decoded.slice(0, slash);
  const index = Number(decoded.slice(slash + 1));
  const owner = invocationOwner(invocationId);
  if (!owner || !Number.isInteger(index) || index < 0) return { error: `bad awakeable id '${id}': cannot decode` };
  return { invocationId, index, owner };
}

/** 53-bit string hash (cyrb53): stable ids and shards derived from other ids. */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A deterministic id suffix derived from a parent invocation and a journal index. */
export function derivedSuffix(parentId: string, index: number): string {
  return hash53(`${parentId}#${index}`).toString(36) + hash53(`${parentId}#${index}`, 7).toString(36);
}
