"use client";

import { postUpdateAction } from "@/app/actions/updates";
import type { AssetDto } from "@/lib/assets/schemas";
import { AssetImage } from "./AssetImage";
import { apiErrorOf, describeError } from "./api";
import { useActionForm } from "./useActionForm";

/**
 * The creator's "Post an update" form on the campaign page: the text and, optionally, one of the campaign's pictures
 * (added on the edit page). Posts to postUpdateAction; works without JavaScript. After a post the text box is emptied
 * (remounted under the new update's ID) and the page, refreshed by the action, lists the update first.
 */
export function PostUpdateForm({ campaignId, pictures }: { campaignId: string; pictures: AssetDto[] }) {
  const { state, pending, form } = useActionForm(postUpdateAction, undefined);
  const error = state && !state.ok ? apiErrorOf(state.error) : undefined;
  const bodyIssue = error?.details.find((d) => d.field === "body");
  const pictureIssue = error?.details.find((d) => d.field === "assetId");
  const formError = error && !bodyIssue && !pictureIssue ? describeError(error) : undefined;
  const posted = state?.ok ? state.data.id : "new";
  return (
    <form className="form update-form" {...form} noValidate aria-label="Post an update">
      <input type="hidden" name="campaignId" value={campaignId} />
      <div className={bodyIssue ? "field has-error" : "field"}>
        <label htmlFor="update-body">Your update</label>
        <textarea
          key={posted}
          id="update-body"
          name="body"
          rows={4}
          maxLength={5000}
          required
          aria-invalid={bodyIssue ? true : undefined}
          aria-describedby={bodyIssue ? "update-body-error" : "update-body-hint"}
        />
        {bodyIssue ? (
          <p id="update-body-error" className="field-error" role="alert">
            Update {bodyIssue.message}
          </p>
        ) : (
          <p id="update-body-hint" className="hint">
            Plain text, up to 5,000 characters. Donors who asked for updates get it by email.
          </p>
        )}
      </div>
      {pictures.length > 0 && (
        <fieldset className="update-pictures" key={`pictures-${posted}`}>
          <legend>Picture (optional)</legend>
          <div className="checkbox">
            <input type="radio" id="update-picture-none" name="assetId" value="" defaultChecked />
            <label htmlFor="update-picture-none">No picture</label>
          </div>
          {pictures.map((p, i) => (
            <div className="checkbox update-picture-choice" key={p.id}>
              <input type="radio" id={`update-picture-${p.id}`} name="assetId" value={p.id} />
              <label htmlFor={`update-picture-${p.id}`}>
                <AssetImage id={p.id} alt="" width={p.width ?? 320} height={p.height ?? 240} sizes="64px" />
                Picture {i + 1}
              </label>
            </div>
          ))}
          {pictureIssue && (
            <p className="field-error" role="alert">
              Picture {pictureIssue.message}
            </p>
          )}
          <p className="hint">Add more pictures on the campaign&apos;s edit page.</p>
        </fieldset>
      )}
      <button type="submit" className="btn btn-primary" disabled={pending}>
        {pending ? "Posting…" : "Post update"}
      </button>
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      {state?.ok && (
        <p className="muted small" role="status">
          Update posted.
        </p>
      )}
    </form>
  );
}
