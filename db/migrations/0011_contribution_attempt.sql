ALTER TABLE "contributions" ADD COLUMN "client_ip" text;--> statement-breakpoint
ALTER TABLE "contributions" ADD COLUMN "card_fingerprint" text;