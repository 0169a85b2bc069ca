import { HttpStatus, Injectable, OnModuleInit } from '@nestjs/common';
import { join } from 'node:path';
import { CampaignRepository, type Persona, PersonaRepository, type Topic, TopicRepository } from '../campaigns';
import { AppException } from '../core/errors/app.exception';
import { ErrorCode } from '../core/errors/error-code';
import type { GenerateQuestionsDto, GenerateResultDto, QuestionTemplateDto } from './dto/generate-questions.dto';
import type { ImportCandidate } from './import-item';
import { fill, findTemplate, loadTemplates, patternsFor, type QuestionTemplate } from './question-templates';
import { QuestionImportService } from './question-import.service';

/** A generation larger than this is refused rather than silently written. */
export const MAX_GENERATED = 100_000;

async function all<T>(page: (p: { limit: number; offset: number }) => Promise<{ items: T[]; total: number }>): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += 500) {
    const p = await page({ limit: 500, offset });
    out.push(...p.items);
    if (out.length >= p.total || p.items.length === 0) return out;
  }
}

/** Template generation: versioned YAML templates expanded over a campaign's topics × personas. */
@Injectable()
export class QuestionGenerationService implements OnModuleInit {
  private templates: QuestionTemplate[] = [];

  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly topics: TopicRepository,
    private readonly personas: PersonaRepository,
    private readonly importer: QuestionImportService,
  ) {}

  onModuleInit(): void {
    this.templates = loadTemplates(join(__dirname, 'templates'));
  }

  list(): QuestionTemplateDto[] {
    return [...this.templates]
      .sort((a, b) => a.name.localeCompare(b.name) || b.version - a.version)
      .map((t) => ({ name: t.name, version: t.version, description: t.description, languages: Object.keys(t.questions), questions_per_pair: t.questions.en.length }));
  }

  async generate(dto: GenerateQuestionsDto): Promise<GenerateResultDto> {
    const template = findTemplate(this.templates, dto.template);
    if (!template) {
      const known = this.templates.map((t) => `${t.name}@${t.version}`).join(', ');
      throw AppException.validation(`unknown template "${dto.template}" (known: ${known})`, [{ field: 'template', message: `unknown template; known: ${known}` }]);
    }
    if (!(await this.campaigns.findById(dto.campaign_id))) throw AppException.notFound('campaign', dto.campaign_id);
    const topics = await this.pickTopics(dto.campaign_id, dto.topic_ids);
    const personas = await this.pickPersonas(dto.persona_ids);
    if (topics.length === 0) throw AppException.validation('the campaign has no topics to expand: add topics first', [{ field: 'topic_ids', message: 'no topics' }]);
    if (personas.length === 0) throw AppException.validation('there are no personas to expand: add personas first', [{ field: 'persona_ids', message: 'no personas' }]);
    const size = topics.length * personas.length * template.questions.en.length;
    if (size > MAX_GENERATED) {
      throw new AppException(ErrorCode.ValidationFailed, HttpStatus.BAD_REQUEST, `${size} questions would be generated (at most ${MAX_GENERATED}): pick topic_ids or persona_ids`);
    }

    const year = String(new Date().getUTCFullYear());
    const campaignId = dto.campaign_id;
    const metadata = { source: 'template', template: template.name, template_version: template.version };
    function* candidates(): Generator<ImportCandidate> {
      let at = 0;
      for (const topic of topics) {
        for (const persona of personas) {
          for (const pattern of patternsFor(template!, persona.locale)) {
            const text = fill(pattern, {
              year,
              topic: topic.title,
              topic_description: topic.description,
              persona: persona.name,
              persona_role: persona.role,
              persona_domain: persona.domain,
              persona_tone: persona.tone,
            });
            if (text === undefined) continue;
            yield {
              at: ++at,
              campaign: { id: campaignId },
              topic: { title: topic.title, description: topic.description },
              persona: { name: persona.name, role: persona.role, domain: persona.domain, locale: persona.locale, tone: persona.tone, extra: persona.extra },
              question: { text, metadata },
            };
          }
        }
      }
    }
    const source = (async function* () {
      yield* candidates();
    })();
    const summary = await this.importer.import(source, 'line');
    return { generated: summary.imported, skipped: summary.skipped, template: template.name, version: template.version };
  }

  private async pickTopics(campaignId: string, ids?: string[]): Promise<Topic[]> {
    if (!ids) return all((p) => this.topics.listByCampaign(campaignId, p));
    const found = await Promise.all([...new Set(ids)].map((id) => this.topics.findById(campaignId, id)));
    const missing = [...new Set(ids)].filter((_, i) => !found[i]);
    if (missing.length) throw AppException.validation(`the campaign has no topic ${missing.join(', ')}`, [{ field: 'topic_ids', message: `unknown: ${missing.join(', ')}` }]);
    return found as Topic[];
  }

  private async pickPersonas(ids?: string[]): Promise<Persona[]> {
    if (!ids) return all((p) => this.personas.list(p));
    const found = await Promise.all([...new Set(ids)].map((id) => this.personas.findById(id)));
    const missing = [...new Set(ids)].filter((_, i) => !found[i]);
    if (missing.length) throw AppException.validation(`no persona ${missing.join(', ')}`, [{ field: 'persona_ids', message: `unknown: ${missing.join(', ')}` }]);
    return found as Persona[];
  }
}
