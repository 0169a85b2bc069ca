import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../core/auth/public.decorator';
import { ProbeResultDto } from './dto/probe-result.dto';
import { HealthService, ProbeResult } from './health.service';

@ApiTags('probes')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the database answers SELECT 1 and Redis answers PING' })
  @ApiOkResponse({ type: ProbeResultDto })
  @ApiServiceUnavailableResponse({ type: ProbeResultDto, description: 'names what is down' })
  async healthz(@Res({ passthrough: true }) res: Response): Promise<ProbeResult> {
    return this.answer(res, await this.health.liveness());
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: liveness plus migrations applied (full) or compat tables present, and queues' })
  @ApiOkResponse({ type: ProbeResultDto })
  @ApiServiceUnavailableResponse({ type: ProbeResultDto, description: 'names what is not ready' })
  async readyz(@Res({ passthrough: true }) res: Response): Promise<ProbeResult> {
    return this.answer(res, await this.health.readiness());
  }

  private answer(res: Response, result: ProbeResult): ProbeResult {
    res.status(result.status === 'ok' ? 200 : 503).setHeader('Cache-Control', 'no-store');
    return result;
  }
}
