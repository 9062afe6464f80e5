/** The one severity scale of vulnsync, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const
export type Severity = (typeof SEVERITIES)[number]

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 }

export const severityRank = (s: Severity): number => RANK[s]
export const severityFromRank = (rank: number): Severity =>
  SEVERITIES[4 - Math.max(0, Math.min(4, Math.round(rank)))] as Severity
export const maxSeverity = (a: Severity, b: Severity): Severity => (RANK[a] >= RANK[b] ? a : b)
export const isSeverity = (v: unknown): v is Severity => typeof v === 'string' && v in RANK

const WORDS: Record<string, Severity> = {
  critical: 'critical',
  crit: 'critical',
  appoxalypse: 'critical', // OX Security's top level
  very_high: 'critical',
  high: 'high',
  important: 'high',
  medium: 'medium',
  moderate: 'medium',
  warning: 'medium',
  low: 'low',
  minor: 'low',
  info: 'info',
  informational: 'info',
  information: 'info',
  none: 'info',
  negligible: 'info',
  unknown: 'info', // Xray "Unknown"
  unspecified: 'info',
}

/**
 * Normalises a vendor's severity word ("HIGH", "FINDING_LEVEL_CRITICAL", "Appoxalypse", "Unknown") onto the scale.
 * Returns null for anything it does not know, so the caller can count and report it rather than guess.
 */
export const normaliseSeverity = (input: unknown): Severity | null => {
  if (typeof input !== 'string') return null
  const word = input
    .trim()
    .toLowerCase()
    .replace(/^(finding_level_|severity_|level_)/, '')
    .replace(/[\s-]+/g, '_')
  return WORDS[word] ?? null
}

/** CVSS base score to severity, per the CVSS v3 qualitative scale. */
export const severityFromCvss = (score: number): Severity => {
  if (score >= 9) return 'critical'
  if (score >= 7) return 'high'
  if (score >= 4) return 'medium'
  if (score > 0) return 'low'
  return 'info'
}
