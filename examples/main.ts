/**
 * The wrangler entry of the examples (`npm start`, `wrangler deploy`). To add
 * an example, import its definitions and list them in `services`.
 */
import { createWorker, type ResoluteEnv } from "resolute";
import { greeter } from "./greeter/greeter.js";
import { counter } from "./counter/counter.js";
import { roleUpdater } from "./role-updater/role-updater.js";
import { subscription } from "./subscription/subscription.js";
import { reservationServices } from "./reservation/reservation.js";
import { fakeProvider, paymentServices } from "./payment/payment.js";
import { travelServices } from "./travel/travel.js";
import { foodOrderingServices } from "./food-ordering/food-ordering.js";
import { fakeMailer, signupServices } from "./signup/signup.js";
import { approvalServices } from "./approval/approval.js";
import { fakeGateway, merchantPaymentServices } from "./merchant-payments/merchant-payments.js";

export const services = [
  greeter,
  counter,
  roleUpdater,
  subscription,
  ...reservationServices,
  ...paymentServices,
  ...travelServices,
  ...foodOrderingServices,
  ...signupServices,
  ...approvalServices,
  ...merchantPaymentServices,
];

const resolute = createWorker({
  services,
  // Every 10 minutes (the same cron is listed under [triggers] in wrangler.toml), count a tick
  // on counter/cron-ticks. Locally: curl "127.0.0.1:8787/__scheduled?cron=*/10+*+*+*+*".
  schedules: [{ cron: "*/10 * * * *", service: "counter", handler: "add", key: "cron-ticks", input: 1 }],
});

interface ExamplesEnv extends ResoluteEnv {
  /** "on" serves the fake payment provider and mailer: `npm start` sets it, a deploy does not. */
  EXAMPLE_FAKES?: string;
}

/** The fake payment provider, mailer and gateway, served by this same Worker in local development only. */
const fake = async (request: Request, env: ExamplesEnv) =>
  env.EXAMPLE_FAKES === "on" ? ((await fakeProvider(request)) ?? (await fakeMailer(request)) ?? (await fakeGateway(request))) : undefined;

export default {
  fetch: async (request: Request, env: ExamplesEnv, ctx: ExecutionContext) => (await fake(request, env)) ?? resolute.fetch(request, env, ctx),
  scheduled: resolute.scheduled,
};
export const ResoluteObject = resolute.ResoluteObject;
