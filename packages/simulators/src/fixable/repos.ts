import type { NpmDataset } from '../npm-registry/dataset.ts'

/**
 * Real repository files for the GitHub and GitLab simulators to serve: an npm service (package.json and a lockfile v3
 * whose entries resolve on the npm registry simulator), a Maven service (pom.xml with a version property) and a
 * Python service (requirements.txt), each depending on vulnerable versions of catalog packages, directly and
 * transitively.
 */

const lockEntry = (
  npm: NpmDataset,
  registry: string,
  name: string,
  version: string,
  dependencies?: Record<string, string>,
) => {
  const dist = npm.dist(name, version, registry)
  if (!dist) throw new Error(`${name}@${version} is not in the npm registry simulator's catalog`)
  return {
    version,
    resolved: dist.tarball,
    integrity: dist.integrity,
    license: 'MIT',
    ...(dependencies ? { dependencies } : {}),
  }
}

/** package.json and package-lock.json of a service: lodash and axios direct, minimist and follow-redirects transitive. */
export const npmServiceFiles = (npm: NpmDataset, registry: string, name = 'payments-api'): Record<string, string> => {
  const dependencies = { axios: '^0.21.1', lodash: '^4.17.15', mkdirp: '0.5.1' }
  const pkg = {
    name,
    version: '1.4.0',
    private: true,
    description: 'Payments API',
    scripts: { start: 'node index.js', test: 'node --test' },
    dependencies,
  }
  const lock = {
    name,
    version: '1.4.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name, version: '1.4.0', dependencies },
      'node_modules/axios': lockEntry(npm, registry, 'axios', '0.21.1', { 'follow-redirects': '^1.10.0' }),
      'node_modules/follow-redirects': lockEntry(npm, registry, 'follow-redirects', '1.14.8'),
      'node_modules/lodash': lockEntry(npm, registry, 'lodash', '4.17.15'),
      'node_modules/minimist': lockEntry(npm, registry, 'minimist', '0.0.8'),
      'node_modules/mkdirp': lockEntry(npm, registry, 'mkdirp', '0.5.1', { minimist: '0.0.8' }),
    },
  }
  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'package-lock.json': `${JSON.stringify(lock, null, 2)}\n`,
    'index.js': "const _ = require('lodash')\nmodule.exports = _.identity\n",
    'README.md': `# ${name}\n`,
  }
}

/** pom.xml of a service: log4j-core through a version property, jackson-databind pinned, snakeyaml transitive. */
export const mavenServiceFiles = (): Record<string, string> => ({
  'pom.xml': `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>ledger-service</artifactId>
  <version>2.3.0</version>

  <properties>
    <java.version>17</java.version>
    <!-- keep log4j on the 2.x line -->
    <log4j.version>2.14.1</log4j.version>
  </properties>

  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>\${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>2.9.10</version>
    </dependency>
  </dependencies>
</project>
`,
})

/** requirements.txt of a service: requests and jinja2 pinned. */
export const pythonServiceFiles = (): Record<string, string> => ({
  'requirements.txt': '# web service dependencies\nrequests==2.25.1\nJinja2==3.1.2  # templates\n',
})
