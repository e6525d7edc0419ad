// S3 XML: a small writer for responses, and a guarded parser for the few request bodies S3 defines.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from './errors.ts';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** Element content: text, nested elements, a list of them, or nothing (omitted). */
export type XmlValue = string | number | boolean | XmlElement | readonly XmlValue[] | undefined | null;
export interface XmlElement {
  readonly [name: string]: XmlValue;
}

function render(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return (value as readonly XmlValue[]).map((v) => render(name, v)).join('');
  if (typeof value === 'object') {
    const inner = Object.entries(value as XmlElement).map(([k, v]) => render(k, v)).join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** An XML document with one root element in the S3 namespace. */
export function xmlDocument(root: string, body: XmlElement, namespace: string | null = S3_XMLNS): string {
  const inner = Object.entries(body).map(([k, v]) => render(k, v)).join('');
  const attr = namespace === null ? '' : ` xmlns="${namespace}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${attr}>${inner}</${root}>`;
}

/** Largest XML request body accepted (DeleteObjects with 1000 long keys fits). */
export const MAX_XML_BODY = 2 * 1024 * 1024;

const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: true, isArray: (name) => ['Object', 'Part'].includes(name) });

/** Parses a request body; anything not well-formed or without the expected root is MalformedXML. */
export function parseXmlBody(text: string, root: string): Record<string, unknown> {
  // Still shipped in fast-xml-parser 5; its successor package would bring seven more dependencies for this one call.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw new S3Error('MalformedXML');
  const doc: unknown = parser.parse(text);
  const element = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)[root] : undefined;
  if (typeof element === 'string' && element.trim() === '') return {};
  if (typeof element !== 'object' || element === null || Array.isArray(element)) throw new S3Error('MalformedXML');
  return element as Record<string, unknown>;
}

/** Reads a whole request body up to `limit` bytes (XML bodies only; objects are streamed). */
export async function readSmallBody(body: AsyncIterable<Uint8Array>, limit = MAX_XML_BODY): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new S3Error('MaxMessageLengthExceeded');
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}
