/**
 * Traces go out over OTLP/HTTP (JSON) when OTEL_EXPORTER_OTLP_ENDPOINT is set: a span per request named by its
 * route template, and spans of the store's statements inside it. A tiny OTLP receiver on 127.0.0.1 takes them.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTokens, postForm } from '../../test/helpers/oauth.js';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';
import { startTracing } from './tracing.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number | string } }>;
}

const received: Array<{ path: string; contentType: string; spans: OtlpSpan[] }> = [];
const receiver = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const json = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
    received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', spans: json.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)) });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
});

const attribute = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue === undefined ? undefined : Number(v.intValue));
};

describe('OpenTelemetry traces', () => {
  let ts: TestServer;

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    try {
      ts = await startTestServer();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
  });
  afterAll(async () => {
    await ts?.close();
    receiver.close();
  });

  it('are off unless OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    expect(await startTracing({})).toBeUndefined();
  });

  it('a token request gives a server span (route, status) and store spans within it, sent as OTLP JSON', async () => {
    const m2m = await ts.client({ kind: 'm2m' });
    expectTokens(await postForm(`${ts.url}/token`, { grant_type: 'client_credentials' }, m2m));
    await ts.close(); // flushes the batch
    const spans = received.flatMap((r) => r.spans);
    expect(received[0]).toMatchObject({ path: '/v1/traces', contentType: 'application/json' });
    const request = spans.find((s) => s.name === 'POST /token');
    expect(request, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    expect(attribute(request!, 'http.route')).toBe('/token');
    expect(attribute(request!, 'http.response.status_code')).toBe(200);
    const inside = spans.filter((s) => s.parentSpanId === request!.spanId);
    expect(inside.map((s) => s.name)).toContain('insert tokens');
    expect(inside.every((s) => s.traceId === request!.traceId && attribute(s, 'db.system.name') === 'sqlite')).toBe(true);
  });
});
