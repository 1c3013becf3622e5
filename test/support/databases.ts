/**
 * The object databases a test's workerd wrote (issue #10: lookups create no storage).
 * workerd opens an object's database file (an empty 4 KB header page) as soon as the
 * object is instantiated, whatever the object does; an object with Resolute's tables,
 * or an index shard's, is many times larger.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** What an object that stored nothing leaves: its database's header page. */
export const EMPTY_DATABASE_BYTES = 4096;

/** Every object database under the persist dir, with its size (with its write-ahead log, still open after a kill). */
export function databases(dir: string): Map<string, number> {
  const found = new Map<string, number>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".sqlite") && entry.name !== "metadata.sqlite") found.set(path, statSync(path).size + walBytes(path));
    }
  };
  walk(dir);
  return found;
}

function walBytes(database: string): number {
  return existsSync(`${database}-wal`) ? statSync(`${database}-wal`).size : 0;
}
