import type { PublicUser } from "@/lib/users";
import type { CampaignDto, CampaignStatus } from "./schemas";

type Actor = "creator" | "admin";

/**
 * Allowed status moves. A creator publishes (draft → active) and ends their
 * campaign; an admin suspends and reinstates. "ended" is final.
 */
const MOVES: Record<Actor, Partial<Record<CampaignStatus, CampaignStatus[]>>> = {
  creator: { draft: ["active", "ended"], active: ["ended"] },
  admin: { draft: ["suspended"], active: ["suspended"], suspended: ["active", "ended"] },
};

/** The roles `user` holds towards a campaign created by `creatorId`: none, one or both. */
function actorsOf(creatorId: string, user: PublicUser | undefined): Actor[] {
  if (!user) return [];
  const actors: Actor[] = [];
  if (user.id === creatorId) actors.push("creator");
  if (user.role === "admin") actors.push("admin");
  return actors;
}

/**
 * The statuses `user` may move a campaign to from its current status: the creator's moves, then
 * an admin's, each once. None for an anonymous viewer or someone who is neither the campaign's
 * creator nor an admin. Staying in the current status is not a move (and is always allowed).
 */
export function movesFor(c: { status: CampaignStatus; creatorId: string }, user: PublicUser | undefined): CampaignStatus[] {
  return [...new Set(actorsOf(c.creatorId, user).flatMap((a) => MOVES[a][c.status] ?? []))];
}

/**
 * Whether a campaign takes contributions at `now`: it is active and its end date, if it has
 * one, is still ahead. Drafts, suspended and ended campaigns take none.
 */
export function acceptsContributions(c: Pick<CampaignDto, "status" | "endsAt">, now: Date): boolean {
  return c.status === "active" && (c.endsAt === null || Date.parse(c.endsAt) > now.getTime());
}

/** Whether a campaign's content (title, story, goal, end date, pictures and videos) may still change: not once ended. */
export function contentEditable(status: CampaignStatus): boolean {
  return status !== "ended";
}
