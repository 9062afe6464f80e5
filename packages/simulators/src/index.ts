export { type EndorSimulator, type EndorSimulatorOptions, startEndorSimulator } from './endor/index.ts'
export { type FeedsSimulator, type FeedsSimulatorOptions, startFeedsSimulator } from './feeds/index.ts'
export { type GithubSimulator, type GithubSimulatorOptions, startGithubSimulator } from './github/index.ts'
export { type GitlabSimulator, type GitlabSimulatorOptions, startGitlabSimulator } from './gitlab/index.ts'
export { type JfrogSimulator, type JfrogSimulatorOptions, startJfrogSimulator } from './jfrog/index.ts'
export { type JiraSimulator, type JiraSimulatorOptions, startJiraSimulator } from './jira/index.ts'
export * from './kit/random.ts'
export * from './kit/server.ts'
export {
  type MavenSimulator,
  type MavenSimulatorOptions,
  startMavenSimulator,
} from './maven/index.ts'
export {
  type NpmRegistrySimulator,
  type NpmRegistrySimulatorOptions,
  startNpmRegistrySimulator,
} from './npm-registry/index.ts'
export { type OxSimulator, type OxSimulatorOptions, startOxSimulator } from './ox/index.ts'
export { type PypiSimulator, type PypiSimulatorOptions, startPypiSimulator } from './pypi/index.ts'
