import type { DecisionKind, IssueStatus, Stage, VexJustification } from './workflow.ts'

/**
 * vulnsync's statuses and decisions as VEX (remediation-and-outbound.md §6–7.1), pure. One statement per issue: a
 * CVE in a package version in a target. CycloneDX 1.6 `analysis` and OpenVEX 0.2.0 statements say the same thing.
 */
export interface VexIssue {
  id: string
  cve: string
  aliases: string[]
  /** the purl without a version */
  packageKey: string
  packageName: string
  versions: string[]
  fixedVersions: string[]
  targetName: string
  targetUrl: string | null
  status: IssueStatus
  stage: Stage
  decision: {
    kind: DecisionKind
    reason: string
    justification: string | null
    expiresAt: string | null
  } | null
  detectedAt: string
  closedAt: string | null
}

export const CDX_STATES = ['resolved', 'exploitable', 'in_triage', 'false_positive', 'not_affected'] as const
export type CdxState = (typeof CDX_STATES)[number]
export type CdxJustification =
  | 'code_not_present'
  | 'code_not_reachable'
  | 'requires_configuration'
  | 'protected_by_mitigating_control'

/** vulnsync keeps OpenVEX's justifications; CycloneDX's nearest for each. */
export const CDX_JUSTIFICATION: Record<VexJustification, CdxJustification> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_configuration',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
}

const isJustification = (j: string | null): j is VexJustification => j !== null && j in CDX_JUSTIFICATION

export interface CdxAnalysis {
  state: CdxState
  justification?: CdxJustification
  response?: ('can_not_fix' | 'will_not_fix' | 'update' | 'rollback' | 'workaround_available')[]
  detail?: string
  firstIssued?: string
  lastUpdated?: string
}

const upgrade = (i: VexIssue) =>
  i.fixedVersions.length > 0
    ? `Upgrade ${i.packageName} to ${i.fixedVersions.slice(0, 3).join(' or ')}.`
    : `No fixed version of ${i.packageName} is known yet.`

/** The CycloneDX analysis of an issue; null for an issue outside the scanned locations (nothing to say). */
export const cyclonedxAnalysis = (i: VexIssue): CdxAnalysis | null => {
  const d = i.decision
  switch (i.status) {
    case 'excluded':
      return null
    case 'fixed':
      return {
        state: 'resolved',
        detail: `No scanner reports it since ${(i.closedAt ?? i.detectedAt).slice(0, 10)}.`,
      }
    case 'not_affected':
      return {
        state: 'not_affected',
        ...(d && isJustification(d.justification) ? { justification: CDX_JUSTIFICATION[d.justification] } : {}),
        detail: d?.reason ?? 'Not affected.',
      }
    case 'false_positive':
      return { state: 'false_positive', detail: d?.reason ?? 'A false positive.' }
    case 'accepted':
      return {
        state: 'exploitable',
        response: ['will_not_fix'],
        detail: `Risk accepted${d?.expiresAt ? ` until ${d.expiresAt.slice(0, 10)}` : ''}: ${d?.reason ?? ''}`.trim(),
      }
    case 'open':
      if (i.stage === 'new') return { state: 'in_triage', detail: 'Not triaged yet.' }
      return {
        state: 'exploitable',
        ...(i.fixedVersions.length > 0 ? { response: ['update'] as CdxAnalysis['response'] } : {}),
        detail: `${upgrade(i)} Work stage: ${i.stage.replace('_', ' ')}.`,
      }
    default: {
      const never: never = i.status
      throw new Error(`unknown status ${String(never)}`)
    }
  }
}

export interface OpenVexStatus {
  status: 'not_affected' | 'affected' | 'fixed' | 'under_investigation'
  justification?: VexJustification
  impact_statement?: string
  action_statement?: string
}

/** The OpenVEX status of an issue; null for an issue outside the scanned locations. */
export const openvexStatus = (i: VexIssue): OpenVexStatus | null => {
  const d = i.decision
  switch (i.status) {
    case 'excluded':
      return null
    case 'fixed':
      return { status: 'fixed' }
    case 'not_affected':
      return d && isJustification(d.justification)
        ? { status: 'not_affected', justification: d.justification, impact_statement: d.reason }
        : { status: 'not_affected', impact_statement: d?.reason ?? 'Not affected.' }
    case 'false_positive':
      return {
        status: 'not_affected',
        justification: 'component_not_present',
        impact_statement: `A false positive: ${d?.reason ?? ''}`.trim(),
      }
    case 'accepted':
      return {
        status: 'affected',
        action_statement:
          `Risk accepted${d?.expiresAt ? ` until ${d.expiresAt.slice(0, 10)}` : ''}: ${d?.reason ?? ''}`.trim(),
      }
    case 'open':
      return i.stage === 'new'
        ? { status: 'under_investigation' }
        : { status: 'affected', action_statement: upgrade(i) }
    default: {
      const never: never = i.status
      throw new Error(`unknown status ${String(never)}`)
    }
  }
}

/** A package version's purl: the key with `@version` (percent-encoded as purl asks). */
export const versionedPurl = (packageKey: string, version: string | undefined) =>
  version ? `${packageKey}@${encodeURIComponent(version)}` : packageKey

/** The IRI of a target (OpenVEX product): its URL, else a vulnsync URN. */
export const targetIri = (i: Pick<VexIssue, 'targetName' | 'targetUrl'>) =>
  i.targetUrl && /^https?:\/\//.test(i.targetUrl)
    ? i.targetUrl
    : `urn:vulnsync:target:${encodeURIComponent(i.targetName)}`
