import { WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Job, Worker } from 'bullmq';
import http from 'node:http';
import { AppConfig } from '../config/app-config';
import { AppMetrics } from './app-metrics';

/**
 * The worker has no HTTP server of its own: this small one serves its Prometheus metrics on
 * METRICS_PORT (GET /metrics), so that both processes are scraped. It also times every job of
 * every processor (BullMQ's completed and failed events). Worker only (WorkerModule).
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server: http.Server | null = null;

  constructor(
    private readonly metrics: AppMetrics,
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
  ) {}

  private timeJobs(): void {
    const observe = (job: Job | undefined, outcome: string): void => {
      if (!job?.processedOn || !job.finishedOn) return;
      this.metrics.jobDuration.observe({ queue: job.queueName, name: job.name, outcome }, (job.finishedOn - job.processedOn) / 1000);
    };
    for (const w of this.discovery.getProviders()) {
      const host: unknown = w.instance;
      if (!(host instanceof WorkerHost)) continue;
      const worker: Worker = (host as WorkerHost<Worker>).worker;
      worker.on('completed', (job: Job) => observe(job, 'completed'));
      worker.on('failed', (job: Job | undefined) => observe(job, 'failed'));
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    this.timeJobs();
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      this.metrics.text().then(
        (body) => res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' }).end(body),
        (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, this.config.http.host, () => resolve());
    }).catch((err: NodeJS.ErrnoException) => {
      // A busy port (two workers on one machine) must not stop the worker: it works unscraped.
      this.logger.warn({ port: this.config.metricsPort, err: err.message }, `worker metrics not served: port ${this.config.metricsPort}: ${err.code ?? err.message}`);
      server.close();
      return;
    });
    if (server.listening) {
      this.server = server;
      this.logger.log({ port: this.config.metricsPort }, `worker metrics on http://${this.config.http.host}:${this.config.metricsPort}/metrics`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
