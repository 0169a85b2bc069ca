import { Module } from '@nestjs/common';
import { CampaignsModule } from '../campaigns';
import { IngestController } from './ingest.controller';
import { IngestService } from './ingest.service';
import { QuestionGenerationService } from './question-generation.service';
import { QuestionImportService } from './question-import.service';

@Module({
  imports: [CampaignsModule],
  controllers: [IngestController],
  providers: [IngestService, QuestionImportService, QuestionGenerationService],
  exports: [QuestionImportService],
})
export class IngestModule {}
