import type { ConnectorKind } from '@vulnsync/core'
import { endorConnector } from './endor/index.ts'
import { githubConnector } from './github/index.ts'
import { gitlabConnector } from './gitlab/index.ts'
import { jfrogConnector } from './jfrog/index.ts'
import { jiraConnector } from './jira/index.ts'
import type { ShippedConnector } from './kit/define.ts'
import { oxConnector } from './ox/index.ts'

/**
 * Every integration vulnsync ships, one entry per kind of CONNECTOR_KINDS (packages/core/src/connector.ts).
 * `satisfies` makes a listed kind without a connector here fail to compile, and each entry's kind must equal its key;
 * `defineConnector` makes a connector whose kind is not listed fail to compile. The server, the API
 * (`/api/v1/connectors`), the CLI and the web app take the connectors from here.
 */
export const CONNECTORS = {
  ox: oxConnector,
  endor: endorConnector,
  jfrog: jfrogConnector,
  github: githubConnector,
  gitlab: gitlabConnector,
  jira: jiraConnector,
} as const satisfies { [K in ConnectorKind]: ShippedConnector & { kind: K } }
