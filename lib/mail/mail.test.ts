import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "@/lib/config";
import { formatMoney } from "@/lib/money/currency";
import { backoffSeconds, isTemporary, mailDomain, messageIdOf } from "./sender";
import {
  campaignUpdateMail,
  digestTotals,
  donationDigestMail,
  donationReceivedMail,
  payoutPaidMail,
  receiptMail,
  refundIssuedMail,
  sessionsRevokedMail,
} from "./templates";
import { unsubscribeToken, verifyUnsubscribeToken } from "./unsubscribe";

const SECRET = "unit-test-secret-0123456789-0123456789";
const currency = fc.constantFrom("USD", "EUR", "JPY", "KWD", "GBP");
const amount = fc.integer({ min: 1, max: 99_999_999 });
// Names with something distinctive in them, so "the name is absent" means something.
const name = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `Zq${s.replace(/\s/g, "x")}Zq`);
const title = fc.string({ minLength: 1, maxLength: 120 });

describe("templates", () => {
  it("the creator never sees an anonymous donor's name, in either part; a named donor is named", () => {
    fc.assert(
      fc.property(name, fc.boolean(), amount, currency, title, (donor, anonymous, a, cur, t) => {
        const m = donationReceivedMail({
          creatorName: "Alice",
          donor: { name: donor, anonymous },
          amount: a,
          currency: cur,
          campaignTitle: t,
          campaignUrl: "http://localhost/campaigns/x",
          unsubscribeUrl: "http://localhost/unsubscribe?token=t",
        });
        const digest = donationDigestMail({
          creatorName: "Alice",
          day: "2026-11-29",
          gifts: [{ campaignTitle: t, donor: { name: donor, anonymous }, amount: a, currency: cur }],
          dashboardUrl: "http://localhost/dashboard",
          unsubscribeUrl: "http://localhost/unsubscribe?token=t",
        });
        if (anonymous) {
          for (const part of [m.subject, m.text, m.html, digest.subject, digest.text, digest.html])
            expect(part).not.toContain(donor);
          expect(m.text).toContain("Anonymous gave");
        } else {
          expect(m.text).toContain(`${donor} gave`);
          expect(digest.text).toContain(`from ${donor} to`);
        }
      }),
    );
  });

  it("every message has a plain-text part with the amount as the money formatter writes it, and one-line subjects", () => {
    fc.assert(
      fc.property(amount, currency, title, (a, cur, t) => {
        const money = formatMoney(a, cur);
        const all = [
          receiptMail({
            donorName: "Bob",
            receiptNumber: 7,
            amount: a,
            currency: cur,
            campaignTitle: t,
            date: new Date(0),
            receiptUrl: "u",
          }),
          payoutPaidMail({ creatorName: "Alice", amount: a, currency: cur, campaignTitle: t, payoutsUrl: "u" }),
          refundIssuedMail({ donorName: "Bob", amount: a, currency: cur, campaignTitle: t, receiptNumber: 7, receiptUrl: "u" }),
        ];
        for (const m of all) {
          expect(m.text).toContain(money);
          expect(m.subject).not.toMatch(/[\r\n]/);
          expect(m.subject.length).toBeLessThanOrEqual(200);
        }
      }),
    );
  });

  it("HTML parts escape what people wrote (titles, update bodies)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (t, body) => {
        const evil = `<script>${t}</script>`;
        const u = campaignUpdateMail({ campaignTitle: evil, body: `${body}<img src=x>`, campaignUrl: "u", unsubscribeUrl: "v" });
        const r = receiptMail({
          donorName: evil,
          receiptNumber: 1,
          amount: 1,
          currency: "USD",
          campaignTitle: evil,
          date: new Date(0),
          receiptUrl: "u",
        });
        for (const html of [u.html, r.html]) {
          expect(html).not.toContain("<script>");
          expect(html).not.toContain("<img");
        }
      }),
    );
  });

  it("messages that are not transactional carry their unsubscribe link in both parts; receipts do not", () => {
    const url = "http://localhost:3000/unsubscribe?token=n.abc.def";
    const update = campaignUpdateMail({ campaignTitle: "Roof", body: "Done!", campaignUrl: "c", unsubscribeUrl: url });
    const notice = donationReceivedMail({
      creatorName: "A",
      donor: { name: "B", anonymous: false },
      amount: 100,
      currency: "USD",
      campaignTitle: "Roof",
      campaignUrl: "c",
      unsubscribeUrl: url,
    });
    for (const m of [update, notice]) {
      expect(m.text).toContain(url);
      expect(m.html).toContain(url);
    }
    const receipt = receiptMail({
      donorName: "B",
      receiptNumber: 1,
      amount: 100,
      currency: "USD",
      campaignTitle: "Roof",
      date: new Date(0),
      receiptUrl: "r",
    });
    expect(receipt.text).not.toMatch(/unsubscribe/i);
  });

  it("'signed out everywhere' says who did it, what became of the API tokens, and where to check, in both parts", () => {
    const urls = { signInUrl: "http://h/signin", tokensUrl: "http://h/settings/tokens", payoutsUrl: "http://h/settings/payouts" };
    const mine = sessionsRevokedMail({ name: "Dana <b>", by: "user", apiTokensRevoked: 0, ...urls });
    const ops = sessionsRevokedMail({ name: "Dana", by: "operator", apiTokensRevoked: 1, ...urls });
    const many = sessionsRevokedMail({ name: "Dana", by: "user", apiTokensRevoked: 3, ...urls });
    expect(mine.subject).toBe("You were signed out on every device");
    expect(mine.text).toContain("because you asked to sign out everywhere. Your API tokens were not changed.");
    expect(ops.text).toContain("because our team signed you out everywhere. Your API token was revoked too.");
    expect(many.html).toContain("Your 3 API tokens were revoked too.");
    expect(mine.html).toContain("Dana &#60;b&#62;");
    expect(mine.html).not.toContain("<b>");
    for (const m of [mine, ops]) {
      for (const u of Object.values(urls)) {
        expect(m.text).toContain(u);
        expect(m.html).toContain(u);
      }
      expect(m.text).not.toMatch(/unsubscribe/i); // a security notice cannot be stopped
    }
  });

  it("a digest's totals are per currency and sum every gift", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ amount, currency }), { minLength: 1, maxLength: 30 }), (gifts) => {
        const full = gifts.map((g) => ({ ...g, campaignTitle: "T", donor: { name: "D", anonymous: false } }));
        const totals = digestTotals(full);
        expect(totals.reduce((s, t) => s + t.amount, 0)).toBe(gifts.reduce((s, g) => s + g.amount, 0));
        expect(new Set(totals.map((t) => t.currency)).size).toBe(totals.length);
      }),
    );
  });
});

describe("unsubscribe tokens", () => {
  const userId = "0190b3d2-6a1e-7c3b-8f00-0123456789ab";
  const campaignId = "0190b3d2-6a1e-7c3b-8f00-0123456789cd";

  it("name what they were made for", () => {
    expect(verifyUnsubscribeToken(SECRET, unsubscribeToken(SECRET, { kind: "notices", userId }))).toEqual({
      kind: "notices",
      userId,
    });
    expect(verifyUnsubscribeToken(SECRET, unsubscribeToken(SECRET, { kind: "campaign", userId, campaignId }))).toEqual({
      kind: "campaign",
      userId,
      campaignId,
    });
  });

  it("any change to a character, or another secret, is refused with UNSUBSCRIBE_TOKEN_INVALID", () => {
    const token = unsubscribeToken(SECRET, { kind: "campaign", userId, campaignId });
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(..."0123456789abcdefABCDEF-_.xyz"), (i, ch) => {
        fc.pre(token[i] !== ch);
        const bad = token.slice(0, i) + ch + token.slice(i + 1);
        expect(() => verifyUnsubscribeToken(SECRET, bad)).toThrow(
          expect.objectContaining({ code: "UNSUBSCRIBE_TOKEN_INVALID", status: 400 }),
        );
      }),
    );
    expect(() => verifyUnsubscribeToken(`${SECRET}x`, token)).toThrow(
      expect.objectContaining({ code: "UNSUBSCRIBE_TOKEN_INVALID" }),
    );
    for (const t of [undefined, null, "", "n", "n.x.y", `${token}.extra`, "x".repeat(500)]) {
      expect(() => verifyUnsubscribeToken(SECRET, t)).toThrow(expect.objectContaining({ code: "UNSUBSCRIBE_TOKEN_INVALID" }));
    }
  });
});

describe("sender rules", () => {
  it("4xx replies and no reply at all are temporary; 5xx replies are permanent", () => {
    expect(isTemporary(Object.assign(new Error("421 busy"), { responseCode: 421 }))).toBe(true);
    expect(isTemporary(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNECTION" }))).toBe(true);
    expect(isTemporary(Object.assign(new Error("550 no such user"), { responseCode: 550 }))).toBe(false);
  });

  it("backs off exponentially up to an hour", () => {
    expect([1, 2, 3, 4].map(backoffSeconds)).toEqual([2, 4, 8, 16]);
    expect(backoffSeconds(40)).toBe(3600);
  });

  it("names Message-IDs after MAIL_FROM's domain", () => {
    expect(mailDomain("Crowdfund <no-reply@example.org>")).toBe("example.org");
    expect(mailDomain("bot@mail.example.net")).toBe("mail.example.net");
    expect(messageIdOf("0190b3d2-6a1e-7c3b-8f00-0123456789ab", "A <a@b.example>")).toBe(
      "<0190b3d2-6a1e-7c3b-8f00-0123456789ab@b.example>",
    );
  });
});

describe("mail configuration", () => {
  it("accepts smtp:// and smtps:// URLs and a sender address; refuses anything else naming the variable", () => {
    const c = parseConfig({ SMTP_URL: "smtps://user:pass@mail.example.org:465", MAIL_FROM: "Crowd <hi@example.org>" });
    expect(c.SMTP_URL).toBe("smtps://user:pass@mail.example.org:465");
    expect(parseConfig({}).MAIL_FROM).toBe("Crowdfund <no-reply@localhost>");
    expect(parseConfig({}).SMTP_URL).toBeUndefined();
    expect(() => parseConfig({ SMTP_URL: "http://mail.example.org" })).toThrow(/SMTP_URL/);
    expect(() => parseConfig({ MAIL_FROM: "not an address" })).toThrow(ConfigError);
    expect(() => parseConfig({ MAIL_FROM: "not an address" })).toThrow(/MAIL_FROM/);
  });
});
