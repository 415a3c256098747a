import { API } from "@/lib/api/operations";
import { db } from "@/lib/app";
import { requireCronSecret } from "@/lib/auth/cron";
import { authSecret } from "@/lib/auth/options";
import { config } from "@/lib/config";
import { json, methodNotAllowed, operation } from "@/lib/http";
import { previousDay, writeDigests } from "@/lib/mail/digest";
import { type SendSummary, sendDueMail, smtpTransport } from "@/lib/mail/sender";
import { todayIn } from "@/lib/payouts/run";

// Called every minute by Vercel Cron (vercel.json) where no sender runs in the background, and once a day
// with ?digest=1 to queue the creators' daily digests first. Stops starting rounds after the budget.
export const maxDuration = 60;
const BUDGET_MS = 45_000;

/**
 * Send (or, without SMTP_URL, keep) the queued mail for up to 45 s: `Authorization: Bearer $CRON_SECRET`.
 * With `digest=1`, first queue yesterday's digests (PAYOUT_TIMEZONE). Answers `{ mail: { sent, kept, retried,
 * failed, caughtUp }, digests? }`; `caughtUp: false` means the next call continues.
 */
export const GET = operation(API.sendMail, async (req) => {
  const c = config();
  requireCronSecret(req.headers.get("authorization"), c.CRON_SECRET);
  const started = Date.now();
  const wantsDigest = new URL(req.url).searchParams.get("digest") === "1";
  const digests = wantsDigest
    ? await writeDigests(db(), c, authSecret(c), previousDay(todayIn(c.PAYOUT_TIMEZONE)), c.PAYOUT_TIMEZONE)
    : undefined;
  const transport = smtpTransport(c);
  const total: SendSummary & { caughtUp: boolean } = { sent: 0, kept: 0, retried: 0, failed: 0, caughtUp: false };
  try {
    while (Date.now() - started < BUDGET_MS) {
      const s = await sendDueMail({ db: db(), transport, from: c.MAIL_FROM });
      total.sent += s.sent;
      total.kept += s.kept;
      total.retried += s.retried;
      total.failed += s.failed;
      if (s.sent + s.kept + s.retried + s.failed === 0) {
        total.caughtUp = true;
        break;
      }
    }
  } finally {
    transport?.close();
  }
  return json(digests === undefined ? { mail: total } : { mail: total, digests }, { headers: { "cache-control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed(["GET"]);
