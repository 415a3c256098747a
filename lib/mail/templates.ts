import { formatMoney } from "@/lib/money/currency";

/**
 * The messages the app sends (docs/mail.md): pure functions from what a message tells to its subject, a
 * plain-text part (always) and a simple HTML part. Money is integer minor units + ISO 4217 currency, shown
 * with the app's one formatter (lib/money `formatMoney`). Whatever the creator of a campaign receives names an
 * anonymous donor "Anonymous", never their name. Messages that are not transactional (donation notices and
 * digests, campaign updates) carry their one-click unsubscribe link in both parts; the sender adds the
 * `List-Unsubscribe` headers from the stored `unsubscribeUrl`.
 */
export interface Rendered {
  subject: string;
  text: string;
  html: string;
}

/** The kinds of message (`mail_messages.kind`). */
export const MAIL_KINDS = [
  "receipt",
  "donation_received",
  "donation_digest",
  "payout_paid",
  "refund_issued",
  "campaign_update",
  "sessions_revoked",
] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

/** Kinds a person may stop (they carry List-Unsubscribe); the others are transactional. */
export const UNSUBSCRIBABLE: ReadonlySet<MailKind> = new Set(["donation_received", "donation_digest", "campaign_update"]);

/** What the creator sees as a donor's name: "Anonymous" for an anonymous gift, whatever the name. */
export function donorLabel(d: { name: string | null; anonymous: boolean }): string {
  return d.anonymous || !d.name?.trim() ? "Anonymous" : d.name.trim();
}

/** Escape text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A subject is one line: line breaks (from a title) become spaces, and it is cut at 200 characters. */
function subjectLine(s: string): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > 200 ? `${one.slice(0, 199)}…` : one;
}

function page(paragraphs: string[], footer?: string): string {
  const body = paragraphs.map((p) => `<p>${p}</p>`).join("\n");
  const foot = footer ? `\n<hr>\n<p style="color:#666;font-size:12px">${footer}</p>` : "";
  return `<!doctype html>\n<html><body style="font-family:sans-serif;line-height:1.5">\n${body}${foot}\n</body></html>\n`;
}

const link = (url: string, label: string) => `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;
const unsubscribeText = (url: string, what: string) => `\n\n--\nYou receive this because ${what}. Stop these emails: ${url}\n`;

/** Receipt to the donor after a contribution succeeded (transactional). `date`: when it was settled. */
export function receiptMail(m: {
  donorName: string;
  receiptNumber: number;
  amount: number;
  currency: string;
  campaignTitle: string;
  date: Date;
  receiptUrl: string;
}): Rendered {
  const money = formatMoney(m.amount, m.currency);
  const day = m.date.toISOString().slice(0, 10);
  return {
    subject: subjectLine(`Receipt #${m.receiptNumber}: ${money} to ${m.campaignTitle}`),
    text:
      `Hello ${m.donorName},\n\nThank you for your contribution of ${money} to "${m.campaignTitle}".\n\n` +
      `Receipt number: ${m.receiptNumber}\nAmount: ${money}\nDate: ${day} (UTC)\n\n` +
      `Your receipt: ${m.receiptUrl}\n`,
    html: page([
      `Hello ${escapeHtml(m.donorName)},`,
      `Thank you for your contribution of <strong>${escapeHtml(money)}</strong> to “${escapeHtml(m.campaignTitle)}”.`,
      `Receipt number: ${m.receiptNumber}<br>Amount: ${escapeHtml(money)}<br>Date: ${day} (UTC)`,
      link(m.receiptUrl, "Your receipt"),
    ]),
  };
}

/** "You received a donation" to the creator, one per gift (their choice `each`; not transactional). */
export function donationReceivedMail(m: {
  creatorName: string;
  donor: { name: string | null; anonymous: boolean };
  amount: number;
  currency: string;
  campaignTitle: string;
  campaignUrl: string;
  unsubscribeUrl: string;
}): Rendered {
  const money = formatMoney(m.amount, m.currency);
  const who = donorLabel(m.donor);
  const why = "you chose to hear of each donation to your campaigns";
  return {
    subject: subjectLine(`You received ${money} for ${m.campaignTitle}`),
    text:
      `Hello ${m.creatorName},\n\n${who} gave ${money} to "${m.campaignTitle}".\n\n${m.campaignUrl}\n` +
      unsubscribeText(m.unsubscribeUrl, why),
    html: page(
      [
        `Hello ${escapeHtml(m.creatorName)},`,
        `${escapeHtml(who)} gave <strong>${escapeHtml(money)}</strong> to “${escapeHtml(m.campaignTitle)}”.`,
        link(m.campaignUrl, "See your campaign"),
      ],
      `You receive this because ${why}. ${link(m.unsubscribeUrl, "Stop these emails")}.`,
    ),
  };
}

/** One gift in a daily digest. */
export interface DigestGift {
  campaignTitle: string;
  donor: { name: string | null; anonymous: boolean };
  amount: number;
  currency: string;
}

/** Totals per currency of `gifts` (minor units), currencies in alphabetical order. */
export function digestTotals(gifts: readonly DigestGift[]): { currency: string; amount: number }[] {
  const m = new Map<string, number>();
  for (const g of gifts) m.set(g.currency, (m.get(g.currency) ?? 0) + g.amount);
  return [...m].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amount }));
}

/** The creator's daily digest of gifts (their choice `daily`; not transactional). `day`: YYYY-MM-DD. */
export function donationDigestMail(m: {
  creatorName: string;
  day: string;
  gifts: readonly DigestGift[];
  dashboardUrl: string;
  unsubscribeUrl: string;
}): Rendered {
  const totals = digestTotals(m.gifts)
    .map((t) => formatMoney(t.amount, t.currency))
    .join(" + ");
  const n = m.gifts.length;
  const lines = m.gifts.map((g) => `${formatMoney(g.amount, g.currency)} from ${donorLabel(g.donor)} to "${g.campaignTitle}"`);
  const why = "you chose a daily digest of the donations to your campaigns";
  return {
    subject: subjectLine(`${n} donation${n === 1 ? "" : "s"} on ${m.day}: ${totals}`),
    text:
      `Hello ${m.creatorName},\n\nOn ${m.day} your campaigns received ${n} donation${n === 1 ? "" : "s"} (${totals}):\n\n` +
      `${lines.map((l) => `- ${l}`).join("\n")}\n\n${m.dashboardUrl}\n` +
      unsubscribeText(m.unsubscribeUrl, why),
    html: page(
      [
        `Hello ${escapeHtml(m.creatorName)},`,
        `On ${escapeHtml(m.day)} your campaigns received ${n} donation${n === 1 ? "" : "s"} (<strong>${escapeHtml(totals)}</strong>):`,
        `</p><ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul><p>${link(m.dashboardUrl, "Your dashboard")}`,
      ],
      `You receive this because ${why}. ${link(m.unsubscribeUrl, "Stop these emails")}.`,
    ),
  };
}

/** "Payout sent" to the creator once the provider confirmed the transfer (transactional). */
export function payoutPaidMail(m: {
  creatorName: string;
  amount: number;
  currency: string;
  campaignTitle: string;
  payoutsUrl: string;
}): Rendered {
  const money = formatMoney(m.amount, m.currency);
  return {
    subject: subjectLine(`Payout sent: ${money} from ${m.campaignTitle}`),
    text:
      `Hello ${m.creatorName},\n\nWe sent ${money} collected by "${m.campaignTitle}" to your payout account.\n\n` +
      `Your payouts: ${m.payoutsUrl}\n`,
    html: page([
      `Hello ${escapeHtml(m.creatorName)},`,
      `We sent <strong>${escapeHtml(money)}</strong> collected by “${escapeHtml(m.campaignTitle)}” to your payout account.`,
      link(m.payoutsUrl, "Your payouts"),
    ]),
  };
}

/** "Refund issued" to the donor (transactional). `receiptNumber`: of the refunded contribution, when it has one. */
export function refundIssuedMail(m: {
  donorName: string;
  amount: number;
  currency: string;
  campaignTitle: string;
  receiptNumber: number | null;
  receiptUrl: string;
}): Rendered {
  const money = formatMoney(m.amount, m.currency);
  const ref = m.receiptNumber === null ? "" : ` (receipt #${m.receiptNumber})`;
  return {
    subject: subjectLine(`Refund issued: ${money} from ${m.campaignTitle}`),
    text:
      `Hello ${m.donorName},\n\nWe refunded ${money} of your contribution${ref} to "${m.campaignTitle}". ` +
      `It goes back to the card you paid with; your bank may take a few days to show it.\n\n${m.receiptUrl}\n`,
    html: page([
      `Hello ${escapeHtml(m.donorName)},`,
      `We refunded <strong>${escapeHtml(money)}</strong> of your contribution${escapeHtml(ref)} to “${escapeHtml(m.campaignTitle)}”. ` +
        "It goes back to the card you paid with; your bank may take a few days to show it.",
      link(m.receiptUrl, "Your receipt"),
    ]),
  };
}

/**
 * A campaign's update to one subscriber (not transactional). The unsubscribe link differs per recipient:
 * pass a placeholder as `unsubscribeUrl` and replace it per row (lib/mail/consumer.ts does so in SQL).
 */
export function campaignUpdateMail(m: {
  campaignTitle: string;
  body: string;
  campaignUrl: string;
  unsubscribeUrl: string;
}): Rendered {
  const why = `you asked for the updates of "${m.campaignTitle}"`;
  const paragraphs = m.body
    .split(/\n{2,}/)
    .map((p) => escapeHtml(p.trim()).replace(/\n/g, "<br>"))
    .filter(Boolean);
  return {
    subject: subjectLine(`Update from ${m.campaignTitle}`),
    text: `News from "${m.campaignTitle}":\n\n${m.body.trim()}\n\n${m.campaignUrl}\n${unsubscribeText(m.unsubscribeUrl, why)}`,
    html: page(
      [`News from “${escapeHtml(m.campaignTitle)}”:`, ...paragraphs, link(m.campaignUrl, "See the campaign")],
      `You receive this because ${escapeHtml(why)}. ${link(m.unsubscribeUrl, "Stop these emails")}.`,
    ),
  };
}

/**
 * "Signed out everywhere" to the user whose browser sessions were all ended (transactional, a security notice):
 * by themselves or by an operator; says whether their API tokens were revoked too, and what to check if it was
 * not them.
 */
export function sessionsRevokedMail(m: {
  name: string;
  by: "user" | "operator";
  apiTokensRevoked: number;
  signInUrl: string;
  tokensUrl: string;
  payoutsUrl: string;
}): Rendered {
  const who = m.by === "user" ? "you asked to sign out everywhere" : "our team signed you out everywhere";
  const tokens =
    m.apiTokensRevoked === 0
      ? "Your API tokens were not changed."
      : `Your ${m.apiTokensRevoked === 1 ? "API token was" : `${m.apiTokensRevoked} API tokens were`} revoked too.`;
  const notYou =
    "If this was not you, sign in again, check your API tokens and your payout account, and revoke what you do not recognise.";
  return {
    subject: "You were signed out on every device",
    text:
      `Hello ${m.name},\n\nEvery browser signed in to your account has been signed out, because ${who}. ${tokens}\n\n` +
      `${notYou}\n\nSign in: ${m.signInUrl}\nAPI tokens: ${m.tokensUrl}\nPayout account: ${m.payoutsUrl}\n`,
    html: page([
      `Hello ${escapeHtml(m.name)},`,
      `Every browser signed in to your account has been signed out, because ${escapeHtml(who)}. ${escapeHtml(tokens)}`,
      escapeHtml(notYou),
      `${link(m.signInUrl, "Sign in")} · ${link(m.tokensUrl, "API tokens")} · ${link(m.payoutsUrl, "Payout account")}`,
    ]),
  };
}
