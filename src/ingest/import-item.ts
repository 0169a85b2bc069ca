import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { campaignFieldsFrom, competitorProblems, personaFieldsFrom, type CampaignFields, type PersonaFields } from '../campaigns';
import { toProblemItems } from '../core/http/validation';
import { cleanText } from '../core/text/normalize';
import { ImportItemDto } from './dto/import-item.dto';

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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The string shorthand: `"campaign": "Acme"` means `{"name": "Acme"}`, and so on. */
function expand(value: unknown, key: string): unknown {
  return typeof value === 'string' ? { [key]: value } : value;
}

/** Validates one agent-import item; answers the candidate or a one-line reason. */
export function parseImportItem(at: number, value: unknown): ImportCandidate | { error: string } {
  if (!isObject(value)) return { error: 'an item must be an object with "campaign" and "question"' };
  const plain = {
    ...value,
    campaign: expand(value.campaign, 'name'),
    topic: expand(value.topic, 'title'),
    persona: expand(value.persona, 'name'),
    question: expand(value.question, 'text'),
  };
  const dto = plainToInstance(ImportItemDto, plain);
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  const problems = toProblemItems(errors).map((p) => `${p.field}: ${p.message}`);
  if (problems.length === 0 && !isObject(dto.campaign)) problems.push('campaign: is required');
  if (problems.length === 0 && !isObject(dto.question)) problems.push('question: is required');
  if (problems.length > 0) return { error: problems.join('; ') };

  const campaign = campaignFieldsFrom(dto.campaign);
  const competitorErrors = competitorProblems(campaign);
  if (competitorErrors.length) return { error: competitorErrors.map((p) => `campaign.${p.field}: ${p.message}`).join('; ') };
  return {
    at,
    campaign,
    topic: dto.topic ? { title: cleanText(dto.topic.title), description: dto.topic.description ?? null } : null,
    persona: dto.persona ? personaFieldsFrom(dto.persona) : null,
    question: { text: cleanText(dto.question.text), metadata: dto.question.metadata ?? {} },
  };
}
