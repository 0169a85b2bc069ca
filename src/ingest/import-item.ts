import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  campaignFieldsFrom,
  competitorProblems,
  CreateCampaignDto,
  CreatePersonaDto,
  CreateTopicDto,
  personaFieldsFrom,
  type CampaignFields,
  type PersonaFields,
} from '../campaigns';
import { toProblemItems } from '../core/http/validation';
import { cleanText } from '../core/text/normalize';
import { ImportQuestionDto } from './dto/import-item.dto';

/** What the import pipeline writes for one item: everything named, nothing looked up yet. */
export interface ImportCandidate {
  /** Line (agent import) or row (spreadsheet) the item came from. */
  at: number;
  /** The campaign by its fields (created if its name is new) or by id (it must exist). */
  campaign: CampaignFields | { id: string };
  topic: { title: string; description: string | null } | null;
  persona: PersonaFields | null;
  question: { text: string; metadata: Record<string, unknown> };
}

type Checked<T> = { value: T } | { error: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ITEM_KEYS = new Set(['campaign', 'topic', 'persona', 'question']);
const CACHE_LIMIT = 10_000;
const VALIDATION = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };

/** The string shorthand: `"campaign": "Acme"` means `{"name": "Acme"}`, and so on. */
function expand(value: unknown, key: string): unknown {
  return typeof value === 'string' ? { [key]: value } : value;
}

/** Validates one part of an item against the catalogue's own DTO; errors are prefixed with the part. */
function validatePart<T extends object>(cls: new () => T, plain: unknown, field: string): Checked<T> {
  if (!isObject(plain)) return { error: `${field}: must be an object or a string` };
  const dto = plainToInstance(cls, plain);
  const errors = validateSync(dto, VALIDATION);
  if (errors.length) return { error: toProblemItems(errors, field).map((p) => `${p.field}: ${p.message}`).join('; ') };
  return { value: dto };
}

/**
 * Validates agent-import items, one at a time. The campaign, topic and persona parts repeat from
 * item to item (10,000 questions usually name a handful of each), so each distinct part is
 * validated once per import and remembered; only the question is validated every time.
 * (Validating whole items with class-validator took ~30 µs each, a quarter of an import's time.)
 */
export class ImportItemParser {
  private readonly campaigns = new Map<string, Checked<CampaignFields>>();
  private readonly topics = new Map<string, Checked<{ title: string; description: string | null }>>();
  private readonly personas = new Map<string, Checked<PersonaFields>>();

  parse(at: number, value: unknown): ImportCandidate | { error: string } {
    if (!isObject(value)) return { error: 'an item must be an object with "campaign" and "question"' };
    const problems = Object.keys(value)
      .filter((k) => !ITEM_KEYS.has(k))
      .map((k) => `${k}: unknown field "${k}"`);
    if (value.campaign === undefined || value.campaign === null) problems.push('campaign: is required');
    if (value.question === undefined || value.question === null) problems.push('question: is required');
    if (problems.length) return { error: problems.join('; ') };

    const campaign = this.cached(this.campaigns, expand(value.campaign, 'name'), (plain) => {
      const checked = validatePart(CreateCampaignDto, plain, 'campaign');
      if ('error' in checked) return checked;
      const fields = campaignFieldsFrom(checked.value);
      const competitors = competitorProblems(fields);
      return competitors.length ? { error: competitors.map((p) => `campaign.${p.field}: ${p.message}`).join('; ') } : { value: fields };
    });
    const topic =
      value.topic === undefined || value.topic === null
        ? null
        : this.cached(this.topics, expand(value.topic, 'title'), (plain) => {
            const checked = validatePart(CreateTopicDto, plain, 'topic');
            return 'error' in checked ? checked : { value: { title: cleanText(checked.value.title), description: checked.value.description ?? null } };
          });
    const persona =
      value.persona === undefined || value.persona === null
        ? null
        : this.cached(this.personas, expand(value.persona, 'name'), (plain) => {
            const checked = validatePart(CreatePersonaDto, plain, 'persona');
            return 'error' in checked ? checked : { value: personaFieldsFrom(checked.value) };
          });
    const question = validatePart(ImportQuestionDto, expand(value.question, 'text'), 'question');

    for (const part of [campaign, topic, persona, question]) if (part && 'error' in part) problems.push(part.error);
    if (problems.length) return { error: problems.join('; ') };
    const q = (question as { value: ImportQuestionDto }).value;
    return {
      at,
      campaign: (campaign as { value: CampaignFields }).value,
      topic: topic ? (topic as { value: { title: string; description: string | null } }).value : null,
      persona: persona ? (persona as { value: PersonaFields }).value : null,
      question: { text: cleanText(q.text), metadata: q.metadata ?? {} },
    };
  }

  private cached<T>(cache: Map<string, Checked<T>>, plain: unknown, check: (plain: unknown) => Checked<T>): Checked<T> {
    // JSON text as the key: equal parts are equal strings (the body gave them in one key order).
    let key: string;
    try {
      key = JSON.stringify(plain) ?? '';
    } catch {
      // Too deep to serialize (a RangeError): checked without the cache; the check refuses it.
      return check(plain);
    }
    const hit = cache.get(key);
    if (hit) return hit;
    const result = check(plain);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, result);
    return result;
  }
}
