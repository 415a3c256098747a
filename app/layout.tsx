import type { Metadata } from "next";
import Link from "next/link";
import type { ReactNode } from "react";
import { AccountMenu } from "@/components/AccountMenu";
import { sessionUser } from "@/lib/auth/session";
import { isDatabaseUnavailable, unavailableCause } from "@/lib/errors";
import { logger } from "@/lib/log";
import "./globals.css";

export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "Crowdfund", template: "%s · Crowdfund" },
  description: "Raise money for the causes you care about.",
};

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

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="container header-inner">
            <Link href="/" className="brand">
              <span className="brand-mark" aria-hidden="true">
                ♥
              </span>
              <span className="brand-name">Crowdfund</span>
            </Link>
            <nav aria-label="Main" className="main-nav">
              <Link href="/campaigns/new" className="btn btn-primary btn-small">
                Start a campaign
              </Link>
              {user ? <AccountMenu name={user.name} /> : <Link href="/signin">Sign in</Link>}
            </nav>
          </div>
        </header>
        <main id="main" className="container main">
          {children}
        </main>
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
