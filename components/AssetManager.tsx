"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { apiFetch, describeError } from "./api";
import { type UploadedAsset, uploadFile } from "./assetUpload";

const ACCEPT = "image/jpeg,image/png,image/webp,image/gif,image/avif,video/mp4,video/webm";

function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MB`;
}

interface Props {
  campaignId: string;
  initial: UploadedAsset[];
  maxImageBytes: number;
  maxVideoBytes: number;
  maxAssets: number;
}

/** The creator's pictures and videos: add (several at once), move up/down (the first is the cover), remove. */
export function AssetManager({ campaignId, initial, maxImageBytes, maxVideoBytes, maxAssets }: Props) {
  const router = useRouter();
  const [items, setItems] = useState(initial);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const input = useRef<HTMLInputElement>(null);

  async function add(files: FileList | null) {
    if (!files || files.length === 0) return;
    setError(undefined);
    const failures: string[] = [];
    let list = items;
    for (const file of Array.from(files)) {
      const limit = file.type.startsWith("video/") ? maxVideoBytes : maxImageBytes;
      if (file.size > limit) {
        failures.push(`${file.name}: larger than ${formatSize(limit)}`);
        continue;
      }
      setBusy(`Uploading ${file.name}…`);
      const r = await uploadFile(campaignId, file);
      if (r.ok) {
        list = [...list, r.data];
        setItems(list);
      } else failures.push(`${file.name}: ${describeError(r.error)}`);
    }
    setBusy(undefined);
    if (input.current) input.current.value = "";
    if (failures.length) setError(failures.join(" · "));
    router.refresh();
  }

  async function move(index: number, by: -1 | 1) {
    const next = [...items];
    const [moved] = next.splice(index, 1);
    if (!moved) return;
    next.splice(index + by, 0, moved);
    setBusy("Saving the order…");
    setError(undefined);
    const r = await apiFetch<{ items: UploadedAsset[] }>(`/api/campaigns/${campaignId}/assets`, {
      method: "PATCH",
      body: { order: next.map((a) => a.id) },
    });
    setBusy(undefined);
    if (!r.ok) return setError(describeError(r.error));
    setItems(r.data.items);
    router.refresh();
  }

  async function remove(a: UploadedAsset) {
    setBusy("Removing…");
    setError(undefined);
    const r = await fetch(`/api/assets/${a.id}`, { method: "DELETE", credentials: "same-origin" });
    setBusy(undefined);
    if (!r.ok && r.status !== 404) return setError("Could not remove it. Please try again.");
    setItems((list) => list.filter((x) => x.id !== a.id).map((x, i) => ({ ...x, position: i })));
    router.refresh();
  }

  const full = items.length >= maxAssets;
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
      {items.length === 0 ? (
        <p className="muted">No pictures or videos yet.</p>
      ) : (
        <ol className="asset-list">
          {items.map((a, i) => {
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
                <span className="asset-actions">
                  <button
                    type="button"
                    className="btn btn-secondary"
                    aria-label={`Move ${label} up`}
                    disabled={i === 0 || busy !== undefined}
                    onClick={() => void move(i, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    className="btn btn-secondary"
                    aria-label={`Move ${label} down`}
                    disabled={i === items.length - 1 || busy !== undefined}
                    onClick={() => void move(i, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    className="btn btn-danger"
                    aria-label={`Remove ${label}`}
                    disabled={busy !== undefined}
                    onClick={() => void remove(a)}
                  >
                    Remove
                  </button>
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
