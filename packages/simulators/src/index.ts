export * from './kit/server.ts'
export * from './kit/random.ts'
