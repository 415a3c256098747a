import { notFound } from "next/navigation";

/**
 * Any path no page matches: the 404 page inside this group's layout, so a signed-in visitor keeps their header
 * (the root not-found.tsx renders outside any group's layout).
 */
export default function Missing(): never {
  notFound();
}
