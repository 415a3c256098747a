"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { removeAssetAction, reorderAssetsAction } from "@/app/actions/assets";
import { apiErrorOf, describeError } from "./api";
import { type UploadedAsset, uploadFile } from "./assetUpload";
import { useActionForm } from "./useActionForm";

const ACCEPT = "image/jpeg,image/png,image/webp,image/gif,image/avif,video/mp4,video/webm";

function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MB`;
}

/** The asset IDs, comma-separated, with the one at `index` moved `by` places (the reorder action's `order`). */
function movedOrder(items: UploadedAsset[], index: number, by: -1 | 1): string {
  const ids = items.map((a) => a.id);
  const [moved] = ids.splice(index, 1);
  if (moved) ids.splice(Math.max(0, index + by), 0, moved);
  return ids.join(",");
}

interface Props {
  campaignId: string;
  initial: UploadedAsset[];
  maxImageBytes: number;
  maxVideoBytes: number;
  maxAssets: number;
}

/**
 * The creator's pictures and videos: add (several at once, through the API), move up/down (the first is the
 * cover) and remove (server actions, which render the page again: `initial` is then the new list).
 */
export function AssetManager({ campaignId, initial, maxImageBytes, maxVideoBytes, maxAssets }: Props) {
  const router = useRouter();
  const [items, setItems] = useState(initial);
  const [rendered, setRendered] = useState(initial);
  if (rendered !== initial) {
    setRendered(initial);
    setItems(initial);
  }
  const [uploading, setUploading] = useState<string>();
  const [uploadError, setUploadError] = useState<string>();
  /** The error shown is the one of the last operation started. */
  const [last, setLast] = useState<"upload" | "reorder" | "remove">();
  const started = (op: "reorder" | "remove") => () => {
    setLast(op);
    return true;
  };
  const reorder = useActionForm(reorderAssetsAction, undefined, started("reorder"));
  const remove = useActionForm(removeAssetAction, undefined, started("remove"));
  const input = useRef<HTMLInputElement>(null);
  const busy = uploading ?? (reorder.pending ? "Saving the order…" : remove.pending ? "Removing…" : undefined);
  // Already gone (removed elsewhere): as good as removed.
  const gone =
    remove.state?.ok === false && remove.state.error.code === "ASSET_NOT_FOUND" ? remove.submitted?.get("assetId") : undefined;
  const shown = items.filter((a) => a.id !== gone);
  const errors = {
    upload: uploadError,
    reorder: reorder.state?.ok === false ? describeError(apiErrorOf(reorder.state.error)) : undefined,
    remove: remove.state?.ok === false && gone === undefined ? "Could not remove it. Please try again." : undefined,
  };
  const error = last && errors[last];

  async function add(files: FileList | null) {
    if (!files || files.length === 0) return;
    setLast("upload");
    setUploadError(undefined);
    const failures: string[] = [];
    let list = items;
    for (const file of Array.from(files)) {
      const limit = file.type.startsWith("video/") ? maxVideoBytes : maxImageBytes;
      if (file.size > limit) {
        failures.push(`${file.name}: larger than ${formatSize(limit)}`);
        continue;
      }
      setUploading(`Uploading ${file.name}…`);
      const r = await uploadFile(campaignId, file);
      if (r.ok) {
        list = [...list, r.data];
        setItems(list);
      } else failures.push(`${file.name}: ${describeError(r.error)}`);
    }
    setUploading(undefined);
    if (input.current) input.current.value = "";
    if (failures.length) setUploadError(failures.join(" · "));
    router.refresh();
  }

  const full = shown.length >= maxAssets;
  return (
    <section className="card asset-manager" aria-labelledby="assets-heading">
      <h2 id="assets-heading">Pictures and videos</h2>
      <p className="muted small">
        JPEG, PNG, WebP, GIF or AVIF pictures up to {formatSize(maxImageBytes)}; MP4 or WebM videos up to{" "}
        {formatSize(maxVideoBytes)}. The first picture is the cover. Location data in photos is removed.
      </p>
      <label className={`btn btn-secondary${busy || full ? " disabled" : ""}`}>
        Add pictures or videos
        <input
          ref={input}
          type="file"
          accept={ACCEPT}
          multiple
          className="visually-hidden"
          disabled={busy !== undefined || full}
          onChange={(e) => void add(e.currentTarget.files)}
        />
      </label>
      {full && <p className="muted small">This campaign has the most pictures and videos it may have ({maxAssets}).</p>}
      {busy && (
        <p className="muted" role="status">
          {busy}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {shown.length === 0 ? (
        <p className="muted">No pictures or videos yet.</p>
      ) : (
        <ol className="asset-list">
          {shown.map((a, i) => {
            const label = `${a.kind === "image" ? "Picture" : "Video"} ${i + 1}`;
            return (
              <li key={a.id} className="asset-item" data-testid="asset-item">
                {a.kind === "image" ? (
                  <img src={`${a.url}?variant=thumb`} alt={label} width={96} height={72} loading="lazy" />
                ) : (
                  <video src={a.url} preload="metadata" muted width={96} height={72} aria-label={label} />
                )}
                <span className="asset-meta">
                  <strong>{label}</strong>
                  {a.position === 0 && a.kind === "image" && <span className="badge">Cover</span>}
                  <span className="muted small">
                    {a.contentType} · {formatSize(a.size)}
                    {a.width && a.height ? ` · ${a.width}×${a.height}` : ""}
                    {a.durationSeconds ? ` · ${a.durationSeconds.toFixed(1)} s` : ""}
                  </span>
                </span>
                <div className="asset-actions">
                  <form {...reorder.form}>
                    <input type="hidden" name="campaignId" value={campaignId} />
                    <button
                      type="submit"
                      name="order"
                      value={movedOrder(shown, i, -1)}
                      className="btn btn-secondary"
                      aria-label={`Move ${label} up`}
                      disabled={i === 0 || busy !== undefined}
                    >
                      ↑
                    </button>
                    <button
                      type="submit"
                      name="order"
                      value={movedOrder(shown, i, 1)}
                      className="btn btn-secondary"
                      aria-label={`Move ${label} down`}
                      disabled={i === shown.length - 1 || busy !== undefined}
                    >
                      ↓
                    </button>
                  </form>
                  <form {...remove.form}>
                    <input type="hidden" name="assetId" value={a.id} />
                    <button type="submit" className="btn btn-danger" aria-label={`Remove ${label}`} disabled={busy !== undefined}>
                      Remove
                    </button>
                  </form>
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
