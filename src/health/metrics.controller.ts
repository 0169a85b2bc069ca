import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../core/auth/public.decorator';
import { AppMetrics } from '../core/metrics/app-metrics';

@ApiTags('probes')
@Public()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: AppMetrics) {}

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: "Prometheus metrics of this API process (the worker serves its own on METRICS_PORT)" })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format' })
  async metricsText(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.type(this.metrics.contentType);
    return this.metrics.text();
  }
}
