// STUB: the App Service / Azure Functions managed-identity endpoint (IDENTITY_ENDPOINT with
// X-IDENTITY-HEADER), which only exists inside Azure. With it on loopback the real
// DefaultAzureCredential in the relay runs its managed-identity path and gets a token from here.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface IdentityEndpoint {
  /** IDENTITY_ENDPOINT and IDENTITY_HEADER for the relay's environment */
  env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  /** tokens handed out, and the resource each was for */
  issued: { token: string; resource: string; clientId?: string }[];
  close(): Promise<void>;
}

export async function startIdentityEndpoint(): Promise<IdentityEndpoint> {
  const header = randomBytes(8).toString('hex');
  const issued: IdentityEndpoint['issued'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers['x-identity-header'] !== header || !url.searchParams.get('resource')) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad_request"}');
      return;
    }
    const token = `token-${randomBytes(12).toString('hex')}`;
    const resource = url.searchParams.get('resource')!;
    issued.push({ token, resource, clientId: url.searchParams.get('client_id') ?? undefined });
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ access_token: token, expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource, token_type: 'Bearer' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: header },
    issued,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
