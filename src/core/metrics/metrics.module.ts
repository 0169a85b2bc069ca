import { Global, Module } from '@nestjs/common';
import { AppMetrics } from './app-metrics';

/** The process's Prometheus metrics, one registry injected wherever something is measured. */
@Global()
@Module({ providers: [AppMetrics], exports: [AppMetrics] })
export class MetricsModule {}
