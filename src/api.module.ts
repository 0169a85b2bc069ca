import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { CampaignsModule } from './campaigns/campaigns.module';
import { ApiKeyGuard } from './core/auth/api-key.guard';
import { CoreModule } from './core/core.module';
import { ProblemDetailsFilter } from './core/errors/problem-details.filter';
import { IdempotencyInterceptor } from './core/http/idempotency.interceptor';
import { RateLimitGuard } from './core/http/rate-limit.guard';
import { createValidationPipe } from './core/http/validation';
import { QueueBoardModule } from './core/queue/queue-board.module';
import { ExportsModule } from './exports/exports.module';
import { HealthModule } from './health/health.module';
import { STREAMED_BODY_ROUTES } from './ingest/ingest.controller';
import { IngestModule } from './ingest/ingest.module';
import { RunsModule } from './runs/runs.module';

/** Paths whose bodies controllers stream themselves (see configureApp). */
export const API_STREAMED_BODY_ROUTES: readonly string[] = [...STREAMED_BODY_ROUTES];

/** The API process: feature modules with their controllers; queues are producers only (no processor here). */
@Module({
  imports: [CoreModule, HealthModule, CampaignsModule, IngestModule, RunsModule, ExportsModule, QueueBoardModule],
  providers: [
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    // After the key guard (guards run in the order registered): only valid keys are counted.
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
})
export class ApiModule {}
