"use client";

import { signOutEverywhereAction } from "@/app/actions/sessions";
import { apiErrorOf, describeError } from "./api";
import { useActionForm } from "./useActionForm";

/**
 * The "Sign out everywhere" button, with an unticked box to revoke the API tokens too when the user has
 * `activeTokens`, posted to a server action (works without JavaScript); on success the action redirects to
 * sign-in.
 */
export function SignOutEverywhereForm({ activeTokens }: { activeTokens: number }) {
  const end = useActionForm(signOutEverywhereAction, undefined);
  const error = end.state && !end.state.ok ? describeError(apiErrorOf(end.state.error)) : undefined;
  return (
    <form className="card form stack" {...end.form} aria-label="Sign out everywhere">
      {activeTokens > 0 && (
        <div className="field">
          <label>
            <input type="checkbox" name="revokeApiTokens" value="true" /> Also revoke my {activeTokens} active API{" "}
            {activeTokens === 1 ? "token" : "tokens"}
          </label>
        </div>
      )}
      <div>
        <button type="submit" className="btn btn-danger" disabled={end.pending}>
          Sign out everywhere
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
