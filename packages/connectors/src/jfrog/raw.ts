import { z } from 'zod'

/**
 * Vendor payloads, permissive: every field optional, unknown fields kept, so one odd record is skipped and
 * counted (`invalid_record`) rather than failing a run. Field names per jfrog.md §3–4.
 */

const str = z.string().optional()
const strOrNum = z.union([z.string(), z.number()]).optional()

// ------------------------------------------------------------------ Artifactory

export const ArtifactoryVersion = z.looseObject({ version: str, revision: str, addons: z.array(z.string()).optional() })

export const RepositoryDetails = z.looseObject({
  key: z.string(),
  type: str,
  rclass: str,
  description: str.nullable(),
  url: str,
  packageType: str,
})
export type RepositoryDetails = z.infer<typeof RepositoryDetails>

export const AqlProperty = z.looseObject({ key: z.string(), value: z.string().nullable().optional() })

export const AqlItem = z.looseObject({
  repo: z.string(),
  path: z.string(),
  name: z.string(),
  type: str,
  size: strOrNum,
  sha256: str.nullable(),
  actual_sha1: str.nullable(),
  created: str,
  modified: str,
  properties: z.array(AqlProperty).optional(),
})
export type AqlItem = z.infer<typeof AqlItem>

export const AqlResponse = z.looseObject({
  results: z.array(z.unknown()).default([]),
  range: z
    .looseObject({
      start_pos: z.number().optional(),
      end_pos: z.number().optional(),
      total: z.number().optional(),
      limit: z.number().optional(),
      notification: str,
    })
    .optional(),
})

// ------------------------------------------------------------------ Xray

export const XrayVersion = z.looseObject({ xray_version: str, xray_revision: str })

export const SummaryCve = z.looseObject({
  cve: str.nullable(),
  cwe: z.array(z.string()).optional().nullable(),
  cvss_v2: str.nullable(),
  cvss_v3: str.nullable(),
})

export const SummaryComponent = z.looseObject({
  component_id: str,
  version: str,
  pkg_type: str,
  fixed_versions: z.array(z.string()).optional().nullable(),
})

export const ApplicabilityEntry = z.looseObject({
  component_id: str,
  source_comp_id: str,
  cve_id: str,
  vulnerability_id: str,
  applicability: z.boolean().nullable().optional(),
  result: str,
  scanner_explanation: str,
  evidence: z.unknown().optional(),
  details: z.unknown().optional(),
  info: str,
})

export const SummaryIssue = z.looseObject({
  issue_id: str,
  summary: str,
  description: str,
  issue_type: str,
  severity: str,
  provider: str,
  cves: z.array(SummaryCve).optional().nullable(),
  created: str,
  impact_path: z.array(z.string()).optional().nullable(),
  components: z.array(SummaryComponent).optional().nullable(),
  component_physical_paths: z.array(z.string()).optional().nullable(),
  applicability: z.array(ApplicabilityEntry).optional().nullable(),
  applicability_details: z.array(ApplicabilityEntry).optional().nullable(),
  extended_information: z
    .looseObject({
      short_description: str,
      full_description: str,
      jfrog_research_severity: str,
      jfrog_research_severity_reasons: z
        .array(z.looseObject({ name: str, description: str, is_positive: z.boolean().optional() }))
        .optional()
        .nullable(),
      remediation: str,
    })
    .optional()
    .nullable(),
})
export type SummaryIssue = z.infer<typeof SummaryIssue>

export const SummaryGeneral = z.looseObject({
  component_id: str,
  name: str,
  path: str,
  pkg_type: str,
  sha256: str,
  sha1: str,
})
export type SummaryGeneral = z.infer<typeof SummaryGeneral>

export const SummaryArtifact = z.looseObject({
  /** validated with each issue record (JfrogRawSchema) */
  general: z.unknown().optional(),
  issues: z.array(z.unknown()).optional().nullable(),
  licenses: z
    .array(z.looseObject({ name: str, full_name: str, components: z.array(z.string()).optional().nullable() }))
    .optional()
    .nullable(),
  applicability: z.array(ApplicabilityEntry).optional().nullable(),
  applicability_details: z.array(ApplicabilityEntry).optional().nullable(),
})
export type SummaryArtifact = z.infer<typeof SummaryArtifact>

export const SummaryResponse = z.looseObject({
  artifacts: z.array(z.unknown()).optional().nullable(),
  errors: z
    .array(z.looseObject({ identifier: str, error: str }))
    .optional()
    .nullable(),
})
export type SummaryResponse = z.infer<typeof SummaryResponse>

export const ArtifactStatus = z.looseObject({
  overall: z.looseObject({ status: str, time: str }).optional(),
})

// ------------------------------------------------------------------ the record vulnsync stores

/** One security issue of one artifact's Xray summary, with the artifact context map needs. */
export interface JfrogRaw {
  /** platform root URL, e.g. https://acme.jfrog.io */
  platformUrl: string
  /** host[:port] of the platform: the Docker registry host of repository-path images */
  platformHost: string
  repo: string
  /** repository package type as Artifactory gives it (Docker, Npm, Maven …) */
  packageType: string
  /** artifact path inside the repository (for Docker: `<image>/<tag>`) */
  path: string
  docker?: { image: string; tag: string } | undefined
  sha256?: string | undefined
  /** where the image or build says it was built from (OCI label, vcs.url property) */
  source?: { url: string; from: string } | undefined
  build?: { name: string; number?: string | undefined } | undefined
  /** summary API version that answered */
  api: 'v1' | 'v2'
  /** Xray's scan time of the artifact when it gives one */
  scannedAt?: string | undefined
  general: SummaryGeneral
  issue: SummaryIssue
  /** typed component ids (e.g. `alpine://3.12:busybox:1.31.1-r20`) the artifact's licence list names, for v1 issues */
  componentHints?: string[] | undefined
  /** artifact-level applicability entries for this issue's CVEs */
  applicability?: unknown[] | undefined
}

/** One issue record as `read` validates it, once: the artifact context, its general block and the issue. */
export const JfrogRawSchema = z.looseObject({
  platformUrl: z.string(),
  platformHost: z.string(),
  repo: z.string(),
  packageType: z.string(),
  path: z.string(),
  api: z.enum(['v1', 'v2']),
  general: SummaryGeneral,
  issue: SummaryIssue,
})
