/**
 * The GraphQL documents vulnsync sends to OX. Field names come from OX's own published queries and real responses
 * (see README.md). Three list selections, from the richest to the one OX's own examples use, because whether the SCA
 * details can be selected in `getIssues` is not documented: the client starts with FULL and steps down when OX answers
 * a validation error.
 */

const ISSUE_CORE = `
      id issueId mainTitle secondTitle name created createdAt scanId severity originalToolSeverity occurrences owners
      category { name categoryId }
      policy { id name }
      app { id name type businessPriority fakeApp }`

const SEVERITY_FACTORS_BASIC = `
      severityChangedReason { shortName reason changeNumber changeCategory }`

const SCA_BASIC = `
      isFixAvailable
      scaVulnerabilities { cve cveLink cvsVer epss percentile exploitInTheWild libName libVersion minorVerWithFix majorVerWithFix originalSeverity }`

const SCA_VULN_FIELDS = `cve cveLink cvsVer epss percentile exploitInTheWild exploitInTheWildLink libName libVersion dependencyChain chainDepth minorVerWithFix majorVerWithFix originalSeverity exploitRequirement cwe { shortName name }`

const SCA_FULL = `
      ruleId sourceTools isFixAvailable scaTriggerPkg
      app { id name type businessPriority fakeApp repoName organization repoId originBranchName applicationFlows { repository { type system location { link foundIn } } } }
      sbom { packageManager language pkgName location locationLink dependencyType triggerPackage }
      scaVulnerabilities { ${SCA_VULN_FIELDS} }
      directSCAVulnerability { ${SCA_VULN_FIELDS} }
      noneDirectSCAVulnerability { ${SCA_VULN_FIELDS} }
      severityChangedReason { shortName reason changeNumber changeCategory extraInfo { key value link snippet { fileName snippetLineNumber language text } } }
      aggregations { type items { image tag sha256 sha os baseImage layer imageLink registryName pkgName installedVersion fixedVersion fileName filePath fileUri lockfile link snippetLineNumber language } }`

export type ListMode = 'full' | 'basic' | 'detail'

export const LIST_MODES: ListMode[] = ['full', 'basic', 'detail']

export const getIssuesQuery = (mode: ListMode): string => {
  const fields =
    mode === 'full'
      ? ISSUE_CORE + SCA_FULL
      : mode === 'basic'
        ? ISSUE_CORE + SCA_BASIC + SEVERITY_FACTORS_BASIC
        : ISSUE_CORE
  return `query GetIssues($getIssuesInput: IssuesInput) {
  getIssues(getIssuesInput: $getIssuesInput) {
    totalIssues totalFilteredIssues offset
    issues {${fields}
    }
  }
}`
}

/** Everything `map` can use, for one issue (the fallback when the list cannot carry the SCA details). */
export const GET_SINGLE_ISSUE_QUERY = `query GetSingleIssueInfo($getSingleIssueInput: SingleIssueInput) {
  getSingleIssueInfo(getSingleIssueInput: $getSingleIssueInput) {
    ${ISSUE_CORE}
    ${SCA_FULL}
  }
}`

export const GET_APPLICATIONS_QUERY = `query GetApplications($getApplicationsInput: GetApplicationsInput) {
  getApplications(getApplicationsInput: $getApplicationsInput) {
    applications { appId appName type link fakeApp businessPriority }
    offset total totalFilteredApps
  }
}`

/** The check: one request, both permissions the import needs (applications and issues), one item each. */
export const CHECK_QUERY = `query CheckAccess($appsInput: GetApplicationsInput, $issuesInput: IssuesInput) {
  getApplications(getApplicationsInput: $appsInput) { total }
  getIssues(getIssuesInput: $issuesInput) { totalIssues }
}`
