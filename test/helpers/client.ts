// A client for tests: its own undici Agent (so tests never share pooled sockets), closed in teardown.
import { Agent, type Dispatcher, request } from 'undici'

interface Teardown {
  teardown(fn: () => unknown): void
}

export type ClientResponse = { status: number; headers: Dispatcher.ResponseData['headers']; body: Buffer }

export function client(t: Teardown) {
  const agent = new Agent({ keepAliveTimeout: 1000 })
  t.teardown(() => agent.close())
  return async function send(
    url: string,
    options:
      | Omit<Dispatcher.RequestOptions, 'origin' | 'path'>
      | { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}
  ): Promise<ClientResponse> {
    const response = await request(url, { dispatcher: agent, ...(options as object) })
    return {
      status: response.statusCode,
      headers: response.headers,
      body: Buffer.from(await response.body.arrayBuffer())
    }
  }
}
