/**
 * Who owns what in the simulated estates, shared by the SCM simulators' CODEOWNERS files and the scanners' owner
 * data, so that a demo has the same teams everywhere: a repository's team follows the first word of its name.
 */

/** The team that owns a generated repository's services, by the first word of its name. */
export const SIM_TEAMS: Record<string, string> = {
  payments: 'payments',
  billing: 'payments',
  ledger: 'payments',
  checkout: 'payments',
  auth: 'identity',
  profile: 'identity',
  gateway: 'identity',
  search: 'commerce',
  catalog: 'commerce',
  orders: 'commerce',
  inventory: 'commerce',
  shipping: 'commerce',
  notify: 'data',
  reporting: 'data',
  analytics: 'data',
  media: 'data',
}

/** The slugs the files name: `@<org>/<slug>`. */
export const SIM_TEAM_SLUGS = ['platform', ...new Set(Object.values(SIM_TEAMS))]

/** The team of a repository or project name (`payments-api`, `Billing service`): `platform` for the rest. */
export const simTeamOf = (name: string): string => SIM_TEAMS[name.toLowerCase().split(/[-\s_/]/)[0] ?? ''] ?? 'platform'
