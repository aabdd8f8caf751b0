// Requests signed by the official client's own policy (createCommunicationAccessKeyCredentialPolicy in
// @azure/communication-common, which @azure/communication-email adds to its pipeline): the headers it
// would send, for tests that need a signed request the client would not make (a bad body, a GET by id).
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
