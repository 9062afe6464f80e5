export * from './kit/http.ts'
export * from './kit/guard.ts'
export * from './kit/context.ts'
