export * from './testing/databases.ts'
export * from './testing/poll.ts'
