import type { AffectedRange } from './fix/advisory.ts'
import type { CodeownersDialect } from './ownership/codeowners.ts'
import type { Severity } from './severity.ts'

/** Where a finding lives, as the scanner said it. Matching turns it into a repository of the workspace. */
export interface TargetRef {
  /** `repository` for SCA; `image` for container images (name without tag); `artifact` for other binaries */
  kind: 'repository' | 'image' | 'artifact'
  /** display name as the scanner gave it: `acme/api`, `registry.acme.io/team/app`, `libs-release/foo-1.0.jar` */
  name: string
  /** the repository URL the scanner gave (any form: https, ssh, scp-style, web link) */
  url?: string | undefined
  /** provider ids the scanner knows, e.g. {provider:'github', id:'123456'} */
  externalId?: { provider: string; id: string } | undefined
  /** for images and artifacts: the source repository they were built from, when known */
  sourceRepoUrl?: string | undefined
  /** for images and artifacts: the tag or version this finding was found in (not part of the key) */
  version?: string | undefined
}

export interface CvssScore {
  score?: number | undefined
  vector?: string | undefined
  version?: string | undefined
}

/** What the prioritisation needs from each source, in one vendor-neutral shape. Unknown stays undefined. */
export interface FindingSignals {
  epss?: { score: number; percentile?: number | undefined } | undefined
  kev?: { listed: boolean; dateAdded?: string | undefined; source?: string | undefined } | undefined
  exploitInTheWild?: boolean | undefined
  reachability?:
    | {
        function?: 'reachable' | 'unreachable' | 'unknown' | undefined
        dependency?: 'reachable' | 'unreachable' | 'unknown' | undefined
        applicable?: boolean | undefined
      }
    | undefined
  fixAvailable?: boolean | undefined
  direct?: boolean | undefined
  testOnly?: boolean | undefined
}

/** A severity factor a vendor already applied (OX "severity factors"), kept with its own words. */
export interface VendorFactor {
  name: string
  text: string
  effect?: 'raise' | 'lower' | 'none' | undefined
}

/**
 * What a scanner says about who owns a finding, in one vendor-neutral shape: the engine stores it with the
 * occurrence, upserts the application, and ownership resolution reads it (after rules and CODEOWNERS).
 */
export interface ScannerOwnership {
  /** the tool as reasons name it: "OX", "Endor Labs" */
  label: string
  /** the tool's application the finding belongs to (an OX application), with its business priority (0–100) */
  application?: { key: string; name: string; businessPriority?: number | undefined } | undefined
  /** owners the tool names, in its order: team handles (`@org/team`), `@user`, emails or display names */
  owners?: string[] | undefined
  /** labels the tool attaches (Endor project tags); a tag equal to a team's slug names that team */
  tags?: string[] | undefined
}

/** One vulnerability (one CVE) as one source reports it: the output of a connector's pure `map`. */
export interface MappedFinding {
  /** vendor's stable id of the record (without the CVE); the occurrence key is (connection, sourceKey, cve) */
  sourceKey: string
  cve: string
  aliases: string[]
  package: { purl: string; name: string; ecosystem: string; version?: string | undefined }
  target: TargetRef
  /** location (project, application, repository) the record was read under; resolution is scoped by it */
  scope?: string | undefined
  severity: Severity
  vendorSeverity: string
  cvss?: CvssScore | undefined
  /** the vendor's own detection time; null when it gives none (then the first time vulnsync saw it, marked so) */
  detectedAt: Date | null
  fixedVersions: string[]
  /** the manifest or lockfile that declares the package, as a path in the repository (`services/api/package.json`) */
  manifestPath?: string | undefined
  /** the advisory's affected ranges for this package, when the source gives them (OSV events) */
  affectedRanges?: AffectedRange[] | undefined
  signals: FindingSignals
  vendorFactors: VendorFactor[]
  /** vendor-specific evidence: manifest files, dependency paths, image layers … shown as given */
  evidence: Record<string, unknown>
  /** who the tool says owns it */
  ownership?: ScannerOwnership | undefined
  /** dismissed / excepted in the vendor tool: kept, shown, and not counted as open */
  vendorState?: 'open' | 'dismissed' | 'excepted' | undefined
  title?: string | undefined
  link?: string | undefined
}

/** A record a connector reads and deliberately does not import, with the reason it is counted under. */
export interface Skip {
  skip: SkipReason
  detail?: string | undefined
}

export type SkipReason =
  | 'not_vulnerability'
  | 'no_cve'
  | 'out_of_scope'
  | 'non_main_context'
  | 'not_indexed'
  | 'invalid_record'
  | 'no_package'
  | 'unsupported'
  | (string & {})

export type MapResult = MappedFinding[] | Skip

export const isSkip = (r: MapResult): r is Skip => !Array.isArray(r)

/** A repository of the workspace's source control, as an SCM connector maps it. */
export interface RepositoryRecord {
  provider: 'github' | 'gitlab' | (string & {})
  externalId: string
  fullName: string
  cloneUrl?: string | undefined
  sshUrl?: string | undefined
  webUrl: string
  defaultBranch?: string | undefined
  archived: boolean
  visibility?: string | undefined
  /**
   * The CODEOWNERS file at the default branch: null when the repository has none; undefined when it was not read
   * this time (no permission, an error): what is stored stays.
   */
  codeowners?: CodeownersRead | null | undefined
}

/** A CODEOWNERS file as an SCM connector read it. */
export interface CodeownersRead {
  /** where it was found, e.g. `.github/CODEOWNERS` */
  path: string
  dialect: CodeownersDialect
  content: string
}
