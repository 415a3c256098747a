CREATE TABLE "consumer_cursors" (
	"group" text NOT NULL,
	"partition" smallint NOT NULL,
	"last_xid" "xid8" DEFAULT '0'::xid8 NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consumer_cursors_group_partition_pk" PRIMARY KEY("group","partition")
);
--> statement-breakpoint
CREATE TABLE "consumer_leases" (
	"group" text NOT NULL,
	"partition" smallint NOT NULL,
	"owner" text,
	"expires_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consumer_leases_group_partition_pk" PRIMARY KEY("group","partition")
);
--> statement-breakpoint
CREATE TABLE "consumer_processed" (
	"group" text NOT NULL,
	"event_id" uuid NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consumer_processed_group_event_id_pk" PRIMARY KEY("group","event_id")
);
--> statement-breakpoint
CREATE TABLE "consumer_workers" (
	"id" text PRIMARY KEY NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "creator_balances" (
	"creator_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"collected_amount" bigint DEFAULT 0 NOT NULL,
	"contribution_count" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "creator_balances_creator_id_currency_pk" PRIMARY KEY("creator_id","currency")
);
--> statement-breakpoint
CREATE TABLE "parked_events" (
	"group" text NOT NULL,
	"event_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"error" text NOT NULL,
	"parked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "parked_events_group_event_id_pk" PRIMARY KEY("group","event_id")
);
--> statement-breakpoint
DROP INDEX "outbox_events_partition_idx";--> statement-breakpoint
ALTER TABLE "outbox_events" ADD COLUMN "partition" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox_events" ADD COLUMN "xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "outbox_events_consume_idx" ON "outbox_events" USING btree ("partition","xid","seq");