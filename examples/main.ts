/**
 * The wrangler entry of the examples (`npm start`, `wrangler deploy`). To add
 * an example, import its definitions and list them in `services`.
 */
import { createWorker } from "../src/index.js";
import { greeter } from "./greeter/greeter.js";
import { counter } from "./counter/counter.js";
import { roleUpdater } from "./role-updater/role-updater.js";
import { subscription } from "./subscription/subscription.js";

export const services = [greeter, counter, roleUpdater, subscription];

const resolute = createWorker({ services });

export default { fetch: resolute.fetch };
export const ResoluteObject = resolute.ResoluteObject;
