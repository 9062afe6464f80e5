import { type AdvisoryEvidence, type FixOccurrence, type FixPlan, groupForPlans, planPackageFix } from '@vulnsync/core'
import { type FixOccurrenceRow, listFixOccurrences, listKnownAdvisories } from '@vulnsync/db'
import type { Runtime } from '../runtime.ts'

type PlanDeps = Pick<Runtime, 'db' | 'workspaceId' | 'registries' | 'connectors'>

const sourceName = (rt: PlanDeps, kind: string) =>
  (Object.hasOwn(rt.connectors, kind) ? rt.connectors[kind]?.title : undefined) ?? kind

const toOccurrence = (rt: PlanDeps, r: FixOccurrenceRow): FixOccurrence => ({
  issueId: String(r.issue_id),
  cve: r.cve,
  source: sourceName(rt, r.kind),
  targetKey: r.target_key,
  packageKey: r.package_key,
  packagePurl: r.package_purl,
  packageName: r.package_name,
  ecosystem: r.ecosystem,
  installedVersion: r.package_version,
  // a manifest is a repository's: images and artifacts have none
  manifestPath: r.target_kind === 'repository' ? r.manifest_path : null,
  fixedVersions: r.fixed_versions ?? [],
  affectedRanges: r.affected_ranges,
  direct: r.direct ?? undefined,
})

/**
 * The fix plans of occurrences: one per (target, package, manifest), each with the registry's versions (or the
 * scanners' fixed versions when the registry cannot be read) and the package's advisories known on other targets.
 */
export const plansOf = async (rt: PlanDeps, rows: FixOccurrenceRow[]): Promise<FixPlan[]> => {
  const occurrences = rows.map((r) => toOccurrence(rt, r))
  const known = await listKnownAdvisories(rt.db, rt.workspaceId, [...new Set(rows.map((r) => r.package_key))])
  const plans: FixPlan[] = []
  for (const g of groupForPlans(occurrences)) {
    const first = g.occurrences[0]!
    const answer = await rt.registries.versions(first.ecosystem, first.packageName)
    const elsewhere: AdvisoryEvidence[] = known
      .filter((k) => k.package_key === first.packageKey)
      .map((k) => ({
        cve: k.cve,
        source: sourceName(rt, k.kind),
        fixedVersions: k.fixed_versions ?? [],
        affectedRanges: k.affected_ranges ?? undefined,
      }))
    plans.push(planPackageFix(g.occurrences, g.manifest, answer.available, answer.note, elsewhere))
  }
  return plans.sort(
    (a, b) =>
      (a.manifest?.path ?? '\uffff').localeCompare(b.manifest?.path ?? '\uffff') ||
      a.package.name.localeCompare(b.package.name),
  )
}

/** Every open issue of a repository, planned. */
export const planRepository = async (rt: PlanDeps, repositoryId: string): Promise<FixPlan[]> =>
  plansOf(rt, await listFixOccurrences(rt.db, rt.workspaceId, { repositoryId }))

/** The plans of one issue's package in its target: one per manifest that declares it. */
export const planIssue = async (rt: PlanDeps, issueId: string): Promise<FixPlan[]> =>
  plansOf(rt, await listFixOccurrences(rt.db, rt.workspaceId, { issueId }))
