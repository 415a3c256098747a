const PREFIX = "#/components/schemas/";

/** A schema in a one-line summary: a link to a named component schema, or its inline JSON. */
export function SchemaRef({ schema }: { schema: unknown }) {
  if (schema === undefined || schema === null) return null;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === "string" && ref.startsWith(PREFIX)) {
    const name = ref.slice(PREFIX.length);
    return (
      <a href={`#schema-${name}`} className="schema-ref">
        {name}
      </a>
    );
  }
  return <code className="schema-inline">{JSON.stringify(schema)}</code>;
}
