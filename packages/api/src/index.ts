/**
 * The HTTP API contract of vulnsync: a zod schema for every response body. The server validates against them (in
 * tests) and publishes them in its OpenAPI document; the web app takes its types from them (type-only imports), so
 * a response that changes shape breaks the web build where the web app does not handle it.
 */
export * from './auth.ts'
export * from './common.ts'
export * from './connections.ts'
export * from './feeds.ts'
export * from './fixes.ts'
export * from './insights.ts'
export * from './outbound.ts'
export * from './ownership.ts'
export * from './repositories.ts'
export * from './vulnerabilities.ts'
