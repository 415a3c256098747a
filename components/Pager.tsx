import Link from "next/link";

/**
 * The keyset pager under a list page at `path`: "First page" once past it (`cursor` set), "Next page"
 * when the listing returned a `nextCursor`; nothing on a single page.
 */
export function Pager({ path, cursor, nextCursor }: { path: string; cursor?: string; nextCursor: string | null }) {
  if (!cursor && !nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pagination">
      {cursor ? <Link href={path}>First page</Link> : <span />}
      {nextCursor && (
        <Link href={`${path}?cursor=${encodeURIComponent(nextCursor)}`} className="btn btn-secondary" rel="next">
          Next page
        </Link>
      )}
    </nav>
  );
}
