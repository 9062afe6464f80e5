export * from './kit/context.ts'
export * from './kit/guard.ts'
export * from './kit/http.ts'
export * from './kit/schema.ts'
