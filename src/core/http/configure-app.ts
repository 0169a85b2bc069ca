import { HttpStatus, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { json, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { AppConfig } from '../config/app-config';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { AppMetrics } from '../metrics/app-metrics';
import { ProblemDetailsFilter } from '../errors/problem-details.filter';
import { requestId } from '../logging/logging.module';
import { rejectForbiddenKeys } from './safe-json';

export const API_PREFIX = 'api/v1';
/** Routes outside the prefix. */
const UNPREFIXED = ['healthz', 'readyz', 'metrics', 'admin/queues', 'admin/queues/{*path}'];

/** Body types some route accepts: JSON (and JSON Lines for imports) and multipart uploads. */
const ACCEPTED_BODY_TYPES = /^(application\/(json|[\w.+-]+\+json|x-ndjson|jsonl|x-jsonlines)|multipart\/form-data)$/i;

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** A body of a type no route reads is a 415, not a confusing "field missing" 400. */
function refuseUnknownBodyTypes(req: Request, _res: Response, next: NextFunction): void {
  if (!hasBody(req)) return next();
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (ACCEPTED_BODY_TYPES.test(type)) return next();
  next(
    new AppException(
      ErrorCode.UnsupportedMediaType,
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      type ? `Content-Type ${type} is not accepted: send application/json` : 'A request body needs a Content-Type (application/json)',
    ),
  );
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('GEO Visibility Engine')
    .setDescription(
      'Runs question sets (topics × personas) against generative answer engines, stores every answer with its citations, ' +
        'tokens, latency and cost, measures brand visibility against competitors, and exports the results. ' +
        'Every /api/v1 route needs an API key (X-API-Key or Authorization: Bearer). Errors are RFC 7807 problem details.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'the API key as a bearer token' }, 'bearer')
    .addSecurityRequirements('api-key')
    .addSecurityRequirements('bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // Probes are open: say so in the document.
  for (const path of Object.keys(document.paths)) {
    if (!path.startsWith(`/${API_PREFIX}/`)) for (const op of Object.values(document.paths[path])) (op as { security?: unknown[] }).security = [];
  }
  // Every POST takes an Idempotency-Key (IdempotencyInterceptor is global): document it once, here.
  const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } };
  for (const [path, item] of Object.entries(document.paths)) {
    const post = (item as { post?: { parameters?: unknown[]; responses: Record<string, unknown> } }).post;
    if (!post || !path.startsWith(`/${API_PREFIX}/`)) continue;
    post.parameters = [
      ...(post.parameters ?? []),
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: { type: 'string', maxLength: 255 },
        description: 'Repeat a POST safely: the same key (per API key and route) answers the first answer again, with Idempotent-Replayed: true, for IDEMPOTENCY_TTL_SECONDS',
      },
    ];
    post.responses['409'] ??= { description: 'Conflict, or a request with this Idempotency-Key is still being processed', content: problem };
    post.responses['422'] = { description: 'The Idempotency-Key was used with a different body', content: problem };
  }
  return document;
}

/**
 * Everything about the HTTP app that main.ts and the e2e tests share: body limits, the API prefix,
 * Swagger, the problem-details answer for errors raised before a route runs. `streamedRoutes` are
 * paths whose controllers read the body as a stream (the JSON parser leaves them alone).
 */
export function configureApp(app: NestExpressApplication, streamedRoutes: readonly string[] = []): void {
  const config = app.get(AppConfig);
  app.disable('x-powered-by');
  // Security headers (helmet's defaults: nosniff, frame-ancestors none, HSTS, no referrer, …). The
  // Swagger UI at /docs needs inline styles and its own scripts; the JSON API needs no more than 'none'.
  const apiHeaders = helmet({ contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } });
  const docsHeaders = helmet({ contentSecurityPolicy: { directives: { styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] } } });
  // Bull Board's UI (/admin/queues) runs an inline bootstrap script.
  const boardHeaders = helmet({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'", 'data:'] } } });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.path === '/docs' || req.path.startsWith('/docs/')) return docsHeaders(req, res, next);
    if (req.path === '/admin/queues' || req.path.startsWith('/admin/queues/')) return boardHeaders(req, res, next);
    return apiHeaders(req, res, next);
  });
  if (config.http.corsOrigins.length) {
    app.enableCors({
      origin: config.http.corsOrigins.includes('*') ? '*' : [...config.http.corsOrigins],
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Content-Type', 'X-API-Key', 'Authorization', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Content-Disposition', 'Idempotent-Replayed'],
      maxAge: 600,
    });
  }
  // A client that trickles its request (slowloris) is cut off; responses (downloads, event streams) are not limited.
  const server = app.getHttpServer();
  server.requestTimeout = config.http.requestTimeoutMs;
  server.headersTimeout = Math.min(60_000, config.http.requestTimeoutMs);
  server.keepAliveTimeout = 65_000;
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.set('query parser', 'simple');
  // The request id first, so that even a body the parser refuses is answered with it.
  app.use((req: Request & { id?: string }, res: Response, next: NextFunction) => {
    req.id = requestId(req, res);
    next();
  });
  // Request durations by route template (Express' matched route, never the raw URL: bounded labels).
  const metrics = app.get(AppMetrics);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.once('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      end({ route: route ? `${req.baseUrl}${route}` : req.path === '/metrics' ? '/metrics' : 'unmatched', status: String(res.statusCode) });
    });
    next();
  });
  app.use(refuseUnknownBodyTypes);
  const parseJson = json({ limit: config.http.bodyMaxBytes, type: ['application/json', 'application/*+json'], reviver: rejectForbiddenKeys });
  app.use((req: Request, res: Response, next: NextFunction) => (streamedRoutes.includes(req.path) ? next() : parseJson(req, res, next)));
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  // Body-parser errors happen in Express middleware, before Nest's filters: answer them the same way.
  const filter = new ProblemDetailsFilter();
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    filter.catch(err, { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as never);
  });
}
