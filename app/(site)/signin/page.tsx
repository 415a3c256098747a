import type { Metadata } from "next";
import { SignInForm } from "@/components/SignInForm";
import { sameOriginPath } from "@/lib/auth/redirect";
import { config } from "@/lib/config";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

/** Only a path on this site, as the browser will read it (lib/auth/redirect); anything else → /dashboard. */
function safeCallback(v: string | string[] | undefined): string {
  return sameOriginPath(Array.isArray(v) ? v[0] : v, "http://app.invalid") ?? "/dashboard";
}

const ERROR_MESSAGES: Record<string, string> = {
  CredentialsSignin: "Wrong email or password",
  OAuthAccountNotLinked:
    "An account with this email already exists and is not linked to this GitHub account. Sign in the way you did before.",
  GitHubEmailNotVerified: "Sign-in was refused: your GitHub account needs a verified primary email address.",
  LoginThrottled: "Too many failed sign-in attempts. Wait a little and try again.",
  AccessDenied: "Sign-in was refused.",
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
  const signedOutEverywhere = (Array.isArray(sp.signedOut) ? sp.signedOut[0] : sp.signedOut) === "everywhere";
  return (
    <div className="narrow">
      <h1>Sign in</h1>
      {signedOutEverywhere && (
        <p role="status" className="card">
          You have been signed out on every device. Sign in again to go on here.
        </p>
      )}
      <div className="card">
        <SignInForm
          callbackUrl={safeCallback(sp.callbackUrl)}
          passwordLogin={c.passwordLogin}
          github={Boolean(c.GITHUB_ID)}
          initialError={initialError}
        />
      </div>
      {c.passwordLogin && c.seedDemoUsers && (
        <p className="muted small">
          Demo users: alice@example.com / bob@example.com / carol@example.com (admin), password: <code>password</code>
        </p>
      )}
    </div>
  );
}
