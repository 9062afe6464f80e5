import { createHash } from 'node:crypto'
import type { OxDataset } from '../ox/dataset.ts'
import { scanFiles } from './scan.ts'

/** A repository whose files the dataset scans: its GitHub id (OX's app id for GitHub apps) and full name. */
export interface ScannedRepo {
  id: number
  fullName: string
  htmlUrl: string
  /** the source control OX connects it through (default GitHub; the id is then GitHub's repository id) */
  type?: 'GitHub' | 'GitLab'
  /** the files of the default branch now */
  files(): Map<string, string> | undefined
}

/** GitHub simulator repositories as OX scans them: what their default branch holds at each scan. */
export const scannedGithubRepos = (
  gh: { git(fullName: string): { files(ref: string): Map<string, string> | undefined } | undefined },
  repos: { id: number; full_name: string; html_url: string; default_branch: string }[],
): ScannedRepo[] =>
  repos.map((r) => ({
    id: r.id,
    fullName: r.full_name,
    htmlUrl: r.html_url,
    files: () => gh.git(r.full_name)?.files(r.default_branch),
  }))

/** GitLab simulator projects as OX scans them (OX app ids are GitLab project ids). */
export const scannedGitlabProjects = (
  gl: { git(path: string): { files(ref: string): Map<string, string> | undefined } | undefined },
  projects: { id: number; path_with_namespace: string; web_url: string; default_branch: string }[],
): ScannedRepo[] =>
  projects.map((p) => ({
    id: p.id,
    fullName: p.path_with_namespace,
    htmlUrl: p.web_url,
    type: 'GitLab',
    files: () => gl.git(p.path_with_namespace)?.files(p.default_branch),
  }))

const PACKAGE_MANAGER = { npm: 'npm', pypi: 'pip', maven: 'maven' } as const

/**
 * OX issues derived from repositories' current files (one issue per vulnerable package version, every CVE of it in
 * `scaVulnerabilities` with OX's minor/major fix versions), as an OX dataset, optionally on top of another dataset.
 * Merge a fix pull request in the GitHub simulator and the next OX sync no longer reports what it fixed.
 */
export const scannedOxDataset = (repos: ScannedRepo[], base?: OxDataset): OxDataset => {
  const current = () => {
    const out: any[] = []
    for (const repo of repos) {
      const files = repo.files()
      if (!files) continue
      for (const p of scanFiles(files)) {
        const oxName = p.name
        const issueId = `${repo.id}-oxPolicy_securityScan_120-${oxName}_${p.version}`
        out.push({
          // a Mongo-like row id of its own per issue (OX's `id`)
          id: `66f${createHash('sha1').update(issueId).digest('hex').slice(0, 21)}`,
          issueId,
          mainTitle: `${p.name}@${p.version} is a ${p.direct ? 'direct' : 'transitive'} dependency having ${p.advisories.length} vulnerabilities. ${p.advisories[0]!.cve} is the most severe vulnerability.`,
          name: 'Vulnerable dependency (CVE) in code',
          created: Date.UTC(2025, 5, 1),
          createdAt: Date.UTC(2025, 5, 1),
          severity: p.advisories.some((a) => a.severity === 'Critical') ? 'Critical' : p.advisories[0]!.severity,
          originalToolSeverity: p.advisories[0]!.severity,
          category: { name: 'Open Source Security', categoryId: 6 },
          policy: { id: 'oxPolicy_securityScan_120', name: 'Vulnerable dependency (CVE) in code' },
          app: { id: String(repo.id), name: repo.fullName, type: repo.type ?? 'GitHub', fakeApp: false },
          scaTriggerPkg: `${p.via ?? p.name}@${p.direct ? p.version : ''}`.replace(/@$/, ''),
          sbom: { packageManager: PACKAGE_MANAGER[p.ecosystem], dependencyType: p.direct ? 'direct' : 'transitive' },
          aggregations: { items: [{ filePath: p.manifest, fileName: p.manifest.split('/').pop() }] },
          scaVulnerabilities: p.advisories.map((a) => {
            const own = a.ranges.find((r) => !r.introduced || r.introduced <= p.version)
            return {
              cve: a.cve,
              libName: p.name,
              libVersion: p.version,
              chainDepth: p.direct ? 0 : 1,
              dependencyChain: p.via ? `${p.via} > ${p.name}` : p.name,
              minorVerWithFix: own?.fixed ?? 'Not Available',
              majorVerWithFix: a.ranges.at(-1)?.fixed ?? 'Not Available',
              originalSeverity: a.severity,
            }
          }),
          severityChangedReason: [],
        })
      }
    }
    return out
  }
  const apps = repos.map((r) => ({
    appId: String(r.id),
    appName: r.fullName,
    type: r.type ?? 'GitHub',
    fakeApp: false,
    link: r.htmlUrl,
  }))
  const keep = (
    issue: any,
    f: { categories?: string[] | undefined; appIds?: string[] | undefined; appNames?: string[] | undefined },
  ) =>
    (!f.categories?.length || f.categories.some((c) => c === 'Open Source Security' || Number(c) === 6)) &&
    (!f.appIds?.length || f.appIds.includes(issue.app.id)) &&
    (!f.appNames?.length || f.appNames.includes(issue.app.name))
  return {
    query: (f) => {
      const q = base?.query(f) ?? { total: 0, totalAll: 0, at: () => undefined }
      const all = current()
      const extra = all.filter((i) => keep(i, f))
      return {
        total: q.total + extra.length,
        totalAll: q.totalAll + all.length,
        at: (k) => (k < q.total ? q.at(k) : extra[k - q.total]),
      }
    },
    issue: (id) => current().find((i) => i.issueId === id) ?? base?.issue(id),
    applications: () => [
      ...(base?.applications() ?? []),
      ...apps.filter((a) => !base?.applications().some((b: any) => b.appId === a.appId)),
    ],
  }
}
