import { BeforeApplicationShutdown, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { Observable } from 'rxjs';
import { CampaignRepository, PersonaRepository, QuestionRepository, TopicRepository, type Persona } from '../campaigns';
import { AppConfig, ProviderName } from '../core/config/app-config';
import { TransactionRunner } from '../core/database/transaction';
import { newId } from '../core/database/ids';
import { AppException, ProblemItem } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { REDIS } from '../core/redis/redis.module';
import { tryRedisLock, withRedisLock } from '../core/redis/redis-lock';
import { ProvidersService } from '../providers';
import type { RunSettingsDto } from './dto/create-run.dto';
import { SummaryFigures, toRunSummaryDto, type RunSummaryDto } from './dto/run.dto';
import { itemIdempotencyKey } from './run-identity';
import { ActiveItemRef, AskedPersona, AskedTopic, NewRunItem, RunItemFilter, RunItemRepository, RunItemView } from './run-item.repository';
import { RunKeys } from './run-keys';
import { RunQueues } from './run-queues';
import { ProviderSettingRecord, Run, RunRepository, RunStatus, TERMINAL_RUN_STATUSES } from './run.repository';

/** Most items one run may materialize (questions × provider settings × samples). */
export const MAX_RUN_ITEMS = 1_000_000;
const RECENT_ERRORS = 10;

export interface MessageEventLike {
  type: string;
  data: unknown;
}

/**
 * The rules of runs: creation (validated against the campaign and the providers), the lifecycle
 * (start materializes and enqueues, resume, cancel; illegal transitions are 409), the summary,
 * the items list and the progress stream. Lifecycle changes of one run are serialized by a Redis
 * lock shared by every API and worker process; the database stays the source of truth.
 */
@Injectable()
export class RunsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Runs');
  /** Summary computations in flight in this process, by run and status. */
  private readonly figuresInFlight = new Map<string, Promise<SummaryFigures>>();
  private readonly keys: RunKeys;
  /** Open progress streams, ended at shutdown. */
  private readonly streams = new Set<() => void>();

  constructor(
    private readonly runs: RunRepository,
    private readonly items: RunItemRepository,
    private readonly campaigns: CampaignRepository,
    private readonly topics: TopicRepository,
    private readonly personas: PersonaRepository,
    private readonly questions: QuestionRepository,
    private readonly providers: ProvidersService,
    private readonly queues: RunQueues,
    private readonly tx: TransactionRunner,
    private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    this.keys = new RunKeys(config.redis.queuePrefix);
  }

  /** Checks a run's settings against the campaign and the providers; answers them normalized. */
  async validateSettings(campaignId: string, dto: RunSettingsDto, field = ''): Promise<Omit<Run, 'id' | 'status' | 'totalItems' | 'createdAt' | 'updatedAt' | 'startedAt' | 'finishedAt'>> {
    const campaign = await this.campaigns.findById(campaignId);
    if (!campaign) throw AppException.notFound('campaign', campaignId);
    const problems: ProblemItem[] = [];
    const settings: ProviderSettingRecord[] = dto.providers.map((p, i) => {
      for (const message of this.providers.validate(p)) problems.push({ field: `${field}providers.${i}`, message });
      const provider = p.provider as ProviderName;
      if (!this.config.providers[provider]?.apiKey) {
        const variable = provider === 'gemini' ? 'GOOGLE_API_KEY' : `${provider.toUpperCase()}_API_KEY`;
        problems.push({ field: `${field}providers.${i}.provider`, message: `${provider} is not configured on this server (${variable} is not set)` });
      }
      return { provider, model: p.model, settings: p.settings ?? {} };
    });
    const seen = new Set<string>();
    settings.forEach((s, i) => {
      const k = JSON.stringify([s.provider, s.model, s.settings]);
      if (seen.has(k)) problems.push({ field: `${field}providers.${i}`, message: 'the same provider setting is listed twice (use samples to ask more than once)' });
      seen.add(k);
    });
    const topicIds = [...new Set(dto.filters?.topic_ids ?? [])];
    const personaIds = [...new Set(dto.filters?.persona_ids ?? [])];
    for (const id of topicIds) {
      if (!(await this.topics.findById(campaignId, id))) problems.push({ field: `${field}filters.topic_ids`, message: `topic ${id} is not a topic of campaign ${campaignId}` });
    }
    for (const id of personaIds) {
      if (!(await this.personas.findById(id))) problems.push({ field: `${field}filters.persona_ids`, message: `persona ${id} does not exist` });
    }
    if (problems.length) throw AppException.validation(`Invalid run settings: ${problems.map((p) => p.message).join('; ')}`, problems);
    return {
      campaignId,
      label: dto.label ?? null,
      providerSettings: settings,
      samples: dto.samples ?? 1,
      promptVersion: dto.prompt_version ?? 'v1',
      filters: { topicIds, personaIds },
      scheduleId: null,
    };
  }

  async create(campaignId: string, dto: RunSettingsDto, scheduleId: string | null = null): Promise<RunSummaryDto> {
    const fields = await this.validateSettings(campaignId, dto);
    const run = await this.runs.create({ ...fields, scheduleId });
    this.logger.log({ run_id: run.id, campaign_id: campaignId }, 'run created');
    return this.summaryOf(run);
  }

  async get(id: string): Promise<Run> {
    const run = await this.runs.findById(id);
    if (!run) throw AppException.notFound('run', id);
    return run;
  }

  /** Runs with their summaries (each from the shared one-second cache when it is warm). */
  async list(filter: { campaignId?: string; status?: RunStatus }, page: PageRequest): Promise<Page<RunSummaryDto>> {
    const runs = await this.runs.list(filter, page);
    return { ...runs, items: await Promise.all(runs.items.map((r) => this.summaryOf(r))) };
  }

  private locked<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    return withRedisLock(this.redis, this.keys.runLock(runId), fn, { ttlMs: 120_000, waitMs: 60_000 });
  }

  private illegal(run: Run, action: string): AppException {
    return new AppException(ErrorCode.InvalidStateTransition, HttpStatus.CONFLICT, `cannot ${action} run ${run.id}: it is ${run.status}`);
  }

  /**
   * Materializes the items (questions × provider settings × samples) and enqueues them. In one
   * transaction with the created → running transition, so a start that fails leaves nothing
   * behind, and a second start finds the run running and changes nothing. Jobs are added after
   * the commit; a job lost between the two is re-enqueued by the reconciler.
   */
  async start(id: string): Promise<RunSummaryDto> {
    const refs = await this.locked(id, async () => {
      const run = await this.get(id);
      if (run.status === 'cancelled') throw this.illegal(run, 'start');
      if (run.status !== 'created') return null;
      const items = await this.materialize(run);
      await this.tx.run(async (tx) => {
        await this.items.insertMany(items, 'queued', tx);
        const started = await this.runs.transition(id, ['created'], 'running', { totalItems: items.length, startedAt: new Date() }, tx);
        if (!started) throw new Error(`run ${id} changed state during start`);
      });
      this.logger.log({ run_id: id, items: items.length }, 'run started');
      return items.map((i): ActiveItemRef => ({ id: i.id, runId: i.runId, provider: i.provider }));
    });
    if (refs) await this.enqueueOrLeaveToReconciler(id, refs);
    return this.summary(id, { fresh: true });
  }

  private async enqueueOrLeaveToReconciler(runId: string, refs: ActiveItemRef[]): Promise<void> {
    try {
      await this.queues.enqueue(refs);
    } catch (err) {
      // Committed items are never lost: the reconciler enqueues what has no job.
      this.logger.warn({ run_id: runId, err: (err as Error).message }, 'enqueue failed; the reconciler will enqueue the items');
    }
  }

  private async materialize(run: Run): Promise<NewRunItem[]> {
    const questions = await this.questions.listAll(run.campaignId, { topicIds: run.filters.topicIds, personaIds: run.filters.personaIds });
    const total = questions.length * run.providerSettings.length * run.samples;
    if (questions.length === 0) {
      throw new AppException(ErrorCode.Conflict, HttpStatus.CONFLICT, `run ${run.id} has no questions to ask: its campaign has none that match the run's filters`);
    }
    if (total > MAX_RUN_ITEMS) {
      throw new AppException(ErrorCode.Conflict, HttpStatus.CONFLICT, `run ${run.id} would have ${total} items; at most ${MAX_RUN_ITEMS} are allowed (fewer samples, providers or questions)`);
    }
    const topics = new Map<string, AskedTopic>();
    for (let offset = 0; ; offset += 500) {
      const page = await this.topics.listByCampaign(run.campaignId, { limit: 500, offset });
      for (const t of page.items) topics.set(t.id, { id: t.id, title: t.title, description: t.description });
      if (page.items.length < 500) break;
    }
    const personas = new Map<string, AskedPersona>();
    for (const pid of new Set(questions.map((q) => q.personaId).filter((p): p is string => p !== null))) {
      const p: Persona | null = await this.personas.findById(pid);
      if (p) personas.set(pid, { id: p.id, name: p.name, role: p.role, domain: p.domain, locale: p.locale, tone: p.tone });
    }
    const items: NewRunItem[] = [];
    for (const q of questions) {
      run.providerSettings.forEach((setting, settingIndex) => {
        for (let sampleIndex = 0; sampleIndex < run.samples; sampleIndex++) {
          items.push({
            id: newId(),
            runId: run.id,
            campaignId: run.campaignId,
            questionId: q.id,
            provider: setting.provider,
            model: setting.model,
            settingIndex,
            sampleIndex,
            idempotencyKey: itemIdempotencyKey(run.id, {
              questionId: q.id,
              personaId: q.personaId,
              provider: setting.provider,
              model: setting.model,
              promptVersion: run.promptVersion,
              questionText: q.text,
              settings: setting.settings,
              sampleIndex,
            }),
            questionText: q.text,
            topic: q.topicId ? (topics.get(q.topicId) ?? null) : null,
            persona: q.personaId ? (personas.get(q.personaId) ?? null) : null,
          });
        }
      });
    }
    return items;
  }

  /** Puts failed items back on the queue, and queued or running items whose job was lost. */
  async resume(id: string): Promise<{ requeued: number }> {
    const requeued = await this.locked(id, async () => {
      const run = await this.get(id);
      if (run.status === 'created' || run.status === 'cancelled') throw this.illegal(run, 'resume');
      const failed = await this.tx.run(async (tx) => {
        const refs = await this.items.requeueFailed(id, tx);
        if (refs.length > 0 && run.status !== 'running') await this.runs.transition(id, [run.status], 'running', { finishedAt: null }, tx);
        return refs;
      });
      const lost = await this.queues.withoutJob(await this.items.activeItems(id));
      const all = [...new Map([...failed, ...lost].map((r) => [r.id, r])).values()];
      await this.queues.enqueue(all);
      this.logger.log({ run_id: id, failed: failed.length, lost: lost.length }, 'run resumed');
      return all.length;
    });
    await this.finishIfDone(id);
    await this.redis.del(this.keys.summary(id)).catch(() => undefined);
    return { requeued };
  }

  /** Queued items are cancelled at once; running ones finish. */
  async cancel(id: string): Promise<RunSummaryDto> {
    await this.locked(id, async () => {
      const run = await this.get(id);
      if (run.status === 'cancelled') return;
      if (run.status === 'completed' || run.status === 'completed_with_errors') throw this.illegal(run, 'cancel');
      await this.tx.run(async (tx) => {
        const cancelled = await this.items.cancelWaiting(id, tx);
        await this.runs.transition(id, ['created', 'running'], 'cancelled', { finishedAt: new Date() }, tx);
        this.logger.log({ run_id: id, cancelled }, 'run cancelled');
      });
    });
    return this.summary(id, { fresh: true });
  }

  /**
   * Moves a running run to completed (or completed_with_errors) once no item is pending, queued
   * or running. Called after every terminal item and by the reconciler; cheap when items remain.
   */
  async finishIfDone(id: string): Promise<boolean> {
    if (await this.items.hasActive(id)) return false;
    return this.locked(id, async () => {
      const run = await this.runs.findById(id);
      if (!run || run.status !== 'running' || (await this.items.hasActive(id))) return false;
      const counts = await this.items.countByStatus(id);
      const to: RunStatus = counts.failed > 0 ? 'completed_with_errors' : 'completed';
      const done = await this.runs.transition(id, ['running'], to, { finishedAt: new Date() });
      if (done) this.logger.log({ run_id: id, status: to, ...counts }, 'run finished');
      await this.redis.del(this.keys.summary(id)).catch(() => undefined);
      return Boolean(done);
    });
  }

  /**
   * The figures of a run's summary (counts by status, cost, recent errors), shared by every API
   * process through Redis and computed about once a second per run however many clients ask:
   * - a copy younger than a second (ten for a finished run) is served as it is;
   * - an older copy is still served at once (stale while revalidating), while one request, the one
   *   that wins a short Redis lock, computes the new copy; the others never wait for it, so a
   *   copy's expiry does not send every waiting request to Postgres at the same moment;
   * - with no copy at all (the first request, or a status change), the lock's winner computes
   *   and the others wait up to two seconds for its copy before computing their own;
   * - within one process, concurrent misses share one computation.
   * The cache is skipped when Redis is down: the database answers alone.
   */
  private async figures(run: Run, fresh: boolean): Promise<SummaryFigures> {
    if (fresh) return this.computeFigures(run);
    const cached = await this.cachedFigures(run);
    const maxAgeMs = TERMINAL_RUN_STATUSES.includes(run.status) ? 10_000 : 1000;
    if (cached && cached.ageMs < maxAgeMs) return cached.figures;
    const flightKey = `${run.id}:${run.status}`;
    let flight = this.figuresInFlight.get(flightKey);
    if (!flight) {
      flight = this.refreshFigures(run, cached?.figures ?? null).finally(() => this.figuresInFlight.delete(flightKey));
      this.figuresInFlight.set(flightKey, flight);
      // Logged once per refresh; a request waiting for it gets the error too.
      flight.catch((err: unknown) => this.logger.warn({ run_id: run.id, err: (err as Error).message }, 'summary refresh failed'));
    }
    // With a stale copy, this request answers it now; the refresh goes on without it.
    return cached ? cached.figures : flight;
  }

  private async cachedFigures(run: Run): Promise<{ figures: SummaryFigures; ageMs: number } | null> {
    const raw = await this.redis.get(this.keys.summary(run.id)).catch(() => null);
    if (!raw) return null;
    type Cached = SummaryFigures & { status: string; computedAt: number; errors: { runItemId: string; message: string; at: string }[] };
    const f = JSON.parse(raw) as Cached;
    // Figures cached while the run was in another status (a request racing the run's end) are not its final ones.
    if (f.status !== run.status || typeof f.computedAt !== 'number') return null;
    const { status: _status, computedAt, ...figures } = f;
    return { figures: { ...figures, errors: f.errors.map((e) => ({ ...e, at: new Date(e.at) })) }, ageMs: Date.now() - computedAt };
  }

  /**
   * Computes the figures if this process wins the run's short refresh lock. Otherwise it answers
   * the stale copy it has, or waits up to two seconds for the winner's copy (then computes its own).
   */
  private async refreshFigures(run: Run, stale: SummaryFigures | null): Promise<SummaryFigures> {
    // Redis down: no lock to take, and no copy to wait for.
    const release = await tryRedisLock(this.redis, `${this.keys.summary(run.id)}:refresh`, 5000).catch(() => async () => undefined);
    if (!release) {
      if (stale) return stale;
      for (let waited = 0; waited < 2000; waited += 50) {
        await new Promise((r) => setTimeout(r, 50));
        const c = await this.cachedFigures(run);
        if (c) return c.figures;
      }
      return this.computeFigures(run);
    }
    try {
      // Another process may have stored a new copy between this one's read and its lock.
      const again = await this.cachedFigures(run);
      if (again && again.ageMs < 1000) return again.figures;
      return await this.computeFigures(run);
    } finally {
      await release().catch(() => undefined);
    }
  }

  private async computeFigures(run: Run): Promise<SummaryFigures> {
    const [counts, stats, errors] = await Promise.all([
      this.items.countByStatus(run.id),
      this.items.stats(run.id),
      this.items.recentErrors(run.id, RECENT_ERRORS),
    ]);
    const f: SummaryFigures = { counts, costUsd: stats.costUsd, cacheHits: stats.cacheHits, finishedLastMinute: stats.finishedLastMinute, errors };
    // Kept a minute beyond its freshness so that it can be served stale while the next one is computed.
    await this.redis.set(this.keys.summary(run.id), JSON.stringify({ ...f, status: run.status, computedAt: Date.now() }), 'PX', 60_000).catch(() => undefined);
    return f;
  }

  private async summaryOf(run: Run, fresh = false): Promise<RunSummaryDto> {
    return toRunSummaryDto(run, await this.figures(run, fresh));
  }

  async summary(id: string, opts: { fresh?: boolean } = {}): Promise<RunSummaryDto> {
    return this.summaryOf(await this.get(id), opts.fresh ?? false);
  }

  /**
   * A page of a run's items. Filtered by status alone (or not at all), the page's `total` comes
   * from the summary's shared counts (at most about a second old, as the summary's) instead of a
   * count over the run's items on every page.
   */
  async listItems(id: string, filter: RunItemFilter, page: PageRequest): Promise<Page<RunItemView>> {
    const run = await this.get(id);
    const statusOnly = Object.entries(filter).every(([k, v]) => k === 'status' || v === undefined);
    let total: number | undefined;
    if (statusOnly) {
      const { counts } = await this.figures(run, false);
      total = filter.status ? counts[filter.status] : counts.total;
    }
    return this.items.list(id, filter, page, total);
  }

  /**
   * Server-Sent Events: `progress` with the summary whenever it changed (checked every
   * `intervalMs`, so at least once a second while anything changes), a comment every 15 s to keep
   * proxies from closing a quiet stream, and `done` when the run is terminal. Every API process
   * reads the same shared summary, so any of them can serve the stream.
   */
  async events(id: string, intervalMs = 500): Promise<Observable<MessageEventLike>> {
    await this.get(id);
    return new Observable<MessageEventLike>((subscriber) => {
      let last = '';
      let lastSent = Date.now();
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const tick = async (): Promise<void> => {
        try {
          const s = await this.summary(id);
          const fingerprint = JSON.stringify([s.status, s.counts, s.cost_usd]);
          const terminal = TERMINAL_RUN_STATUSES.includes(s.status as RunStatus);
          if (fingerprint !== last || terminal) {
            subscriber.next({ type: 'progress', data: s });
            last = fingerprint;
            lastSent = Date.now();
          } else if (Date.now() - lastSent > 15_000) {
            subscriber.next({ type: 'ping', data: { at: new Date().toISOString() } });
            lastSent = Date.now();
          }
          if (terminal) {
            subscriber.next({ type: 'done', data: s });
            subscriber.complete();
            return;
          }
        } catch (err) {
          // A passing database or Redis outage: keep the stream, try again next tick.
          this.logger.warn({ run_id: id, err: (err as Error).message }, 'progress stream: summary failed');
        }
        if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
      };
      void tick();
      const end = (): void => subscriber.complete();
      this.streams.add(end);
      return () => {
        stopped = true;
        this.streams.delete(end);
        if (timer) clearTimeout(timer);
      };
    });
  }

  /**
   * Ends every open progress stream when the process shuts down: the HTTP server waits for open
   * responses before it closes, and a stream would hold it until SHUTDOWN_TIMEOUT_MS. A browser's
   * EventSource reconnects by itself, to another API process.
   */
  beforeApplicationShutdown(): void {
    for (const end of [...this.streams]) end();
  }
}
