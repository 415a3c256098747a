ALTER TABLE "sandbox_payments" ADD COLUMN "client_secret" text;--> statement-breakpoint
ALTER TABLE "sandbox_payments" ADD COLUMN "settles_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "provider" text;