import type { ScannerOwnership } from '../finding.ts'
import { type CodeownersFile, matchCodeowners, normaliseRepoPath } from './codeowners.ts'
import { compileGlob } from './glob.ts'

/**
 * Who owns a finding, and why (pure). The sources are asked in order and the first that answers wins:
 *
 * - team: a manual rule (by position) → the repository's CODEOWNERS, matched against the manifest path → the
 *   scanner's own owner data → the repository's default team;
 * - application: a manual rule → the scanner's application → an application that lists the target.
 *
 * With GitLab sections, the last section in the file whose matching entry names a known team answers.
 * A CODEOWNERS or scanner owner answers only when one of its owners is a team vulnsync knows: `@org/<slug>` is the
 * team of that slug, `@user` and emails are users, who stand for their team (the first by name). The reason says
 * which source answered and with what: the rule, or the file, line, pattern and path.
 */

export const OWNER_SOURCES = ['rule', 'codeowners', 'scanner', 'default'] as const
export type OwnerSource = (typeof OWNER_SOURCES)[number]

export interface TeamRef {
  id: string
  name: string
  slug: string
}

export interface ApplicationRef {
  id: string
  name: string
  /** 0–100, null when unknown */
  businessPriority: number | null
  /** the tool that gave the priority ("OX"), null for applications made in vulnsync */
  sourceLabel: string | null
}

export interface RuleMatch {
  repository?: string | null | undefined
  image?: string | null | undefined
  path?: string | null | undefined
}

export interface OwnershipRuleInput {
  id: string
  position: number
  match: RuleMatch
  teamId: string | null
  applicationId: string | null
}

export interface OwnershipWorldInput {
  teams: (TeamRef & { memberIds: string[] })[]
  users: { id: string; username: string }[]
  applications: (ApplicationRef & { connectionId: string | null; externalKey: string | null; targetKeys: string[] })[]
  rules: OwnershipRuleInput[]
  /** repository id → its CODEOWNERS file (parsed) and where it was found */
  codeowners: Map<number, { path: string; file: CodeownersFile }>
  /** repository id → its default team id */
  defaultTeams: Map<number, string>
}

/** What one issue's ownership depends on. */
export interface OwnershipSubject {
  /** `repo:<id>`, `image:<name>` or `artifact:<name>` (the issue's target key) */
  targetKey: string
  targetKind: string
  targetName: string
  repositoryId: number | null
  repositoryName: string | null
  manifestPath: string | null
  /** what each scanner reporting it says (in a stable order: the first that answers wins) */
  scanners: { connectionId: string; data: ScannerOwnership }[]
}

export interface OwnershipAnswer {
  team: TeamRef | null
  application: ApplicationRef | null
  /** the source of the team (or, without a team, of the application) */
  source: OwnerSource
  reason: string
}

interface CompiledRule extends OwnershipRuleInput {
  repository: RegExp | null
  image: RegExp | null
  path: RegExp | null
}

export interface OwnershipWorld {
  rules: CompiledRule[]
  teams: Map<string, TeamRef>
  applications: Map<string, ApplicationRef>
  resolve(subject: OwnershipSubject): OwnershipAnswer
}

/** `Payments Team` → `payments-team`: lower case, anything else than letters and digits becomes one dash. */
export const slugify = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')

const compileRule = (r: OwnershipRuleInput): CompiledRule => ({
  ...r,
  repository: r.match.repository ? compileGlob(r.match.repository, { ignoreCase: true }) : null,
  image: r.match.image ? compileGlob(r.match.image, { ignoreCase: true }) : null,
  path: r.match.path ? compileGlob(r.match.path, { ignoreCase: false }) : null,
})

/** `repository acme/pay-*, path services/**` */
export const describeRuleMatch = (m: RuleMatch): string =>
  (['repository', 'image', 'path'] as const)
    .filter((k) => m[k])
    .map((k) => `${k} ${m[k]}`)
    .join(', ')

const code = (s: string) => `\`${s}\``

export const createOwnershipWorld = (w: OwnershipWorldInput): OwnershipWorld => {
  const teams = new Map(w.teams.map((t) => [t.id, { id: t.id, name: t.name, slug: t.slug }]))
  const teamBySlug = new Map(w.teams.map((t) => [t.slug.toLowerCase(), teams.get(t.id)!]))
  const byName = (a: TeamRef, b: TeamRef) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)
  const teamsOfUser = new Map<string, TeamRef[]>()
  for (const t of w.teams)
    for (const u of t.memberIds) teamsOfUser.set(u, [...(teamsOfUser.get(u) ?? []), teams.get(t.id)!].sort(byName))
  const userByName = new Map(w.users.map((u) => [u.username.toLowerCase(), u]))
  const applications = new Map<string, ApplicationRef>()
  const scannerApps = new Map<string, ApplicationRef>()
  const memberApps = new Map<string, ApplicationRef>()
  for (const a of [...w.applications].sort((x, y) => x.name.localeCompare(y.name) || x.id.localeCompare(y.id))) {
    const ref = { id: a.id, name: a.name, businessPriority: a.businessPriority, sourceLabel: a.sourceLabel }
    applications.set(a.id, ref)
    if (a.connectionId && a.externalKey) scannerApps.set(`${a.connectionId}\u0000${a.externalKey}`, ref)
    for (const k of a.targetKeys) if (!memberApps.has(k)) memberApps.set(k, ref)
  }
  const rules = [...w.rules].sort((a, b) => a.position - b.position).map(compileRule)

  /** A handle as a team: `@org/slug` (or a GitLab `@group/sub/slug`), or a user (`@name`, email) and their team. */
  const teamOfHandle = (handle: string): { team: TeamRef; via?: string } | null => {
    const h = handle.trim()
    if (h.startsWith('@@')) return null
    if (h.startsWith('@') && h.includes('/')) {
      const team = teamBySlug.get(h.slice(h.lastIndexOf('/') + 1).toLowerCase())
      return team ? { team } : null
    }
    let user: { id: string; username: string } | undefined
    if (h.startsWith('@')) user = userByName.get(h.slice(1).toLowerCase())
    else if (h.includes('@')) user = userByName.get(h.toLowerCase()) ?? userByName.get(h.split('@')[0]!.toLowerCase())
    else {
      // a scanner's bare name: a team slug, else a user
      const team = teamBySlug.get(slugify(h))
      if (team) return { team }
      user = userByName.get(h.toLowerCase())
    }
    const team = user ? teamsOfUser.get(user.id)?.[0] : undefined
    return team && user ? { team, via: user.username } : null
  }
  const teamPart = (t: { team: TeamRef; via?: string }) =>
    `team ${t.team.name}${t.via ? ` (through ${t.via}, a member)` : ''}`

  const ruleMatches = (r: CompiledRule, s: OwnershipSubject): string | null => {
    const what: string[] = []
    if (r.repository) {
      if (!s.repositoryName || !r.repository.test(s.repositoryName)) return null
      what.push(`repository ${s.repositoryName}`)
    }
    if (r.image) {
      if (s.targetKind === 'repository' || !r.image.test(s.targetName)) return null
      what.push(`${s.targetKind} ${s.targetName}`)
    }
    if (r.path) {
      if (!s.manifestPath || !r.path.test(normaliseRepoPath(s.manifestPath))) return null
      what.push(code(normaliseRepoPath(s.manifestPath)))
    }
    return what.join(', ')
  }

  type TeamAnswer = { team: TeamRef; source: OwnerSource; text: string }
  type AppAnswer = { app: ApplicationRef; source: OwnerSource; text: string }

  const appPart = (a: ApplicationRef) =>
    a.businessPriority === null
      ? `application ${a.name}`
      : `application ${a.name} (${a.sourceLabel ? `${a.sourceLabel} ` : ''}business priority ${formatPriority(a.businessPriority)})`

  const resolve = (s: OwnershipSubject): OwnershipAnswer => {
    let team: TeamAnswer | null = null
    let app: AppAnswer | null = null
    for (const r of rules) {
      if ((team || !r.teamId) && (app || !r.applicationId)) continue
      const matched = ruleMatches(r, s)
      if (matched === null) continue
      const why = `ownership rule ${r.position} (${describeRuleMatch(r.match)}), matched ${matched}`
      const t = r.teamId ? teams.get(r.teamId) : undefined
      if (!team && t) team = { team: t, source: 'rule', text: `team ${t.name}, ${why}` }
      const a = r.applicationId ? applications.get(r.applicationId) : undefined
      if (!app && a) app = { app: a, source: 'rule', text: `${appPart(a)}, ${why}` }
    }
    if (!team && s.repositoryId !== null) {
      const co = w.codeowners.get(s.repositoryId)
      if (co)
        // GitLab sections each name owners; the last section in the file that names a known team speaks (as the
        // last matching line does within a section, later and narrower sections refine earlier ones)
        for (const m of matchCodeowners(co.file, s.manifestPath).reverse()) {
          const hit = m.entry.owners.map(teamOfHandle).find((x) => x !== null)
          if (!hit) continue
          const where = `${co.path}${m.section ? ` [${m.section}]` : ''} line ${m.entry.line} ${code(m.entry.text)}`
          const path = s.manifestPath ? code(normaliseRepoPath(s.manifestPath)) : 'every file (no manifest path known)'
          team = { team: hit.team, source: 'codeowners', text: `${teamPart(hit)}, ${where}, matched ${path}` }
          break
        }
    }
    for (const sc of s.scanners) {
      if (team) break
      for (const o of sc.data.owners ?? []) {
        const hit = teamOfHandle(o)
        if (hit) {
          team = { team: hit.team, source: 'scanner', text: `${teamPart(hit)}, ${sc.data.label} owner ${o}` }
          break
        }
      }
      for (const tag of team ? [] : (sc.data.tags ?? [])) {
        const t = teamBySlug.get(slugify(tag))
        if (t) {
          team = { team: t, source: 'scanner', text: `team ${t.name}, ${sc.data.label} tag ${tag}` }
          break
        }
      }
    }
    for (const sc of s.scanners) {
      const key = sc.data.application?.key
      const a = !app && key ? scannerApps.get(`${sc.connectionId}\u0000${key}`) : undefined
      if (a) app = { app: a, source: 'scanner', text: `${appPart(a)}, ${sc.data.label} application` }
    }
    if (!team && s.repositoryId !== null) {
      const t = teams.get(w.defaultTeams.get(s.repositoryId) ?? '')
      if (t)
        team = {
          team: t,
          source: 'default',
          text: `team ${t.name}, default team of repository ${s.repositoryName ?? s.repositoryId}`,
        }
    }
    if (!app) {
      const byTarget = memberApps.get(s.targetKey)
      const byRepo = s.repositoryId !== null ? memberApps.get(`repo:${s.repositoryId}`) : undefined
      const a = byTarget ?? byRepo
      if (a)
        app = {
          app: a,
          source: 'default',
          text: `${appPart(a)}, which lists ${byTarget ? s.targetName : `repository ${s.repositoryName}`}`,
        }
    }
    const parts = [team?.text ?? 'no team', ...(app ? [app.text] : [])]
    return {
      team: team?.team ?? null,
      application: app?.app ?? null,
      source: team?.source ?? app?.source ?? 'default',
      reason:
        team || app
          ? parts.join('; ')
          : 'unowned: no ownership rule, CODEOWNERS line, scanner owner or default team answers',
    }
  }

  return { rules, teams, applications, resolve }
}

const formatPriority = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1))
