// Scripted answers: queues keyed by matchers, consulted before the default endpoints.
import type { Matcher, RecordedRequest, Scripted } from './types.js'

interface Entry {
  matcher: Matcher
  answers: Scripted[]
  repeat: boolean
}

/** The path of a request target, without its query. */
export function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

export function matches(matcher: Matcher, method: string, path: string): boolean {
  if (matcher.method !== undefined && matcher.method.toUpperCase() !== method.toUpperCase()) return false
  if (matcher.path === undefined) return true
  return typeof matcher.path === 'string' ? matcher.path === path : matcher.path.test(path)
}

export function requestMatches(matcher: Matcher, request: RecordedRequest): boolean {
  return matches(matcher, request.method, pathOf(request.url))
}

export class ScriptBook {
  #entries: Entry[] = []

  add(matcher: Matcher, answers: Scripted | Scripted[], repeat: boolean): void {
    const list = Array.isArray(answers) ? [...answers] : [answers]
    if (list.length === 0) throw new RangeError('script() needs at least one answer')
    this.#entries.push({ matcher, answers: list, repeat })
  }

  /** The next answer of the first script that matches and is not used up; scripts are tried in the order added. */
  take(method: string, path: string): Scripted | undefined {
    const index = this.#entries.findIndex((entry) => matches(entry.matcher, method, path))
    const entry = this.#entries[index]
    if (entry === undefined) return undefined
    const answer = entry.answers[0] as Scripted
    if (entry.answers.length > 1) entry.answers.shift()
    else if (!entry.repeat) this.#entries.splice(index, 1)
    return answer
  }

  clear(): void {
    this.#entries = []
  }
}
