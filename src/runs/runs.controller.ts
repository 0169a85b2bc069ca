import { Body, CanActivate, Controller, ExecutionContext, Get, HttpCode, Injectable, Param, Post, Query, Sse, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import type { ProviderName } from '../core/config/app-config';
import { ApiProblems } from '../core/http/api-problems.decorator';
import { UuidParam, uuidPipe } from '../core/http/validation';
import { mapPage, Page, PageDto } from '../core/pagination/pagination';
import { CreateRunDto } from './dto/create-run.dto';
import { ListRunItemsQueryDto } from './dto/list-run-items-query.dto';
import { ListRunsQueryDto } from './dto/list-runs-query.dto';
import { RescoreDto, RunMetricsDto, RunMetricsQueryDto } from './dto/metrics.dto';
import { RunItemDto, toRunItemDto } from './dto/run-item.dto';
import { ResumeResultDto, RunSummaryDto } from './dto/run.dto';
import { RunMetricsService } from './metrics.service';
import { MessageEventLike, RunsService } from './runs.service';

/**
 * Checks the run of an event stream before the stream starts: the route's interceptors turn the
 * handler into an Observable whose headers go out at once, after which no problem-details answer
 * is possible; guards run before that (400 for a malformed id, 404 for an unknown run).
 */
@Injectable()
export class ExistingRunGuard implements CanActivate {
  private readonly uuid = uuidPipe('id');

  constructor(private readonly runs: RunsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<{ params: Record<string, string> }>();
    await this.runs.get(await this.uuid.transform(req.params.id, { type: 'param', data: 'id' }));
    return true;
  }
}

@ApiTags('runs')
@ApiProblems()
@Controller('runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly metrics: RunMetricsService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a run: providers with model and settings, samples, prompt version, topic/persona filters' })
  @ApiCreatedResponse({ type: RunSummaryDto })
  @ApiProblems(400, 404, 413, 415)
  create(@Body() dto: CreateRunDto): Promise<RunSummaryDto> {
    return this.runs.create(dto.campaign_id, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List runs, oldest first, optionally of one campaign or in one status' })
  @ApiOkResponse({ type: PageDto(RunSummaryDto) })
  @ApiProblems(400)
  list(@Query() query: ListRunsQueryDto): Promise<Page<RunSummaryDto>> {
    return this.runs.list({ campaignId: query.campaign_id, status: query.status }, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A run with its progress: counts, throughput, ETA, cost so far, recent errors' })
  @ApiOkResponse({ type: RunSummaryDto })
  @ApiProblems(400, 404)
  get(@UuidParam('id') id: string): Promise<RunSummaryDto> {
    return this.runs.summary(id);
  }

  @Post(':id/start')
  @HttpCode(202)
  @ApiOperation({ summary: 'Materialize the items (questions × provider settings × samples) and enqueue them; again: changes nothing' })
  @ApiAcceptedResponse({ type: RunSummaryDto })
  @ApiProblems(400, 404, 409)
  start(@UuidParam('id') id: string): Promise<RunSummaryDto> {
    return this.runs.start(id);
  }

  @Post(':id/resume')
  @HttpCode(202)
  @ApiOperation({ summary: 'Re-enqueue failed items, and queued or running items whose job was lost' })
  @ApiAcceptedResponse({ type: ResumeResultDto })
  @ApiProblems(400, 404, 409)
  resume(@UuidParam('id') id: string): Promise<ResumeResultDto> {
    return this.runs.resume(id);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel: queued items are cancelled, running ones finish' })
  @ApiAcceptedResponse({ type: RunSummaryDto })
  @ApiProblems(400, 404, 409)
  cancel(@UuidParam('id') id: string): Promise<RunSummaryDto> {
    return this.runs.cancel(id);
  }

  @Get(':id/items')
  @ApiOperation({ summary: "A run's items with their answers and analysis; filters and full-text search `q` over answers" })
  @ApiOkResponse({ type: PageDto(RunItemDto) })
  @ApiProblems(400, 404)
  async items(@UuidParam('id') id: string, @Query() query: ListRunItemsQueryDto): Promise<Page<RunItemDto>> {
    const filter = {
      status: query.status,
      provider: query.provider as ProviderName | undefined,
      topicId: query.topic_id,
      personaId: query.persona_id,
      mentioned: query.mentioned,
      q: query.q,
    };
    return mapPage(await this.runs.listItems(id, filter, query), toRunItemDto);
  }

  @Get(':id/metrics')
  @ApiOperation({
    summary: 'Visibility metrics of the run: overall and by provider, model, topic or persona (mention rate with its 95% Wilson interval, share of voice, rank, sentiment, citations, cost, latency)',
  })
  @ApiOkResponse({ type: RunMetricsDto })
  @ApiProblems(400, 404)
  runMetrics(@UuidParam('id') id: string, @Query() query: RunMetricsQueryDto): Promise<RunMetricsDto> {
    return this.metrics.runMetrics(id, query.by ?? null);
  }

  // The colon is literal (a custom method, as in Google's API design guide): POST /runs/{id}:rescore.
  @Post(':id\\:rescore')
  @HttpCode(202)
  @ApiOperation({ summary: "Recompute the analysis of the run's stored answers with the campaign's current brand, aliases, domains and competitors (a worker job; no provider is called)" })
  @ApiAcceptedResponse({ type: RescoreDto })
  @ApiProblems(400, 404)
  rescore(@UuidParam('id') id: string): Promise<RescoreDto> {
    return this.metrics.requestRescore(id);
  }

  @Sse(':id/events')
  @UseGuards(ExistingRunGuard)
  @ApiOperation({ summary: 'Server-Sent Events: `progress` (the summary) at least once a second while it changes, `done` at the end' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'event: progress / event: done, data: the run summary as JSON' })
  @ApiProblems(400, 404)
  events(@Param('id') id: string): Promise<Observable<MessageEventLike>> {
    return this.runs.events(id);
  }
}
