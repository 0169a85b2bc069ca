import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../core/http/api-problems.decorator';
import { UuidParam } from '../core/http/validation';
import { mapPage, Page, PageDto, PaginationQueryDto } from '../core/pagination/pagination';
import { CampaignsService } from './campaigns.service';
import { CampaignDto, toCampaignDto } from './dto/campaign.dto';
import { CreateCampaignDto } from './dto/create-campaign.dto';
import { CreateQuestionDto } from './dto/create-question.dto';
import { CreateTopicDto } from './dto/create-topic.dto';
import { ListQuestionsQueryDto } from './dto/list-questions-query.dto';
import { QuestionDto, toQuestionDto } from './dto/question.dto';
import { TopicDto, toTopicDto } from './dto/topic.dto';
import { UpdateCampaignDto } from './dto/update-campaign.dto';
import { UpdateTopicDto } from './dto/update-topic.dto';

@ApiTags('campaigns')
@ApiProblems()
@Controller('campaigns')
export class CampaignsController {
  constructor(private readonly campaigns: CampaignsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a campaign (brand, aliases, own domains, competitors)' })
  @ApiCreatedResponse({ type: CampaignDto })
  @ApiProblems(400, 409, 413, 415)
  async create(@Body() dto: CreateCampaignDto): Promise<CampaignDto> {
    return toCampaignDto(await this.campaigns.createCampaign(dto));
  }

  @Get()
  @ApiOperation({ summary: 'List campaigns, oldest first' })
  @ApiOkResponse({ type: PageDto(CampaignDto) })
  @ApiProblems(400)
  async list(@Query() query: PaginationQueryDto): Promise<Page<CampaignDto>> {
    return mapPage(await this.campaigns.listCampaigns(query), toCampaignDto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a campaign' })
  @ApiOkResponse({ type: CampaignDto })
  @ApiProblems(400, 404)
  async get(@UuidParam('id') id: string): Promise<CampaignDto> {
    return toCampaignDto(await this.campaigns.getCampaign(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update some of a campaign\'s fields (arrays replace the stored ones)' })
  @ApiOkResponse({ type: CampaignDto })
  @ApiProblems(400, 404, 409, 413, 415)
  async update(@UuidParam('id') id: string, @Body() dto: UpdateCampaignDto): Promise<CampaignDto> {
    return toCampaignDto(await this.campaigns.updateCampaign(id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a campaign with its topics and questions (refused while it has runs)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async delete(@UuidParam('id') id: string): Promise<void> {
    await this.campaigns.deleteCampaign(id);
  }

  @Post(':id/topics')
  @ApiOperation({ summary: 'Add a topic to a campaign' })
  @ApiCreatedResponse({ type: TopicDto })
  @ApiProblems(400, 404, 409, 413, 415)
  async createTopic(@UuidParam('id') id: string, @Body() dto: CreateTopicDto): Promise<TopicDto> {
    return toTopicDto(await this.campaigns.createTopic(id, dto));
  }

  @Get(':id/topics')
  @ApiOperation({ summary: 'List a campaign\'s topics' })
  @ApiOkResponse({ type: PageDto(TopicDto) })
  @ApiProblems(400, 404)
  async listTopics(@UuidParam('id') id: string, @Query() query: PaginationQueryDto): Promise<Page<TopicDto>> {
    return mapPage(await this.campaigns.listTopics(id, query), toTopicDto);
  }

  @Get(':id/topics/:topicId')
  @ApiOperation({ summary: 'Get a topic' })
  @ApiOkResponse({ type: TopicDto })
  @ApiProblems(400, 404)
  async getTopic(@UuidParam('id') id: string, @UuidParam('topicId') topicId: string): Promise<TopicDto> {
    return toTopicDto(await this.campaigns.getTopic(id, topicId));
  }

  @Patch(':id/topics/:topicId')
  @ApiOperation({ summary: 'Update a topic' })
  @ApiOkResponse({ type: TopicDto })
  @ApiProblems(400, 404, 409, 413, 415)
  async updateTopic(@UuidParam('id') id: string, @UuidParam('topicId') topicId: string, @Body() dto: UpdateTopicDto): Promise<TopicDto> {
    return toTopicDto(await this.campaigns.updateTopic(id, topicId, dto));
  }

  @Delete(':id/topics/:topicId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a topic and its questions' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async deleteTopic(@UuidParam('id') id: string, @UuidParam('topicId') topicId: string): Promise<void> {
    await this.campaigns.deleteTopic(id, topicId);
  }

  @Post(':id/questions')
  @ApiOperation({ summary: 'Add one question (bulk: /question-sets:import or /questions:ingest)' })
  @ApiCreatedResponse({ type: QuestionDto })
  @ApiProblems(400, 404, 409, 413, 415)
  async createQuestion(@UuidParam('id') id: string, @Body() dto: CreateQuestionDto): Promise<QuestionDto> {
    return toQuestionDto(await this.campaigns.createQuestion(id, dto));
  }

  @Get(':id/questions')
  @ApiOperation({ summary: 'List a campaign\'s questions, filtered by topic and/or persona' })
  @ApiOkResponse({ type: PageDto(QuestionDto) })
  @ApiProblems(400, 404)
  async listQuestions(@UuidParam('id') id: string, @Query() query: ListQuestionsQueryDto): Promise<Page<QuestionDto>> {
    const page = await this.campaigns.listQuestions(id, { topicId: query.topic_id, personaId: query.persona_id }, query);
    return mapPage(page, toQuestionDto);
  }

  @Get(':id/questions/:questionId')
  @ApiOperation({ summary: 'Get a question' })
  @ApiOkResponse({ type: QuestionDto })
  @ApiProblems(400, 404)
  async getQuestion(@UuidParam('id') id: string, @UuidParam('questionId') questionId: string): Promise<QuestionDto> {
    return toQuestionDto(await this.campaigns.getQuestion(id, questionId));
  }

  @Delete(':id/questions/:questionId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a question (refused while runs use it)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async deleteQuestion(@UuidParam('id') id: string, @UuidParam('questionId') questionId: string): Promise<void> {
    await this.campaigns.deleteQuestion(id, questionId);
  }
}
