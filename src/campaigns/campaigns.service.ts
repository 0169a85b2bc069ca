import { HttpStatus, Injectable } from '@nestjs/common';
import { AppException } from '../core/errors/app.exception';
import { conflictsAs409 } from '../core/errors/conflicts';
import { ErrorCode } from '../core/errors/error-code';
import type { Page, PageRequest } from '../core/pagination/pagination';
import { cleanText } from '../core/text/normalize';
import { Campaign, CampaignFields, CampaignRepository } from './campaign.repository';
import type { CreateCampaignDto } from './dto/create-campaign.dto';
import type { CreateQuestionDto } from './dto/create-question.dto';
import type { CreateTopicDto } from './dto/create-topic.dto';
import type { UpdateCampaignDto } from './dto/update-campaign.dto';
import type { UpdateTopicDto } from './dto/update-topic.dto';
import { PersonaRepository } from './persona.repository';
import { Question, QuestionFilter, QuestionRepository } from './question.repository';
import { Topic, TopicRepository } from './topic.repository';

/** Aliases and domains compare case-insensitively; keep the first spelling of each. */
function unique(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = v.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Campaign fields from a create request (names cleaned, aliases and domains de-duplicated). */
export function campaignFieldsFrom(dto: CreateCampaignDto): CampaignFields {
  return {
    name: cleanText(dto.name),
    productName: dto.product_name ?? null,
    brandAliases: unique(dto.brand_aliases ?? []),
    brandDomains: unique(dto.brand_domains ?? []),
    competitors: (dto.competitors ?? []).map((c) => ({ name: cleanText(c.name), aliases: unique(c.aliases), domains: unique(c.domains) })),
  };
}

/** The campaign catalogue's rules: campaigns, their topics and their questions. */
@Injectable()
export class CampaignsService {
  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly topics: TopicRepository,
    private readonly questions: QuestionRepository,
    private readonly personas: PersonaRepository,
  ) {}

  createCampaign(dto: CreateCampaignDto): Promise<Campaign> {
    const fields = campaignFieldsFrom(dto);
    assertCompetitorsDistinct(fields);
    return conflictsAs409(this.campaigns.create(fields), `a campaign named "${fields.name}" already exists`);
  }

  listCampaigns(page: PageRequest): Promise<Page<Campaign>> {
    return this.campaigns.list(page);
  }

  async getCampaign(id: string): Promise<Campaign> {
    const campaign = await this.campaigns.findById(id);
    if (!campaign) throw AppException.notFound('campaign', id);
    return campaign;
  }

  async updateCampaign(id: string, dto: UpdateCampaignDto): Promise<Campaign> {
    const fields: Partial<CampaignFields> = {};
    if (dto.name !== undefined) fields.name = cleanText(dto.name);
    if (dto.product_name !== undefined) fields.productName = dto.product_name;
    if (dto.brand_aliases !== undefined) fields.brandAliases = unique(dto.brand_aliases);
    if (dto.brand_domains !== undefined) fields.brandDomains = unique(dto.brand_domains);
    if (dto.competitors !== undefined) {
      fields.competitors = dto.competitors.map((c) => ({ name: cleanText(c.name), aliases: unique(c.aliases), domains: unique(c.domains) }));
    }
    const current = await this.getCampaign(id);
    assertCompetitorsDistinct({ ...current, ...fields });
    const updated = await conflictsAs409(this.campaigns.update(id, fields), `a campaign named "${fields.name}" already exists`);
    if (!updated) throw AppException.notFound('campaign', id);
    return updated;
  }

  async deleteCampaign(id: string): Promise<void> {
    const deleted = await conflictsAs409(
      this.campaigns.delete(id),
      '',
      `campaign ${id} has runs; its results are kept, so it cannot be deleted`,
    );
    if (!deleted) throw AppException.notFound('campaign', id);
  }

  async createTopic(campaignId: string, dto: CreateTopicDto): Promise<Topic> {
    await this.getCampaign(campaignId);
    const title = cleanText(dto.title);
    return conflictsAs409(
      this.topics.create(campaignId, { title, description: dto.description ?? null }),
      `campaign ${campaignId} already has a topic titled "${title}"`,
    );
  }

  async listTopics(campaignId: string, page: PageRequest): Promise<Page<Topic>> {
    await this.getCampaign(campaignId);
    return this.topics.listByCampaign(campaignId, page);
  }

  async getTopic(campaignId: string, topicId: string): Promise<Topic> {
    const topic = await this.topics.findById(campaignId, topicId);
    if (!topic) throw AppException.notFound(`topic in campaign ${campaignId}:`, topicId);
    return topic;
  }

  async updateTopic(campaignId: string, topicId: string, dto: UpdateTopicDto): Promise<Topic> {
    const fields: { title?: string; description?: string | null } = {};
    if (dto.title !== undefined) fields.title = cleanText(dto.title);
    if (dto.description !== undefined) fields.description = dto.description;
    const topic = await conflictsAs409(
      this.topics.update(campaignId, topicId, fields),
      `campaign ${campaignId} already has a topic titled "${fields.title}"`,
    );
    if (!topic) throw AppException.notFound(`topic in campaign ${campaignId}:`, topicId);
    return topic;
  }

  async deleteTopic(campaignId: string, topicId: string): Promise<void> {
    const deleted = await conflictsAs409(this.topics.delete(campaignId, topicId), '', `topic ${topicId} has questions used by runs`);
    if (!deleted) throw AppException.notFound(`topic in campaign ${campaignId}:`, topicId);
  }

  async createQuestion(campaignId: string, dto: CreateQuestionDto): Promise<Question> {
    await this.getCampaign(campaignId);
    const topicId = dto.topic_id ?? null;
    const personaId = dto.persona_id ?? null;
    const problems: { field: string; message: string }[] = [];
    if (topicId && !(await this.topics.findById(campaignId, topicId))) problems.push({ field: 'topic_id', message: `campaign ${campaignId} has no topic ${topicId}` });
    if (personaId && !(await this.personas.findById(personaId))) problems.push({ field: 'persona_id', message: `persona ${personaId} does not exist` });
    if (problems.length) throw AppException.validation(problems.map((p) => p.message).join('; '), problems);
    return conflictsAs409(
      this.questions.create(campaignId, { topicId, personaId, text: cleanText(dto.text), metadata: dto.metadata ?? {} }),
      'this question already exists for the same topic and persona',
    );
  }

  async listQuestions(campaignId: string, filter: QuestionFilter, page: PageRequest): Promise<Page<Question>> {
    await this.getCampaign(campaignId);
    return this.questions.listByCampaign(campaignId, filter, page);
  }

  async getQuestion(campaignId: string, questionId: string): Promise<Question> {
    const question = await this.questions.findById(campaignId, questionId);
    if (!question) throw AppException.notFound(`question in campaign ${campaignId}:`, questionId);
    return question;
  }

  async deleteQuestion(campaignId: string, questionId: string): Promise<void> {
    const deleted = await conflictsAs409(this.questions.delete(campaignId, questionId), '', `question ${questionId} is used by runs`);
    if (!deleted) throw AppException.notFound(`question in campaign ${campaignId}:`, questionId);
  }
}

/** A competitor listed twice, or the brand listed as its own competitor, would skew share of voice. */
export function competitorProblems(c: Pick<CampaignFields, 'productName' | 'competitors'>): { field: string; message: string }[] {
    const seen = new Set<string>();
    const errors: { field: string; message: string }[] = [];
    c.competitors.forEach((comp, i) => {
      const key = comp.name.toLowerCase();
      if (seen.has(key)) errors.push({ field: `competitors.${i}.name`, message: `competitor "${comp.name}" is listed twice` });
      if (c.productName && key === c.productName.toLowerCase()) {
        errors.push({ field: `competitors.${i}.name`, message: `"${comp.name}" is the campaign's own product` });
      }
      seen.add(key);
    });
  return errors;
}

function assertCompetitorsDistinct(c: Pick<CampaignFields, 'productName' | 'competitors'>): void {
  const errors = competitorProblems(c);
  if (errors.length) throw new AppException(ErrorCode.ValidationFailed, HttpStatus.BAD_REQUEST, 'Invalid competitors', errors);
}
