import { formatDateTime } from "./format";
import type { TokenRow } from "./TokenManager";

interface Props {
  tokens: TokenRow[];
  busyId?: string;
  onRevoke: (t: TokenRow) => void;
}

export function TokenTable({ tokens, busyId, onRevoke }: Props) {
  if (tokens.length === 0) return <p className="muted">You have no API tokens yet.</p>;
  return (
    <div className="table-wrap">
      <table className="table">
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
              <td>{t.name}</td>
              <td>
                <code>{t.prefix}…</code>
              </td>
              <td>{formatDateTime(t.createdAt)}</td>
              <td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : "Never"}</td>
              <td>
                {t.revokedAt ? (
                  <span className="badge badge-ended">Revoked</span>
                ) : (
                  <span className="badge badge-active">Active</span>
                )}
              </td>
              <td className="cell-actions">
                {!t.revokedAt && (
                  <button
                    type="button"
                    className="btn btn-danger btn-small"
                    disabled={busyId === t.id}
                    onClick={() => onRevoke(t)}
                    aria-label={`Revoke ${t.name}`}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
