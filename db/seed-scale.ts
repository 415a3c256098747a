/**
 * Seeding at scale (`npm run seed -- --campaigns N`, issue 16 item 1; docs/scaling.md, "Seeding at scale"):
 * N campaigns with users (about N/5), contributions and their ledger entries, streamed into PostgreSQL with
 * COPY, in chunks of campaigns, each chunk one transaction recorded in `seed_chunks` so that a killed seed
 * goes on where it stopped and a second run with the same N does nothing.
 *
 * Everything a campaign holds is a pure function of (seed, campaign index): its ID, creator, currency, goal,
 * status, story and every contribution (count, donor, amount, time). So a chunk that is redone after a crash
 * writes the same rows, the chunk size does not change the data, and a database seeded to 10^5 grows to 10^6
 * by adding the campaigns 10^5 … 10^6 − 1. (Receipt numbers alone come from the database's sequence.)
 *
 * Shape (skewed like a real platform: most campaigns small, a few viral):
 * - contributions per campaign: geometric with mean 1.5 (40 % none, 95 % at most 5); 0.5 % "popular" ones
 *   Pareto (α 1.5) from 20 to 999; 1 in 5,000 viral, Pareto (α 1.5) from 1,000 to 30,000. About 2.35 a
 *   campaign on average;
 * - amounts log-normal around 25.00 (minor units, rounded to 100, at least 100); 3 % of contributions
 *   failed (declined card: no ledger entry, not counted);
 * - currencies USD 70 %, EUR 20 %, GBP 10 %; 15 % of campaigns ended by their creator, the rest active;
 * - users: campaign i's creator and donors are among the users 0 … ⌊i/5⌋; the chunk of campaigns [lo, hi)
 *   inserts the users ⌈lo/5⌉ … ⌈hi/5⌉ − 1.
 *
 * Each paid contribution posts what lib/payments/settle.ts posts at settlement: one `contribution` entry
 * (provider "sandbox") with provider_clearing +amount, campaign_collected −amount, and when the fee is not
 * zero campaign_collected +fee, platform_fees −fee (fee = ⌊amount × feeBps / 10,000⌋). Each campaign's
 * `collected_amount` and `contribution_count` are the sum and count of its paid contributions, so the ledger
 * audit (lib/ledger/audit.ts) passes. The ledger's triggers stay on: COPY fires the statement check of
 * migration 0019 over the chunk's lines (balance per entry, currency, provider, entry still open: an entry's
 * lines are copied by the transaction that copied the entry, all in one COPY).
 *
 * Indexes are kept and loaded into, not dropped and rebuilt: the ledger's triggers look lines up by entry
 * and entries and accounts by primary key on every line, and the database stays usable between chunks (the
 * read curve reads it). Time-ordered IDs (UUIDv7) make most index inserts land on the right edge.
 * `provider_payment_id` is left null: there is no sandbox payment for a seeded contribution to point at.
 */
import { once } from "node:events";
import type { Writable } from "node:stream";
import postgres from "postgres";

/** Campaigns per chunk (one transaction each) unless told. */
export const DEFAULT_CHUNK = 100_000;
/** Platform fee of seeded contributions (basis points) unless told: 2.5 %, so each entry has its four lines. */
export const DEFAULT_FEE_BPS = 250;
/** What a seeded contribution's provider is: test money, never paid out by Stripe. */
const PROVIDER = "sandbox";
/** Campaign i is created at T0 + i × 3 s (10^7 campaigns span 347 days of 2024). */
const T0 = Date.UTC(2024, 0, 1);
const CAMPAIGN_EVERY_MS = 3000;
const USER_EVERY_MS = 15_000;
const DAY_MS = 86_400_000;
const CURRENCIES = ["USD", "EUR", "GBP"] as const;

// ---------------------------------------------------------------------------------------------------------
// Deterministic randomness: a 32-bit hash of (seed, stream, index) seeds a mulberry32 generator.

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x5bd1e995);
  h ^= h >>> 13;
  return Math.imul(h, 0x27d4eb2d) >>> 0;
}

/** A generator of floats in [0, 1) for (seed, stream, index): the same numbers every time. */
export function rngFor(seed: number, stream: number, index: number): () => number {
  let a = mix(mix(mix(0x9e3779b9, seed), stream), Math.floor(index / 2 ** 32));
  a = mix(a, index >>> 0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A UUIDv7 (RFC 9562) of Unix time `ms` whose 74 random bits come from `rnd`. */
export function uuid7(ms: number, rnd: () => number): string {
  const b = new Array<number>(16);
  let t = ms;
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  for (let i = 6; i < 16; i++) b[i] = Math.floor(rnd() * 256);
  b[6] = 0x70 | ((b[6] as number) & 0x0f);
  b[8] = 0x80 | ((b[8] as number) & 0x3f);
  const h = b.map((x) => HEX[x]);
  return `${h[0]}${h[1]}${h[2]}${h[3]}-${h[4]}${h[5]}-${h[6]}${h[7]}-${h[8]}${h[9]}-${h[10]}${h[11]}${h[12]}${h[13]}${h[14]}${h[15]}`;
}

const STREAM_CAMPAIGN = 1;
const STREAM_USER = 2;
const STREAM_STORY = 4;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
/** Pareto(α) from `min`, capped at `max`, as a whole number. */
const pareto = (r: () => number, min: number, max: number, alpha: number) =>
  Math.min(max, Math.floor(min / (1 - r()) ** (1 / alpha)));
/** Roughly standard normal: the sum of four uniforms, centred and scaled. */
const normal = (r: () => number) => (r() + r() + r() + r() - 2) * Math.sqrt(3);

const WORDS = (
  "help family medical bills community school garden shelter rebuild after fire flood surgery recovery " +
  "dream music team travel tournament library animals rescue food bank scholarship memorial fund local " +
  "theatre studio repair roof wheelchair van clinic water well village kids camp art supplies research " +
  "cancer treatment therapy funeral costs emergency home neighbours support friends together hope"
).split(" ");
const FIRST = "Ada Ben Chloe Dan Eva Finn Grace Hugo Iris Jack Kate Leo Mia Noah Olivia Paul Rosa Sam Tara Omar".split(" ");
const LAST = "Smith Jones Brown Garcia Müller Rossi Dubois Nowak Silva Kim Patel Ahmed Lee Novak Costa Berg".split(" ");
const MESSAGES = ["Good luck!", "Sending love", "Get well soon", "Happy to help", "For the team", "Keep going ❤️"];

function words(r: () => number, n: number): string[] {
  return Array.from({ length: n }, () => pick(r, WORDS));
}

function sentence(r: () => number): string {
  const s = words(r, 6 + Math.floor(r() * 10)).join(" ");
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
}

export interface SeedUser {
  id: string;
  email: string;
  name: string;
  createdMs: number;
}

/** User `u`'s ID (the first draws of its stream, as in `seedUser`). */
export const seedUserId = (seed: number, u: number): string => uuid7(T0 + u * USER_EVERY_MS, rngFor(seed, STREAM_USER, u));

/** User `u` of seed `seed`. */
export function seedUser(seed: number, u: number): SeedUser {
  const r = rngFor(seed, STREAM_USER, u);
  const createdMs = T0 + u * USER_EVERY_MS;
  return {
    id: uuid7(createdMs, r),
    email: `seed-user-${u}@seed.example.com`,
    name: `${pick(r, FIRST)} ${pick(r, LAST)}`,
    createdMs,
  };
}

export interface SeedContribution {
  id: string;
  contributor: number;
  amount: number;
  fee: number;
  paid: boolean;
  anonymous: boolean;
  message: string | null;
  createdMs: number;
  settledMs: number;
  entryId: string;
}

export interface SeedCampaign {
  index: number;
  id: string;
  creator: number;
  title: string;
  goal: number;
  currency: (typeof CURRENCIES)[number];
  ended: boolean;
  createdMs: number;
  /** When it was ended (60 days after it was created), if it was. */
  endedMs: number | null;
  collected: number;
  count: number;
  /** The campaign_collected ledger account's ID (used only when some contribution is paid). */
  accountId: string;
  contributions: SeedContribution[];
}

/** How many contributions campaign `r` draws: geometric (mean 1.5), 0.5 % popular, 1 in 5,000 viral. */
function contributionCount(r: () => number): number {
  const tier = r();
  if (tier < 1 / 5000) return pareto(r, 1000, 30_000, 1.5);
  if (tier < 0.005) return pareto(r, 20, 999, 1.5);
  return Math.floor(Math.log(1 - r()) / Math.log(0.6));
}

/** Campaign `i` of seed `seed` with its contributions (fee `feeBps`); the same every call. */
export function seedCampaign(seed: number, i: number, feeBps: number): SeedCampaign {
  const r = rngFor(seed, STREAM_CAMPAIGN, i);
  const createdMs = T0 + i * CAMPAIGN_EVERY_MS;
  const id = uuid7(createdMs, r);
  const users = Math.floor(i / 5) + 1;
  const creator = Math.floor(r() * users);
  const cur = r();
  const currency = cur < 0.7 ? "USD" : cur < 0.9 ? "EUR" : "GBP";
  const goal = Math.max(10_000, Math.round(Math.exp(Math.log(10_000) + r() * Math.log(500)) / 100) * 100);
  const ended = r() < 0.15;
  const title = words(r, 3 + Math.floor(r() * 5)).join(" ");
  const n = contributionCount(r);
  const accountId = uuid7(createdMs, r);
  const contributions: SeedContribution[] = [];
  let collected = 0;
  let count = 0;
  for (let k = 0; k < n; k++) {
    const cMs = createdMs + Math.floor(r() * 60 * DAY_MS);
    const amount = Math.max(100, Math.round(Math.exp(Math.log(2500) + normal(r) * 0.9) / 100) * 100);
    const paid = r() >= 0.03;
    const fee = paid ? Math.floor((amount * feeBps) / 10_000) : 0;
    const anonymous = r() < 0.1;
    const message = r() < 0.3 ? pick(r, MESSAGES) : null;
    const settledMs = cMs + 1000 + Math.floor(r() * 4000);
    contributions.push({
      id: uuid7(cMs, r),
      contributor: Math.floor(r() * users),
      amount,
      fee,
      paid,
      anonymous,
      message,
      createdMs: cMs,
      settledMs,
      entryId: uuid7(settledMs, r),
    });
    if (paid) {
      collected += amount;
      count++;
    }
  }
  return {
    index: i,
    id,
    creator,
    title: `${title.charAt(0).toUpperCase()}${title.slice(1)}`,
    goal,
    currency,
    ended,
    createdMs,
    endedMs: ended ? createdMs + 60 * DAY_MS : null,
    collected,
    count,
    accountId,
    contributions,
  };
}

/** Campaign `i`'s story, 200–999 characters in paragraphs (a stream of its own: only the campaigns' COPY draws it). */
export function seedStory(seed: number, i: number): string {
  const r = rngFor(seed, STREAM_STORY, i);
  const storyLength = 200 + Math.floor(r() * 800);
  const paragraphs: string[] = [];
  let length = 0;
  while (length < storyLength) {
    const p = Array.from({ length: 2 + Math.floor(r() * 3) }, () => sentence(r)).join(" ");
    paragraphs.push(p);
    length += p.length + 2;
  }
  return paragraphs.join("\n\n").slice(0, storyLength);
}

/** The ID of campaign `i` of seed `seed` (what the read curve requests), without drawing its contributions. */
export function seedCampaignId(seed: number, i: number): string {
  return uuid7(T0 + i * CAMPAIGN_EVERY_MS, rngFor(seed, STREAM_CAMPAIGN, i));
}

// ---------------------------------------------------------------------------------------------------------
// COPY text format (PostgreSQL's default for COPY FROM STDIN): tab-separated, \N for null, backslash escapes.

const esc = (v: string) => v.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n").replaceAll("\r", "\\r");
const iso = (ms: number) => new Date(ms).toISOString();
const row = (cells: (string | number | boolean | null)[]) =>
  `${cells.map((c) => (c === null ? "\\N" : typeof c === "string" ? esc(c) : typeof c === "boolean" ? (c ? "t" : "f") : String(c))).join("\t")}\n`;

/** Write `lines` to `w` in batches of about 64 KiB, waiting when the stream is full; resolves when it finished. */
async function pump(w: Writable, lines: Iterable<string>, count: (n: number) => void): Promise<void> {
  let buf = "";
  let n = 0;
  for (const line of lines) {
    buf += line;
    n++;
    if (buf.length >= 65_536) {
      count(n);
      n = 0;
      const ok = w.write(buf);
      buf = "";
      if (!ok) await once(w, "drain");
    }
  }
  count(n);
  w.end(buf);
  await once(w, "finish");
}

// ---------------------------------------------------------------------------------------------------------

export interface SeedOptions {
  /** Owner connection string of a migrated database. */
  url: string;
  campaigns: number;
  seed?: number;
  chunk?: number;
  feeBps?: number;
  /** Called about every 500 ms and at the end of each chunk. */
  onProgress?: (p: SeedProgress) => void;
  /** Called inside a chunk's transaction after each table's COPY (tests make a chunk fail here). */
  onCopied?: (chunk: { lo: number; hi: number }, table: string) => void | Promise<void>;
}

export interface SeedProgress {
  /** Campaigns in the database (seeded before this run and since). */
  campaignsDone: number;
  campaignsWanted: number;
  /** Rows this run copied (all tables), and since when (epoch ms). */
  rows: number;
  startedMs: number;
  /** Campaigns this run seeded, for its rate. */
  campaignsThisRun: number;
  chunk: { lo: number; hi: number } | null;
  /** copy: COPYs running; commit: the chunk's commit. */
  phase: "copy" | "commit";
}

export interface SeedSummary {
  seed: number;
  campaigns: number;
  /** Campaigns present before this run (0 on a fresh database; N when it had nothing to do). */
  before: number;
  chunks: number;
  rows: number;
  ms: number;
}

/**
 * Seed the database at `url` up to `campaigns` campaigns (see the file's comment for the data), going on from
 * what `seed_chunks` says is done. Throws when the database was seeded with another seed or fee, or already
 * holds more seeded campaigns than asked (a seed never deletes). Takes an advisory lock: one seed at a time.
 */
export async function seedAtScale(o: SeedOptions): Promise<SeedSummary> {
  const seed = o.seed ?? 1;
  const chunk = o.chunk ?? DEFAULT_CHUNK;
  const feeBps = o.feeBps ?? DEFAULT_FEE_BPS;
  if (!Number.isInteger(o.campaigns) || o.campaigns < 0) throw new Error("campaigns must be a whole number ≥ 0");
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error("chunk must be a whole number ≥ 1");
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 31) throw new Error("seed must be a whole number in [0, 2^31)");
  const sql = postgres(o.url, { max: 1, onnotice: () => {} });
  const started = Date.now();
  let rows = 0;
  let thisRun = 0;
  let chunks = 0;
  try {
    await sql`select pg_advisory_lock(hashtext('crowdfund:seed-at-scale'))`;
    // The seeded history starts in January 2024: its months' partitions exist before any row is loaded, so
    // rows land in their month rather than in DEFAULT (docs/partitioning.md).
    await sql`select * from ensure_time_partitions(3, ${new Date(T0).toISOString().slice(0, 10)}::date)`;
    await sql`create table if not exists seed_chunks (
      lo bigint primary key, hi bigint not null, seed integer not null, fee_bps integer not null,
      rows bigint not null, ms integer not null, done_at timestamptz not null default now())`;
    const [state] = await sql<{ done: string; seeds: number[]; fees: number[] }[]>`
      select coalesce(max(hi), 0)::text as done, coalesce(array_agg(distinct seed), '{}') as seeds,
             coalesce(array_agg(distinct fee_bps), '{}') as fees from seed_chunks`;
    const before = Number(state?.done ?? 0);
    if (state?.seeds.some((s) => s !== seed)) throw new Error(`this database was seeded with --seed ${state.seeds.join(",")}`);
    if (state?.fees.some((f) => f !== feeBps))
      throw new Error(`this database was seeded with a fee of ${state.fees.join(",")} bps`);
    if (before > o.campaigns) throw new Error(`this database already holds ${before} seeded campaigns, more than ${o.campaigns}`);

    const shared = await sharedAccounts(sql);
    let done = before;
    let lastReport = 0;
    let phase: SeedProgress["phase"] = "copy";
    const report = (cur: { lo: number; hi: number } | null, force = false) => {
      const now = Date.now();
      if (!force && now - lastReport < 500) return;
      lastReport = now;
      o.onProgress?.({
        campaignsDone: done,
        campaignsWanted: o.campaigns,
        rows,
        startedMs: started,
        campaignsThisRun: thisRun,
        chunk: cur,
        phase,
      });
    };
    report(null, true);
    while (done < o.campaigns) {
      const lo = done;
      const hi = Math.min(o.campaigns, lo + chunk);
      const cur = { lo, hi };
      const t = Date.now();
      const rowsBefore = rows;
      const count = (n: number) => {
        rows += n;
        report(cur);
      };
      await sql.begin(async (tx) => {
        const copy = async (table: string, columns: string, lines: Iterable<string>) => {
          const w = await tx.unsafe(`copy ${table} (${columns}) from stdin`).writable();
          await pump(w, lines, count);
          await o.onCopied?.(cur, table);
        };
        // The chunk's campaigns and contributions, drawn once for the five COPYs that read them (stories apart).
        const drawn = Array.from({ length: hi - lo }, (_, k) => seedCampaign(seed, lo + k, feeBps));
        const campaignsOf = () => drawn;
        await copy(
          "users",
          "id, email, name, role, created_at",
          (function* () {
            for (let u = Math.ceil(lo / 5); u < Math.ceil(hi / 5); u++) {
              const s = seedUser(seed, u);
              yield row([s.id, s.email, s.name, "user", iso(s.createdMs)]);
            }
          })(),
        );
        // Users of this chunk and earlier: campaign i's people are among users 0 … ⌊i/5⌋ (⌊i/5⌋ < ⌈hi/5⌉).
        const userId = (u: number) => seedUserId(seed, u);
        let paidInChunk = 0;
        await copy(
          "campaigns",
          "id, creator_id, title, story, goal_amount, currency, collected_amount, contribution_count, status, ended_at, ended_by, ends_at, created_at, updated_at",
          (function* () {
            for (const c of campaignsOf()) {
              paidInChunk += c.count;
              const endedMs = c.endedMs;
              yield row([
                c.id,
                userId(c.creator),
                c.title,
                seedStory(seed, c.index),
                c.goal,
                c.currency,
                c.collected,
                c.count,
                c.ended ? "ended" : "active",
                endedMs === null ? null : iso(endedMs),
                c.ended ? "creator" : null,
                null,
                iso(c.createdMs),
                iso(endedMs ?? c.createdMs),
              ]);
            }
          })(),
        );
        // Receipt numbers from the app's own sequence: a block of one per paid contribution, in one call.
        let receipt = 0;
        if (paidInChunk > 0) {
          const [b] = await tx<{ first: string }[]>`
            select (setval('contribution_receipt_seq', nextval('contribution_receipt_seq') + ${paidInChunk - 1}) - ${paidInChunk - 1})::text as first`;
          receipt = Number(b?.first);
        }
        await copy(
          "contributions",
          "id, campaign_id, contributor_id, amount, currency, status, message, anonymous, payment_method, provider, failure_code, failure_message, fee_amount, receipt_number, created_at, settled_at",
          (function* () {
            for (const c of campaignsOf()) {
              for (const k of c.contributions) {
                yield row([
                  k.id,
                  c.id,
                  userId(k.contributor),
                  k.amount,
                  c.currency,
                  k.paid ? "succeeded" : "failed",
                  k.message,
                  k.anonymous,
                  "pm_card_visa",
                  PROVIDER,
                  k.paid ? null : "card_declined",
                  k.paid ? null : "Your card was declined.",
                  k.paid ? k.fee : null,
                  k.paid ? receipt++ : null,
                  iso(k.createdMs),
                  iso(k.settledMs),
                ]);
              }
            }
          })(),
        );
        await copy(
          "ledger_accounts",
          "id, kind, owner, currency, created_at",
          (function* () {
            for (const c of campaignsOf()) {
              const first = c.contributions.find((k) => k.paid);
              if (first) yield row([c.accountId, "campaign_collected", c.id, c.currency, iso(c.createdMs)]);
            }
          })(),
        );
        await copy(
          "ledger_entries",
          "id, kind, reference, description, provider, created_at",
          (function* () {
            for (const c of campaignsOf()) {
              for (const k of c.contributions) {
                if (!k.paid) continue;
                yield row([
                  k.entryId,
                  "contribution",
                  k.id,
                  `Contribution ${k.id} to campaign ${c.id}`,
                  PROVIDER,
                  iso(k.settledMs),
                ]);
              }
            }
          })(),
        );
        await copy(
          "ledger_lines",
          "entry_id, account_id, amount, currency",
          (function* () {
            for (const c of campaignsOf()) {
              const acc = shared.get(c.currency) as { clearing: string; fees: string };
              for (const k of c.contributions) {
                if (!k.paid) continue;
                // As settlePayment posts it (zero lines are left out, as postEntries does).
                yield row([k.entryId, acc.clearing, k.amount, c.currency]);
                yield row([k.entryId, c.accountId, -k.amount, c.currency]);
                if (k.fee !== 0) {
                  yield row([k.entryId, c.accountId, k.fee, c.currency]);
                  yield row([k.entryId, acc.fees, -k.fee, c.currency]);
                }
              }
            }
          })(),
        );
        // ms: the chunk's time until its last COPY (the ledger's check runs at the end of the lines' COPY).
        await tx`insert into seed_chunks (lo, hi, seed, fee_bps, rows, ms, done_at)
                 values (${lo}, ${hi}, ${seed}, ${feeBps}, ${rows - rowsBefore}, ${Date.now() - t}, clock_timestamp())`;
        phase = "commit";
        report(cur, true);
      });
      phase = "copy";
      done = hi;
      thisRun += hi - lo;
      chunks++;
      report(cur, true);
    }
    if (chunks > 0) {
      await sql`analyze users, campaigns, contributions, ledger_accounts, ledger_entries, ledger_lines`;
    }
    return { seed, campaigns: o.campaigns, before, chunks, rows, ms: Date.now() - started };
  } finally {
    await sql.end();
  }
}

/** The provider_clearing (sandbox) and platform_fees accounts of each currency: made if missing, as postEntries does. */
async function sharedAccounts(sql: postgres.Sql): Promise<Map<string, { clearing: string; fees: string }>> {
  const wanted = CURRENCIES.flatMap((currency) => [
    { kind: "provider_clearing", owner: PROVIDER, currency },
    { kind: "platform_fees", owner: "platform", currency },
  ]);
  const r = rngFor(0, 3, Date.now());
  for (const a of wanted) {
    await sql`insert into ledger_accounts (id, kind, owner, currency) values (${uuid7(Date.now(), r)}, ${a.kind}, ${a.owner}, ${a.currency})
              on conflict do nothing`;
  }
  const rows = await sql<{ id: string; kind: string; currency: string }[]>`
    select id, kind::text as kind, currency from ledger_accounts
    where (kind = 'provider_clearing' and owner = ${PROVIDER}) or (kind = 'platform_fees' and owner = 'platform')`;
  const out = new Map<string, { clearing: string; fees: string }>();
  for (const currency of CURRENCIES) {
    const clearing = rows.find((x) => x.kind === "provider_clearing" && x.currency === currency)?.id;
    const fees = rows.find((x) => x.kind === "platform_fees" && x.currency === currency)?.id;
    if (!clearing || !fees) throw new Error(`ledger accounts of ${currency} missing`);
    out.set(currency, { clearing, fees });
  }
  return out;
}
