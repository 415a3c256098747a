CREATE TYPE "public"."donation_notice" AS ENUM('each', 'daily', 'off');--> statement-breakpoint
CREATE TYPE "public"."report_reason" AS ENUM('fraud', 'misleading', 'inappropriate', 'spam', 'other');--> statement-breakpoint
CREATE TYPE "public"."report_status" AS ENUM('open', 'dismissed', 'actioned');--> statement-breakpoint
CREATE TYPE "public"."mail_status" AS ENUM('pending', 'sent', 'kept', 'failed');--> statement-breakpoint
CREATE TABLE "admin_audit_log" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"actor_id" uuid,
	"action" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaign_reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"reporter_id" uuid NOT NULL,
	"reason" "report_reason" NOT NULL,
	"details" text,
	"status" "report_status" DEFAULT 'open' NOT NULL,
	"resolved_by" uuid,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaign_reports_details_length" CHECK ("campaign_reports"."details" is null or char_length("campaign_reports"."details") <= 2000)
);
--> statement-breakpoint
CREATE TABLE "campaign_subscriptions" (
	"campaign_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaign_subscriptions_campaign_id_user_id_pk" PRIMARY KEY("campaign_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "campaign_updates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"campaign_id" uuid NOT NULL,
	"author_id" uuid NOT NULL,
	"body" text NOT NULL,
	"asset_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaign_updates_body_length" CHECK (char_length("campaign_updates"."body") between 1 and 5000)
);
--> statement-breakpoint
CREATE TABLE "mail_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"kind" text NOT NULL,
	"to_user_id" uuid,
	"to_address" text NOT NULL,
	"subject" text NOT NULL,
	"text_body" text NOT NULL,
	"html_body" text,
	"unsubscribe_url" text,
	"status" "mail_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mail_messages_dedupe_key_unique" UNIQUE("dedupe_key")
);
--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "funded_decile" smallint GENERATED ALWAYS AS (least(collected_amount * 10 / goal_amount, 10)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "contributions" ADD COLUMN "receipt_number" bigint;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "donation_notice" "donation_notice" DEFAULT 'each' NOT NULL;--> statement-breakpoint
ALTER TABLE "admin_audit_log" ADD CONSTRAINT "admin_audit_log_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_reports" ADD CONSTRAINT "campaign_reports_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_reports" ADD CONSTRAINT "campaign_reports_reporter_id_users_id_fk" FOREIGN KEY ("reporter_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_reports" ADD CONSTRAINT "campaign_reports_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_subscriptions" ADD CONSTRAINT "campaign_subscriptions_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_subscriptions" ADD CONSTRAINT "campaign_subscriptions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_updates" ADD CONSTRAINT "campaign_updates_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_updates" ADD CONSTRAINT "campaign_updates_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_updates" ADD CONSTRAINT "campaign_updates_asset_id_assets_id_fk" FOREIGN KEY ("asset_id") REFERENCES "public"."assets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mail_messages" ADD CONSTRAINT "mail_messages_to_user_id_users_id_fk" FOREIGN KEY ("to_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "admin_audit_log_subject_idx" ON "admin_audit_log" USING btree ("subject_type","subject_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_reports_open_idx" ON "campaign_reports" USING btree ("campaign_id","reporter_id") WHERE "campaign_reports"."status" = 'open';--> statement-breakpoint
CREATE INDEX "campaign_reports_queue_idx" ON "campaign_reports" USING btree ("id") WHERE "campaign_reports"."status" = 'open';--> statement-breakpoint
CREATE INDEX "campaign_updates_campaign_idx" ON "campaign_updates" USING btree ("campaign_id","id");--> statement-breakpoint
CREATE INDEX "mail_messages_due_idx" ON "mail_messages" USING btree ("next_attempt_at") WHERE "mail_messages"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "mail_messages_user_idx" ON "mail_messages" USING btree ("to_user_id","id");--> statement-breakpoint
CREATE INDEX "campaigns_active_idx" ON "campaigns" USING btree ("id") WHERE "campaigns"."status" = 'active';--> statement-breakpoint
CREATE INDEX "campaigns_funded_idx" ON "campaigns" USING btree ("funded_decile","id") WHERE "campaigns"."status" = 'active';--> statement-breakpoint
ALTER TABLE "contributions" ADD CONSTRAINT "contributions_receipt_number_unique" UNIQUE("receipt_number");--> statement-breakpoint
-- Receipt numbers: given by settlePayment from this sequence when a contribution succeeds. Contributions that
-- succeeded before it existed are numbered here in the order they were settled (status compared as text: on a
-- fresh database every migration runs in one transaction, where 0008's new enum values cannot be used yet).
CREATE SEQUENCE "contribution_receipt_seq" AS bigint;--> statement-breakpoint
UPDATE "contributions" c SET "receipt_number" = n.num FROM (SELECT "id", nextval('contribution_receipt_seq') AS num FROM (SELECT "id" FROM "contributions" WHERE "status"::text IN ('succeeded', 'partially_refunded', 'refunded') ORDER BY coalesce("settled_at", "created_at"), "id") o) n WHERE c."id" = n."id";--> statement-breakpoint
-- The audit log is append-only for the app, like the ledger (migration 0014 gave it every right by default).
REVOKE UPDATE, DELETE, TRUNCATE ON "admin_audit_log" FROM crowdfund_app;
