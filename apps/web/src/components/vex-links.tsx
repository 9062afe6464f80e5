// VEX downloads of what the queue's filters match: CycloneDX 1.6 VEX and OpenVEX 0.2.0 (decisions and fixes).
import { BASE } from '../api.ts'
import { Icon } from './icon.tsx'

export function VexExportLinks({ query }: { query: string }) {
  return (
    <>
      <a
        className="btn btn-secondary"
        href={`${BASE}/exports/cyclonedx-vex${query}`}
        download
        title="CycloneDX 1.6 VEX: an analysis (state, justification, response) for every matching issue"
      >
        <Icon name="download" />
        CycloneDX VEX
      </a>
      <a
        className="btn btn-secondary"
        href={`${BASE}/exports/openvex${query}`}
        download
        title="OpenVEX 0.2.0: a statement (status, justification or action) for every matching issue"
      >
        <Icon name="download" />
        OpenVEX
      </a>
    </>
  )
}
