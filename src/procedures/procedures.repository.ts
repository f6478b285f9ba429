import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { selectRows, updateRows } from '../database/query-result';
import type { CreateVersionDto, ProcedureView } from './dto';
import { Procedure, ProcedureVersion } from './procedure.entity';

/** A catalog row before its total fee is added. */
export type CatalogRow = Omit<ProcedureView, 'totalFee'>;

/** A procedure as the administrator's list shows it (versions are null when it has none yet). */
export interface AdminProcedureRow {
  code: string;
  name: string;
  level: string;
  agencyCode: string;
  agencyName: string;
  latestVersion: number | null;
  latestPublished: number | null;
}

const CATALOG_SQL = `
  SELECT p.code, p.name, p.level, a.code AS "agencyCode", a.name AS "agencyName",
         v.version, v.fees, v.fee_timing AS "feeTiming", v.processing_days AS "processingDays",
         v.delivery_options AS "deliveryOptions", v.postal_fee_vnd AS "postalFee", v.form_schema AS "formSchema",
         v.required_documents AS "requiredDocuments", v.published_at AS "publishedAt"
    FROM procedures p
    JOIN agencies a ON a.id = p.agency_id
    JOIN LATERAL (
      SELECT * FROM procedure_versions pv
       WHERE pv.procedure_id = p.id AND pv.published_at IS NOT NULL
       ORDER BY pv.version DESC LIMIT 1
    ) v ON true`;

/**
 * The only place that reads or writes `procedures` and `procedure_versions`. A published version is immutable
 * (a trigger refuses changes to it).
 */
@Injectable()
export class ProceduresRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Every procedure with a published version, at its newest published version. */
  catalog(): Promise<CatalogRow[]> {
    return selectRows<CatalogRow>(this.db, `${CATALOG_SQL} ORDER BY a.code, p.code`);
  }

  /**
   * Province-wide acceptance: the published procedures a counter of `agencyId` receives, its own agency's first,
   * then those of the other agencies of its province (`agencies.province_code`).
   */
  counterCatalog(agencyId: string): Promise<CatalogRow[]> {
    return selectRows<CatalogRow>(
      this.db,
      `${CATALOG_SQL} JOIN agencies c ON c.id = $1
        WHERE a.id = c.id OR (c.province_code IS NOT NULL AND a.province_code = c.province_code)
        ORDER BY a.id = c.id DESC, a.code, p.code`,
      [agencyId],
    );
  }

  async catalogEntry(code: string): Promise<CatalogRow | undefined> {
    const [row] = await selectRows<CatalogRow>(this.db, `${CATALOG_SQL} WHERE p.code = $1`, [code]);
    return row;
  }

  findByCode(code: string): Promise<Procedure | null> {
    return this.db.getRepository(Procedure).findOneBy({ code });
  }

  async latestPublishedVersionId(procedureId: string): Promise<string | undefined> {
    const [row] = await selectRows<{ id: string }>(
      this.db,
      `SELECT id FROM procedure_versions WHERE procedure_id = $1 AND published_at IS NOT NULL ORDER BY version DESC LIMIT 1`,
      [procedureId],
    );
    return row?.id;
  }

  async idOf(code: string): Promise<string | undefined> {
    const [row] = await selectRows<{ id: string }>(this.db, `SELECT id FROM procedures WHERE code = $1`, [code]);
    return row?.id;
  }

  /** Procedure codes by id. */
  codes(ids: string[]): Promise<{ id: string; code: string }[]> {
    return selectRows<{ id: string; code: string }>(
      this.db,
      `SELECT id, code FROM procedures WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  findVersionById(id: string): Promise<ProcedureVersion | null> {
    return this.db.getRepository(ProcedureVersion).findOneBy({ id });
  }

  findVersion(procedureId: string, version: number): Promise<ProcedureVersion | null> {
    return this.db.getRepository(ProcedureVersion).findOneBy({ procedureId, version });
  }

  listVersions(procedureId: string): Promise<ProcedureVersion[]> {
    return this.db.getRepository(ProcedureVersion).find({ where: { procedureId }, order: { version: 'ASC' } });
  }

  /** A new procedure's id; undefined when the code is taken. */
  async insert(p: { code: string; name: string; agencyId: string; level: string }): Promise<string | undefined> {
    const [row] = await selectRows<{ id: string }>(
      this.db,
      `INSERT INTO procedures (code, name, agency_id, level) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING RETURNING id`,
      [p.code, p.name, p.agencyId, p.level],
    );
    return row?.id;
  }

  /** A draft version numbered next, computed and inserted in one statement (the unique key settles races). */
  async insertVersion(procedureId: string, dto: CreateVersionDto): Promise<number> {
    const [row] = await selectRows<{ version: number }>(
      this.db,
      `INSERT INTO procedure_versions
         (procedure_id, version, form_schema, required_documents, fees, fee_timing, processing_days, delivery_options, workflow,
          postal_fee_vnd, refundable, result_template, time_limits)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM procedure_versions WHERE procedure_id = $1
       RETURNING version`,
      [
        procedureId,
        dto.formSchema,
        JSON.stringify(dto.requiredDocuments),
        JSON.stringify(dto.fees),
        dto.feeTiming,
        dto.processingDays,
        dto.deliveryOptions,
        dto.workflow,
        dto.postalFee ?? 0,
        dto.refundable ?? true,
        dto.resultTemplate ? JSON.stringify(dto.resultTemplate) : null,
        dto.timeLimits ? JSON.stringify(dto.timeLimits) : null,
      ],
    );
    return row.version;
  }

  /** Every procedure (published or not) with its agency, newest version and newest published version; one when `code`. */
  adminList(code?: string): Promise<AdminProcedureRow[]> {
    return selectRows<AdminProcedureRow>(
      this.db,
      `SELECT p.code, p.name, p.level, a.code AS "agencyCode", a.name AS "agencyName",
              (SELECT max(version) FROM procedure_versions v WHERE v.procedure_id = p.id) AS "latestVersion",
              (SELECT max(version) FROM procedure_versions v
                WHERE v.procedure_id = p.id AND v.published_at IS NOT NULL) AS "latestPublished"
         FROM procedures p JOIN agencies a ON a.id = p.agency_id
        WHERE $1::text IS NULL OR p.code = $1
        ORDER BY a.code, p.code`,
      [code ?? null],
    );
  }

  /** Replaces a draft's content; false when the version is published (or gone). */
  async updateDraft(versionId: string, dto: CreateVersionDto): Promise<boolean> {
    const [row] = await updateRows<{ id: string }>(
      this.db,
      `UPDATE procedure_versions
          SET form_schema = $2, required_documents = $3, fees = $4, fee_timing = $5, processing_days = $6,
              delivery_options = $7, workflow = $8, postal_fee_vnd = $9, refundable = $10, result_template = $11,
              time_limits = $12
        WHERE id = $1 AND published_at IS NULL
       RETURNING id`,
      [
        versionId,
        dto.formSchema,
        JSON.stringify(dto.requiredDocuments),
        JSON.stringify(dto.fees),
        dto.feeTiming,
        dto.processingDays,
        dto.deliveryOptions,
        dto.workflow,
        dto.postalFee ?? 0,
        dto.refundable ?? true,
        dto.resultTemplate ? JSON.stringify(dto.resultTemplate) : null,
        dto.timeLimits ? JSON.stringify(dto.timeLimits) : null,
      ],
    );
    return !!row;
  }

  /** Publishes a draft; its publication time, or undefined when it was already published. */
  async publish(versionId: string): Promise<Date | undefined> {
    const [row] = await updateRows<{ published_at: Date }>(
      this.db,
      `UPDATE procedure_versions SET published_at = now() WHERE id = $1 AND published_at IS NULL RETURNING published_at`,
      [versionId],
    );
    return row?.published_at;
  }
}
