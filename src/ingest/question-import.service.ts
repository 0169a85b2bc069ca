import { HttpStatus, Injectable } from '@nestjs/common';
import { CampaignRepository, PersonaRepository, QuestionRepository, TopicRepository, topicKey } from '../campaigns';
import { ReferenceViolationError } from '../core/database/db-errors';
import { TransactionRunner, type Tx } from '../core/database/transaction';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import { normalizeKey } from '../core/text/normalize';
import type { ImportCandidate } from './import-item';

export const MAX_LISTED_ERRORS = 1000;
const BATCH_SIZE = 2000;

export type Located = 'line' | 'row';

export interface ImportError {
  line?: number;
  row?: number;
  message: string;
}

export interface ImportSummary {
  imported: number;
  skipped: number;
  errors: ImportError[];
  failed?: number;
}

/** An item the source could not turn into a candidate. */
export interface ItemFailure {
  at: number;
  error: string;
}

/**
 * Writes question sets into the catalogue: the one path of agent imports, spreadsheet ingests
 * and template generation.
 *
 * An import is one transaction, written in batches as items stream in: a body that turns out to
 * be unreadable half-way (or a client that goes away) leaves nothing behind, while items that are
 * merely invalid are reported and the others imported. Campaigns, topics and personas are
 * upserted by their normalized names and questions inserted unless they exist, through unique
 * constraints and ON CONFLICT DO NOTHING: two identical imports at the same moment create
 * everything once (the second waits for the first's rows, then skips them), and no table lock is
 * taken. Keys are written in sorted order, so concurrent imports do not deadlock each other.
 */
@Injectable()
export class QuestionImportService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly campaigns: CampaignRepository,
    private readonly topics: TopicRepository,
    private readonly personas: PersonaRepository,
    private readonly questions: QuestionRepository,
  ) {}

  /** Imports a stream of candidates (and failures); `after` runs in the same transaction. */
  async import(
    source: AsyncIterable<ImportCandidate | ItemFailure>,
    located: Located,
    after?: (summary: ImportSummary, tx: Tx) => Promise<void>,
  ): Promise<ImportSummary> {
    const items = source[Symbol.asyncIterator]();
    // The first batch is read before the transaction opens, so that a small body (most of them)
    // holds no connection while it is still arriving.
    const head: (ImportCandidate | ItemFailure)[] = [];
    let ended = false;
    for (let candidates = 0; candidates < BATCH_SIZE; ) {
      const r = await items.next();
      if (r.done) {
        ended = true;
        break;
      }
      head.push(r.value);
      if (!('error' in r.value)) candidates++;
    }
    const rest = async function* (): AsyncGenerator<ImportCandidate | ItemFailure> {
      yield* head;
      if (ended) return;
      for (let r = await items.next(); !r.done; r = await items.next()) yield r.value;
    };

    return this.transactions.run(async (tx) => {
      const batch = new ImportBatch(tx, this.campaigns, this.topics, this.personas, this.questions);
      const summary: ImportSummary = { imported: 0, skipped: 0, errors: [] };
      let failed = 0;
      let pending: ImportCandidate[] = [];
      const flush = async (): Promise<void> => {
        const { imported, skipped } = await batch.write(pending);
        summary.imported += imported;
        summary.skipped += skipped;
        pending = [];
      };
      for await (const item of rest()) {
        if ('error' in item) {
          failed++;
          if (summary.errors.length < MAX_LISTED_ERRORS) summary.errors.push({ [located]: item.at, message: item.error });
          continue;
        }
        pending.push(item);
        if (pending.length >= BATCH_SIZE) await flush();
      }
      await flush();
      if (failed > summary.errors.length) summary.failed = failed;
      if (summary.imported + summary.skipped === 0 && failed > 0) {
        // Nothing valid at all: a client error, not a partial success.
        throw new AppException(ErrorCode.ValidationFailed, HttpStatus.BAD_REQUEST, `none of the ${failed} item(s) could be imported`, summary.errors);
      }
      if (after) await after(summary, tx);
      return summary;
    });
  }
}

/** The ids already resolved in this import, so that each name is looked up once. */
class ImportBatch {
  private readonly campaignIds = new Map<string, string>();
  private readonly topicIds = new Map<string, string>();
  private readonly personaIds = new Map<string, string>();

  constructor(
    private readonly tx: Tx,
    private readonly campaigns: CampaignRepository,
    private readonly topics: TopicRepository,
    private readonly personas: PersonaRepository,
    private readonly questions: QuestionRepository,
  ) {}

  async write(items: ImportCandidate[]): Promise<{ imported: number; skipped: number }> {
    if (items.length === 0) return { imported: 0, skipped: 0 };
    try {
      return await this.writeBatch(items);
    } catch (err) {
      // A campaign given by id was deleted while the import ran.
      if (err instanceof ReferenceViolationError) throw AppException.conflict('the campaign was deleted during the import');
      throw err;
    }
  }

  private async writeBatch(items: ImportCandidate[]): Promise<{ imported: number; skipped: number }> {
    const campaignOf = (c: ImportCandidate['campaign']): string | undefined =>
      'id' in c ? c.id : this.campaignIds.get(normalizeKey(c.name));

    const newCampaigns = items.map((i) => i.campaign).filter((c) => !('id' in c) && !this.campaignIds.has(normalizeKey(c.name)));
    if (newCampaigns.length) {
      for (const [k, id] of await this.campaigns.ensureMany(newCampaigns as Exclude<ImportCandidate['campaign'], { id: string }>[], this.tx)) {
        this.campaignIds.set(k, id);
      }
    }
    const newPersonas = items.map((i) => i.persona).filter((p): p is NonNullable<typeof p> => p !== null && !this.personaIds.has(normalizeKey(p.name)));
    if (newPersonas.length) for (const [k, id] of await this.personas.ensureMany(newPersonas, this.tx)) this.personaIds.set(k, id);

    const newTopics = items
      .filter((i) => i.topic !== null)
      .map((i) => ({ campaignId: campaignOf(i.campaign)!, ...i.topic! }))
      .filter((t) => !this.topicIds.has(topicKey(t.campaignId, t.title)));
    if (newTopics.length) for (const [k, id] of await this.topics.ensureMany(newTopics, this.tx)) this.topicIds.set(k, id);

    const rows = items.map((i) => {
      const campaignId = campaignOf(i.campaign)!;
      return {
        campaignId,
        topicId: i.topic ? this.topicIds.get(topicKey(campaignId, i.topic.title))! : null,
        personaId: i.persona ? this.personaIds.get(normalizeKey(i.persona.name))! : null,
        text: i.question.text,
        metadata: i.question.metadata,
      };
    });
    const imported = await this.questions.insertMany(rows, this.tx);
    return { imported, skipped: items.length - imported };
  }
}
