import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../core/http/api-problems.decorator';
import { UuidParam } from '../core/http/validation';
import { mapPage, Page, PageDto, PaginationQueryDto } from '../core/pagination/pagination';
import { CreatePersonaDto } from './dto/create-persona.dto';
import { PersonaDto, toPersonaDto } from './dto/persona.dto';
import { UpdatePersonaDto } from './dto/update-persona.dto';
import { PersonasService } from './personas.service';

@ApiTags('personas')
@ApiProblems()
@Controller('personas')
export class PersonasController {
  constructor(private readonly personas: PersonasService) {}

  @Post()
  @ApiOperation({ summary: 'Create a persona (who is asking)' })
  @ApiCreatedResponse({ type: PersonaDto })
  @ApiProblems(400, 409, 413, 415)
  async create(@Body() dto: CreatePersonaDto): Promise<PersonaDto> {
    return toPersonaDto(await this.personas.create(dto));
  }

  @Get()
  @ApiOperation({ summary: 'List personas' })
  @ApiOkResponse({ type: PageDto(PersonaDto) })
  @ApiProblems(400)
  async list(@Query() query: PaginationQueryDto): Promise<Page<PersonaDto>> {
    return mapPage(await this.personas.list(query), toPersonaDto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a persona' })
  @ApiOkResponse({ type: PersonaDto })
  @ApiProblems(400, 404)
  async get(@UuidParam('id') id: string): Promise<PersonaDto> {
    return toPersonaDto(await this.personas.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a persona' })
  @ApiOkResponse({ type: PersonaDto })
  @ApiProblems(400, 404, 409, 413, 415)
  async update(@UuidParam('id') id: string, @Body() dto: UpdatePersonaDto): Promise<PersonaDto> {
    return toPersonaDto(await this.personas.update(id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a persona (refused while questions use it)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async delete(@UuidParam('id') id: string): Promise<void> {
    await this.personas.delete(id);
  }
}
