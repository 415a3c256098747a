"use client";

import { type FormEvent, useState } from "react";
import { apiFetch, describeError } from "./api";
import { NewTokenSecret } from "./NewTokenSecret";
import { TokenTable } from "./TokenTable";

export interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function TokenManager({ initialTokens }: { initialTokens: TokenRow[] }) {
  const [tokens, setTokens] = useState(initialTokens);
  const [name, setName] = useState("");
  const [secret, setSecret] = useState<{ name: string; token: string }>();
  const [nameError, setNameError] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();

  async function reload() {
    const res = await apiFetch<{ items: TokenRow[] }>("/api/me/tokens");
    if (res.ok) setTokens(res.data.items);
  }

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setError(undefined);
    setNameError(undefined);
    if (!name.trim()) {
      setNameError("Token name is required");
      return;
    }
    setBusy("create");
    const res = await apiFetch<TokenRow & { token: string }>("/api/me/tokens", { method: "POST", body: { name: name.trim() } });
    setBusy(undefined);
    if (!res.ok) {
      const issue = res.error.details.find((d) => d.field === "name");
      if (issue) setNameError(`Token name ${issue.message}`);
      else setError(describeError(res.error));
      return;
    }
    const { token, ...info } = res.data;
    setSecret({ name: info.name, token });
    setName("");
    setTokens((ts) => [info, ...ts.filter((t) => t.id !== info.id)]);
    void reload();
  }

  async function revoke(t: TokenRow) {
    setError(undefined);
    setBusy(t.id);
    const res = await apiFetch<TokenRow>(`/api/me/tokens/${t.id}`, { method: "DELETE" });
    setBusy(undefined);
    if (!res.ok) {
      setError(describeError(res.error));
      return;
    }
    setTokens((ts) => ts.map((x) => (x.id === t.id ? { ...x, revokedAt: res.data?.revokedAt ?? new Date().toISOString() } : x)));
  }

  return (
    <div className="stack">
      {secret && <NewTokenSecret name={secret.name} token={secret.token} onDismiss={() => setSecret(undefined)} />}

      <form className="card form token-form" onSubmit={create} noValidate aria-label="Create an API token">
        <h2>Create a token</h2>
        <div className={nameError ? "field has-error" : "field"}>
          <label htmlFor="token-name">Token name</label>
          <div className="inline-input">
            <input
              id="token-name"
              name="name"
              type="text"
              maxLength={100}
              placeholder="e.g. deploy script"
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={nameError ? true : undefined}
              aria-describedby={nameError ? "token-name-error" : undefined}
            />
            <button type="submit" className="btn btn-primary" disabled={busy === "create"}>
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
        <TokenTable tokens={tokens} busyId={busy} onRevoke={(t) => void revoke(t)} />
      </section>
    </div>
  );
}
