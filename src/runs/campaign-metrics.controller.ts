import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../core/http/api-problems.decorator';
import { UuidParam } from '../core/http/validation';
import { CampaignMetricsDto } from './dto/metrics.dto';
import { RunMetricsService } from './metrics.service';

/** A campaign's metrics over time; in the runs module because it reads runs' answers. */
@ApiTags('campaigns')
@ApiProblems()
@Controller('campaigns')
export class CampaignMetricsController {
  constructor(private readonly metrics: RunMetricsService) {}

  @Get(':id/metrics')
  @ApiOperation({ summary: "The visibility metrics of each finished run of the campaign, oldest first, with each run's change from the previous one and whether it is within the noise" })
  @ApiOkResponse({ type: CampaignMetricsDto })
  @ApiProblems(400, 404)
  campaignMetrics(@UuidParam('id') id: string): Promise<CampaignMetricsDto> {
    return this.metrics.campaignMetrics(id);
  }
}
