import { z } from "zod";

export const createTokenSchema = z
  .strictObject({ name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters") })
  .meta({ id: "CreateToken" });

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
