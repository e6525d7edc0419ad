// Error messages of the portal: S3 XML errors and admin problem+json, as the error banner shows them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeError, networkError, PortalError, problemError, s3Error, xmlElementText } from '../../portal/src/errors.ts';

describe('s3Error', () => {
  it('shows Code: Message with entities decoded', () => {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BucketNotEmpty</Code><Message>The bucket you tried to delete is not empty &amp; &lt;stays&gt;</Message><BucketName>b</BucketName><RequestId>1</RequestId></Error>';
    const e = s3Error(409, body);
    assert.equal(e.code, 'BucketNotEmpty');
    assert.equal(e.status, 409);
    assert.equal(e.message, 'BucketNotEmpty: The bucket you tried to delete is not empty & <stays>');
  });

  it('falls back to the status for bodiless answers (HEAD)', () => {
    assert.equal(s3Error(404, '').message, 'Not found (HTTP 404 from the S3 endpoint)');
    assert.equal(s3Error(403, '').code, 'http-403');
  });

  it('reads elements with attributes and numeric entities', () => {
    assert.equal(xmlElementText('<a><Key x="1">&#x41;&#66;</Key></a>', 'Key'), 'AB');
    assert.equal(xmlElementText('<a/>', 'Key'), undefined);
  });
});

describe('problemError', () => {
  it('shows title and detail, and field errors the detail does not already say', () => {
    const body = JSON.stringify({
      type: 'urn:dispersa:problem:invalid',
      title: 'Invalid request',
      status: 400,
      detail: 'write_quorum must be in [k, n] = [4, 6], got 7',
      errors: [
        { path: 'write_quorum', message: 'must be in [k, n] = [4, 6], got 7' },
        { path: 'generation_size', message: 'must be at least 1024' },
      ],
      instance: '/api/v1/policies',
      request_id: 'R1',
    });
    const e = problemError(400, body);
    assert.equal(e.code, 'invalid');
    assert.equal(e.message, 'Invalid request: write_quorum must be in [k, n] = [4, 6], got 7; generation_size: must be at least 1024');
    assert.equal(e.fieldErrors.length, 2);
  });

  it('copes with a body that is not JSON', () => {
    assert.equal(problemError(502, '<html>Bad gateway</html>').message, 'HTTP 502 (HTTP 502): <html>Bad gateway</html>');
    assert.equal(problemError(401, '').message, 'Not signed in (wrong or revoked key) (HTTP 401)');
  });
});

describe('describeError', () => {
  it('gives a message for anything thrown', () => {
    assert.equal(describeError(new PortalError('portal', 0, 'x', 'boom')), 'boom');
    assert.equal(describeError(new TypeError('bad')), 'bad');
    assert.equal(describeError('plain'), 'plain');
    assert.match(describeError(networkError('GET /api/v1/whoami', new TypeError('Failed to fetch'))), /no answer \(Failed to fetch\).*CORS/);
  });
});
