ALTER TABLE "sandbox_payments" ADD COLUMN "return_url" text;--> statement-breakpoint
CREATE INDEX "contributions_pending_idx" ON "contributions" USING btree ("created_at") WHERE "contributions"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "ledger_entries_sandbox_idx" ON "ledger_entries" USING btree ("id") WHERE "ledger_entries"."provider" = 'sandbox';--> statement-breakpoint
-- The sandbox now keeps amounts in Stripe's units, as Stripe does (lib/money/currency.ts). For the currencies
-- whose Stripe exponent is 2 where ICU's (the app's) is 0, rows written before were in the app's units: scale
-- them, so no sandbox payment, refund, dispute or transfer changes meaning. (Real Stripe amounts cannot be
-- rewritten here: docs/payments.md, "Upgrading", says what an operator checks.)
UPDATE "sandbox_payments" SET "amount" = "amount" * 100
  WHERE "currency" IN ('AFN','ALL','COP','HUF','IDR','ISK','LAK','LBP','MMK','PKR','SLL','SOS','YER');--> statement-breakpoint
UPDATE "sandbox_refunds" SET "amount" = "amount" * 100
  WHERE "currency" IN ('AFN','ALL','COP','HUF','IDR','ISK','LAK','LBP','MMK','PKR','SLL','SOS','YER');--> statement-breakpoint
UPDATE "sandbox_disputes" SET "amount" = "amount" * 100
  WHERE "currency" IN ('AFN','ALL','COP','HUF','IDR','ISK','LAK','LBP','MMK','PKR','SLL','SOS','YER');--> statement-breakpoint
UPDATE "sandbox_transfers" SET "amount" = "amount" * 100
  WHERE "currency" IN ('AFN','ALL','COP','HUF','IDR','ISK','LAK','LBP','MMK','PKR','SLL','SOS','YER');--> statement-breakpoint
-- Snapshots of events not yet delivered (refunds, disputes, charges): their top-level amounts likewise; a charge's
-- embedded refund list is dropped, so the webhook handler asks the provider for the refunds (as it does when
-- Stripe leaves the list out).
UPDATE "sandbox_events" SET "object" = ("object" - 'refunds')
    || jsonb_build_object('amount', ("object"->>'amount')::bigint * 100)
    || CASE WHEN "object" ? 'amount_refunded'
         THEN jsonb_build_object('amount_refunded', ("object"->>'amount_refunded')::bigint * 100,
                                 'amount_captured', ("object"->>'amount_captured')::bigint * 100)
         ELSE '{}'::jsonb END
  WHERE "delivered_at" IS NULL AND "object" ? 'amount'
    AND upper("object"->>'currency') IN ('AFN','ALL','COP','HUF','IDR','ISK','LAK','LBP','MMK','PKR','SLL','SOS','YER');
