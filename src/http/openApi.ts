// GET /api/v1/openapi.json: the OpenAPI 3.1 description of every endpoint. It is data, assembled
// from the path tables beside it; test/functions/openapi.test.ts holds it to the app: every route
// the app registers is in it and nothing else, every example is accepted, every documented error
// answer is produced, and every answer seen matches its schema.
import { DROP_IN_PATHS, DROP_IN_RESPONSES } from './openapi/dropInPaths';
import { LIST_PATHS, LIST_SCHEMAS } from './openapi/listPaths';
import { OPERATOR_PATHS } from './openapi/operatorPaths';
import { RESPONSES, SCHEMAS, SECURITY_SCHEMES } from './openapi/schemas';
import { SENDING_PATHS } from './openapi/sendingPaths';
import { WEBHOOK_PATHS } from './openapi/webhookPaths';

/** The version of the API the paths describe (their /v1/ prefix), not of the package. */
const API_VERSION = 'v1';

let cached: string | undefined;

/** The document as served, built once per instance. */
export function openApiJson(): string {
  cached ??= JSON.stringify(openApiDocument());
  return cached;
}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Azure SMTP relay',
      version: API_VERSION,
      summary: 'A serverless SMTP relay for Azure: send with one POST, watch every recipient.',
      description:
        'Every error answer is application/problem+json (RFC 9457) unless said otherwise. Any operation that reads or writes storage may also answer 503 storage-unavailable with Retry-After; nothing was written then. See docs/api.md.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'the app itself (locally http://127.0.0.1:7071)' }],
    tags: [
      { name: 'Sending' },
      { name: 'Suppressions' },
      { name: 'Senders' },
      { name: 'Events' },
      { name: 'Unsubscribe' },
      { name: 'Operators' },
      { name: 'Drop-in' },
      { name: 'Meta' },
    ],
    paths: mergePaths(SENDING_PATHS, LIST_PATHS, OPERATOR_PATHS, WEBHOOK_PATHS, DROP_IN_PATHS),
    components: { schemas: { ...SCHEMAS, ...LIST_SCHEMAS }, responses: { ...RESPONSES, ...DROP_IN_RESPONSES }, securitySchemes: SECURITY_SCHEMES },
  };
}

/** Path tables merged by path, so that two tables may give different methods of one path. */
function mergePaths(...tables: Record<string, Record<string, unknown>>[]): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const table of tables) for (const [path, item] of Object.entries(table)) paths[path] = { ...paths[path], ...item };
  return paths;
}
