import { Module } from '@nestjs/common';
import { modeRepository } from '../core/database/mode-repository';
import { CampaignCompatRepository } from './campaign-compat.repository';
import { CampaignFullRepository } from './campaign-full.repository';
import { CampaignRepository } from './campaign.repository';
import { CampaignsController } from './campaigns.controller';
import { CampaignsService } from './campaigns.service';
import { PersonaCompatRepository } from './persona-compat.repository';
import { PersonaFullRepository } from './persona-full.repository';
import { PersonaRepository } from './persona.repository';
import { PersonasController } from './personas.controller';
import { PersonasService } from './personas.service';
import { QuestionCompatRepository } from './question-compat.repository';
import { QuestionFullRepository } from './question-full.repository';
import { QuestionRepository } from './question.repository';
import { TopicCompatRepository } from './topic-compat.repository';
import { TopicFullRepository } from './topic-full.repository';
import { TopicRepository } from './topic.repository';

@Module({
  controllers: [CampaignsController, PersonasController],
  providers: [
    modeRepository(CampaignRepository, CampaignFullRepository, CampaignCompatRepository),
    modeRepository(TopicRepository, TopicFullRepository, TopicCompatRepository),
    modeRepository(PersonaRepository, PersonaFullRepository, PersonaCompatRepository),
    modeRepository(QuestionRepository, QuestionFullRepository, QuestionCompatRepository),
    CampaignsService,
    PersonasService,
  ],
  exports: [CampaignsService, PersonasService, CampaignRepository, TopicRepository, PersonaRepository, QuestionRepository],
})
export class CampaignsModule {}
