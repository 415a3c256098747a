import Link from "next/link";
import { AccountMenu } from "./AccountMenu";

/**
 * The site's header: the mark, "Start a campaign", and the signed-in user's menu or a sign-in link. The pages of
 * app/(site) render it with the session's user; the cached public campaign page (app/(public)) and the error
 * pages render it signed out, which is what the visitors they are served to are.
 */
export function SiteHeader({ user }: { user?: { name: string } }) {
  return (
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
  );
}
