/**
 * The metrics listener: its own port (LATCH_METRICS_ADDRESS, loopback by default), GET /metrics only, so that
 * scrapers never need the public port and the public port never shows the metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';

export interface MetricsListener {
  /** http://host:port of the listener. */
  url: string;
  close(): Promise<void>;
}

/** The metrics listener could not listen: the message names LATCH_METRICS_ADDRESS. */
export class MetricsListenError extends Error {
  constructor(address: { host: string; port: number }, cause: unknown) {
    const code = (cause as { code?: string } | undefined)?.code;
    const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : `cannot be listened on (${code ?? String(cause)})`;
    super(`LATCH_METRICS_ADDRESS: ${address.host}:${address.port} ${why}; set LATCH_METRICS_ADDRESS to a free host:port, or off`, { cause });
    this.name = 'MetricsListenError';
  }
}

export async function listenMetrics(metrics: Metrics, address: { host: string; port: number }, onError: (err: unknown) => void): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end('not found\n');
      return;
    }
    metrics.text().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        onError(err);
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end('metrics unavailable\n');
      },
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', onError);
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
