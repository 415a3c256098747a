import type { Metadata } from "next";
import { SignInForm } from "@/components/SignInForm";
import { config } from "@/lib/config";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

/** Only same-site paths: "/x" yes, "//evil.example" or "https://…" no. */
function safeCallback(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s?.startsWith("/") || s.startsWith("//") || s.startsWith("/\\")) return "/dashboard";
  return s;
}

const ERROR_MESSAGES: Record<string, string> = {
  CredentialsSignin: "Wrong email or password",
  OAuthAccountNotLinked: "This email is already used by another sign-in method.",
  AccessDenied: "Sign-in was refused. Your GitHub account must share an email address.",
};

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ [key: string]: string | string[] | undefined }>;
}) {
  const sp = await searchParams;
  const c = config();
  const errorCode = Array.isArray(sp.error) ? sp.error[0] : sp.error;
  const initialError = errorCode ? (ERROR_MESSAGES[errorCode] ?? "Sign-in failed. Please try again.") : undefined;
  return (
    <div className="narrow">
      <h1>Sign in</h1>
      <div className="card">
        <SignInForm
          callbackUrl={safeCallback(sp.callbackUrl)}
          passwordLogin={c.passwordLogin}
          github={Boolean(c.GITHUB_ID)}
          initialError={initialError}
        />
      </div>
      {c.passwordLogin && (
        <p className="muted small">
          Demo users: alice@example.com / bob@example.com / carol@example.com (admin), password: <code>password</code>
        </p>
      )}
    </div>
  );
}
