import { createServer, IncomingMessage, Server } from 'node:http';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as it is (for malformed bodies). */
  body: unknown;
  /** Hold the answer this long (timeouts). */
  delayMs?: number;
}

/** A server that answers every request with the reply it is given, and records what it got. */
export class ReplayServer {
  readonly requests: Recorded[] = [];
  reply: Reply = { body: {} };
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          // keep the text
        }
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
        const { status = 200, headers = {}, body: out, delayMs = 0 } = this.reply;
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
          res.end(typeof out === 'string' ? out : JSON.stringify(out));
        }, delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
