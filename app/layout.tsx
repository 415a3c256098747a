import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { config } from "@/lib/config";
import "./globals.css";

/** NEXTAUTH_URL, or undefined; also while `next build` prerenders the static 404, where the server's configuration is not complete. */
function configuredOrigin(): string | undefined {
  try {
    return config().NEXTAUTH_URL;
  } catch {
    return undefined;
  }
}

/**
 * The site's metadata; `metadataBase` (what relative Open Graph and canonical URLs resolve against) is the configured
 * public origin, NEXTAUTH_URL: without it Next.js falls back to http://localhost:<port>, which is right only on the
 * machine itself, so set it wherever links are shared.
 */
export function generateMetadata(): Metadata {
  const origin = configuredOrigin();
  return {
    title: { default: "Crowdfund", template: "%s · Crowdfund" },
    description: "Raise money for the causes you care about.",
    ...(origin && { metadataBase: new URL(origin) }),
  };
}

/**
 * The root layout reads nothing about the request, so a page below it may be cached whole: the header with the
 * session's user is the (site) group's layout; the (public) group serves the signed-out campaign page from the
 * cache (docs/caching.md, "The campaign page").
 */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        {children}
        <footer className="site-footer">
          <div className="container">
            <p>Crowdfund — open-source crowdfunding you can run yourself.</p>
            <nav aria-label="Developers" className="footer-nav">
              <Link href="/docs">API docs</Link>
              <Link href="/settings/tokens">API tokens</Link>
            </nav>
          </div>
        </footer>
      </body>
    </html>
  );
}
