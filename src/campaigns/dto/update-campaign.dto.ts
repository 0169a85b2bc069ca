import { PartialType } from '@nestjs/swagger';
import { CreateCampaignDto } from './create-campaign.dto';

/** Any subset of the campaign's fields; arrays replace the stored ones. */
export class UpdateCampaignDto extends PartialType(CreateCampaignDto, { skipNullProperties: false }) {}
