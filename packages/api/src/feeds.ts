import { z } from 'zod'
import { NullableIso, Severity } from './common.ts'

// ------------------------------------------------------------------ the prioritisation feeds

export const FEED_NAME_VALUES = ['kev', 'epss'] as const
export const FeedName = z.enum(FEED_NAME_VALUES)
export type FeedName = z.infer<typeof FeedName>

/** Why the last refresh kept the previous data. */
export const FeedError = z.strictObject({
  /** not_found, unreachable, blocked, truncated, not_json, not_kev, not_epss, empty, implausible, … */
  code: z.string(),
  message: z.string(),
})
export type FeedError = z.infer<typeof FeedError>

/** Issues whose priority level a change moved (or would move), by from → to. */
export const PriorityMove = z.strictObject({
  from: Severity,
  to: Severity,
  count: z.number().int(),
  /** of which open */
  open: z.number().int(),
})
export type PriorityMove = z.infer<typeof PriorityMove>

/** What the last refresh did. */
export const FeedOutcome = z.strictObject({
  status: z.enum(['loaded', 'refused', 'failed']),
  /** the URL or file read */
  source: z.string(),
  /** entries read from the download or file (null when it could not be read) */
  entries: z.number().int().nullable(),
  /** entries in use before */
  previousEntries: z.number().int(),
  skipped: z.number().int(),
  skippedExamples: z.array(z.string()),
  /** CVEs whose values changed */
  changedCves: z.number().int(),
  /** issues recomputed, and whose priority level moved */
  issuesExamined: z.number().int(),
  priorityChanged: z.number().int(),
  moves: z.array(PriorityMove),
  durationMs: z.number().int(),
})
export type FeedOutcome = z.infer<typeof FeedOutcome>

export const Feed = z.strictObject({
  name: FeedName,
  title: z.string(),
  /** where it is downloaded from: the URL set with PATCH, else the configured one */
  url: z.string(),
  /** the configured URL (VULNSYNC_KEV_URL / VULNSYNC_EPSS_URL, by default the publisher's) */
  defaultUrl: z.string(),
  /** false: no download, daily or on demand; loaded data stays in use (air-gapped: `vulnsync feeds import`) */
  enabled: z.boolean(),
  /** the last refresh's end, successful or not */
  lastRefreshAt: NullableIso,
  /** entries in use */
  entries: z.number().int(),
  /** the feed's own date of the data in use (KEV dateReleased, EPSS score_date) */
  feedDate: z.string().nullable(),
  /** KEV catalogVersion, EPSS model_version */
  version: z.string().nullable(),
  loadedAt: NullableIso,
  loadedFrom: z.string().nullable(),
  /** why the last refresh kept the previous data; null when it succeeded */
  lastError: FeedError.nullable(),
  lastOutcome: FeedOutcome.nullable(),
  /** a refresh is queued or running */
  refreshing: z.boolean(),
  /** when the daily refresh is next due (null while disabled) */
  nextRefreshAt: NullableIso,
})
export type Feed = z.infer<typeof Feed>
export const FeedList = z.strictObject({ items: z.array(Feed) })
export const FeedEnvelope = z.strictObject({ feed: Feed })

// ------------------------------------------------------------------ the priority policy

export const LOWERING_FACTOR_VALUES = [
  'function_unreachable',
  'dependency_unreachable',
  'not_applicable',
  'test_only',
  'archived_repository',
  'epss_low',
] as const
export const KEV_ACTION_VALUES = ['critical', 'raise', 'none'] as const

const Probability = z.number().min(0).max(1)

export const PriorityPolicyDoc = z
  .strictObject({
    /** what a KEV listing does: make the issue critical (default), raise it one level, or only inform */
    kev: z.enum(KEV_ACTION_VALUES),
    /** a KEV-listed issue is never lowered */
    neverLowerKev: z.boolean(),
    epss: z.strictObject({
      /** at or above: one level up */
      high: Probability,
      /** below: "exploitation unlikely" (lowers only when epss_low may lower) */
      low: Probability,
    }),
    lowering: z.strictObject({
      /** the factors that may lower a priority, one level each */
      factors: z.array(z.enum(LOWERING_FACTOR_VALUES)).max(LOWERING_FACTOR_VALUES.length),
      /** the most levels they may take off together */
      maxLevels: z.number().int().min(0).max(4),
    }),
    /** the application's business priority (0–100): at or above raises one level, at or below lowers one; null: off */
    businessPriority: z
      .strictObject({
        raiseAtOrAbove: z.number().min(0).max(100).nullable(),
        lowerAtOrBelow: z.number().min(0).max(100).nullable(),
      })
      // a document written before the thresholds existed gets the defaults
      .default({ raiseAtOrAbove: 90, lowerAtOrBelow: 10 }),
  })
  .refine((p) => p.epss.low <= p.epss.high, {
    path: ['epss', 'low'],
    message: 'the low EPSS threshold must not be above the high one',
  })
  .refine(
    (p) =>
      p.businessPriority.raiseAtOrAbove === null ||
      p.businessPriority.lowerAtOrBelow === null ||
      p.businessPriority.lowerAtOrBelow < p.businessPriority.raiseAtOrAbove,
    {
      path: ['businessPriority', 'lowerAtOrBelow'],
      message: 'the business priority that lowers must be below the one that raises',
    },
  )
export type PriorityPolicyDoc = z.infer<typeof PriorityPolicyDoc>

/** What saving a priority policy does (or would do, with dryRun). */
export const PriorityPolicyChange = z.strictObject({
  policy: PriorityPolicyDoc,
  dryRun: z.boolean(),
  moves: z.array(PriorityMove),
  /** issues whose level changes */
  changed: z.number().int(),
  /** issues recomputed */
  examined: z.number().int(),
})
export type PriorityPolicyChange = z.infer<typeof PriorityPolicyChange>

/** KEV and EPSS as an issue carries them (the values its priority was computed with). */
export const IssueKev = z.strictObject({
  dateAdded: z.string(),
  dueDate: z.string().nullable(),
  knownRansomware: z.boolean(),
})
export const IssueEpss = z.strictObject({ score: z.number(), percentile: z.number(), date: z.string() })
