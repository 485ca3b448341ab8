/** openid-client configurations for flow tests (plain http on loopback is allowed explicitly). */
import * as client from 'openid-client';
import type { TestClient, TestServer } from './server.js';

export function discover(
  ts: TestServer,
  c: Pick<TestClient, 'clientId'> & Partial<TestClient>,
  metadata: Partial<client.ClientMetadata> = {},
  auth?: client.ClientAuth,
): Promise<client.Configuration> {
  const meta: Partial<client.ClientMetadata> = { ...metadata };
  if (c.clientSecret !== undefined && meta.client_secret === undefined) meta.client_secret = c.clientSecret;
  const clientAuth = auth ?? (c.clientSecret !== undefined ? client.ClientSecretBasic(c.clientSecret) : client.None());
  return client.discovery(new URL(ts.issuer), c.clientId, meta, clientAuth, {
    execute: [client.allowInsecureRequests],
  });
}
