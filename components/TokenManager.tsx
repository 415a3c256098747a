"use client";

import { useState } from "react";
import { createTokenAction, revokeTokenAction } from "@/app/actions/tokens";
import type { TokenDto } from "@/lib/auth/tokens";
import { apiErrorOf, describeError } from "./api";
import { NewTokenSecret } from "./NewTokenSecret";
import { TokenTable } from "./TokenTable";
import { useActionForm } from "./useActionForm";

/** The user's API tokens (as the page rendered them): create one (its secret shown once), revoke one. */
export function TokenManager({ tokens }: { tokens: TokenDto[] }) {
  const create = useActionForm(createTokenAction, undefined);
  const revoke = useActionForm(revokeTokenAction, undefined);
  const [dismissed, setDismissed] = useState<string>();

  const created = create.state?.ok ? create.state.data : undefined;
  const createError = create.state && !create.state.ok ? apiErrorOf(create.state.error) : undefined;
  const nameIssue = createError?.details.find((d) => d.field === "name");
  const nameError = nameIssue ? `Token name ${nameIssue.message}` : undefined;
  const error = [
    createError && !nameIssue ? describeError(createError) : undefined,
    revoke.state && !revoke.state.ok ? describeError(apiErrorOf(revoke.state.error)) : undefined,
  ].find(Boolean);
  const revoking = revoke.pending ? String(revoke.submitted?.get("tokenId")) : undefined;

  return (
    <div className="stack">
      {created && created.id !== dismissed && (
        <NewTokenSecret name={created.name} token={created.token} onDismiss={() => setDismissed(created.id)} />
      )}

      <form className="card form token-form" {...create.form} noValidate aria-label="Create an API token">
        <h2>Create a token</h2>
        <div className={nameError ? "field has-error" : "field"}>
          <label htmlFor="token-name">Token name</label>
          <div className="inline-input">
            <input
              key={created?.id ?? "none"}
              id="token-name"
              name="name"
              type="text"
              maxLength={100}
              placeholder="e.g. deploy script"
              aria-invalid={nameError ? true : undefined}
              aria-describedby={nameError ? "token-name-error" : undefined}
            />
            <button type="submit" className="btn btn-primary" disabled={create.pending}>
              Create token
            </button>
          </div>
          {nameError && (
            <p id="token-name-error" className="field-error" role="alert">
              {nameError}
            </p>
          )}
        </div>
      </form>

      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}

      <section className="card" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Your tokens</h2>
        <TokenTable tokens={tokens} busyId={revoking} revokeForm={revoke.form} />
      </section>
    </div>
  );
}
