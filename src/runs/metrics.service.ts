import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';
import { type Campaign, CampaignRepository, PersonaRepository, TopicRepository } from '../campaigns';
import { analysisConfigKey, analyzeAnswer, ANALYSIS_VERSION } from '../analysis/visibility';
import { intervalsOverlap, ratio, round, shareOfVoice, wilsonInterval } from '../analysis/statistics';
import { AppException } from '../core/errors/app.exception';
import { QueueName } from '../core/queue/queue-names';
import type { CampaignMetricsDto, MetricsDto, RescoreDto, RunMetricsDto, RunTrendDto } from './dto/metrics.dto';
import { type MetricsCounts, type MetricsDimension, type MetricsAggregate, type NamedCount, RunMetricsRepository } from './run-metrics.repository';
import { Run, RunRepository } from './run.repository';
import { MaintenanceJob } from './runs.jobs';
import { trackedBrands } from './tracked-brands';

/** How many cited domains each slice lists. */
const TOP_DOMAINS = 10;
/** Answers re-analysed per statement when re-scoring. */
const RESCORE_BATCH = 500;
/** Most runs a campaign's trend reads (the most recent finished ones). */
const MAX_TREND_RUNS = 500;

const keyString = (key: Record<string, string | null> | null): string => JSON.stringify(key);

/**
 * Visibility metrics (docs/ANALYSIS.md, "Metrics"): the database adds up the analysis' columns
 * (RunMetricsRepository: three statements, each a scan of a run's answers, no JSON read), and this service turns the
 * counts into rates, Wilson intervals and shares of voice, so both database modes share the
 * arithmetic. Also re-scoring: the analysis of stored answers made again with the campaign's
 * current brand, aliases, domains and competitors, without calling any provider.
 */
@Injectable()
export class RunMetricsService {
  private readonly logger = new Logger('Metrics');

  constructor(
    private readonly metrics: RunMetricsRepository,
    private readonly runs: RunRepository,
    private readonly campaigns: CampaignRepository,
    private readonly topics: TopicRepository,
    private readonly personas: PersonaRepository,
    @InjectQueue(QueueName.Maintenance) private readonly maintenance: Queue,
  ) {}

  private async runAndCampaign(runId: string): Promise<{ run: Run; campaign: Campaign }> {
    const run = await this.runs.findById(runId);
    if (!run) throw AppException.notFound('run', runId);
    const campaign = await this.campaigns.findById(run.campaignId);
    if (!campaign) throw AppException.notFound('campaign', run.campaignId);
    return { run, campaign };
  }

  async runMetrics(runId: string, by: Exclude<MetricsDimension, 'run'> | null): Promise<RunMetricsDto> {
    const { run, campaign } = await this.runAndCampaign(runId);
    const { brand, competitors } = trackedBrands(campaign);
    const currentKey = analysisConfigKey(brand, competitors);
    const agg = await this.metrics.aggregate([run.id], by, currentKey, TOP_DOMAINS);
    const names = competitors.map((c) => c.name);
    const overallCounts = agg.groups.find((g) => g.key === null) ?? emptyCounts(null);
    const slices = agg.groups.filter((g) => g.key !== null);
    const labels = await this.sliceLabels(campaign.id, by, slices);
    return {
      run_id: run.id,
      by,
      analysis: { version: ANALYSIS_VERSION, config_key: currentKey, stale_answers: overallCounts.stale },
      overall: toMetrics(overallCounts, agg, names),
      slices: slices
        .map((g) => ({ key: { ...(g.key as Record<string, string | null>), ...labels.get(keyString(g.key)) }, ...toMetrics(g, agg, names) }))
        .sort((a, b) => b.answers - a.answers || JSON.stringify(a.key).localeCompare(JSON.stringify(b.key))),
    };
  }

  /** Titles and names beside the ids of topic and persona slices. */
  private async sliceLabels(campaignId: string, by: MetricsDimension | null, slices: MetricsCounts[]): Promise<Map<string, Record<string, string | null>>> {
    const out = new Map<string, Record<string, string | null>>();
    if (by !== 'topic' && by !== 'persona') return out;
    await Promise.all(
      slices.slice(0, 1000).map(async (g) => {
        const id = by === 'topic' ? g.key?.topic_id : g.key?.persona_id;
        if (!id) return;
        if (by === 'topic') out.set(keyString(g.key), { topic_title: (await this.topics.findById(campaignId, id))?.title ?? null });
        else out.set(keyString(g.key), { persona_name: (await this.personas.findById(id))?.name ?? null });
      }),
    );
    return out;
  }

  async campaignMetrics(campaignId: string): Promise<CampaignMetricsDto> {
    const campaign = await this.campaigns.findById(campaignId);
    if (!campaign) throw AppException.notFound('campaign', campaignId);
    const finished: Run[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.runs.list({ campaignId }, { limit: 500, offset });
      finished.push(...page.items.filter((r) => r.finishedAt !== null));
      if (page.items.length < 500 || offset + 500 >= page.total) break;
    }
    const runs = finished.sort((a, b) => (a.finishedAt as Date).getTime() - (b.finishedAt as Date).getTime()).slice(-MAX_TREND_RUNS);
    const { brand, competitors } = trackedBrands(campaign);
    const currentKey = analysisConfigKey(brand, competitors);
    const agg = runs.length ? await this.metrics.aggregate(runs.map((r) => r.id), 'run', currentKey, TOP_DOMAINS) : { groups: [], competitors: [], domains: [] };
    const names = competitors.map((c) => c.name);
    const out: RunTrendDto[] = [];
    for (const run of runs) {
      const g = agg.groups.find((x) => x.key?.run_id === run.id) ?? emptyCounts({ run_id: run.id });
      const m = toMetrics(g, agg, names);
      const prev = out[out.length - 1];
      out.push({
        run_id: run.id,
        label: run.label,
        status: run.status,
        finished_at: (run.finishedAt as Date).toISOString(),
        stale_answers: g.stale,
        ...m,
        change: prev
          ? {
              mention_rate: prev.mention_rate === null || m.mention_rate === null ? null : round(m.mention_rate - prev.mention_rate),
              share_of_voice: prev.share_of_voice === null || m.share_of_voice === null ? null : round(m.share_of_voice - prev.share_of_voice),
              within_noise: intervalsOverlap(prev.mention_rate_ci, m.mention_rate_ci),
            }
          : null,
      });
    }
    return { campaign_id: campaign.id, analysis: { version: ANALYSIS_VERSION, config_key: currentKey }, runs: out };
  }

  /** Queues the re-analysis of a run's stale answers (one job per run and configuration). */
  async requestRescore(runId: string): Promise<RescoreDto> {
    const { run, campaign } = await this.runAndCampaign(runId);
    const { brand, competitors } = trackedBrands(campaign);
    const key = analysisConfigKey(brand, competitors);
    const stale = (await this.metrics.staleAnswerIds(run.id, key)).length;
    if (stale > 0) {
      // The job id makes a second request for the same configuration a no-op while the first is queued
      // (BullMQ refuses custom ids with colons).
      await this.maintenance.add(MaintenanceJob.Rescore, { runId: run.id }, { jobId: `rescore-${run.id}-${key.replace(/:/g, '-')}`, removeOnComplete: true, removeOnFail: 100, attempts: 3, backoff: { type: 'exponential', delay: 1000 } });
    }
    return { run_id: run.id, analysis_version: ANALYSIS_VERSION, config_key: key, stale_answers: stale, status: stale > 0 ? 'queued' : 'up_to_date' };
  }

  /**
   * Re-analyses every answer of the run whose analysis is stale, in batches; idempotent (a batch
   * written twice writes the same), so a redelivered job is harmless. Answers stored while it runs
   * are analysed by the worker with the configuration it read (cached up to CAMPAIGN_CACHE_MS);
   * any left stale show in the metrics' stale_answers and a second rescore takes them.
   */
  async rescore(runId: string): Promise<{ rescored: number }> {
    const { run, campaign } = await this.runAndCampaign(runId);
    const { brand, competitors } = trackedBrands(campaign);
    const ids = await this.metrics.staleAnswerIds(run.id, analysisConfigKey(brand, competitors));
    let rescored = 0;
    for (let i = 0; i < ids.length; i += RESCORE_BATCH) {
      const answers = await this.metrics.answers(ids.slice(i, i + RESCORE_BATCH));
      rescored += await this.metrics.saveAnalyses(answers.map((a) => ({ runItemId: a.runItemId, analysis: analyzeAnswer({ brand, competitors, text: a.text, citations: a.citations }) })));
    }
    this.logger.log({ run_id: run.id, rescored }, `re-scored ${rescored} answers of run ${run.id}`);
    return { rescored };
  }
}

function emptyCounts(key: Record<string, string | null> | null): MetricsCounts {
  return { key, answers: 0, mentioned: 0, avgRank: null, top3: 0, positive: 0, neutral: 0, negative: 0, ownCitedAnswers: 0, citedAnswers: 0, citations: 0, ownCitations: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyP50: null, latencyP95: null, stale: 0 };
}

const sameKey = (a: NamedCount, key: Record<string, string | null> | null): boolean => keyString(a.key) === keyString(key);

/** The metrics M of one group (docs/ANALYSIS.md defines each figure and its denominator). */
export function toMetrics(g: MetricsCounts, agg: Pick<MetricsAggregate, 'competitors' | 'domains'>, competitorNames: string[]): MetricsDto {
  const counted = agg.competitors.filter((c) => sameKey(c, g.key));
  const byName = new Map(counted.map((c) => [c.name, c.count]));
  // Competitors of the campaign, then any other name the stored analyses carry (renamed since).
  const names = [...competitorNames, ...counted.map((c) => c.name).filter((n) => !competitorNames.includes(n)).sort()];
  const tracked = g.mentioned + counted.reduce((s, c) => s + c.count, 0);
  const ci = wilsonInterval(g.mentioned, g.answers);
  return {
    answers: g.answers,
    mentions: g.mentioned,
    mention_rate: round(ratio(g.mentioned, g.answers)),
    mention_rate_ci: [round(ci[0]) as number, round(ci[1]) as number],
    share_of_voice: g.answers > 0 ? round(shareOfVoice(g.mentioned, tracked)) : null,
    avg_rank: round(g.avgRank, 3),
    top3_rate: round(ratio(g.top3, g.answers)),
    sentiment: {
      positive: round(ratio(g.positive, g.mentioned)),
      neutral: round(ratio(g.neutral, g.mentioned)),
      negative: round(ratio(g.negative, g.mentioned)),
    },
    citation_rate: round(ratio(g.ownCitedAnswers, g.answers)),
    any_citation_rate: round(ratio(g.citedAnswers, g.answers)),
    own_domain_citation_share: round(ratio(g.ownCitations, g.citations)),
    top_domains: agg.domains.filter((d) => sameKey(d, g.key)).map((d) => ({ domain: d.name, count: d.count })),
    competitors: names.map((name) => {
      const n = byName.get(name) ?? 0;
      const cci = wilsonInterval(n, g.answers);
      return {
        name,
        mentions: n,
        mention_rate: round(ratio(n, g.answers)),
        mention_rate_ci: [round(cci[0]) as number, round(cci[1]) as number],
        share_of_voice: g.answers > 0 ? round(shareOfVoice(n, tracked)) : null,
      };
    }),
    tokens: { input: g.inputTokens, output: g.outputTokens },
    cost_usd: round(g.costUsd, 6) ?? 0,
    latency_ms: { p50: round(g.latencyP50, 1), p95: round(g.latencyP95, 1) },
  };
}
