// What a list page of editable things shares: who may edit, which row is being edited or deleted, and the buttons.
import { useEffect, useState } from 'react'
import { useAuth } from '../auth.tsx'

/** The page's title, and the row being edited (or 'new') or deleted; viewers edit nothing. */
export function useEditableList<T>(title: string) {
  const { user } = useAuth()
  const [editing, setEditing] = useState<T | 'new' | null>(null)
  const [deleting, setDeleting] = useState<T | null>(null)
  useEffect(() => {
    document.title = `${title} · vulnsync`
  }, [title])
  return { canEdit: user.role !== 'viewer', editing, setEditing, deleting, setDeleting }
}

/** Edit and Delete buttons of one row, named for readers ("Edit Payments"). */
export function RowActions({ name, onEdit, onDelete }: { name: string; onEdit?: () => void; onDelete: () => void }) {
  return (
    <>
      {onEdit ? (
        <button type="button" className="btn btn-ghost btn-sm" onClick={onEdit}>
          Edit<span className="visually-hidden"> {name}</span>
        </button>
      ) : null}
      <button type="button" className="btn btn-ghost btn-sm" onClick={onDelete}>
        Delete<span className="visually-hidden"> {name}</span>
      </button>
    </>
  )
}
