// Requests signed by the official client's own policy (createCommunicationAccessKeyCredentialPolicy in
// @azure/communication-common, which @azure/communication-email adds to its pipeline): the headers it
// would send, for tests that need a signed request the client would not make (a bad body, a GET by id).
import { createHash, createHmac } from 'node:crypto';
import { createCommunicationAccessKeyCredentialPolicy } from '@azure/communication-common';
import { AzureKeyCredential } from '@azure/core-auth';
import { createHttpHeaders, createPipelineRequest, type HttpMethods } from '@azure/core-rest-pipeline';

/** The x-ms-date, x-ms-content-sha256, Authorization (and Host) headers the client signs `url` with. */
export async function acsSignedHeaders(key: string, method: string, url: string, body = ''): Promise<Record<string, string>> {
  const policy = createCommunicationAccessKeyCredentialPolicy(new AzureKeyCredential(key));
  const request = createPipelineRequest({ url, method: method as HttpMethods, headers: createHttpHeaders(), body: body === '' ? undefined : body });
  let signed: Record<string, string> = {};
  await policy.sendRequest(request, (sent) => {
    signed = sent.headers.toJSON();
    return Promise.resolve({ request: sent, status: 200, headers: createHttpHeaders() });
  });
  return signed;
}

/**
 * The same headers made here, synchronously and at a chosen date, for tables that build requests
 * without awaiting; acsSignature.test.ts holds it to the official policy's output.
 */
export function acsSignedHeadersAt(key: string, method: string, url: string, body: string | Buffer, date: Date): Record<string, string> {
  const parsed = new URL(url);
  const query = parsed.searchParams.toString();
  const contentHash = createHash('sha256').update(body).digest('base64');
  const xMsDate = date.toUTCString();
  const toSign = `${method.toUpperCase()}\n${query ? `${parsed.pathname}?${query}` : parsed.pathname}\n${xMsDate};${parsed.host};${contentHash}`;
  const signature = createHmac('sha256', Buffer.from(key, 'base64')).update(toSign).digest('base64');
  return {
    'x-ms-date': xMsDate,
    'x-ms-content-sha256': contentHash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}
