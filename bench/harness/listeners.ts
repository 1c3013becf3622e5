/**
 * Which loopback TCP ports the processes of one process group listen on, read from
 * /proc (Linux): how the runner finds the Worker's own workerd behind wrangler dev's
 * reload proxy without turning on wrangler's debug log, whose per-request log lines
 * would cost CPU during the measurements.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Listening ports by pid, for every process whose process group is `groupId`. */
export function listeningPortsOfGroup(groupId: number): Map<number, number[]> {
  const portOfInode = listeningSockets();
  const ports = new Map<number, number[]>();
  for (const pid of processesInGroup(groupId)) {
    const own = socketInodes(pid).flatMap((inode) => portOfInode.get(inode) ?? []);
    if (own.length > 0) ports.set(pid, own);
  }
  return ports;
}

/** Socket inode → local port, for sockets in state LISTEN (0A) in /proc/net/tcp and tcp6. */
function listeningSockets(): Map<string, number> {
  const found = new Map<string, number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== "0A") continue;
      const port = parseInt(fields[1]!.split(":")[1]!, 16);
      found.set(fields[9]!, port);
    }
  }
  return found;
}

/** Pids of every process whose process group is `groupId` (zombies included). */
export function processesInGroup(groupId: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    if (processStat(Number(entry))?.pgrp === groupId) pids.push(Number(entry));
  }
  return pids;
}

/** A process's state letter (`Z` for a zombie), parent and process group; undefined once it is gone. */
export function processStat(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  try {
    // The command name (in parentheses) may hold spaces; the fields after it are fixed:
    // state, ppid, pgrp, ...
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state = "?", ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state, ppid: Number(ppid), pgrp: Number(pgrp) };
  } catch {
    return undefined; // the process ended meanwhile
  }
}

function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.push(match[1]!);
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  return inodes;
}
