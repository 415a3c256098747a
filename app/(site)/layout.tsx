import type { ReactNode } from "react";
import { SiteHeader } from "@/components/SiteHeader";
import { sessionUser } from "@/lib/auth/session";
import { isDatabaseUnavailable, unavailableCause } from "@/lib/errors";
import { logger } from "@/lib/log";

// Every page of this group knows who is looking (the header's account menu), so none is cached whole.
export const dynamic = "force-dynamic";

async function currentUser() {
  try {
    return await sessionUser();
  } catch (err) {
    // The header must still render (e.g. the API docs) when the session lookup fails.
    if (isDatabaseUnavailable(err))
      logger().warn({ cause: unavailableCause(err) }, "layout: session lookup failed (database unavailable)");
    else logger().error({ err }, "layout: session lookup failed");
    return undefined;
  }
}

/** The pages that know their viewer: the header with the session's user, then the page. */
export default async function SiteLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  return (
    <>
      <SiteHeader user={user} />
      <main id="main" className="container main">
        {children}
      </main>
    </>
  );
}
