import type { ReactNode } from "react";
import { SiteHeader } from "@/components/SiteHeader";

/**
 * Pages served to visitors without a session, the same bytes for all of them: the proxy sends only requests
 * without a session cookie here (proxy.ts), so the header is the signed-out one and the page may be cached.
 */
export default function PublicLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <SiteHeader />
      <main id="main" className="container main">
        {children}
      </main>
    </>
  );
}
