CREATE TYPE "public"."campaign_ended_by" AS ENUM('creator', 'admin');--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "status_reason" text;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "ended_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "ended_by" "campaign_ended_by";--> statement-breakpoint
-- Campaigns ended before these columns existed: ended when last updated, by an admin when a suspension or
-- a close for abuse froze their payouts, else by their creator.
UPDATE "campaigns" SET "ended_at" = "updated_at", "ended_by" = CASE WHEN "payouts_frozen_at" IS NULL AND "closed_for_abuse_at" IS NULL THEN 'creator'::"campaign_ended_by" ELSE 'admin'::"campaign_ended_by" END WHERE "status" = 'ended';
