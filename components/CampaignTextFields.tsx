import { Field } from "./Field";

/**
 * A campaign's title and story fields, the same in the new-campaign and the edit form (names, limits, labels):
 * `values` as typed or stored, `errors` by field name (components/formErrors.ts), `storyHint` under the story.
 */
export function CampaignTextFields({
  values,
  errors,
  storyHint,
}: {
  values: { title: string; story: string };
  errors: Record<string, string>;
  storyHint: string;
}) {
  return (
    <>
      <Field id="title" label="Title" error={errors.title}>
        <input name="title" type="text" required maxLength={120} autoComplete="off" defaultValue={values.title} />
      </Field>
      <Field id="story" label="Story" error={errors.story} hint={storyHint}>
        <textarea name="story" rows={8} required maxLength={20000} defaultValue={values.story} />
      </Field>
    </>
  );
}
