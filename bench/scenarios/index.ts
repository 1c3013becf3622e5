/**
 * Every workload the runner knows, in the order `npm run bench` runs them. Add
 * one by writing a `Workload` (see harness/types.ts and w3.ts) and listing it here.
 */
import type { Target, Workload } from "../harness/types.js";
import { chain } from "./chain.js";
import { dup } from "./dup.js";
import { w3 } from "./w3.js";
import { w3Limited, w3LimitedKeyed } from "./w3-limited.js";
import { workflows } from "./workflows.js";

export const WORKLOADS: readonly Workload<Target>[] = [w3, chain, dup, workflows, w3Limited, w3LimitedKeyed];
