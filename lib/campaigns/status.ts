import type { CampaignStatus } from "./schemas";

type Actor = "creator" | "admin";

/**
 * Allowed status moves. A creator publishes (draft → active) and ends their
 * campaign; an admin suspends and reinstates. "ended" is final.
 */
const MOVES: Record<Actor, Partial<Record<CampaignStatus, CampaignStatus[]>>> = {
  creator: { draft: ["active", "ended"], active: ["ended"] },
  admin: { draft: ["suspended"], active: ["suspended"], suspended: ["active", "ended"] },
};

export function canMove(actor: Actor, from: CampaignStatus, to: CampaignStatus): boolean {
  return from === to || (MOVES[actor][from] ?? []).includes(to);
}
