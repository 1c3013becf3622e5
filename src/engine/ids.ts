/**
 * Invocation and awakeable ids. An id carries the name of the Durable Object
 * that owns it, so any id routes to its owner without a directory lookup.
 * Pure: no randomness here; callers pass the unique suffix, and an awakeable's
 * secret drawn from the host's random source.
 */
import { bytesToBase64 } from "./bytes.js";

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
  return base64UrlOf(bytesToBase64(new TextEncoder().encode(text)));
}

function base64UrlOf(base64: string): string {
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
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

/** Random bytes in an awakeable id's secret (128 bits: not guessable, not derivable). */
export const AWAKEABLE_SECRET_BYTES = 16;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** Random bytes in the id suffix of a call's or send's callee (128 bits: not derivable from the caller's id). */
export const CALLEE_ID_RANDOM_BYTES = 16;

/** Random bytes as id text (base64url): an awakeable's secret, a callee id's suffix. */
export function randomToken(random: Uint8Array): string {
  return base64UrlOf(bytesToBase64(random));
}

/**
 * `sign_1<base64url(invocationId/index/secret)>`: where the awakeable lives (so the id routes
 * on its own) and a secret only the handler that made it has seen. A null secret (an
 * awakeable journaled before ids had one) gives the old form, which completes nothing.
 */
export function makeAwakeableId(invocationId: string, index: number, secret: string | null): string {
  return AWAKEABLE_PREFIX + base64UrlEncode(secret === null ? `${invocationId}/${index}` : `${invocationId}/${index}/${secret}`);
}

export type AwakeableAddress = { invocationId: string; index: number; owner: string; secret: string };

/** Decodes an awakeable id; the error text explains what is wrong for a 400 answer. */
export function parseAwakeableId(id: string): AwakeableAddress | { error: string } {
  if (!id.startsWith(AWAKEABLE_PREFIX)) return { error: `bad awakeable id '${id}': unrecognized codec version` };
  const parts = base64UrlDecode(id.slice(AWAKEABLE_PREFIX.length))?.split("/");
  if (parts?.length === 2) {
    return {
      error:
        `bad awakeable id '${id}': it has no secret part. Ids of this form were made by an earlier Resolute and complete nothing ` +
        `(anyone could compute them); cancel or kill the invocation waiting on it, or have it create a new awakeable`,
    };
  }
  if (parts?.length !== 3) return { error: `bad awakeable id '${id}': cannot decode` };
  const [invocationId, indexText, secret] = parts as [string, string, string];
  const index = Number(indexText);
  const owner = invocationOwner(invocationId);
  if (!owner || !/^\d+$/.test(indexText) || !Number.isSafeInteger(index) || !SECRET_PATTERN.test(secret)) {
    return { error: `bad awakeable id '${id}': cannot decode` };
  }
  return { invocationId, index, owner, secret };
}

/** Why a well-formed awakeable id completed nothing (ingress answers 404 with it). */
export function awakeableNotFound(id: string): string {
  return `awakeable '${id}' not found: no running invocation waits on an awakeable with this id (it may have completed, or the id is wrong)`;
}

/** Compares two secrets without an early exit, so the time taken does not tell how much matched. */
export function secretsEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) difference |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return difference === 0;
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
