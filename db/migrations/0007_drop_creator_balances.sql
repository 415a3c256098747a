DROP TABLE "creator_balances" CASCADE;--> statement-breakpoint
-- The creator-balances consumer fed that table and nothing read it; its cursors and leases go with it,
-- or /api/health would report its lag growing for ever.
DELETE FROM consumer_leases WHERE "group" = 'creator-balances';--> statement-breakpoint
DELETE FROM consumer_cursors WHERE "group" = 'creator-balances';
