import { defineConfig } from "drizzle-kit";

// Used only by `npm run db:generate` (drizzle-kit generate), which needs no
// database: it diffs the schema against the committed migrations.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
});
