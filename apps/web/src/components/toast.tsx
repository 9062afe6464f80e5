// Toasts in a polite live region.
import { createContext, type ReactNode, useCallback, useContext, useRef, useState } from 'react'

interface ToastItem {
  id: number
  text: string
  tone: 'ok' | 'bad' | 'info'
}
const ToastCtx = createContext<(text: string, tone?: ToastItem['tone']) => void>(() => {})
export const useToast = () => useContext(ToastCtx)

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([])
  const seq = useRef(0)
  const push = useCallback((text: string, tone: ToastItem['tone'] = 'info') => {
    const id = ++seq.current
    setItems((xs) => [...xs, { id, text, tone }])
    window.setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== id)), 6000)
  }, [])
  return (
    <ToastCtx.Provider value={push}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {items.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone}`}>
            {t.text}
          </div>
        ))}
      </div>
    </ToastCtx.Provider>
  )
}
