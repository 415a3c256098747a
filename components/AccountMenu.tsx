"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";
import { SignOutButton } from "./SignOutButton";

/** The account's pages, in the menu's order. */
const ACCOUNT_PAGES = [
  ["/dashboard", "Dashboard"],
  ["/contributions", "My contributions"],
  ["/settings/payouts", "Payouts"],
  ["/settings/notifications", "Email notifications"],
  ["/settings/tokens", "API tokens"],
  ["/settings/sessions", "Sessions"],
] as const;

/**
 * The signed-in user's menu in the header: a native disclosure (works without JavaScript), closed again after each
 * navigation (the layout, and so this menu, outlives client-side page changes). The account's pages live here rather
 * than in the header's row, so the header stays one line on a phone (issue: 171 px of a 844 px screen).
 */
export function AccountMenu({ name }: { name: string }) {
  const pathname = usePathname();
  const ref = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.open = false;
  }, [pathname]);
  useEffect(() => {
    // Close on Escape and on a click elsewhere, as a menu is expected to.
    const close = (e: Event) => {
      const d = ref.current;
      if (!d?.open) return;
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !d.contains(e.target as Node)) d.open = false;
    };
    document.addEventListener("keydown", close);
    document.addEventListener("click", close);
    return () => {
      document.removeEventListener("keydown", close);
      document.removeEventListener("click", close);
    };
  }, []);
  return (
    <details className="account-menu" ref={ref}>
      <summary>
        <span className="account-avatar" aria-hidden="true">
          {initial(name)}
        </span>
        {/* On a phone only the avatar shows; the name stays for screen readers. */}
        <span className="account-name">{name}</span>
        <span className="visually-hidden"> (account menu)</span>
      </summary>
      <ul className="account-menu-list">
        {ACCOUNT_PAGES.map(([href, label]) => (
          <li key={href}>
            <Link href={href}>{label}</Link>
          </li>
        ))}
        <li>
          <SignOutButton />
        </li>
      </ul>
    </details>
  );
}

/** The first letter of a name (a whole grapheme, e.g. an accented or non-Latin letter), upper-cased, for the avatar. */
function initial(name: string): string {
  const first = [...new Intl.Segmenter().segment(name.trim())][0]?.segment ?? "?";
  return first.toLocaleUpperCase();
}
