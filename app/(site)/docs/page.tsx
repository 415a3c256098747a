import type { Metadata } from "next";
import { SchemaRef } from "@/components/docs/SchemaRef";
import { openApiDocument } from "@/lib/openapi";

export const metadata: Metadata = { title: "API docs" };

interface Param {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: unknown;
}
interface Content {
  content?: Record<string, { schema?: unknown }>;
}
interface Operation {
  summary?: string;
  security?: unknown[];
  parameters?: Param[];
  requestBody?: Content & { required?: boolean };
  responses?: Record<string, Content & { description?: string }>;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
const jsonSchema = (c?: Content) => c?.content?.["application/json"]?.schema;

/** Render `backticked` spans of a description as code. */
const withCode = (text: string) => text.split("`").map((part, i) => (i % 2 ? <code key={part}>{part}</code> : part));

export default function DocsPage() {
  const doc = openApiDocument();
  const paths = doc.paths as unknown as Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  const schemas = doc.components.schemas;
  return (
    <div className="docs">
      <div className="page-head">
        <div>
          <h1>{doc.info.title}</h1>
          <p className="muted">
            Version {doc.info.version} · OpenAPI {doc.openapi}
          </p>
        </div>
        <a href="/api/openapi.json" className="btn btn-secondary">
          openapi.json
        </a>
      </div>
      <p className="lead">{withCode(doc.info.description)}</p>
      <p>
        Machine-readable document: <a href="/api/openapi.json">/api/openapi.json</a>. Create a token on the{" "}
        <a href="/settings/tokens">API tokens</a> page.
      </p>

      <h2>Endpoints</h2>
      {Object.entries(paths).flatMap(([path, ops]) =>
        METHODS.filter((m) => ops[m]).map((m) => {
          const op = ops[m] as Operation;
          const body = jsonSchema(op.requestBody);
          return (
            <section key={`${m} ${path}`} className="card endpoint" aria-label={`${m.toUpperCase()} ${path}`}>
              <h3 className="endpoint-title">
                <span className={`method method-${m}`}>{m.toUpperCase()}</span> <code>{path}</code>
              </h3>
              {op.summary && <p>{op.summary}</p>}
              {op.security && op.security.length === 0 && <p className="muted small">No authentication required.</p>}
              {op.parameters && op.parameters.length > 0 && (
                <>
                  <h4>Parameters</h4>
                  <ul className="plain-list">
                    {op.parameters.map((p) => (
                      <li key={`${p.in}-${p.name}`}>
                        <code>{p.name}</code>{" "}
                        <span className="muted">
                          ({p.in}
                          {p.required ? ", required" : ""})
                        </span>{" "}
                        <SchemaRef schema={p.schema} />
                        {p.description && <> — {withCode(p.description)}</>}
                      </li>
                    ))}
                  </ul>
                </>
              )}
              {body !== undefined && (
                <>
                  <h4>Request body</h4>
                  <p>
                    <code>application/json</code> <SchemaRef schema={body} />
                  </p>
                </>
              )}
              <h4>Responses</h4>
              <ul className="plain-list">
                {Object.entries(op.responses ?? {}).map(([code, r]) => (
                  <li key={code}>
                    <span className={`status-code status-${code[0]}xx`}>{code}</span> {r.description}{" "}
                    <SchemaRef schema={jsonSchema(r)} />
                  </li>
                ))}
              </ul>
            </section>
          );
        }),
      )}

      <h2>Schemas</h2>
      {Object.entries(schemas).map(([name, schema]) => (
        <section key={name} id={`schema-${name}`} className="schema">
          <h3>{name}</h3>
          {/* Focusable so that a keyboard can scroll a schema wider than the screen. */}
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1) */}
          <pre className="code-block" tabIndex={0}>
            {JSON.stringify(schema, null, 2)}
          </pre>
        </section>
      ))}
    </div>
  );
}
