// Small builders for the OpenAPI operations, so each path reads as a table of what it takes and answers.
import { ref } from './schemas';

type Json = Record<string, unknown>;

export interface OperationSpec {
  id: string;
  summary: string;
  tags: string[];
  /** `sender`, `operator`, `none`, or the name of another security scheme */
  auth: string;
  description?: string;
  parameters?: Json[];
  body?: { mediaType: string; schema: Json; examples?: Record<string, unknown>; required?: boolean };
  /** success answers: status → description, schema (optional), media type (default JSON), headers */
  ok: Record<string, { description: string; schema?: Json; mediaType?: string; headers?: Record<string, Json> }>;
  /** error answers: status → a name in components.responses */
  errors: Record<string, string>;
}

export function operation(spec: OperationSpec): Json {
  const responses: Record<string, Json> = {};
  for (const [status, answer] of Object.entries(spec.ok)) {
    responses[status] = {
      description: answer.description,
      ...(answer.headers ? { headers: answer.headers } : {}),
      ...(answer.schema ? { content: { [answer.mediaType ?? 'application/json']: { schema: answer.schema } } } : {}),
    };
  }
  for (const [status, name] of Object.entries(spec.errors)) responses[status] = { $ref: `#/components/responses/${name}` };
  const security = spec.auth === 'none' ? [] : [{ [spec.auth === 'sender' ? 'senderKey' : spec.auth === 'operator' ? 'operatorKey' : spec.auth]: [] }];
  return {
    operationId: spec.id,
    summary: spec.summary,
    tags: spec.tags,
    ...(spec.description ? { description: spec.description } : {}),
    security,
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: spec.body.required ?? true,
            content: {
              [spec.body.mediaType]: {
                schema: spec.body.schema,
                ...(spec.body.examples ? { examples: Object.fromEntries(Object.entries(spec.body.examples).map(([name, value]) => [name, { value }])) } : {}),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

export const pathParam = (name: string, description: string, example: string): Json => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
  example,
});

export const queryParam = (name: string, description: string, schema: Json = { type: 'string' }): Json => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

export const json = (name: string): Json => ref(name);
