ALTER TABLE "sandbox_payments" ADD COLUMN "return_url" text;--> statement-breakpoint
CREATE INDEX "contributions_pending_idx" ON "contributions" USING btree ("created_at") WHERE "contributions"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "ledger_entries_sandbox_idx" ON "ledger_entries" USING btree ("id") WHERE "ledger_entries"."provider" = 'sandbox';