import { sql } from "drizzle-orm";
import { bigint, char, check, index, integer, pgEnum, pgTable, real, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { campaigns } from "./campaigns";
import { users } from "./users";

export const assetKind = pgEnum("asset_kind", ["image", "video"]);

/**
 * A campaign's pictures and videos. The bytes live in object storage (disk, S3 or
 * UploadThing, lib/assets); this row maps the asset ID to where they are and what they are.
 */
export const assets = pgTable(
  "assets",
  {
    /** UUIDv7; also the public handle in /api/assets/{id}. */
    id: uuid("id").primaryKey(),
    campaignId: uuid("campaign_id")
      .notNull()
      .references(() => campaigns.id),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id),
    /** Which adapter holds the bytes (disk, s3, uploadthing) and the object's key there. */
    storage: text("storage").notNull(),
    storageKey: text("storage_key").notNull(),
    kind: assetKind("kind").notNull(),
    /** Detected from the bytes, never from the file name or the client's Content-Type. */
    contentType: text("content_type").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    width: integer("width"),
    height: integer("height"),
    /** Seconds, videos only (when the container states it). */
    durationSeconds: real("duration_seconds"),
    /** Hex SHA-256 of the stored bytes: the strong ETag. */
    sha256: char("sha256", { length: 64 }).notNull(),
    /** 0-based display order within the campaign; position 0 is the cover. */
    position: integer("position").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("assets_campaign_idx").on(t.campaignId, t.position),
    // the per-user storage quota sums the owner's sizes on every upload (lib/assets `assertQuota`)
    index("assets_owner_idx").on(t.ownerId),
    check("assets_size_positive", sql`${t.size} > 0`),
    check("assets_position_nonnegative", sql`${t.position} >= 0`),
  ],
);
