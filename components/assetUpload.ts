import type { UploadRouter } from "@/lib/assets/uploadthing-router";
import { type ApiResult, apiFetch, readApiResult } from "./api";

export interface UploadedAsset {
  id: string;
  kind: "image" | "video";
  contentType: string;
  size: number;
  url: string;
  width: number | null;
  height: number | null;
  durationSeconds: number | null;
  position: number;
}

interface Target {
  method: "PUT" | "POST" | "UPLOADTHING";
  url: string;
  headers: Record<string, string>;
  completeUrl: string | null;
}

const parse = (res: Response) =>
  readApiResult<UploadedAsset>(res, res.status === 413 ? "The file is too large" : `Upload failed (${res.status})`);

const networkError = (): ApiResult<UploadedAsset> => ({
  ok: false,
  error: {
    status: 0,
    code: "NETWORK_ERROR",
    message: "The upload was interrupted. Check your connection and try again.",
    details: [],
  },
});

/**
 * Upload one file: ask the API where to send it (a presigned PUT straight to the bucket
 * for large files when the storage offers it, else the multipart POST), send it, and
 * complete a PUT. The server checks the bytes either way.
 */
export async function uploadFile(campaignId: string, file: File): Promise<ApiResult<UploadedAsset>> {
  const where = await apiFetch<Target>(`/api/campaigns/${campaignId}/assets/uploads`, {
    method: "POST",
    body: { size: file.size, contentType: file.type || undefined },
  });
  if (!where.ok) return where;
  const t = where.data;
  try {
    if (t.method === "POST") {
      const form = new FormData();
      form.append("file", file);
      return await parse(await fetch(t.url, { method: "POST", body: form, credentials: "same-origin" }));
    }
    if (t.method === "UPLOADTHING") return await viaUploadThing(t.url, campaignId, file);
    const put = await fetch(t.url, { method: "PUT", body: file, headers: t.headers });
    if (!put.ok)
      return {
        ok: false,
        error: { status: put.status, code: "UPLOAD_FAILED", message: "The storage refused the upload", details: [] },
      };
    return await parse(await fetch(t.completeUrl as string, { method: "POST", credentials: "same-origin" }));
  } catch {
    return networkError();
  }
}

/** UploadThing's own client flow; our callback answers with the asset or the reason it was refused. */
async function viaUploadThing(url: string, campaignId: string, file: File): Promise<ApiResult<UploadedAsset>> {
  const { genUploader } = await import("uploadthing/client");
  const { uploadFiles } = genUploader<UploadRouter>({ url, package: "crowdfund" });
  const [done] = await uploadFiles("campaignAsset", { files: [file], input: { campaignId } });
  const data = done?.serverData as { asset?: UploadedAsset; error?: { code: string; message: string } } | undefined;
  if (data?.asset) return { ok: true, status: 201, data: data.asset };
  return {
    ok: false,
    error: {
      status: 400,
      code: data?.error?.code ?? "UPLOAD_FAILED",
      message: data?.error?.message ?? "The upload failed",
      details: [],
    },
  };
}
