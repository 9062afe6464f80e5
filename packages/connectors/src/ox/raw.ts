import { z } from 'zod'

/**
 * Zod schemas of the OX GraphQL payloads vulnsync reads. Permissive on purpose: every field is optional except the
 * issue id, unknown fields pass through, and loose scalars (numbers sent as strings, null for absent) are accepted, so
 * one odd record is skipped as `invalid_record` and never fails the run.
 */

const str = z.string().nullish()
/** OX sends some numbers as strings ("1672654788000", "9.8") and some as numbers. */
const num = z.union([z.number(), z.string()]).nullish()
const bool = z.union([z.boolean(), z.string()]).nullish()

export const OxCategory = z.looseObject({ name: str, categoryId: num })

export const OxLocation = z.looseObject({ runBy: str, foundBy: str, foundIn: str, link: str })
export const OxFlowEntry = z.looseObject({ type: str, system: str, location: z.array(OxLocation).nullish() })
export const OxApplicationFlows = z.looseObject({
  repository: z.array(OxFlowEntry).nullish(),
  artifacts: z.array(OxFlowEntry).nullish(),
})

/** `Issue.app` */
export const OxIssueApp = z.looseObject({
  id: str,
  name: str,
  type: str,
  fakeApp: z.boolean().nullish(),
  businessPriority: num,
  repoName: str,
  organization: str,
  originBranchName: str,
  branch: str,
  repoId: str,
  applicationFlows: OxApplicationFlows.nullish(),
})
export type OxIssueApp = z.infer<typeof OxIssueApp>

export const OxCwe = z.looseObject({ name: str, shortName: str, url: str })

/** items of `scaVulnerabilities`, `directSCAVulnerability`, `noneDirectSCAVulnerability` */
export const OxScaVulnerability = z.looseObject({
  cve: str,
  cveLink: str,
  cvsVer: num,
  cvssVersion: num,
  oxSeverity: num,
  originalSeverity: num,
  epss: num,
  percentile: num,
  exploitInTheWild: bool,
  exploitInTheWildLink: str,
  libName: str,
  libVersion: str,
  dependencyChain: z.union([z.string(), z.array(z.string())]).nullish(),
  chainDepth: num,
  minorVerWithFix: str,
  majorVerWithFix: str,
  dateDiscovered: str,
  description: str,
  exploitRequirement: str,
  exploitCode: str,
  cwe: z.array(OxCwe).nullish(),
})
export type OxScaVulnerability = z.infer<typeof OxScaVulnerability>

export const OxExtraInfo = z.looseObject({
  key: str,
  value: z.unknown().optional(),
  link: str,
  snippet: z.looseObject({ fileName: str, snippetLineNumber: num, language: str, text: str }).nullish(),
})

export const OxSeverityChangedReason = z.looseObject({
  shortName: str,
  reason: str,
  changeNumber: num,
  changeCategory: str,
  evidenceLabel: str,
  extraInfo: z.array(OxExtraInfo).nullish(),
})
export type OxSeverityChangedReason = z.infer<typeof OxSeverityChangedReason>

/** `aggregations.items[]`: per-occurrence evidence (a manifest line for SCA, an image/layer for containers). */
export const OxAggItem = z.looseObject({
  image: str,
  tag: str,
  sha256: str,
  sha: str,
  os: str,
  baseImage: str,
  layer: str,
  imageLink: str,
  registryName: str,
  imageCreatedAt: str,
  pkgName: str,
  installedVersion: str,
  fixedVersion: str,
  fileName: str,
  filePath: str,
  fileUri: str,
  lockfile: str,
  link: str,
  snippetLineNumber: num,
  language: str,
  realMatch: str,
})
export type OxAggItem = z.infer<typeof OxAggItem>

export const OxSbom = z.looseObject({
  packageManager: str,
  language: str,
  pkgName: str,
  libraryName: str,
  libraryVersion: str,
  location: str,
  locationLink: str,
  dependencyType: str,
  dependencyLevel: num,
  triggerPackage: str,
  appLink: str,
})

export const OxIssue = z.looseObject({
  id: str,
  issueId: z.string().min(1),
  mainTitle: str,
  secondTitle: str,
  name: str,
  created: num,
  createdAt: num,
  scanId: str,
  severity: str,
  originalToolSeverity: str,
  occurrences: num,
  ruleId: str,
  cwe: z.array(z.string()).nullish(),
  sourceTools: z.array(z.string()).nullish(),
  /** display names of the issue's owners (OX's owner mapping) */
  owners: z.array(z.string()).nullish(),
  category: OxCategory.nullish(),
  policy: z.looseObject({ id: str, name: str }).nullish(),
  app: OxIssueApp.nullish(),
  appName: str,
  isFixAvailable: z.boolean().nullish(),
  scaTriggerPkg: str,
  scaVulnerabilities: z.array(OxScaVulnerability).nullish(),
  directSCAVulnerability: z.array(OxScaVulnerability).nullish(),
  noneDirectSCAVulnerability: z.array(OxScaVulnerability).nullish(),
  severityChangedReason: z.array(OxSeverityChangedReason).nullish(),
  aggregations: z.looseObject({ type: str, items: z.array(OxAggItem).nullish() }).nullish(),
  sbom: z.union([OxSbom, z.array(OxSbom)]).nullish(),
  link: str,
})
export type OxIssue = z.infer<typeof OxIssue>

/** an item of `getApplications.applications` */
export const OxApplication = z.looseObject({
  appId: z.string().min(1),
  appName: str,
  type: str,
  link: str,
  fakeApp: z.boolean().nullish(),
  repoName: str,
  organization: str,
  branch: str,
  businessPriority: num,
  applicationFlows: OxApplicationFlows.nullish(),
})
export type OxApplication = z.infer<typeof OxApplication>

export const OxIssuesPage = z.looseObject({
  issues: z.array(z.unknown()).nullish(),
  totalIssues: num,
  totalFilteredIssues: num,
  offset: num,
})

export const OxApplicationsPage = z.looseObject({
  applications: z.array(z.unknown()).nullish(),
  total: num,
  totalFilteredApps: num,
  offset: num,
})

/** What `read` yields per issue: the issue, and the application it belongs to, so `map` stays pure. */
export interface OxRaw {
  /** the issue, validated once by read (the list row, merged with getSingleIssueInfo in detail mode) */
  issue: OxIssue
  /** the getApplications entry of the issue's app (link, type), when OX listed it */
  app?: OxApplication | null | undefined
  /** base of the OX web app, for the link back to the issue */
  uiBase?: string | undefined
}

export const OX_CATEGORIES = { openSource: 'Open Source Security', container: 'Container Security' } as const
export const OX_CATEGORY_IDS = { openSource: 6, container: 12 } as const

/** A GraphQL `errors` entry as OX (Apollo) sends it. */
export interface OxGraphQLErrorEntry {
  message?: string
  path?: (string | number)[]
  extensions?: { code?: string; [k: string]: unknown }
}

/** OX answered with GraphQL errors (in a 200 or a 400 body). */
export class OxGraphQLError extends Error {
  readonly errors: OxGraphQLErrorEntry[]
  readonly status: number
  constructor(errors: OxGraphQLErrorEntry[], status: number) {
    super(errors.map((e) => e.message ?? 'unknown error').join('; ') || `GraphQL error (HTTP ${status})`)
    this.name = 'OxGraphQLError'
    this.errors = errors
    this.status = status
  }
  get codes(): string[] {
    return this.errors.map((e) => String(e.extensions?.code ?? ''))
  }
  /** the selection asked for a field this OX does not have */
  get isValidation(): boolean {
    return (
      this.codes.includes('GRAPHQL_VALIDATION_FAILED') ||
      this.errors.some((e) => /cannot query field|unknown (field|argument)/i.test(e.message ?? ''))
    )
  }
  get isAuth(): boolean {
    return this.codes.includes('UNAUTHENTICATED')
  }
  get isForbidden(): boolean {
    return (
      this.codes.includes('FORBIDDEN') ||
      this.errors.some((e) => /forbidden|not authori[sz]ed|permission/i.test(e.message ?? ''))
    )
  }
}
