import { z } from 'zod'

/**
 * Zod schemas of the Endor Labs payloads vulnsync reads (endor.md §4–§6). Permissive on purpose: every field is
 * optional except the ones a record is useless without, unknown fields pass through, and `null` is accepted where the
 * API may emit zero values (responses without `application/jsoncompact` can carry empty/zero fields).
 */

const str = z.string().nullish()
const strList = z.array(z.string()).nullish()
const num = z
  .union([
    z.number(),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ])
  .nullish()

export const EndorVulnSpec = z.looseObject({
  aliases: strList,
  summary: str,
  published: str,
  modified: str,
  cvss_v3_severity: z.looseObject({ score: num, level: str, vector: str }).nullish(),
  cvss_v4_severity: z.looseObject({ base_score: num, base_level: str, vector: str }).nullish(),
  epss_score: z.looseObject({ probability_score: num, percentile_score: num }).nullish(),
  affected: z
    .array(
      z.looseObject({
        package: z.looseObject({ ecosystem: str, name: str, purl: str }).nullish(),
        ranges: z.array(z.looseObject({ type: str, introduced: str, fixed: str, last_affected: str })).nullish(),
        versions: strList,
      }),
    )
    .nullish(),
  references: z.array(z.looseObject({ type: str, url: str })).nullish(),
  raw: z
    .looseObject({
      endor_vulnerability: z.looseObject({ cve_id: str, cwe: str }).nullish(),
      epss_record: z.looseObject({ cve_id: str, probability: num, percentile: num }).nullish(),
      kev_record: z
        .looseObject({
          cve_id: str,
          cveID: str,
          date_added: str,
          dateAdded: str,
          due_date: str,
          required_action: str,
          known_ransomware_campaign_use: str,
        })
        .nullish(),
    })
    .nullish(),
})

export const EndorVuln = z.looseObject({
  uuid: str,
  meta: z.looseObject({ name: str, description: str }).nullish(),
  spec: EndorVulnSpec.nullish(),
})

export const EndorFindingSpec = z.looseObject({
  project_uuid: str,
  level: str,
  finding_categories: strList,
  finding_tags: strList,
  ecosystem: str,
  extra_key: str,
  target_uuid: str,
  target_dependency_name: str,
  target_dependency_package_name: str,
  target_dependency_version: str,
  target_dependency_native_scope: str,
  dependency_file_paths: strList,
  /** a map path → URL in the schema; one example shows a list: both accepted */
  location_urls: z.union([z.record(z.string(), z.string()), z.array(z.string())]).nullish(),
  source_code_version: z.looseObject({ ref: str, sha: str }).nullish(),
  summary: str,
  explanation: str,
  remediation: str,
  remediation_action: str,
  proposed_version: str,
  latest_version: str,
  relationship: str,
  fixing_upgrades: z
    .looseObject({
      upgrade_list: z
        .array(
          z.looseObject({
            package_name: str,
            direct_dependency_name: str,
            from_version: str,
            to_version: str,
            upgrade_risk: str,
          }),
        )
        .nullish(),
    })
    .nullish(),
  fixing_patch: z.looseObject({ endor_patch_available: z.boolean().nullish() }).nullish(),
  last_processed: str,
  dismiss: z.boolean().nullish(),
  exceptions: z.looseObject({ policy_uuids: strList, tags: strList }).nullish(),
  snooze: z.looseObject({}).nullish(),
  ignore: z.looseObject({}).nullish(),
  finding_metadata: z.looseObject({ vulnerability: EndorVuln.nullish(), cvss_version: str }).nullish(),
  /** who owns the finding's code, as Endor worked it out (owner handles or emails, and labels) */
  code_owners: z.looseObject({ owners: strList, labels: strList }).nullish(),
})

export const EndorFinding = z.looseObject({
  uuid: z.string().min(1),
  tenant_meta: z.looseObject({ namespace: str }).nullish(),
  context: z.looseObject({ type: str, id: str }).nullish(),
  meta: z
    .looseObject({
      name: str,
      description: str,
      create_time: str,
      update_time: str,
      upsert_time: str,
      parent_uuid: str,
      parent_kind: str,
    })
    .nullish(),
  spec: EndorFindingSpec,
})
export type EndorFinding = z.infer<typeof EndorFinding>

export const EndorGitSpec = z.looseObject({
  http_clone_url: str,
  git_clone_url: str,
  web_url: str,
  full_name: str,
  organization: str,
  path: str,
})

export const EndorProject = z.looseObject({
  uuid: z.string().min(1),
  tenant_meta: z.looseObject({ namespace: str }).nullish(),
  meta: z.looseObject({ name: str, create_time: str, tags: strList }).nullish(),
  spec: z
    .looseObject({
      git: EndorGitSpec.nullish(),
      platform_source: str,
      internal_reference_key: str,
      sbom: z.looseObject({ kind: str, main_component_purl: str }).nullish(),
    })
    .nullish(),
})
export type EndorProject = z.infer<typeof EndorProject>

/** List envelope (§4.3). `next_page_token` is a number in every example; a numeric string is accepted too. */
export const EndorListResponse = z.looseObject({
  list: z
    .looseObject({
      objects: z.array(z.unknown()).nullish(),
      response: z
        .looseObject({
          next_page_id: z.string().nullish(),
          next_page_token: z.union([z.number(), z.string()]).nullish(),
        })
        .nullish(),
    })
    .nullish(),
  count_response: z.looseObject({ count: num }).nullish(),
})
export type EndorListResponse = z.infer<typeof EndorListResponse>

/** What read() yields per finding: the finding plus the project facts map() needs (so map stays pure). */
export interface EndorProjectInfo {
  uuid: string
  namespace?: string | undefined
  /** the repository URL as Endor gave it (http clone URL, else git clone URL, else web URL, else a URL-like name) */
  url?: string | undefined
  /** display name: spec.git.full_name, else the name derived from the URL, else meta.name */
  name: string
  platformSource?: string | undefined
  /** the project's `meta.tags` (a tag equal to a team's slug names that team) */
  tags?: string[] | undefined
}

export interface EndorRaw {
  finding: EndorFinding
  /** null when the finding's project could not be found (deleted mid-sync, no access) */
  project: EndorProjectInfo | null
  /** Endor web app base for links, e.g. https://app.endorlabs.com */
  appUrl?: string | undefined
}
