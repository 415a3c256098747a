import { z } from "zod";
import { textField } from "@/lib/text";

export const createTokenSchema = z.strictObject({ name: textField({ min: 1, max: 100 }) }).meta({ id: "CreateToken" });

export const tokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    token: z.string().optional().describe("the secret, returned once on creation only"),
  })
  .meta({ id: "ApiToken" });

/** DELETE /api/me/sessions?revokeApiTokens=true|false (default false), and the settings page's checkbox. */
export const signOutEverywhereSchema = z.object({
  revokeApiTokens: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});
