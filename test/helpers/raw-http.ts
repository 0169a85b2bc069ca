import http from 'node:http';

/**
 * A bare HTTP client for tests that need the exact bytes on the wire (a path that is not
 * normalized, a body that is not JSON, a header a higher-level client would refuse to build) and
 * that must tell "answered", "cut mid-answer" and "never answered" apart.
 */

export interface RawRequest {
  method: string;
  /** Sent as is (it must already be percent-encoded where Node's client requires it). */
  path: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  /** The whole exchange must end within this; otherwise the request fails with code ETIMEDOUT. */
  timeoutMs?: number;
  /** A keep-alive agent, say; the default is a connection of its own. */
  agent?: http.Agent | false;
  /** Send again (once, on a new connection) when a kept-alive socket turns out closed before any answer; default true. */
  retryStaleSocket?: boolean;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** ms from sending to the end of the body. */
  ms: number;
}

/** How an exchange failed: before any response (`phase: 'request'`) or after the headers (`'response'`). */
export class RawHttpError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly phase: 'request' | 'response',
    readonly status?: number,
    readonly partial?: Buffer,
    readonly reusedSocket = false,
  ) {
    super(message);
    this.name = 'RawHttpError';
  }
}

/**
 * One exchange. On a kept-alive socket that the server had closed meanwhile (the request fails
 * before any byte of an answer), it is sent once more on a connection of its own.
 */
export async function rawRequest(port: number, req: RawRequest, host = '127.0.0.1'): Promise<RawResponse> {
  try {
    return await exchange(port, req, host);
  } catch (err) {
    if (req.retryStaleSocket !== false && err instanceof RawHttpError && err.reusedSocket && err.phase === 'request' && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
      return exchange(port, { ...req, agent: false }, host);
    }
    throw err;
  }
}

function exchange(port: number, req: RawRequest, host: string): Promise<RawResponse> {
  const started = Date.now();
  return new Promise<RawResponse>((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) {
      headers['Content-Length'] = body.length;
    }
    let settled = false;
    const fail = (err: RawHttpError): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    const r = http.request({ host, port, method: req.method, path: req.path, headers, agent: req.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (settled) return;
        // 'end' after 'aborted' never comes; a body cut short by the server shows as 'aborted' / 'error'.
        settled = true;
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text: buf.toString('utf8'), ms: Date.now() - started });
      });
      const cut = (what: string, code?: string): void =>
        fail(new RawHttpError(`response cut after the headers (${what})`, code ?? 'ECUTRESPONSE', 'response', res.statusCode, Buffer.concat(chunks)));
      res.on('aborted', () => cut('aborted'));
      res.on('error', (e: NodeJS.ErrnoException) => cut(e.message, e.code));
      res.on('close', () => {
        if (!res.complete) cut('closed before complete');
      });
    });
    const timer = req.timeoutMs
      ? setTimeout(() => {
          r.destroy();
          fail(new RawHttpError(`no complete answer within ${req.timeoutMs} ms`, 'ETIMEDOUT', 'request'));
        }, req.timeoutMs)
      : undefined;
    r.on('close', () => clearTimeout(timer));
    r.on('error', (e: NodeJS.ErrnoException) => fail(new RawHttpError(e.message, e.code, 'request', undefined, undefined, r.reusedSocket)));
    if (body !== undefined) r.end(body);
    else r.end();
  });
}
