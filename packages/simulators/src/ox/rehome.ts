import type { OxDataset } from './dataset.ts'

/** A repository of a simulated SCM that an OX application can be moved onto. */
export interface RehomeRepo {
  id: number
  full_name: string
  html_url: string
}

/**
 * OX's real captures with their real applications re-homed onto repositories of a simulated GitHub organisation
 * (OX's GitHub app id = the GitHub repository id, OX's link = the repository URL), so that an import can be matched
 * to a simulated inventory. Issue payloads, detection times and severity factors stay OX's. Applications beyond the
 * number of repositories wrap around. `rehome` maps each original OX app id to its repository.
 */
export const rehomeOxDataset = <R extends RehomeRepo>(
  base: OxDataset,
  repos: R[],
): OxDataset & { rehome: Map<string, R> } => {
  const rehome = new Map<string, R>()
  const back = new Map<string, string>()
  base
    .applications()
    .filter((a) => !a.fakeApp)
    .forEach((a, k) => {
      const r = repos[k % repos.length]!
      rehome.set(a.appId, r)
      back.set(String(r.id), a.appId)
    })
  const fix = (issue: any) => {
    const r = issue && rehome.get(issue.app?.id)
    if (!r) return issue
    const [organization, repoName] = r.full_name.split('/')
    return {
      ...issue,
      app: {
        ...issue.app,
        id: String(r.id),
        name: r.full_name,
        organization,
        repoName,
        repoId: String(r.id),
        applicationFlows: undefined,
      },
    }
  }
  return {
    rehome,
    query: (f) => {
      const q = base.query({ ...f, appIds: f.appIds?.map((id) => back.get(id) ?? id) })
      return { ...q, at: (k) => fix(q.at(k)) }
    },
    issue: (id) => fix(base.issue(id)),
    applications: () =>
      base.applications().map((a) => {
        const r = rehome.get(a.appId)
        return r ? { ...a, appId: String(r.id), appName: r.full_name, link: r.html_url } : a
      }),
  }
}
