// The campaigns feature's public face: what other features may use.
export { CampaignsModule } from './campaigns.module';
export { CampaignRepository, type Campaign, type CampaignFields } from './campaign.repository';
export { TopicRepository, topicKey, type Topic, type TopicFields } from './topic.repository';
export { PersonaRepository, type Persona, type PersonaFields } from './persona.repository';
export { QuestionRepository, questionDedupeKey, type Question, type QuestionFields } from './question.repository';
export { CampaignsService, campaignFieldsFrom, competitorProblems } from './campaigns.service';
export { PersonasService, personaFieldsFrom } from './personas.service';
export { CreateCampaignDto } from './dto/create-campaign.dto';
export { CreateTopicDto } from './dto/create-topic.dto';
export { CreatePersonaDto } from './dto/create-persona.dto';
export { CreateQuestionDto } from './dto/create-question.dto';
export { Trim } from './dto/dto-helpers';
