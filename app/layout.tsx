import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Crowdfund", template: "%s · Crowdfund" },
  description: "Raise money for the causes you care about.",
};

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
