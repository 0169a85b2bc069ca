import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver got it: the raw body bytes, before any JSON parsing. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** Unix seconds when the request was read whole. */
  receivedAt: number;
  /** The status the receiver answered. */
  answered: number;
}

/** Decides the status of a request (default 200); `seen` is how many requests came before it. */
export type Responder = (req: Omit<ReceivedRequest, 'answered'>, seen: number) => number;

export interface WebhookReceiver {
  port: number;
  url(path?: string): string;
  requests: ReceivedRequest[];
  /** Replaces the status decision for the requests to come. */
  respondWith(fn: Responder): void;
  close(): Promise<void>;
}

/** A plain node:http receiver on 127.0.0.1 and a random port that records every request. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let responder: Responder = () => 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawBody: Buffer.concat(chunks), receivedAt: Math.floor(Date.now() / 1000) };
      const status = responder(got, requests.length);
      requests.push({ ...got, answered: status });
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'not now');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    requests,
    respondWith: (fn) => {
      responder = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
