// Findings that are not in the queue because their source repository matches nothing yet: the queue says they exist
// and where to map them, so nothing imported is left unseen.
import { api, type UnmatchedSummary } from '../../api.ts'
import { Icon } from '../../components/icon.tsx'
import { fmtNumber } from '../../format.ts'
import { useLoad } from '../../hooks.ts'
import { Link } from '../../router.tsx'

export function WaitingBanner() {
  const waiting = useLoad('unmatched-summary', (signal) =>
    api<UnmatchedSummary>('GET', '/unmatched/summary', undefined, signal),
  )
  const w = waiting.data
  if (!w || w.findings === 0) return null
  return (
    <div className="alert alert-info waiting-banner" role="status" data-waiting-findings={w.findings}>
      <Icon name="repo" />
      <div>
        {fmtNumber(w.findings)} finding{w.findings === 1 ? '' : 's'} from {fmtNumber(w.targets)} target
        {w.targets === 1 ? '' : 's'} wait{w.findings === 1 ? 's' : ''} for a repository match.{' '}
        <Link to="/repositories/unmatched">Map them under Unmatched</Link>
      </div>
    </div>
  )
}
