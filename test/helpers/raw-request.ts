import { request as httpRequest } from 'node:http';

export interface RawAnswer {
  status: number;
  location?: string;
  body: string;
}

/**
 * A request exactly as given: no URL normalisation, so malformed escapes, raw bytes, a `#` and an
 * absolute-form target ("http://host:port/path") reach the server as a client may send them.
 */
export function rawRequest(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
