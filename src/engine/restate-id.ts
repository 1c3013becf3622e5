/**
 * Restate's invocation id format, and the Restate-format alias of a Resolute id.
 *
 * Restate writes an invocation id as `inv_` + the scheme version `1` + its partition key
 * (u64) in 11 base62 digits + its invocation UUID (u128) in 22 base62 digits: alphabet
 * `0-9a-zA-Z`, each number byte-swapped first (Restate's `to_be()` on a little-endian host),
 * left-padded with `0` (restatedev/restate crates/types: id_util.rs, base62_util.rs,
 * identifiers.rs). Restate's CLI parses ids in this format and stops on any other.
 *
 * Resolute's ids carry their owner (`inv_1<base64url(owner)>.<suffix>`, ids.ts) so they
 * route with no lookup; they cannot fit in Restate's 24 bytes. So each Resolute id has an
 * alias in Restate's format: a pure function of the id (the first 24 bytes of a SHA-256), so
 * anything can show it without a lookup, while going back from an alias to the id takes the
 * invocation index, which stores each row's alias. A Resolute id always has a `.`; an alias
 * never does, so the two cannot be confused.
 * Pure: no clock, no randomness.
 */

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PREFIX = "inv_1";
const KEY_DIGITS = 11;
const UUID_DIGITS = 22;
const SHAPE = new RegExp(`^${PREFIX}[0-9a-zA-Z]{${KEY_DIGITS + UUID_DIGITS}}$`);
const U64 = (1n << 64n) - 1n;
const U128 = (1n << 128n) - 1n;
/** Domain separation: the alias hash is not the hash of anything else. */
const ALIAS_DOMAIN = "resolute restate-alias v1\0";

/** A Restate invocation id's two numbers. */
export interface RestateInvocationId {
  partitionKey: bigint;
  uuid: bigint;
}

/** `n` with its `bytes` bytes in reverse order. */
function byteSwap(n: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) {
    out = (out << 8n) | (n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/**
 * The number whose bytes are `bytes` read little-endian (Restate's byte swap), in base62,
 * left-padded to `width`: long division, with no BigInt (the index computes an
 * alias for every row it stores).
 */
function base62OfSwapped(bytes: Uint8Array, width: number): string {
  // 24-bit limbs, most significant first: a remainder times 2^24 plus the next limb stays
  // below 2^30, exact in a double, and there are a third as many steps as with bytes.
  const limbs: number[] = [];
  for (let i = 0; i < bytes.length; i += 3) limbs.unshift(bytes[i]! + (bytes[i + 1] ?? 0) * 256 + (bytes[i + 2] ?? 0) * 65536);
  let digits = "";
  for (let start = 0; start < limbs.length; ) {
    let rest = 0;
    for (let i = start; i < limbs.length; i++) {
      const value = rest * 0x1000000 + limbs[i]!;
      limbs[i] = Math.floor(value / 62);
      rest = value % 62;
    }
    digits = ALPHABET[rest]! + digits;
    while (start < limbs.length && limbs[start] === 0) start++;
  }
  return digits.padStart(width, "0");
}

function unbase62(text: string): bigint {
  let n = 0n;
  for (const c of text) n = n * 62n + BigInt(ALPHABET.indexOf(c));
  return n;
}

/** The numbers of a Restate-format id, or undefined when `text` is not one (Restate's CLI would refuse it). */
export function decodeRestateInvocationId(text: string): RestateInvocationId | undefined {
  if (!SHAPE.test(text)) return undefined;
  const key = unbase62(text.slice(PREFIX.length, PREFIX.length + KEY_DIGITS));
  const uuid = unbase62(text.slice(PREFIX.length + KEY_DIGITS));
  if (key > U64 || uuid > U128) return undefined;
  return { partitionKey: byteSwap(key, 8), uuid: byteSwap(uuid, 16) };
}

/** Whether `text` is written in Restate's id format (then it can only be an alias here). */
export const isRestateInvocationId = (text: string): boolean => decodeRestateInvocationId(text) !== undefined;

/** The Restate-format alias of a Resolute invocation id. */
export async function restateAliasOf(invocationId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ALIAS_DOMAIN + invocationId)));
  const uuid = digest.subarray(8, 24);
  // A zero uuid is not a valid Restate id (a 2^-128 chance): any fixed non-zero value will do.
  if (uuid.every((b) => b === 0)) uuid[15] = 1;
  return PREFIX + base62OfSwapped(digest.subarray(0, 8), KEY_DIGITS) + base62OfSwapped(uuid, UUID_DIGITS);
}
