/**
 * `npm run chaos`: the crash harness (docs/reliability.md). Drives contributions, refunds, edits and payout runs
 * through the app while it kills roles with `kill -9`, restarts PostgreSQL in immediate mode and makes the sandbox lose
 * answers and webhooks; then audits that nothing acknowledged was lost, doubled or paid twice. Prints a summary
 * table and exits 1 on any violation.
 *
 *   npm run chaos                         the short run (CI's): 300 contributions, 4 kills, 1 restart
 *   npm run chaos -- --long               the documented long run: 10,000 contributions, 20 kills, 3 restarts
 *   npm run chaos -- --seed 7 --contributions 2000 --kills 8 --restarts 2 --lose-rate 0.05 --keep
 *   npm run chaos -- --plant skip-event   plant a bug after the audit and show that the audit then fails
 */

import path from "node:path";
import { parseArgs } from "node:util";
import { summaryTable } from "@/chaos/report";
import { LONG_RUN, PLANTS, type Plant, runChaos, SHORT_RUN } from "@/chaos/run";
import { buildIfStale } from "./build-if-stale";

const { values: a } = parseArgs({
  options: {
    long: { type: "boolean", default: false },
    seed: { type: "string" },
    contributions: { type: "string" },
    clients: { type: "string" },
    instances: { type: "string" },
    campaigns: { type: "string" },
    donors: { type: "string" },
    kills: { type: "string" },
    restarts: { type: "string" },
    "lose-rate": { type: "string" },
    "data-dir": { type: "string" },
    keep: { type: "boolean", default: false },
    plant: { type: "string", multiple: true },
    help: { type: "boolean", default: false },
  },
});
if (a.help) {
  console.log(
    `npm run chaos -- [--long] [--seed N] [--contributions N] [--clients N] [--instances N] [--campaigns N] [--donors N] [--kills N] [--restarts N] [--lose-rate 0..1] [--data-dir DIR] [--keep] [--plant ${PLANTS.join("|")}]…`,
  );
  process.exit(0);
}
const preset = a.long ? LONG_RUN : SHORT_RUN;
const int = (v: string | undefined, d: number, name: string) => {
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number (got ${v})`);
    process.exit(2);
  }
  return n;
};
const seed = int(a.seed, Math.floor(Math.random() * 1_000_000), "seed");
const loseRate = a["lose-rate"] === undefined ? 0.03 : Number(a["lose-rate"]);
if (!(loseRate >= 0 && loseRate <= 1)) {
  console.error(`--lose-rate must be between 0 and 1 (got ${a["lose-rate"]})`);
  process.exit(2);
}
const plant = (a.plant ?? []) as Plant[];
for (const p of plant) {
  if (!(PLANTS as readonly string[]).includes(p)) {
    console.error(`--plant must be one of ${PLANTS.join(", ")} (got ${p})`);
    process.exit(2);
  }
}
const options = {
  plant,
  seed,
  contributions: int(a.contributions, preset.contributions, "contributions"),
  clients: Math.max(1, int(a.clients, preset.clients, "clients")),
  instances: Math.max(1, int(a.instances, preset.instances, "instances")),
  campaigns: Math.max(1, int(a.campaigns, preset.campaigns, "campaigns")),
  donors: Math.max(1, int(a.donors, preset.donors, "donors")),
  kills: int(a.kills, preset.kills, "kills"),
  restarts: int(a.restarts, preset.restarts, "restarts"),
  loseRate,
  dataDir: path.resolve(a["data-dir"] ?? ".chaos-data"),
  keep: a.keep ?? false,
  opTimeoutMs: 180_000,
  settleTimeoutMs: 240_000,
};

buildIfStale((m) => console.log(`[chaos] ${m}`));
const t0 = Date.now();
const stamp = () => `${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s`;
console.log(
  `[chaos] seed ${seed}: ${options.contributions} contributions by ${options.clients} clients, ${options.instances} web instances, ${options.kills} kills, ${options.restarts} PostgreSQL restarts, ${loseRate * 100}% of sandbox answers and webhooks lost`,
);
// PostgreSQL's own log lines (recovery after each crash) go to the run's roles.log, not the progress.
const summary = await runChaos(options, (line) => {
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ UTC \[/.test(line)) console.log(`[chaos ${stamp()}] ${line}`);
});
console.log(summaryTable(summary));
if (plant.length > 0) {
  console.log(`\nafter planting ${plant.join(", ")}, the audit finds ${summary.planted.length} violations:`);
  for (const v of summary.planted) console.log(`VIOLATION ${v.kind}: ${v.detail}`);
}
process.exit(summary.violations.length === 0 && (plant.length === 0 || summary.planted.length > 0) ? 0 : 1);
