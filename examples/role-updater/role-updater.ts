/**
 * The role-updater saga (a classic Restate example). Giving a user a role
 * means changing several systems: first the role in the identity system, then
 * one permission in each other system. Every change is a durable step, and the
 * value it replaced is remembered. If any system refuses (a TerminalError),
 * the changes made so far are undone in reverse order and the error is
 * rethrown: the user ends exactly as they started, and the caller gets the
 * refusal's status (409). A crash anywhere in between resumes from the journal
 * and neither repeats a finished step nor skips a compensation.
 *
 *   curl -X POST localhost:8787/roleUpdater/alice/update \
 *     --json '{"role":"editor","permissions":[{"system":"crm","permission":"write"}]}'
 *
 * One object per user (the key), so two updates of one user never interleave.
 */
import { handlers, object, TerminalError, serde } from "resolute";
import type { ObjectContext, ObjectSharedContext } from "resolute";
import { z } from "zod";
import { IDENTITY_SYSTEM, grant, restore } from "./fake-systems.js";

const RoleUpdate = z.object({
  role: z.string().min(1),
  permissions: z.array(
    z.object({
      system: z.string().min(1).refine((s) => s !== IDENTITY_SYSTEM, `'${IDENTITY_SYSTEM}' holds the role: set it with 'role'`),
      permission: z.string().min(1),
    }),
  ),
});
export type RoleUpdate = z.infer<typeof RoleUpdate>;

/** What the user has in each system, as stored in state under `system:<name>`. */
export type Systems = Record<string, string>;

const PREFIX = "system:";
const stateKey = (system: string) => `${PREFIX}${system}`;

/** Applies `value` in `system` and returns the value it replaced (null: none). */
async function apply(ctx: ObjectContext, system: string, value: string): Promise<string | null> {
  const previous = await ctx.get<string>(stateKey(system));
  await ctx.run(`grant ${system}`, () => grant(system, ctx.key, value));
  ctx.set(stateKey(system), value);
  return previous;
}

/** The compensation of `apply`: puts the previous value back. */
async function undo(ctx: ObjectContext, system: string, previous: string | null): Promise<void> {
  await ctx.run(`restore ${system}`, () => restore(system, ctx.key, previous));
  if (previous === null) ctx.clear(stateKey(system));
  else ctx.set(stateKey(system), previous);
}

async function readSystems(ctx: ObjectSharedContext): Promise<Systems> {
  const systems: Systems = {};
  for (const key of (await ctx.stateKeys()).filter((k) => k.startsWith(PREFIX)).sort()) {
    const value = await ctx.get<string>(key);
    if (value !== null) systems[key.slice(PREFIX.length)] = value;
  }
  return systems;
}

export const roleUpdater = object({
  name: "roleUpdater",
  handlers: {
    update: handlers.object.exclusive({ input: serde.zod(RoleUpdate) }, async (ctx: ObjectContext, update: RoleUpdate) => {
      const compensations: (() => Promise<void>)[] = [];
      try {
        // A refused grant changes nothing, so each compensation is registered
        // after its step succeeds. (With a remote call that may half-succeed,
        // register it before the step instead.)
        const previousRole = await apply(ctx, IDENTITY_SYSTEM, update.role);
        compensations.push(() => undo(ctx, IDENTITY_SYSTEM, previousRole));
        for (const { system, permission } of update.permissions) {
          const previous = await apply(ctx, system, permission);
          compensations.push(() => undo(ctx, system, previous));
        }
      } catch (e) {
        // Only terminal failures reach here: a transient error inside ctx.run
        // retries the invocation from the journal instead of throwing.
        if (!(e instanceof TerminalError)) throw e;
        for (const compensate of compensations.reverse()) await compensate();
        throw e;
      }
      return readSystems(ctx);
    }),
    /** What the user has in each system right now. */
    get: handlers.object.shared(async (ctx: ObjectSharedContext) => readSystems(ctx)),
  },
});
