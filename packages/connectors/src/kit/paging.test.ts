import type { ReadEvent } from '@vulnsync/core'
import { describe, expect, it } from 'vitest'
import { offsetPages, type Page, readAhead, readPages, rebaseOn } from './paging.ts'

const drain = async <E, R>(gen: AsyncGenerator<E, R>): Promise<{ events: E[]; result: R }> => {
  const events: E[] = []
  for (;;) {
    const n = await gen.next()
    if (n.done) return { events, result: n.value }
    events.push(n.value)
  }
}

describe('paging helpers', () => {
  it('joins paths to the base and rebases a link to another origin on the configured one', () => {
    const abs = rebaseOn('https://gitlab.example.com/api/v4')
    expect(abs('/projects?page=2')).toBe('https://gitlab.example.com/api/v4/projects?page=2')
    expect(abs('https://gitlab.example.com/api/v4/projects?page=3')).toBe(
      'https://gitlab.example.com/api/v4/projects?page=3',
    )
    expect(abs('http://gitlab.internal:8080/api/v4/projects?page=4')).toBe(
      'https://gitlab.example.com/api/v4/projects?page=4',
    )
  })

  it('reads pages: the records of each, then a checkpoint holding where the next starts, none after the last', async () => {
    const pages: Record<string, Page<number, string>> = {
      a: { items: [1, 2], next: 'b' },
      b: { items: [3], next: 'c' },
      c: { items: [4, 5], next: null },
    }
    const progress: unknown[] = []
    const { events, result } = await drain(
      readPages<number, string, number, { next: string; pages: number }>({
        start: 'a',
        pagesBefore: 0,
        fetch: async (at) => pages[at]!,
        event: (n): ReadEvent<number, { next: string; pages: number }> => ({ type: 'record', raw: n }),
        cursor: (next, n) => ({ next, pages: n }),
        progress: (n) => ({ pages: n }),
        report: (p) => progress.push(p),
      }),
    )
    expect(result).toBe('done')
    expect(events.map((e) => (e.type === 'record' ? e.raw : e.type === 'checkpoint' ? e.cursor : e.type))).toEqual([
      1,
      2,
      { next: 'b', pages: 1 },
      3,
      { next: 'c', pages: 2 },
      4,
      5,
    ])
    expect(progress).toEqual([{ pages: 1 }, { pages: 2 }, { pages: 3 }])
  })

  it('hands a listing refused on its first page back to the caller, with nothing read', async () => {
    const { events, result } = await drain(
      readPages<number, string, number, string>({
        start: 'a',
        pagesBefore: 0,
        fetch: async () => 'refused',
        event: (n) => ({ type: 'record', raw: n }),
        cursor: (next) => next,
        progress: (n) => ({ pages: n }),
        report: () => {},
      }),
    )
    expect(result).toBe('refused')
    expect(events).toEqual([])
  })

  it('pages an offset listing by what came back, and stops on a short page or at the total', async () => {
    const listing = (size: number, total?: number) => {
      const asked: number[] = []
      const fetch = async (offset: number, limit: number) => {
        asked.push(offset)
        return {
          items: Array.from({ length: Math.max(0, Math.min(limit, size - offset)) }, (_, i) => offset + i),
          total,
        }
      }
      return { asked, fetch }
    }
    const read = async (l: ReturnType<typeof listing>) => {
      const seen: number[] = []
      for await (const p of offsetPages({ limit: 10, fetch: l.fetch })) seen.push(...p.items)
      return seen
    }
    const short = listing(25)
    expect(await read(short)).toEqual(Array.from({ length: 25 }, (_, i) => i))
    expect(short.asked).toEqual([0, 10, 20])
    const counted = listing(20, 20)
    expect(await read(counted)).toHaveLength(20)
    expect(counted.asked).toEqual([0, 10]) // the total is reached: no request past the end
  })

  describe('readAhead', () => {
    /** a source of pages 1..n that records when each is asked for and fails on page `failAt` */
    const pages = (n: number, failAt = 0) => {
      const log: string[] = []
      async function* gen() {
        try {
          for (let p = 1; p <= n; p++) {
            log.push(`ask ${p}`)
            await new Promise((r) => setTimeout(r, 5))
            if (p === failAt) throw new Error(`page ${p} failed`)
            yield p
          }
        } finally {
          log.push('closed')
        }
      }
      return { log, gen }
    }
    const settle = () => new Promise((r) => setTimeout(r, 30))

    it('asks for the next page as soon as one is handed over, and never for more than one ahead', async () => {
      const src = pages(3)
      const got: number[] = []
      for await (const p of readAhead(src.gen())) {
        await settle() // the consumer writes page p meanwhile
        got.push(p)
        // page p+1 is asked for while p is written, p+2 is not
        expect(src.log.filter((l) => l.startsWith('ask'))).toEqual(
          Array.from({ length: Math.min(p + 1, 3) }, (_, i) => `ask ${i + 1}`),
        )
      }
      expect(got).toEqual([1, 2, 3])
    })

    it('fails on the page read ahead only after handing over every page before it', async () => {
      const src = pages(4, 3)
      const got: number[] = []
      const run = async () => {
        for await (const p of readAhead(src.gen())) {
          await settle()
          got.push(p)
        }
      }
      await expect(run()).rejects.toThrow('page 3 failed')
      expect(got).toEqual([1, 2])
      expect(src.log).not.toContain('ask 4')
    })

    it('closes the source once the read in flight settles when the consumer stops', async () => {
      const src = pages(5)
      for await (const p of readAhead(src.gen())) if (p === 2) break
      await settle()
      expect(src.log).toEqual(['ask 1', 'ask 2', 'ask 3', 'closed'])
    })
  })
})
