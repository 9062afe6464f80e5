export * from './testing/databases.ts'
