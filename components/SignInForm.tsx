"use client";

import { signIn } from "next-auth/react";
import { type FormEvent, useState } from "react";

interface Props {
  callbackUrl: string;
  passwordLogin: boolean;
  github: boolean;
  initialError?: string;
}

export function SignInForm({ callbackUrl, passwordLogin, github, initialError }: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(initialError);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const res = await signIn("password", { email, password, redirect: false, callbackUrl });
      if (res?.ok && !res.error) {
        window.location.assign(callbackUrl);
        return;
      }
      setError(
        res?.error === "LoginThrottled"
          ? "Too many failed sign-in attempts. Wait a little and try again."
          : "Wrong email or password",
      );
    } catch {
      setError("Could not reach the server. Please try again.");
    }
    setBusy(false);
  }

  return (
    <div className="stack">
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {passwordLogin && (
        <form onSubmit={onSubmit} className="form" aria-label="Sign in with email">
          <div className="field">
            <label htmlFor="signin-email">Email</label>
            <input
              id="signin-email"
              name="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="signin-password">Password</label>
            <input
              id="signin-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      )}
      {passwordLogin && github && <p className="divider">or</p>}
      {github && (
        <button type="button" className="btn btn-dark btn-block" onClick={() => void signIn("github", { callbackUrl })}>
          Sign in with GitHub
        </button>
      )}
      {!passwordLogin && !github && (
        <p className="muted">No sign-in method is configured. Set GITHUB_ID and GITHUB_SECRET, or PASSWORD_LOGIN=true.</p>
      )}
    </div>
  );
}
