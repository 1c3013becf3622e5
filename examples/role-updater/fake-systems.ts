/**
 * A stand-in for the remote systems a role update touches (an identity
 * provider, a CRM, a billing tool, a legacy app). Each call is what would be
 * an HTTP request to that system's API; here it only decides, and can refuse.
 * The values themselves live in the role updater's state, so every write and
 * every rollback is visible through `roleUpdater/<user>/get`.
 */
import { TerminalError } from "resolute";

/** The system that holds the user's role. */
export const IDENTITY_SYSTEM = "identity";

/** Status a system answers when it refuses a change: the saga's terminal failure. */
export const REFUSED_CODE = 409;

/** What each system refuses to grant. Deterministic, so the failure path is easy to try. */
const REFUSALS: Readonly<Record<string, readonly string[]>> = {
  legacy: ["admin"],
};

/**
 * Grants `value` to `userId` in `system`. Refusals are permanent (a policy, not
 * an outage), so they are `TerminalError`s: retrying would not help.
 */
export async function grant(system: string, userId: string, value: string): Promise<void> {
  if (REFUSALS[system]?.includes(value)) {
    throw new TerminalError(`system '${system}' refused '${value}' for user '${userId}': '${value}' cannot be granted there`, {
      errorCode: REFUSED_CODE,
    });
  }
}

/** Puts back what `userId` had in `system` before (null: nothing). Restores are never refused. */
export async function restore(_system: string, _userId: string, _previous: string | null): Promise<void> {}
