import type { PublicUser } from "@/lib/users";
import type { CampaignDto, CampaignStatus } from "./schemas";

type Actor = "creator" | "admin";

/** What the status rules read of a campaign: a CampaignDto, or a row converted by the caller. */
export type StatusSubject = Pick<CampaignDto, "status" | "endsAt" | "endedBy" | "closedForAbuse"> & { creatorId: string };

/**
 * Allowed status moves. A creator publishes (draft → active), ends their campaign, and reopens it
 * (ended → active) when `reopenable`; an admin suspends and reinstates, and may end a suspended campaign.
 */
const MOVES: Record<Actor, Partial<Record<CampaignStatus, CampaignStatus[]>>> = {
  creator: { draft: ["active", "ended"], active: ["ended"], ended: ["active"] },
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
 * Whether an ended campaign may be reopened by its creator at `now`: they ended it themselves (not an admin,
 * not a close for abuse) and its end date, if it has one, is still ahead. A way back from an "End campaign"
 * pressed by mistake; never a way round moderation or past the date the creator announced.
 */
export function reopenable(c: Omit<StatusSubject, "creatorId">, now: Date): boolean {
  return (
    c.status === "ended" &&
    c.endedBy === "creator" &&
    !c.closedForAbuse &&
    (c.endsAt === null || Date.parse(c.endsAt) > now.getTime())
  );
}

/**
 * The statuses `user` may move a campaign to from its current status at `now`: the creator's moves, then
 * an admin's, each once. None for an anonymous viewer or someone who is neither the campaign's
 * creator nor an admin. Staying in the current status is not a move (and is always allowed).
 */
export function movesFor(c: StatusSubject, user: PublicUser | undefined, now: Date): CampaignStatus[] {
  // A creator's only move from ended, reopening, is theirs while `reopenable`.
  const blocked = (a: Actor) => a === "creator" && c.status === "ended" && !reopenable(c, now);
  const moves = actorsOf(c.creatorId, user).flatMap((a) => (blocked(a) ? [] : (MOVES[a][c.status] ?? [])));
  return [...new Set(moves)];
}

/**
 * Whether `reason` (the PATCH body's, or the form's) fits a move to `to`: required to suspend (the creator
 * is told why), optional to end, and meaningless for any other move. Answers the problem ("required",
 * "not allowed") or undefined when it fits.
 */
export function reasonProblem(to: CampaignStatus | undefined, reason: string | undefined): string | undefined {
  if (to === "suspended") return reason === undefined ? "is required to suspend a campaign" : undefined;
  if (to === "ended" || reason === undefined) return undefined;
  return "is only taken with status suspended or ended";
}

/**
 * Whether a campaign takes contributions at `now`: it is active and its end date, if it has
 * one, is still ahead. Drafts, suspended and ended campaigns take none.
 */
export function acceptsContributions(c: Pick<CampaignDto, "status" | "endsAt">, now: Date): boolean {
  return c.status === "active" && (c.endsAt === null || Date.parse(c.endsAt) > now.getTime());
}

/**
 * Whether a campaign's content (title, story, goal, end date, pictures and videos) may still change: while a
 * draft or active. Not once ended, nor while suspended: the admins review what was reported, and the creator
 * edits again once reinstated.
 */
export function contentEditable(status: CampaignStatus): boolean {
  return status === "draft" || status === "active";
}

/** The last minute of a picked end date (YYYY-MM-DD): a campaign ends at the end of that day, UTC. */
export function endOfDay(date: string): string {
  return `${date}T23:59:59Z`;
}

/**
 * The earliest end date (YYYY-MM-DD, UTC) a date picker may offer at `now`: today while its end (`endOfDay`)
 * is still ahead, as the API's "must be in the future" requires, else tomorrow.
 */
export function firstEndDate(now: Date): string {
  const today = now.toISOString().slice(0, 10);
  if (Date.parse(endOfDay(today)) > now.getTime()) return today;
  return new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
}
