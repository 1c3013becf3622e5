/**
 * Checks a request's input against the handler before anything is stored: its
 * content type, and for JSON handlers that it can be decoded at all. Input that
 * can never succeed is a 400 here instead of an invocation retried forever.
 */
import { serde } from "../../sdk/serde.js";
import type { HandlerSpec } from "../engine/registry.js";
import { IngressError } from "./responses.js";
import { MAX_JSON_DEPTH, echo } from "./limits.js";

const JSON_TYPE = "application/json";

/** The content type a handler accepts: its `accept` option, else its input serde's type; undefined accepts any. */
export function acceptedType(spec: HandlerSpec): string | undefined {
  return spec.accept ?? spec.input.contentType;
}

/** Refuses with 400 an input the handler cannot take (content type, undecodable JSON). */
export function checkInput(spec: HandlerSpec, contentType: string | null, body: Uint8Array): void {
  checkContentType(acceptedType(spec), contentType, body);
  if (isJson(spec.input.contentType) && body.byteLength > 0) checkJson(body);
}

/**
 * Restate 1.7's rule: with a content type, its media type must match the
 * handler's (parameters such as `charset` are ignored); without one, the body
 * must be empty. Resolute compares media types case-insensitively (RFC 9110),
 * where Restate compares them exactly.
 */
function checkContentType(accepted: string | undefined, given: string | null, body: Uint8Array): void {
  if (accepted === undefined) return;
  const media = given === null ? "" : mediaType(given);
  if (media === "") {
    if (body.byteLength === 0) return;
    throw new IngressError(400, `input validation error: Empty content-type: send the body with 'content-type: ${accepted}'`);
  }
  if (matches(accepted, media)) return;
  throw new IngressError(400, `input validation error: Content-type ${echo(given!)} does not match '${accepted}': send 'content-type: ${accepted}'`);
}

/** `type/subtype` of a content type, lower-case, without parameters. */
function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/** Whether `media` fits the pattern `accepted` (`*` matches a whole type or subtype: `text/*`, `*\/*`). */
function matches(accepted: string, media: string): boolean {
  const [type, subtype] = mediaType(accepted).split("/");
  const given = media.split("/");
  // Exactly type/subtype: `application/json/x` is no media type, not a JSON one with a tail.
  if (given.length !== 2) return false;
  const [givenType, givenSubtype] = given;
  return (type === "*" || type === givenType) && (subtype === "*" || subtype === givenSubtype);
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && mediaType(contentType) === JSON_TYPE;
}

/**
 * JSON the handler's serde could never decode, or could decode into a value too
 * deep for the runtime to handle (the stack overflows in structured clone and
 * string conversion), is refused with the reason.
 */
function checkJson(body: Uint8Array): void {
  if (jsonDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new IngressError(400, `Failed to deserialize input: the JSON is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    serde.json.deserialize(body);
  } catch (error) {
    throw new IngressError(400, (error as Error).message);
  }
}

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * How deeply brackets nest outside strings, up to `stop` + 1 (it stops counting
 * there). Works on the UTF-8 bytes: no multi-byte character contains an ASCII byte.
 */
export function jsonDepth(bytes: Uint8Array, stop: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > stop) return deepest;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
  }
  return deepest;
}
