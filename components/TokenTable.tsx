import type { FormEvent } from "react";
import type { TokenDto } from "@/lib/auth/tokens";
import { formatDateTime } from "./format";
import { TableWrap } from "./TableWrap";

interface Props {
  tokens: TokenDto[];
  busyId?: string;
  /** The revoke form's handlers: each row's Revoke button submits its token's ID as `tokenId`. */
  revokeForm: { action: (form: FormData) => void; onSubmit: (e: FormEvent<HTMLFormElement>) => void };
}

export function TokenTable({ tokens, busyId, revokeForm }: Props) {
  if (tokens.length === 0) return <p className="muted">You have no API tokens yet.</p>;
  return (
    <TableWrap label="API tokens">
      <table className="table table-cards">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Token</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.id} className={t.revokedAt ? "revoked" : undefined}>
              <td data-label="Name">{t.name}</td>
              <td data-label="Token">
                <code>{t.prefix}…</code>
              </td>
              <td data-label="Created">{formatDateTime(t.createdAt)}</td>
              <td data-label="Last used">{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : "Never"}</td>
              <td data-label="Status">
                {t.revokedAt ? (
                  <span className="badge badge-ended">Revoked</span>
                ) : (
                  <span className="badge badge-active">Active</span>
                )}
              </td>
              <td className="cell-actions">
                {!t.revokedAt && (
                  <form {...revokeForm}>
                    <input type="hidden" name="tokenId" value={t.id} />
                    <button
                      type="submit"
                      className="btn btn-danger btn-small"
                      disabled={busyId === t.id}
                      aria-label={`Revoke ${t.name}`}
                    >
                      Revoke
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
